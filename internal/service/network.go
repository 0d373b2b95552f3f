package service

import (
	"context"
	"fmt"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// Site kinds.
const (
	SiteCentre = "centre" // 便民服务中心 of a township or street
	SitePoint  = "point"  // 便民服务点 of a village or community
)

// Site is a place of the service network.
type Site struct {
	ID       int64    `json:"id"`
	UnitID   int64    `json:"-"`
	UnitCode string   `json:"unit_code"`
	UnitName string   `json:"unit_name"`
	UnitKind string   `json:"unit_kind"`
	UnitPath string   `json:"-"`
	Kind     string   `json:"kind"`
	Name     string   `json:"name"`
	Address  string   `json:"address,omitempty"`
	Phone    string   `json:"phone,omitempty"`
	Hours    string   `json:"hours,omitempty"`
	Windows  []Window `json:"windows,omitempty"`
	Staff    []Staff  `json:"staff,omitempty"`
}

// Window is a window of a site.
type Window struct {
	ID   int64  `json:"id"`
	No   string `json:"no"`
	Name string `json:"name"`
	Kind string `json:"kind"` // universal, delivery, proxy
}

// Staff is a person who works at a site, at a window.
type Staff struct {
	ID       int64  `json:"id"`
	WindowID int64  `json:"window_id,omitempty"`
	UserID   int64  `json:"user_id,omitempty"`
	Name     string `json:"name"`
	Post     string `json:"post,omitempty"`
	Role     string `json:"role,omitempty"`   // front, back, delivery ('' not assigned)
	Office   string `json:"office,omitempty"` // the back office's 科室
}

const siteCols = `s.id, s.unit_id, u.code, u.name, u.kind, u.path, s.kind, s.name, s.address, s.phone, s.hours`

func scanSite(sc interface{ Scan(...any) error }) (Site, error) {
	var x Site
	err := sc.Scan(&x.ID, &x.UnitID, &x.UnitCode, &x.UnitName, &x.UnitKind, &x.UnitPath, &x.Kind, &x.Name, &x.Address, &x.Phone, &x.Hours)
	return x, err
}

// NetworkCounts sums up the network.
type NetworkCounts struct {
	Centres, Points, Windows, Staff int
}

// Counts counts the network's centres, points, windows and staff.
func (s *Service) Counts(ctx context.Context) (NetworkCounts, error) {
	var c NetworkCounts
	err := s.db.QueryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM service_sites WHERE kind = 'centre'),
		(SELECT COUNT(*) FROM service_sites WHERE kind = 'point'),
		(SELECT COUNT(*) FROM service_windows),
		(SELECT COUNT(*) FROM service_staff)`).Scan(&c.Centres, &c.Points, &c.Windows, &c.Staff)
	if err != nil {
		return c, fmt.Errorf("network counts: %w", err)
	}
	return c, nil
}

// Centres lists the centres with their windows and staff, in unit order.
func (s *Service) Centres(ctx context.Context) ([]Site, error) {
	rows, err := s.db.Query(ctx, `SELECT `+siteCols+` FROM service_sites s JOIN units u ON u.id = s.unit_id WHERE s.kind = 'centre' ORDER BY u.code`)
	out, err := store.Collect(rows, err, scanSite)
	if err != nil {
		return nil, fmt.Errorf("centres: %w", err)
	}
	for i := range out {
		if err := s.fillSite(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Points lists the service points under a township (its villages and
// communities).
func (s *Service) Points(ctx context.Context, townshipCode string) ([]Site, error) {
	t, err := org.RefByCode(ctx, s.db, townshipCode)
	if err != nil {
		if isNotFound(err) {
			return nil, store.NotFoundf("找不到单位 %s", townshipCode)
		}
		return nil, err
	}
	lo, hi := access.PathRange(t.Path)
	rows, err := s.db.Query(ctx, `SELECT `+siteCols+` FROM service_sites s JOIN units u ON u.id = s.unit_id
		WHERE s.kind = 'point' AND u.path >= ? AND u.path < ? ORDER BY u.code`, lo, hi)
	out, err := store.Collect(rows, err, scanSite)
	if err != nil {
		return nil, fmt.Errorf("points: %w", err)
	}
	return out, nil
}

func (s *Service) fillSite(ctx context.Context, x *Site) error {
	rows, err := s.db.Query(ctx, `SELECT id, no, name, kind FROM service_windows WHERE site_id = ? ORDER BY id`, x.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var w Window
		if err := rows.Scan(&w.ID, &w.No, &w.Name, &w.Kind); err != nil {
			rows.Close()
			return err
		}
		x.Windows = append(x.Windows, w)
	}
	rows.Close()
	rows, err = s.db.Query(ctx, `SELECT id, COALESCE(window_id, 0), COALESCE(user_id, 0), name, post, role, office FROM service_staff WHERE site_id = ? ORDER BY id`, x.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var st Staff
		if err := rows.Scan(&st.ID, &st.WindowID, &st.UserID, &st.Name, &st.Post, &st.Role, &st.Office); err != nil {
			return err
		}
		x.Staff = append(x.Staff, st)
	}
	return rows.Err()
}

// SiteOf returns the site an actor works at: the site of their unit, or of
// the nearest unit above it that has one; false when there is none.
func (s *Service) SiteOf(ctx context.Context, actor access.Actor) (Site, bool, error) {
	if actor.UnitPath == "" {
		return Site{}, false, nil
	}
	ids := strings.Split(strings.Trim(actor.UnitPath, "/"), "/")
	for i := len(ids) - 1; i >= 0; i-- {
		x, err := scanSite(s.db.QueryRow(ctx, `SELECT `+siteCols+` FROM service_sites s JOIN units u ON u.id = s.unit_id WHERE s.unit_id = ?`, ids[i]))
		if err == nil {
			if err := s.fillSite(ctx, &x); err != nil {
				return Site{}, false, err
			}
			return x, true, nil
		}
		if !isNotFound(err) {
			return Site{}, false, fmt.Errorf("site of %s: %w", actor.UnitCode, err)
		}
	}
	return Site{}, false, nil
}

// Site returns the site with id.
func (s *Service) Site(ctx context.Context, id int64) (Site, error) {
	x, err := scanSite(s.db.QueryRow(ctx, `SELECT `+siteCols+` FROM service_sites s JOIN units u ON u.id = s.unit_id WHERE s.id = ?`, id))
	if err != nil {
		if isNotFound(err) {
			return Site{}, store.NotFound("找不到该便民服务中心或服务点")
		}
		return Site{}, err
	}
	return x, s.fillSite(ctx, &x)
}

// centreFor returns the centre of the township at or above the unit at
// path (the centre an application counts under).
func (s *Service) centreFor(ctx context.Context, q store.Querier, path string) (Site, bool, error) {
	ids := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(ids) - 1; i >= 0; i-- {
		x, err := scanSite(q.QueryRow(ctx, `SELECT `+siteCols+` FROM service_sites s JOIN units u ON u.id = s.unit_id
			WHERE s.unit_id = ? AND s.kind = 'centre'`, ids[i]))
		if err == nil {
			return x, true, nil
		}
		if !isNotFound(err) {
			return Site{}, false, err
		}
	}
	return Site{}, false, nil
}

// SiteOfUnit returns the site of the unit with code; false when it has
// none.
func (s *Service) SiteOfUnit(ctx context.Context, code string) (Site, bool, error) {
	x, err := scanSite(s.db.QueryRow(ctx, `SELECT `+siteCols+` FROM service_sites s JOIN units u ON u.id = s.unit_id WHERE u.code = ?`, code))
	if isNotFound(err) {
		return Site{}, false, nil
	}
	if err != nil {
		return Site{}, false, err
	}
	return x, true, s.fillSite(ctx, &x)
}
