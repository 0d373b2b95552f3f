package web

import (
	"net/http"
	"strconv"
	"strings"

	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// The "grid + zone" enforcement view (coord_pages.go has the lists; the
// forms that open cases are the one create form, case_new.go).

func parseIDs(vs []string) ([]int64, error) {
	var out []int64
	for _, v := range vs {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, store.Invalid("人员编号有误")
		}
		out = append(out, id)
	}
	return out, nil
}

// ZonesPage is the "grid + zone" enforcement view.
type ZonesPage struct {
	Page
	Zones []casework.Zone
}

func (s *Server) enforcementZones(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	zones, err := s.Cases.EnforcementZones(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	return s.render(w, r, "enforcement_zones", ZonesPage{Page: s.page(r, "coord.enf.zones", s.areaOf("/enforcement/zones")), Zones: zones})
}
