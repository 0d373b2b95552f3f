package report

// Daily collection, daily feedback (每日一收集、每日一反馈): for a unit and a
// day in Asia/Shanghai, the cases collected that day in the unit's subtree,
// whether each requester was told something that day, and who has not heard
// back yet; and the stored per-unit summaries the scheduler writes each day.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// dailyUnitKinds are the unit kinds that get a stored daily summary.
const dailyUnitKinds = "'county','township','street','community','village','grid'"

// DailyUnit names a unit in a daily report.
type DailyUnit struct {
	ID   int64
	Code string
	Name string
	Kind string
	Path string
}

// DailyCounts are a unit's numbers for one day: cases collected that day,
// of which the requester was told something that day (FedBack) or not yet
// (NotFedBack = Collected - FedBack).
type DailyCounts struct {
	Collected  int
	FedBack    int
	NotFedBack int
}

// DailyChild is one line of a report's breakdown: a child unit's subtree, or
// (Self) the cases placed at the unit itself and not under any child.
type DailyChild struct {
	Unit DailyUnit
	Self bool
	DailyCounts
}

// DailyCase is a case collected on the report's day.
type DailyCase struct {
	CaseID    int64
	No        string
	Title     string
	Flow      string
	Status    string
	PlaceName string
	GridName  string
	CreatedAt time.Time
	// FedBack is true when the requester was told something that day: a
	// public timeline event (other than the intake itself), or the answer.
	FedBack bool
	// LastFeedback is the latest public note of that day ("" if none) and
	// LastFeedbackAt its time.
	LastFeedback   string
	LastFeedbackAt time.Time
}

// DailyFeedback is one thing a requester was told on the day, on any case in
// the unit's subtree, collected that day or before.
type DailyFeedback struct {
	CaseID int64
	No     string
	Title  string
	Flow   string
	At     time.Time
	Action string
	Note   string
}

// DailyReport is a unit's daily collection and feedback list.
type DailyReport struct {
	Unit DailyUnit
	// Day is the day in Asia/Shanghai, "2006-01-02"; From and To bound it.
	Day      string
	From, To time.Time
	DailyCounts
	// Children break the counts down by child unit (per grid under a
	// community, per community under a township, ...), in tree order, after
	// a Self line for cases placed at the unit itself, if any. A unit
	// without children has no breakdown.
	Children []DailyChild
	// Cases lists every case collected that day, newest first.
	Cases []DailyCase
	// Feedback lists what requesters were told that day, newest first.
	Feedback []DailyFeedback
}

// NotHeardBack returns the cases collected that day whose requester has not
// yet been told anything that day.
func (r DailyReport) NotHeardBack() []DailyCase {
	var out []DailyCase
	for _, c := range r.Cases {
		if !c.FedBack {
			out = append(out, c)
		}
	}
	return out
}

// dailyUnit loads a unit by code.
func (s *Service) dailyUnit(ctx context.Context, code string) (DailyUnit, error) {
	var u DailyUnit
	err := s.db.QueryRow(ctx, `SELECT id, code, name, kind, path FROM units WHERE code = ?`, code).
		Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.Path)
	if errors.Is(store.Normalize(err), store.ErrNotFound) {
		return u, store.NotFoundf("找不到单位「%s」", code)
	}
	if err != nil {
		return u, fmt.Errorf("daily: unit %s: %w", code, err)
	}
	return u, nil
}

// dailyCase is a case of the day with the paths that place it in the tree.
type dailyCase struct {
	DailyCase
	placePath, gridPath string
}

// In reports whether the case lies in the subtree of path: where it happened,
// or the grid it was reported in.
func (c dailyCase) in(path string) bool {
	return (c.placePath != "" && strings.HasPrefix(c.placePath, path)) ||
		(c.gridPath != "" && strings.HasPrefix(c.gridPath, path))
}

