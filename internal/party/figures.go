package party

import (
	"context"
	"fmt"
	"io"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// Figures are per unit, community and county, never per member (no
// leaderboard): what the organisation department assesses a unit on and
// what the seed counts (一(三): 159 units' agreements with 16 communities,
// 2,631 registered serving members, 8,792 person-times).

// Figures of a unit's subtree over [From, To).
type Figures struct {
	UnitCode string    `json:"unit_code"`
	UnitName string    `json:"unit_name"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	// Agreements are the current co-building agreements whose community or
	// unit lies in the subtree; Units the distinct co-building units.
	Agreements int `json:"agreements"`
	Units      int `json:"units"`
	// Registered are the accepted, current registrations of members living
	// or working in the subtree.
	Registered int `json:"registered"`
	// Serving are the party members working at the subtree's departments,
	// enterprises and institutions (在职党员); RegisteredServing those of
	// them registered where they live. RegistrationRate (报到率) is their
	// ratio, nil without serving members.
	Serving           int      `json:"serving"`
	RegisteredServing int      `json:"registered_serving"`
	RegistrationRate  *float64 `json:"registration_rate"`
	// Activities signed off in the period (in the subtree's communities or
	// attended by members working in it) and their person-times.
	Activities  int `json:"activities"`
	PersonTimes int `json:"person_times"`
	// Claimed are needs claimed in the period by the subtree's members or
	// units, Done those of them done; CompletionRate (服务完成率) their
	// ratio, nil without claims.
	Claimed        int      `json:"claimed"`
	Done           int      `json:"done"`
	CompletionRate *float64 `json:"completion_rate"`
	// From the ledger (nil, shown "—", when none is wired).
	VerifiedMinutes   *int `json:"verified_minutes"`
	BackfilledMinutes *int `json:"backfilled_minutes"`
	GoodDeeds         *int `json:"good_deeds"`
}

func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	r := float64(n) / float64(d)
	return &r
}

// mayReadUnit reports whether the actor reads figures of u: those who read
// the unit in the organisation network, and the unit's own staff.
func mayReadUnit(actor access.Actor, u unit) bool {
	return actor.System || canRead(actor, u.Path) || (!actor.Anonymous() && actor.UnitID == u.ID)
}

// Figures returns the figures of the unit's subtree over [from, to).
func (s *Service) Figures(ctx context.Context, actor access.Actor, unitCode string, from, to time.Time) (Figures, error) {
	if !to.After(from) {
		return Figures{}, store.Invalid("统计截止日应晚于起始日")
	}
	u, err := unitByCode(ctx, s.db, unitCode)
	if err != nil {
		return Figures{}, err
	}
	if !mayReadUnit(actor, u) {
		return Figures{}, store.Forbiddenf("无权查看%s的统计", u.Name)
	}
	f := Figures{UnitCode: u.Code, UnitName: u.Name, From: from.In(shanghai), To: to.In(shanghai)}
	sub := u.Path + "%"
	a, b := store.Millis(from), store.Millis(to)
	for _, q := range []struct {
		dst  []any
		sql  string
		args []any
	}{
		{[]any{&f.Agreements, &f.Units}, `SELECT COUNT(*), COUNT(DISTINCT b.unit_id) FROM co_building b JOIN units c ON c.id = b.community_unit_id JOIN units u ON u.id = b.unit_id
			WHERE b.ended_at IS NULL AND (c.path LIKE ? OR u.path LIKE ?)`, []any{sub, sub}},
		{[]any{&f.Registered}, `SELECT COUNT(*) FROM member_registrations g JOIN units c ON c.id = g.community_unit_id JOIN people p ON p.id = g.person_id
			JOIN units u ON u.id = p.unit_id WHERE g.ended_at IS NULL AND g.status = 'accepted' AND (c.path LIKE ? OR u.path LIKE ?)`, []any{sub, sub}},
		{[]any{&f.Serving, &f.RegisteredServing}, `SELECT COUNT(*), COUNT(g.id) FROM people p JOIN units u ON u.id = p.unit_id
			LEFT JOIN member_registrations g ON g.person_id = p.id AND g.ended_at IS NULL AND g.status = 'accepted'
			WHERE p.role = 'party_member' AND u.kind = 'department' AND u.path LIKE ?`, []any{sub}},
		{[]any{&f.Activities, &f.PersonTimes}, `SELECT COUNT(DISTINCT v.id), COUNT(*) FROM party_activities v JOIN units c ON c.id = v.community_unit_id
			JOIN party_attendance t ON t.activity_id = v.id AND t.in_at IS NOT NULL AND t.out_at IS NOT NULL
			JOIN people p ON p.id = t.person_id JOIN units w ON w.id = p.unit_id
			WHERE v.status = 'signed_off' AND v.signed_off_at >= ? AND v.signed_off_at < ? AND (c.path LIKE ? OR w.path LIKE ?)`, []any{a, b, sub, sub}},
		{[]any{&f.Claimed, &f.Done}, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN i.status = 'done' THEN 1 ELSE 0 END), 0) FROM party_claims k
			JOIN party_items i ON i.id = k.item_id LEFT JOIN people p ON p.id = k.person_id LEFT JOIN units w ON w.id = COALESCE(k.unit_id, p.unit_id)
			WHERE k.created_at >= ? AND k.created_at < ? AND w.path LIKE ?`, []any{a, b, sub}},
	} {
		if err := s.db.QueryRow(ctx, q.sql, q.args...).Scan(q.dst...); err != nil {
			return Figures{}, fmt.Errorf("figures of %s: %w", u.Code, err)
		}
	}
	f.RegistrationRate, f.CompletionRate = ratio(f.RegisteredServing, f.Serving), ratio(f.Done, f.Claimed)
	if s.ledger != nil {
		v, bf, d, err := s.ledger.Totals(ctx, u.Path, from, to)
		if err != nil {
			return Figures{}, fmt.Errorf("figures of %s: ledger: %w", u.Code, err)
		}
		f.VerifiedMinutes, f.BackfilledMinutes, f.GoodDeeds = &v, &bf, &d
	}
	return f, nil
}

