// Package cockpit is the county's command screen (县级指挥中心 / 驾驶舱): one
// screen of panels for a unit — the 12345 figures with their trend and
// rankings, the case map by grid, what is overdue and supervised, and the
// pillar registries — each number naming the list of cases or records
// behind it, its definition and its denominator; and the monthly report
// made from the same panels (report.go). The figures are stats' (one
// definition, docs/RATES.md); this package only arranges and links them.
package cockpit

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/stats"
	"grassroots/internal/store"
)

// Service computes the cockpit's panels.
type Service struct {
	db      *store.DB
	pillars []Pillar
	now     func() time.Time
}

// New returns the cockpit over db with the given pillar panels, in order
// (see Pillars for the built-in ones).
func New(db *store.DB, pillars ...Pillar) *Service {
	return &Service{db: db, pillars: pillars, now: time.Now}
}

// UseClock sets the service's clock (tests).
func (s *Service) UseClock(now func() time.Time) { s.now = now }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// zone is China Standard Time: the cockpit's months, weeks and days are the
// county's.
var zone = time.FixedZone("CST", 8*3600)

// Unit is the unit a cockpit is about.
type Unit struct {
	ID     int64  `json:"-"`
	Code   string `json:"code"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Path   string `json:"-"`
	Parent string `json:"parent,omitempty"` // the parent's code, for the way back up
}

// Crumb is one step of the drill-down path (county → township → …).
type Crumb struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Resolve finds the unit of a cockpit: code, or by default the actor's own
// unit (the county for the county level and supervisors). The actor must
// see it: a township sees its own township's cockpit and those below.
func (s *Service) Resolve(ctx context.Context, actor access.Actor, code string) (Unit, []Crumb, error) {
	if actor.Anonymous() {
		return Unit{}, nil, store.Forbidden("请先登录")
	}
	if code == "" {
		code = actor.UnitCode
		if actor.CountyWide() {
			var c string
			err := s.db.QueryRow(ctx, `SELECT code FROM units WHERE kind = 'county' ORDER BY id LIMIT 1`).Scan(&c)
			if err == nil {
				code = c
			}
		}
	}
	// The unit and its ancestors in one query (the refresh resolves the
	// unit on every request), the unit itself among them.
	rows, err := s.db.Query(ctx, `SELECT a.id, a.code, a.name, a.kind, a.path FROM units u JOIN units a ON u.path LIKE a.path || '%'
		WHERE u.code = ? ORDER BY a.depth, a.path`, code)
	list, err := store.Collect(rows, err, func(sc store.Scanner) (Unit, error) {
		var a Unit
		return a, sc.Scan(&a.ID, &a.Code, &a.Name, &a.Kind, &a.Path)
	})
	if err != nil {
		return Unit{}, nil, fmt.Errorf("cockpit unit %s: %w", code, err)
	}
	var u Unit
	for _, a := range list {
		if a.Code == code {
			u = a
		}
	}
	if u.Code == "" {
		return Unit{}, nil, store.NotFoundf("找不到单位「%s」", code)
	}
	if !actor.SeesPath(u.Path) {
		return Unit{}, nil, store.Forbiddenf("您无权查看「%s」的驾驶舱", u.Name)
	}
	var crumbs []Crumb
	for _, a := range list {
		if actor.SeesPath(a.Path) {
			crumbs = append(crumbs, Crumb{Code: a.Code, Name: a.Name})
		}
	}
	if len(crumbs) > 1 {
		u.Parent = crumbs[len(crumbs)-2].Code
	}
	return u, crumbs, nil
}

// Period is the cockpit's month (to the end of today), its week (Monday to
// the end of today) and the day strings the figures' links use.
type Period struct {
	Now         time.Time `json:"now"`
	MonthFrom   time.Time `json:"month_from"`
	WeekFrom    time.Time `json:"week_from"`
	To          time.Time `json:"to"` // the end of today (midnight)
	MonthFromD  string    `json:"-"`
	WeekFromD   string    `json:"-"`
	TodayD      string    `json:"-"`
	MonthLabel  string    `json:"month"`
	TrendMonths int       `json:"-"`
}

// PeriodAt is the period of the cockpit at now.
func PeriodAt(now time.Time) Period {
	c := now.In(zone)
	today := time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, zone)
	wd := (int(today.Weekday()) + 6) % 7 // Monday 0
	p := Period{Now: now, MonthFrom: stats.MonthStart(now), WeekFrom: today.AddDate(0, 0, -wd), To: today.AddDate(0, 0, 1), TrendMonths: 12}
	p.MonthFromD, p.WeekFromD, p.TodayD = p.MonthFrom.Format("2006-01-02"), p.WeekFrom.Format("2006-01-02"), today.Format("2006-01-02")
	p.MonthLabel = p.MonthFrom.Format("2006-01")
	return p
}

// MonthPeriod is the period of a whole past month ("2026-11"), for the
// monthly report: from its first day to the first of the next, as at now.
func MonthPeriod(month string, now time.Time) (Period, error) {
	m, err := time.ParseInLocation("2006-01", month, zone)
	if err != nil {
		return Period{}, store.Invalid("月份格式应为 2026-11")
	}
	end := m.AddDate(0, 1, 0)
	p := Period{Now: now, MonthFrom: m, WeekFrom: end.AddDate(0, 0, -7), To: end, TrendMonths: 12}
	p.MonthFromD, p.WeekFromD, p.TodayD = m.Format("2006-01-02"), p.WeekFrom.Format("2006-01-02"), end.AddDate(0, 0, -1).Format("2006-01-02")
	p.MonthLabel = month
	return p, nil
}

// Number is one figure of a panel: its value, what it means (a message key
// of its definition), what it is out of, and the list behind it.
type Number struct {
	// Key is the message key of its name; Label a name that is data (a
	// unit, a category), used when Key is "".
	Key   string `json:"key,omitempty"`
	Label string `json:"label,omitempty"`
	Value string `json:"value"`
	// N is the count (or the ratio for a rate) for charts and sorting.
	N float64 `json:"n"`
	// Of is the denominator ("/ 82"), "" for a plain count.
	Of string `json:"of,omitempty"`
	// Def is the message key of the definition (cockpit.json).
	Def string `json:"def,omitempty"`
	// Href is the list behind the number ("" when there is none).
	Href  string `json:"href,omitempty"`
	Alarm bool   `json:"alarm,omitempty"`
}

func count(key, label string, n int, def, href string) Number {
	return Number{Key: key, Label: label, Value: strconv.Itoa(n), N: float64(n), Def: def, Href: href}
}

// casesHref is the cockpit's list of the cases behind a count (/cockpit/cases).
func casesHref(unit, list, value string, p Period) string {
	v := url.Values{"unit": {unit}, "list": {list}}
	if value != "" {
		v.Set("value", value)
	}
	if p.MonthLabel != "" {
		v.Set("month", p.MonthLabel)
	}
	return "/cockpit/cases?" + v.Encode()
}

// statsHref is the /stats/cases list of a count of the figures.
func statsHref(unit, flow, from, to, count string) string {
	return "/stats/cases?" + url.Values{"unit": {unit}, "flow": {flow}, "from": {from}, "to": {to}, "count": {count}}.Encode()
}

// attribution is the SQL of the unit a case counts for (the case_figures
// view's path: the current lead, or where it happened).
const attribution = "COALESCE(NULLIF(c.lead_path, ''), c.place_path)"

// under is the condition that column lies in u's subtree and the actor's.
func under(actor access.Actor, u Unit, column string) (string, []any) {
	lo, hi := access.PathRange(u.Path)
	scope, sargs := actor.SubtreeFilter(column)
	return column + " >= ? AND " + column + " < ? AND " + scope, append([]any{lo, hi}, sargs...)
}

// ranked sorts numbers by N, largest first (then by label), and keeps n.
func ranked(ns []Number, n int) []Number {
	sort.SliceStable(ns, func(i, j int) bool {
		if ns[i].N != ns[j].N {
			return ns[i].N > ns[j].N
		}
		return ns[i].Label < ns[j].Label
	})
	if len(ns) > n {
		ns = ns[:n]
	}
	return ns
}

// Children are the units directly under u the actor sees, for the
// drill-down (township → community → grid).
func (s *Service) Children(ctx context.Context, actor access.Actor, u Unit) ([]Crumb, error) {
	rows, err := s.db.Query(ctx, `SELECT code, name, path FROM units WHERE parent_id = ? ORDER BY sort, code`, u.ID)
	type ch struct {
		c    Crumb
		path string
	}
	list, err := store.Collect(rows, err, func(sc store.Scanner) (ch, error) {
		var x ch
		return x, sc.Scan(&x.c.Code, &x.c.Name, &x.path)
	})
	if err != nil {
		return nil, fmt.Errorf("cockpit children of %s: %w", u.Code, err)
	}
	var out []Crumb
	for _, x := range list {
		if actor.SeesPath(x.path) {
			out = append(out, x.c)
		}
	}
	return out, nil
}

// Category is a category the map can be switched to.
type Category struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}
