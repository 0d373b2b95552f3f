package casework

// The grid worker's phone list: what was reported today in the worker's
// grid (or by the worker), and the grid events whose handling was reported
// and now wait for the worker's on-site check (核查).

import (
	"context"
	"fmt"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// MaxGridWorkRows caps each list of GridWork (a phone page stays small).
const MaxGridWorkRows = 50

// GridCase is one line of a grid worker's list.
type GridCase struct {
	No           string
	Title        string
	Status       string
	CategoryName string
	Address      string
	GridName     string
	OnSpot       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Flow is the case's flow; PartStatus the status of the actor's unit's
	// part (summons only).
	Flow       string
	PartStatus string
}

// GridWork is a grid worker's day: today's grid events in their grid,
// the on-the-spot fixes among them, and the events waiting for their on-site
// check.
type GridWork struct {
	// Day is the day in Asia/Shanghai, "2006-01-02".
	Day string
	// Today lists the grid events reported today, newest first.
	Today []GridCase
	// OnSpotToday counts today's events fixed on the spot (即办件).
	OnSpotToday int
	// ToCheck lists the events handled and waiting for the on-site check,
	// oldest first (the longest waiting on top).
	ToCheck []GridCase
	// Summons lists the open parts of coordination cases (a whistle) that
	// summon the actor's own unit, oldest first.
	Summons []GridCase
	// InGrid lists the open cases of any flow in the actor's grids that
	// someone else reported (a 12345 call, a resident, another worker),
	// newest first.
	InGrid []GridCase
}

// GridWork returns the grid worker's list for the day of now. It covers the
// grid events whose grid lies in the actor's subtree (a grid worker's grid,
// a community's grids) and those the actor reported, wherever they are.
func (s *Service) GridWork(ctx context.Context, actor access.Actor, now time.Time) (GridWork, error) {
	if actor.Anonymous() {
		return GridWork{}, store.Forbidden("请先登录")
	}
	day := Today(now)
	from, to, err := DayBounds(day)
	if err != nil {
		return GridWork{}, err
	}
	grid, args := actor.SubtreeFilter("g.path")
	scope := "(" + grid + " OR c.created_by = ?)"
	args = append(args, actor.UserID)

	w := GridWork{Day: day}
	w.Today, err = s.gridCases(ctx, scope+" AND c.created_at >= ? AND c.created_at < ?",
		append(append([]any{}, args...), store.Millis(from), store.Millis(to)), "c.created_at DESC, c.id DESC")
	if err != nil {
		return GridWork{}, err
	}
	for _, c := range w.Today {
		if c.OnSpot {
			w.OnSpotToday++
		}
	}
	w.ToCheck, err = s.gridCases(ctx, scope+" AND c.status = 'handled' AND c.closed_at IS NULL",
		append([]any{}, args...), "c.updated_at, c.id")
	if err != nil {
		return GridWork{}, err
	}
	w.Summons, err = s.workCases(ctx, `a.status, a.dispatched_at, a.id FROM assignments a JOIN cases c ON c.id = a.case_id
		LEFT JOIN units g ON g.id = c.grid_unit_id LEFT JOIN categories cat ON cat.id = c.category_id
		WHERE a.role = 'summoned' AND a.unit_id = ? AND a.person_id IS NULL AND a.closed_at IS NULL
			AND a.status NOT IN (`+inboxPartOver+`) AND c.closed_at IS NULL
		ORDER BY a.dispatched_at, a.id`, actor.UnitID)
	if err != nil {
		return GridWork{}, err
	}
	inGrid, gargs := actor.SubtreeFilter("g.path")
	w.InGrid, err = s.workCases(ctx, `'', c.created_at, c.id FROM cases c
		JOIN units g ON g.id = c.grid_unit_id LEFT JOIN categories cat ON cat.id = c.category_id
		WHERE `+inGrid+` AND c.closed_at IS NULL AND (c.created_by IS NULL OR c.created_by <> ?)
		ORDER BY c.created_at DESC, c.id DESC`, append(gargs, actor.UserID)...)
	if err != nil {
		return GridWork{}, err
	}
	return w, nil
}

// workCases reads GridCase rows: the query continues after the case's
// columns with the part status, two ordering columns and FROM.
func (s *Service) workCases(ctx context.Context, rest string, args ...any) ([]GridCase, error) {
	rows, err := s.db.Reader(ctx).Query(ctx, `SELECT c.no, c.title, c.status, COALESCE(cat.name, ''), c.address, COALESCE(g.name, ''), c.on_spot,
			c.created_at, c.updated_at, c.flow, `+rest+` LIMIT ?`, append(args, MaxGridWorkRows)...)
	if err != nil {
		return nil, fmt.Errorf("grid work: %w", err)
	}
	defer rows.Close()
	var out []GridCase
	for rows.Next() {
		var c GridCase
		var onSpot int
		var created, updated, o1, o2 int64
		if err := rows.Scan(&c.No, &c.Title, &c.Status, &c.CategoryName, &c.Address, &c.GridName, &onSpot, &created, &updated,
			&c.Flow, &c.PartStatus, &o1, &o2); err != nil {
			return nil, fmt.Errorf("grid work: %w", err)
		}
		c.OnSpot = onSpot == 1
		c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).In(shanghai), time.UnixMilli(updated).In(shanghai)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Service) gridCases(ctx context.Context, where string, args []any, order string) ([]GridCase, error) {
	rows, err := s.db.Reader(ctx).Query(ctx, `SELECT c.no, c.title, c.status, COALESCE(cat.name, ''), c.address, COALESCE(g.name, ''), c.on_spot,
			c.created_at, c.updated_at
		FROM cases c
		LEFT JOIN units g ON g.id = c.grid_unit_id
		LEFT JOIN categories cat ON cat.id = c.category_id
		WHERE c.flow = 'grid_event' AND `+where+` ORDER BY `+order+` LIMIT ?`, append(args, MaxGridWorkRows)...)
	if err != nil {
		return nil, fmt.Errorf("grid work: %w", err)
	}
	defer rows.Close()
	var out []GridCase
	for rows.Next() {
		var c GridCase
		var onSpot int
		var created, updated int64
		if err := rows.Scan(&c.No, &c.Title, &c.Status, &c.CategoryName, &c.Address, &c.GridName, &onSpot, &created, &updated); err != nil {
			return nil, fmt.Errorf("grid work: %w", err)
		}
		c.OnSpot = onSpot == 1
		c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).In(shanghai), time.UnixMilli(updated).In(shanghai)
		out = append(out, c)
	}
	return out, rows.Err()
}