// Quarter returns the quarter q (1-4) of year in Asia/Shanghai, [from, to).
func Quarter(year, q int) (time.Time, time.Time, error) {
	if q < 1 || q > 4 || year < 2000 || year > 2100 {
		return time.Time{}, time.Time{}, store.Invalid("季度应为1至4，年份应为2000至2100")
	}
	from := time.Date(year, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, shanghai)
	return from, from.AddDate(0, 3, 0), nil
}

// LetterLine is one of the unit's members on its quarterly letter.
type LetterLine struct {
	Name       string `json:"name"`
	OrgName    string `json:"org_name,omitempty"`
	Community  string `json:"community,omitempty"`
	Grid       string `json:"grid,omitempty"`
	Status     string `json:"status"` // accepted, pending, none
	SlipNo     string `json:"slip_no,omitempty"`
	Activities int    `json:"activities"`
	// Minutes are the signed-in minutes of the quarter's signed-off
	// activities (the hours the ledger verifies from them).
	Minutes int `json:"minutes"`
}

// Letter is the quarterly feedback letter (报到反馈) to a work unit: its
// members' registration, activities and time, and the unit's figures.
type Letter struct {
	Year, Quarter int
	Figures       Figures
	Lines         []LetterLine
}

// FeedbackLetter builds a unit's letter for a quarter. Members are listed
// in name order (it is a roll, not a ranking).
func (s *Service) FeedbackLetter(ctx context.Context, actor access.Actor, unitCode string, year, quarter int) (Letter, error) {
	from, to, err := Quarter(year, quarter)
	if err != nil {
		return Letter{}, err
	}
	f, err := s.Figures(ctx, actor, unitCode, from, to)
	if err != nil {
		return Letter{}, err
	}
	rows, err := s.db.Query(ctx, `SELECT p.name, COALESCE(o.name, ''), COALESCE(c.name, ''), COALESCE(gr.name, ''), COALESCE(g.status, 'none'), COALESCE(g.slip_no, ''),
		(SELECT COUNT(*) FROM party_attendance t JOIN party_activities v ON v.id = t.activity_id WHERE t.person_id = p.id AND v.status = 'signed_off'
			AND v.signed_off_at >= ? AND v.signed_off_at < ? AND t.in_at IS NOT NULL AND t.out_at IS NOT NULL),
		(SELECT COALESCE(SUM((CASE WHEN t.out_at < v.ends_at THEN t.out_at ELSE v.ends_at END) - (CASE WHEN t.in_at > v.starts_at THEN t.in_at ELSE v.starts_at END)), 0)
			FROM party_attendance t JOIN party_activities v ON v.id = t.activity_id WHERE t.person_id = p.id AND v.status = 'signed_off'
			AND v.signed_off_at >= ? AND v.signed_off_at < ? AND t.in_at IS NOT NULL AND t.out_at IS NOT NULL AND t.out_at > t.in_at)
		FROM people p JOIN units u ON u.id = p.unit_id LEFT JOIN party_orgs o ON o.id = p.party_org_id
		LEFT JOIN member_registrations g ON g.person_id = p.id AND g.ended_at IS NULL
		LEFT JOIN units c ON c.id = g.community_unit_id LEFT JOIN units gr ON gr.id = g.grid_id
		WHERE p.role = 'party_member' AND u.code = ? ORDER BY p.name, p.id LIMIT 5000`,
		store.Millis(from), store.Millis(to), store.Millis(from), store.Millis(to), f.UnitCode)
	lines, err := store.Collect(rows, err, func(sc store.Scanner) (LetterLine, error) {
		var l LetterLine
		var ms int64
		err := sc.Scan(&l.Name, &l.OrgName, &l.Community, &l.Grid, &l.Status, &l.SlipNo, &l.Activities, &ms)
		l.Minutes = int(max(ms, 0) / 60000)
		return l, err
	})
	if err != nil {
		return Letter{}, fmt.Errorf("letter of %s: %w", unitCode, err)
	}
	return Letter{Year: year, Quarter: quarter, Figures: f, Lines: lines}, nil
}