// dayCases returns the cases created in [from, to) in the subtree [lo, hi)
// (everything when lo is ""), each with whether it was fed back that day.
func (s *Service) dayCases(ctx context.Context, lo, hi string, from, to time.Time) ([]dailyCase, error) {
	f, t := store.Millis(from), store.Millis(to)
	scope, args := "1=1", []any{}
	if lo != "" {
		scope = "((c.place_path >= ? AND c.place_path < ?) OR (g.path >= ? AND g.path < ?))"
		args = []any{lo, hi, lo, hi}
	}
	query := `SELECT c.id, c.no, c.title, c.flow, c.status, COALESCE(p.name, ''), COALESCE(g.name, ''), c.created_at,
			c.place_path, COALESCE(g.path, ''), c.answered_at,
			(SELECT MAX(e.at) FROM case_events e WHERE e.case_id = c.id AND e.public = 1 AND e.action <> 'receive' AND e.at >= ? AND e.at < ?)
		FROM cases c
		LEFT JOIN units p ON p.id = c.place_unit_id
		LEFT JOIN units g ON g.id = c.grid_unit_id
		WHERE c.created_at >= ? AND c.created_at < ? AND ` + scope + `
		ORDER BY c.created_at DESC, c.id DESC`
	rows, err := s.db.Query(ctx, query, append([]any{f, t, f, t}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("daily: cases: %w", err)
	}
	defer rows.Close()
	var out []dailyCase
	for rows.Next() {
		var c dailyCase
		var created int64
		var answered, told sql.NullInt64
		if err := rows.Scan(&c.CaseID, &c.No, &c.Title, &c.Flow, &c.Status, &c.PlaceName, &c.GridName, &created,
			&c.placePath, &c.gridPath, &answered, &told); err != nil {
			return nil, fmt.Errorf("daily: cases: %w", err)
		}
		c.CreatedAt = store.Time(created)
		c.FedBack = told.Valid || (answered.Valid && answered.Int64 >= f && answered.Int64 < t)
		if told.Valid {
			c.LastFeedbackAt = store.Time(told.Int64)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily: cases: %w", err)
	}
	return out, nil
}

// dayFeedback returns the public events of [from, to) on cases in the
// subtree [lo, hi) (everything when lo is ""), newest first.
func (s *Service) dayFeedback(ctx context.Context, lo, hi string, from, to time.Time) ([]DailyFeedback, error) {
	scope, args := "1=1", []any{}
	if lo != "" {
		scope = "((c.place_path >= ? AND c.place_path < ?) OR (g.path >= ? AND g.path < ?))"
		args = []any{lo, hi, lo, hi}
	}
	// What the requester was told is the event's public text; an internal
	// note is shown only where no public text was written.
	rows, err := s.db.Query(ctx, `SELECT c.id, c.no, c.title, c.flow, e.at, e.action, CASE WHEN e.public_text <> '' THEN e.public_text ELSE e.note END
		FROM case_events e
		JOIN cases c ON c.id = e.case_id
		LEFT JOIN units g ON g.id = c.grid_unit_id
		WHERE e.at >= ? AND e.at < ? AND e.public = 1 AND e.action <> 'receive' AND `+scope+`
		ORDER BY e.at DESC, e.id DESC`, append([]any{store.Millis(from), store.Millis(to)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("daily: feedback: %w", err)
	}
	defer rows.Close()
	var out []DailyFeedback
	for rows.Next() {
		var fb DailyFeedback
		var at int64
		if err := rows.Scan(&fb.CaseID, &fb.No, &fb.Title, &fb.Flow, &at, &fb.Action, &fb.Note); err != nil {
			return nil, fmt.Errorf("daily: feedback: %w", err)
		}
		fb.At = store.Time(at)
		out = append(out, fb)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily: feedback: %w", err)
	}
	return out, nil
}

// childUnits returns the children of the unit with the given id, in tree order.
func (s *Service) childUnits(ctx context.Context, parentID int64) ([]DailyUnit, error) {
	rows, err := s.db.Query(ctx, `SELECT id, code, name, kind, path FROM units WHERE parent_id = ? ORDER BY sort, code`, parentID)
	if err != nil {
		return nil, fmt.Errorf("daily: children: %w", err)
	}
	defer rows.Close()
	var out []DailyUnit
	for rows.Next() {
		var u DailyUnit
		if err := rows.Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.Path); err != nil {
			return nil, fmt.Errorf("daily: children: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (dc *DailyCounts) count(fedBack bool) {
	dc.Collected++
	if fedBack {
		dc.FedBack++
	} else {
		dc.NotFedBack++
	}
}

// Daily returns the daily collection and feedback list of the unit with the
// given code for day ("2006-01-02", Asia/Shanghai). A case belongs to a
// unit's subtree when the place where it happened, or the grid it was
// reported in, lies in it. The actor must see the unit.
func (s *Service) Daily(ctx context.Context, actor access.Actor, unitCode, day string) (DailyReport, error) {
	if actor.Anonymous() {
		return DailyReport{}, store.Forbidden("请先登录")
	}
	from, to, err := casework.DayBounds(day)
	if err != nil {
		return DailyReport{}, err
	}
	u, err := s.dailyUnit(ctx, unitCode)
	if err != nil {
		return DailyReport{}, err
	}
	if !actor.SeesPath(u.Path) {
		return DailyReport{}, store.Forbiddenf("您无权查看「%s」的每日反馈", u.Name)
	}
	lo, hi := access.PathRange(u.Path)
	cases, err := s.dayCases(ctx, lo, hi, from, to)
	if err != nil {
		return DailyReport{}, err
	}
	fb, err := s.dayFeedback(ctx, lo, hi, from, to)
	if err != nil {
		return DailyReport{}, err
	}
	children, err := s.childUnits(ctx, u.ID)
	if err != nil {
		return DailyReport{}, err
	}
	r := DailyReport{Unit: u, Day: from.Format("2006-01-02"), From: from, To: to, Feedback: fb}
	last := map[int64]DailyFeedback{}
	for _, f := range fb { // newest first: keep the first seen
		if _, ok := last[f.CaseID]; !ok {
			last[f.CaseID] = f
		}
	}
	r.Children = make([]DailyChild, len(children))
	for i, ch := range children {
		r.Children[i].Unit = ch
	}
	self := DailyChild{Unit: u, Self: true}
	for _, c := range cases {
		if f, ok := last[c.CaseID]; ok {
			c.LastFeedback = f.Note
		}
		r.Cases = append(r.Cases, c.DailyCase)
		r.count(c.FedBack)
		placed := false
		for i := range r.Children {
			if c.in(r.Children[i].Unit.Path) {
				r.Children[i].count(c.FedBack)
				placed = true
				break
			}
		}
		if !placed {
			self.count(c.FedBack)
		}
	}
	if self.Collected > 0 && len(children) > 0 {
		r.Children = append([]DailyChild{self}, r.Children...)
	}
	return r, nil
}

// DailySummary is one stored daily summary of a unit.
type DailySummary struct {
	Unit DailyUnit
	Day  string
	DailyCounts
	// NotFedBackNos are the numbers of the cases whose requester had not
	// heard back when the summary was made.
	NotFedBackNos []string
	GeneratedAt   time.Time
}

// dailySummaryData is what data_json of a daily summary holds.
type dailySummaryData struct {
	NotFedBack []string `json:"not_fed_back,omitempty"`
}

// GenerateDailySummaries computes day's counts ("2006-01-02", Asia/Shanghai)
// for every county, township, street, community, village and grid unit and
// stores them in daily_summaries, replacing the day's earlier summaries, in
// one transaction. It returns how many summaries it wrote. Running it again
// for the same day refreshes the numbers (a late answer counts).
func (s *Service) GenerateDailySummaries(ctx context.Context, day string) (int, error) {
	var n int
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = s.WriteDailySummaries(ctx, tx, day)
		return err
	})
	return n, err
}

// WriteDailySummaries is GenerateDailySummaries inside the caller's
// transaction (a once-per-day job records its run in the same one). It
// reads the day's cases from the reader pool.
func (s *Service) WriteDailySummaries(ctx context.Context, tx *store.Tx, day string) (int, error) {
	from, to, err := casework.DayBounds(day)
	if err != nil {
		return 0, err
	}
	cases, err := s.dayCases(ctx, "", "", from, to)
	if err != nil {
		return 0, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, code, name, kind, path FROM units WHERE kind IN (`+dailyUnitKinds+`) ORDER BY path`)
	if err != nil {
		return 0, fmt.Errorf("daily summaries: units: %w", err)
	}
	var units []DailyUnit
	for rows.Next() {
		var u DailyUnit
		if err := rows.Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.Path); err != nil {
			rows.Close()
			return 0, fmt.Errorf("daily summaries: units: %w", err)
		}
		units = append(units, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("daily summaries: units: %w", err)
	}
	// Each case counts once for every ancestor of its place and of its grid.
	byPath := map[string]*DailySummary{}
	for _, u := range units {
		byPath[u.Path] = &DailySummary{Unit: u, Day: from.Format("2006-01-02")}
	}
	for _, c := range cases {
		seen := map[string]bool{}
		for _, p := range []string{c.placePath, c.gridPath} {
			for _, anc := range pathAncestors(p) {
				if seen[anc] {
					continue
				}
				seen[anc] = true
				if sum, ok := byPath[anc]; ok {
					sum.count(c.FedBack)
					if !c.FedBack {
						sum.NotFedBackNos = append(sum.NotFedBackNos, c.No)
					}
				}
			}
		}
	}
	now := store.Millis(time.Now())
	for _, u := range units {
		sum := byPath[u.Path]
		data, err := json.Marshal(dailySummaryData{NotFedBack: sum.NotFedBackNos})
		if err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO daily_summaries (unit_id, day, collected, fed_back, not_fed_back, data_json, generated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (unit_id, day) DO UPDATE SET collected = excluded.collected, fed_back = excluded.fed_back,
				not_fed_back = excluded.not_fed_back, data_json = excluded.data_json, generated_at = excluded.generated_at`,
			u.ID, sum.Day, sum.Collected, sum.FedBack, sum.NotFedBack, string(data), now); err != nil {
			return 0, fmt.Errorf("daily summaries %s: unit %s: %w", day, u.Code, err)
		}
	}
	return len(units), nil
}

// pathAncestors returns "/1/", "/1/5/", "/1/5/78/" for "/1/5/78/".
func pathAncestors(p string) []string {
	var out []string
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i+1])
		}
	}
	return out
}

