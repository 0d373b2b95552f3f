package casework

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"grassroots/internal/org"
	"grassroots/internal/store"
)

// TownshipParts counts the open parts (assignments still to be done) of the
// units in one township or street, and how many of them are late (超期,
// the inbox's definition: lateCond).
type TownshipParts struct {
	// Code and Name are the township's; both are "" for the parts of units
	// above the townships (the county's departments).
	Code, Name string
	Open, Late int64
}

// OpenPartsByTownship counts the open and the late parts at now by
// township, for the operator's figures: one grouped read of the open parts'
// index (per unit) and one of the townships, however many cases there are.
// Townships without open parts are listed with zeros, so that a series
// falls to 0 rather than disappearing.
func (s *Service) OpenPartsByTownship(ctx context.Context, now time.Time) ([]TownshipParts, error) {
	late, args := lateCond("a", store.Millis(now))
	rows, err := s.db.Query(ctx, `SELECT a.unit_path, COUNT(*), SUM(CASE WHEN `+late+` THEN 1 ELSE 0 END)
		FROM assignments a WHERE a.closed_at IS NULL AND a.status NOT IN (`+inboxPartOver+`) GROUP BY a.unit_path`, args...)
	type unitCount struct {
		path       string
		open, late int64
	}
	counts, err := store.Collect(rows, err, func(sc store.Scanner) (unitCount, error) {
		var u unitCount
		return u, sc.Scan(&u.path, &u.open, &u.late)
	})
	if err != nil {
		return nil, fmt.Errorf("open parts by township: %w", err)
	}
	towns, err := org.RefsOfKinds(ctx, s.db, []string{org.KindTownship, org.KindStreet}, 0)
	if err != nil {
		return nil, fmt.Errorf("open parts by township: %w", err)
	}
	byCode := map[string]*TownshipParts{}
	out := make([]TownshipParts, 0, len(towns)+1)
	for _, t := range towns {
		out = append(out, TownshipParts{Code: t.Code, Name: t.Name})
	}
	out = append(out, TownshipParts{})
	for i := range out {
		byCode[out[i].Code] = &out[i]
	}
	for _, c := range counts {
		code := ""
		for _, t := range towns { // some twenty townships
			if strings.HasPrefix(c.path, t.Path) {
				code = t.Code
				break
			}
		}
		p := byCode[code]
		p.Open += c.open
		p.Late += c.late
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}