// WriteLetter writes a letter as .xlsx: the unit's figures, then its
// members.
func WriteLetter(l Letter, w io.Writer) error {
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	title := fmt.Sprintf("%s %d年第%d季度在职党员报到反馈", l.Figures.UnitName, l.Year, l.Quarter)
	sh, err := wb.AddSheet("单位汇总", title, []xlsx.Column{{Title: "项目"}, {Title: "数值", Kind: xlsx.Float}})
	if err != nil {
		return err
	}
	f := l.Figures
	put := func(name string, v any) error { return sh.Add(name, v) }
	for _, r := range []struct {
		name string
		v    any
	}{
		{"在职党员（人）", f.Serving}, {"已到居住地社区报到（人）", f.RegisteredServing}, {"报到率", ptrOrNil(f.RegistrationRate)},
		{"参加服务活动（人次）", f.PersonTimes}, {"认领需求（项）", f.Claimed}, {"完成需求（项）", f.Done}, {"服务完成率", ptrOrNil(f.CompletionRate)},
		{"核实服务时长（小时）", hoursOrNil(f.VerifiedMinutes)}, {"补录服务时长（小时）", hoursOrNil(f.BackfilledMinutes)},
	} {
		if err := put(r.name, r.v); err != nil {
			return err
		}
	}
	ms, err := wb.AddSheet("党员报到情况", title, []xlsx.Column{{Title: "姓名"}, {Title: "所在党组织"}, {Title: "报到社区"}, {Title: "网格"}, {Title: "报到状态"},
		{Title: "报到单号"}, {Title: "参加活动（次）", Kind: xlsx.Int}, {Title: "签到时长（小时）", Kind: xlsx.Float}})
	if err != nil {
		return err
	}
	for _, x := range l.Lines {
		if err := ms.Add(x.Name, x.OrgName, x.Community, x.Grid, StatusName(x.Status), x.SlipNo, x.Activities, float64(x.Minutes)/60); err != nil {
			return err
		}
	}
	_, err = wb.WriteTo(w)
	return err
}

func ptrOrNil(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func hoursOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return float64(*p) / 60
}

// StatusName names a registration status in Chinese.
func StatusName(s string) string {
	switch s {
	case RegAccepted:
		return "已报到"
	case RegPending:
		return "待社区确认"
	case RegRejected:
		return "未通过"
	}
	return "未报到"
}