// DailySummaries returns the stored summaries of the unit with the given
// code and of its children for the days in [fromDay, toDay] (inclusive,
// "2006-01-02"), by day then tree order. The actor must see the unit.
func (s *Service) DailySummaries(ctx context.Context, actor access.Actor, unitCode, fromDay, toDay string) ([]DailySummary, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	if _, _, err := casework.DayBounds(fromDay); err != nil {
		return nil, err
	}
	if _, _, err := casework.DayBounds(toDay); err != nil {
		return nil, err
	}
	u, err := s.dailyUnit(ctx, unitCode)
	if err != nil {
		return nil, err
	}
	if !actor.SeesPath(u.Path) {
		return nil, store.Forbiddenf("您无权查看「%s」的每日反馈", u.Name)
	}
	rows, err := s.db.Query(ctx, `SELECT u.id, u.code, u.name, u.kind, u.path, d.day, d.collected, d.fed_back, d.not_fed_back, d.data_json, d.generated_at
		FROM daily_summaries d JOIN units u ON u.id = d.unit_id
		WHERE (u.id = ? OR u.parent_id = ?) AND d.day >= ? AND d.day <= ?
		ORDER BY d.day, CASE WHEN u.id = ? THEN 0 ELSE 1 END, u.sort, u.code`, u.ID, u.ID, fromDay, toDay, u.ID)
	if err != nil {
		return nil, fmt.Errorf("daily summaries: %w", err)
	}
	defer rows.Close()
	var out []DailySummary
	for rows.Next() {
		var d DailySummary
		var data string
		var gen int64
		if err := rows.Scan(&d.Unit.ID, &d.Unit.Code, &d.Unit.Name, &d.Unit.Kind, &d.Unit.Path, &d.Day,
			&d.Collected, &d.FedBack, &d.NotFedBack, &data, &gen); err != nil {
			return nil, fmt.Errorf("daily summaries: %w", err)
		}
		if data != "" {
			var sd dailySummaryData
			if err := json.Unmarshal([]byte(data), &sd); err != nil {
				return nil, fmt.Errorf("daily summaries: %s %s: %w", d.Unit.Code, d.Day, err)
			}
			d.NotFedBackNos = sd.NotFedBack
		}
		d.GeneratedAt = store.Time(gen)
		out = append(out, d)
	}
	return out, rows.Err()
}
