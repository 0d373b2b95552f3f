package casework

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// What generated work (the demo cases of internal/demo) needs of the engine
// beyond the calls a user's request makes: a copy of the engine on a
// simulated clock, the working calendar, and the opening check without
// opening.

// WithClock returns a copy of the engine — the same flows, lists and hooks
// over the same database — whose clock is now and whose log is log.
func (s *Service) WithClock(now func() time.Time, log *slog.Logger) *Service {
	c := *s
	c.deps.Now = now
	if log != nil {
		c.log = log
	}
	return &c
}

// Calendar returns the working calendar the engine counts limits on (every
// minute counts when none is wired).
func (s *Service) Calendar(ctx context.Context) (Calendar, error) { return s.calendar(ctx) }

// MayOpen checks, without opening anything, that actor (a signed-in user)
// may open in where intake routes it: the flow's opening roles and its
// opening scope (OpenScope) at the grid holding the point, else at the
// place unit.
func (s *Service) MayOpen(ctx context.Context, actor access.Actor, in NewCase) error {
	f, ok := s.flows[in.Flow]
	if !ok {
		return store.Invalidf("没有流程 %s", in.Flow)
	}
	if len(f.OpenedBy) > 0 && !actor.HasAny(f.OpenedBy...) {
		return store.Forbidden("您的角色不能发起此类工单") // as intake says
	}
	set, err := loadSettings(ctx, s.db)
	if err != nil {
		return err
	}
	var grid, place unitRef
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if in.Lng != nil && in.Lat != nil && s.deps.GridAt != nil {
			if code, err := s.deps.GridAt(ctx, *in.Lng, *in.Lat); err == nil && code != "" {
				if g, err := unitByCode(ctx, tx, code); err == nil {
					grid = g
				}
			}
		}
		if grid.ID != 0 || in.PlaceUnit == "" {
			return nil
		}
		pu, err := unitByCode(ctx, tx, in.PlaceUnit)
		if err != nil {
			return nil // intake reports an unknown place itself
		}
		switch pu.Kind {
		case "grid", "building":
			grid = pu
		default:
			place = pu
		}
		return nil
	})
	if err != nil {
		return err
	}
	return mayOpenHere(actor, f, set, grid, place)
}

// SourceCounts counts the cases of a source by "flow/status".
func (s *Service) SourceCounts(ctx context.Context, source string) (map[string]int, error) {
	rows, err := s.db.Query(ctx, `SELECT flow, status, COUNT(*) FROM cases WHERE source = ? GROUP BY flow, status`, source)
	if err != nil {
		return nil, fmt.Errorf("cases of source %s: %w", source, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var flow, status string
		var n int
		if err := rows.Scan(&flow, &status, &n); err != nil {
			return nil, err
		}
		out[flow+"/"+status] += n
	}
	return out, rows.Err()
}
