// Package patrol is the grid worker's patrol and people's-conditions log
// (巡查日志、民情日志, issue 18): a patrol is recorded as it happens on the
// phone — started, notes of what was seen, optional points of where, ended
// with a line of summary. Location is optional evidence, never a check-in
// (the 2026 rules on government apps forbid compulsory clock-ins and track
// uploads). What the patrol found is recorded where it belongs: the grid
// events its worker reported between start and end, which the patrol lists.
package patrol

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Note kinds.
const (
	KindNote  = "note"  // 民情: what was seen or heard
	KindPoint = "point" // where the worker was (optional)
)

// Patrol is one patrol with its notes and findings.
type Patrol struct {
	ID        int64      `json:"id"`
	GridID    int64      `json:"-"`
	GridCode  string     `json:"grid"`
	GridName  string     `json:"grid_name"`
	UserID    int64      `json:"-"`
	Actor     string     `json:"actor"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	Summary   string     `json:"summary,omitempty"`
	Notes     []Note     `json:"notes"`
	// Findings are the cases its worker reported during it.
	Findings []Finding `json:"findings"`
}

// Open reports whether the patrol is still under way.
func (p Patrol) Open() bool { return p.EndedAt == nil }

// Note is a line of the log.
type Note struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"`
	Note string    `json:"note,omitempty"`
	Lng  *float64  `json:"lng,omitempty"`
	Lat  *float64  `json:"lat,omitempty"`
}

// Finding is a case reported during a patrol.
type Finding struct {
	No    string    `json:"no"`
	Title string    `json:"title"`
	At    time.Time `json:"at"`
}

// NewNote is a note or a point as sent from the phone; ClientID, the
// phone's id for it, makes a resend harmless.
type NewNote struct {
	Note     string
	Lng, Lat *float64
	ClientID string
}

// Service keeps the log.
type Service struct {
	db  *store.DB
	org *org.Service
	now func() time.Time
}

// New returns the log over db.
func New(db *store.DB, o *org.Service) *Service { return &Service{db: db, org: o, now: time.Now} }

// WithClock sets the clock (tests).
func (s *Service) WithClock(now func() time.Time) *Service { s.now = now; return s }

// MayPatrol: grid workers and community staff patrol the grids of their
// own unit's subtree.
func MayPatrol(a access.Actor, grid org.Unit) bool {
	return a.UserID != 0 && a.HasAny(access.RoleGrid, access.RoleCommunity) && a.SeesPath(grid.Path)
}

// Start opens a patrol of the grid with code ("" for the worker's own
// grid). A worker has one patrol open at a time.
func (s *Service) Start(ctx context.Context, actor access.Actor, gridCode string) (Patrol, error) {
	if strings.TrimSpace(gridCode) == "" {
		gridCode = actor.UnitCode
	}
	g, err := s.org.UnitByCode(ctx, actor, gridCode)
	if err != nil {
		return Patrol{}, err
	}
	if g.Kind != org.KindGrid {
		return Patrol{}, store.Invalidf("巡查要在网格里进行，%s不是网格", g.Name)
	}
	if !MayPatrol(actor, g) {
		return Patrol{}, store.Forbidden("只有本网格的网格员和社区工作人员可以记录巡查")
	}
	if p, ok, err := s.Current(ctx, actor); err != nil {
		return Patrol{}, err
	} else if ok {
		return p, store.Conflictf("已有一次巡查正在进行（%s开始），请先结束它", p.StartedAt.In(shanghai).Format("15:04"))
	}
	var id int64
	err = s.db.QueryRow(ctx, `INSERT INTO patrols (grid_unit_id, user_id, actor_name, started_at) VALUES (?, ?, ?, ?) RETURNING id`,
		g.ID, actor.UserID, actor.Recorded(), store.Millis(s.now())).Scan(&id)
	if errors.Is(err, store.ErrConflict) {
		return Patrol{}, store.Conflict("已有一次巡查正在进行，请先结束它")
	}
	if err != nil {
		return Patrol{}, fmt.Errorf("start patrol: %w", err)
	}
	return s.load(ctx, id)
}

// Current is the actor's patrol under way, if any.
func (s *Service) Current(ctx context.Context, actor access.Actor) (Patrol, bool, error) {
	var id int64
	err := s.db.QueryRow(ctx, `SELECT id FROM patrols WHERE user_id = ? AND ended_at IS NULL`, actor.UserID).Scan(&id)
	if errors.Is(err, store.ErrNotFound) || actor.UserID == 0 {
		return Patrol{}, false, nil
	}
	if err != nil {
		return Patrol{}, false, fmt.Errorf("current patrol: %w", err)
	}
	p, err := s.load(ctx, id)
	return p, err == nil, err
}

// own loads patrol id for a write: only its worker writes it, while it
// is under way.
func (s *Service) own(ctx context.Context, actor access.Actor, id int64) (Patrol, error) {
	p, err := s.load(ctx, id)
	if err != nil {
		return Patrol{}, err
	}
	if actor.UserID == 0 || p.UserID != actor.UserID {
		return Patrol{}, store.Forbidden("只有巡查的本人可以记录这次巡查")
	}
	if !p.Open() {
		return Patrol{}, store.Conflict("这次巡查已经结束")
	}
	return p, nil
}

// AddNote records what was seen (a note, with an optional point) or, with
// no text, only where the worker was.
func (s *Service) AddNote(ctx context.Context, actor access.Actor, id int64, n NewNote) error {
	if _, err := s.own(ctx, actor, id); err != nil {
		return err
	}
	n.Note = strings.TrimSpace(n.Note)
	if utf8.RuneCountInString(n.Note) > 1000 {
		return store.Invalid("民情记录不能超过1000字")
	}
	if (n.Lng == nil) != (n.Lat == nil) {
		return store.Invalid("位置要同时有经度和纬度")
	}
	if n.Lng != nil && (*n.Lng < 73 || *n.Lng > 136 || *n.Lat < 3 || *n.Lat > 54) {
		return store.Invalid("位置不在中国境内，请检查经纬度")
	}
	kind := KindNote
	if n.Note == "" {
		if n.Lng == nil {
			return store.Invalid("请填写看到的情况，或记下所在位置")
		}
		kind = KindPoint
	}
	var client any
	if c := strings.TrimSpace(n.ClientID); c != "" {
		if len(c) > 64 {
			return store.Invalid("记录编号过长")
		}
		client = c
	}
	_, err := s.db.Exec(ctx, `INSERT INTO patrol_notes (patrol_id, at, kind, note, lng, lat, client_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, store.Millis(s.now()), kind, n.Note, n.Lng, n.Lat, client)
	if errors.Is(err, store.ErrConflict) {
		return nil // the phone sent it again: it is kept once
	}
	if err != nil {
		return fmt.Errorf("patrol %d note: %w", id, err)
	}
	return nil
}

// End closes the patrol with a line of summary (optional).
func (s *Service) End(ctx context.Context, actor access.Actor, id int64, summary string) (Patrol, error) {
	if _, err := s.own(ctx, actor, id); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return s.load(ctx, id) // ended already (a resend)
		}
		return Patrol{}, err
	}
	summary = strings.TrimSpace(summary)
	if utf8.RuneCountInString(summary) > 500 {
		return Patrol{}, store.Invalid("巡查小结不能超过500字")
	}
	if _, err := s.db.Exec(ctx, `UPDATE patrols SET ended_at = ?, summary = ? WHERE id = ? AND ended_at IS NULL`, store.Millis(s.now()), summary, id); err != nil {
		return Patrol{}, fmt.Errorf("end patrol %d: %w", id, err)
	}
	return s.load(ctx, id)
}

// Get returns a patrol to its worker or to whoever reads its grid.
func (s *Service) Get(ctx context.Context, actor access.Actor, id int64) (Patrol, error) {
	p, err := s.load(ctx, id)
	if err != nil {
		return Patrol{}, err
	}
	if p.UserID != actor.UserID || actor.UserID == 0 {
		if _, err := s.org.UnitByCode(ctx, actor, p.GridCode); err != nil {
			return Patrol{}, err
		}
	}
	return p, nil
}

// ForGrid lists the patrols of a grid started in [from, to), oldest first,
// to whoever reads the grid (the work ledger).
func (s *Service) ForGrid(ctx context.Context, actor access.Actor, gridCode string, from, to time.Time) ([]Patrol, error) {
	g, err := s.org.UnitByCode(ctx, actor, gridCode)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id FROM patrols WHERE grid_unit_id = ? AND started_at >= ? AND started_at < ? ORDER BY started_at, id`,
		g.ID, store.Millis(from), store.Millis(to))
	if err != nil {
		return nil, fmt.Errorf("patrols of %s: %w", gridCode, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Patrol, 0, len(ids))
	for _, id := range ids {
		p, err := s.load(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Service) load(ctx context.Context, id int64) (Patrol, error) {
	var p Patrol
	var started int64
	var ended *int64
	err := s.db.QueryRow(ctx, `SELECT p.id, p.grid_unit_id, g.code, g.name, p.user_id, p.actor_name, p.started_at, p.ended_at, p.summary
		FROM patrols p JOIN units g ON g.id = p.grid_unit_id WHERE p.id = ?`, id).
		Scan(&p.ID, &p.GridID, &p.GridCode, &p.GridName, &p.UserID, &p.Actor, &started, &ended, &p.Summary)
	if errors.Is(err, store.ErrNotFound) {
		return Patrol{}, store.NotFound("没有这次巡查")
	}
	if err != nil {
		return Patrol{}, fmt.Errorf("patrol %d: %w", id, err)
	}
	p.StartedAt = store.Time(started)
	if ended != nil {
		t := store.Time(*ended)
		p.EndedAt = &t
	}
	rows, err := s.db.Query(ctx, `SELECT at, kind, note, lng, lat FROM patrol_notes WHERE patrol_id = ? ORDER BY at, id`, id)
	if err != nil {
		return Patrol{}, fmt.Errorf("patrol %d notes: %w", id, err)
	}
	for rows.Next() {
		var n Note
		var at int64
		if err := rows.Scan(&at, &n.Kind, &n.Note, &n.Lng, &n.Lat); err != nil {
			rows.Close()
			return Patrol{}, err
		}
		n.At = store.Time(at)
		p.Notes = append(p.Notes, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Patrol{}, err
	}
	// Findings: the cases its worker reported while it was under way.
	end := store.Millis(s.now()) + 1
	if p.EndedAt != nil {
		end = store.Millis(*p.EndedAt) + 1
	}
	rows, err = s.db.Query(ctx, `SELECT no, title, created_at FROM cases WHERE created_by = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id`,
		p.UserID, started, end)
	if err != nil {
		return Patrol{}, fmt.Errorf("patrol %d findings: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var f Finding
		var at int64
		if err := rows.Scan(&f.No, &f.Title, &at); err != nil {
			return Patrol{}, err
		}
		f.At = store.Time(at)
		p.Findings = append(p.Findings, f)
	}
	return p, rows.Err()
}

var shanghai = worktime.Location()
