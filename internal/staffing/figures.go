package staffing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Counts is 核定 (approved) and 实有 (filled) of one type; Vacant (空编)
// is their difference.
type Counts struct {
	Approved int `json:"approved"`
	Filled   int `json:"filled"`
	Vacant   int `json:"vacant"`
}

func (c *Counts) add(o Counts) {
	c.Approved += o.Approved
	c.Filled += o.Filled
	c.Vacant = c.Approved - c.Filled
}

// Line is the 核定/实有/空编 of one body, a unit or the county, by type;
// Total sums the posts (leadership posts are counted apart, in ByType
// only).
type Line struct {
	Body
	ByType map[string]Counts `json:"by_type"`
	Total  Counts            `json:"total"`
}

// Of returns the counts of type t.
func (l Line) Of(t string) Counts { return l.ByType[t] }

func (l *Line) add(t string, c Counts) {
	if l.ByType == nil {
		l.ByType = map[string]Counts{}
	}
	x := l.ByType[t]
	x.add(c)
	l.ByType[t] = x
	if t != Leader {
		l.Total.add(c)
	}
}

// Ledger is the staffing view: every body, every unit (its institutions
// summed in) and the county.
type Ledger struct {
	Bodies []Line `json:"bodies"`
	Units  []Line `json:"units"`
	County Line   `json:"county"`
	// Loans are the loans (周转) not yet returned.
	Loans []Event `json:"open_loans"`
}

// Ledger returns what the actor may read of the ledger: a township's staff
// their own township, county-level users all of it.
func (s *Service) Ledger(ctx context.Context, actor access.Actor) (Ledger, error) {
	var l Ledger
	if actor.Anonymous() {
		return l, store.Forbidden("请先登录")
	}
	type key struct{ u, i int64 }
	lines := map[key]*Line{}
	get := func(u, i int64) *Line {
		k := key{u, i}
		if x, ok := lines[k]; ok {
			return x
		}
		x := &Line{Body: Body{UnitID: u, InstitutionID: i}}
		lines[k] = x
		return x
	}
	rows, err := s.db.Query(ctx, `SELECT u, i, t, SUM(n) FROM (
		SELECT to_unit_id AS u, COALESCE(to_inst_id, 0) AS i, post_type AS t, count AS n FROM staffing_events
		UNION ALL
		SELECT from_unit_id, COALESCE(from_inst_id, 0), post_type, -count FROM staffing_events WHERE from_unit_id IS NOT NULL
	) x GROUP BY u, i, t`)
	if err != nil {
		return l, fmt.Errorf("approved posts: %w", err)
	}
	for rows.Next() {
		var u, i int64
		var t string
		var n int
		if err := rows.Scan(&u, &i, &t, &n); err != nil {
			rows.Close()
			return l, err
		}
		get(u, i).add(t, Counts{Approved: n, Vacant: n})
	}
	rows.Close()
	rows, err = s.db.Query(ctx, `SELECT unit_id, COALESCE(institution_id, 0), post_type, COUNT(*), SUM(leader) FROM staffing_posts
		WHERE ended_on = '' GROUP BY unit_id, COALESCE(institution_id, 0), post_type`)
	if err != nil {
		return l, fmt.Errorf("filled posts: %w", err)
	}
	for rows.Next() {
		var u, i int64
		var t string
		var n, leaders int
		if err := rows.Scan(&u, &i, &t, &n, &leaders); err != nil {
			rows.Close()
			return l, err
		}
		x := get(u, i)
		x.add(t, Counts{Filled: n, Vacant: -n})
		if leaders > 0 {
			x.add(Leader, Counts{Filled: leaders, Vacant: -leaders})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return l, err
	}
	units := map[int64]*Line{}
	l.County.UnitName = "全县"
	for k, x := range lines {
		b, err := bodyByID(ctx, s.db, k.u, k.i)
		if err != nil {
			return l, err
		}
		if !canRead(actor, b.UnitPath) {
			continue
		}
		x.Body = b
		l.Bodies = append(l.Bodies, *x)
		ul, ok := units[k.u]
		if !ok {
			ul = &Line{Body: Body{UnitID: b.UnitID, UnitCode: b.UnitCode, UnitName: b.UnitName, UnitKind: b.UnitKind, UnitPath: b.UnitPath}}
			units[k.u] = ul
		}
		for t, c := range x.ByType {
			ul.add(t, c)
			l.County.add(t, c)
		}
	}
	for _, u := range units {
		l.Units = append(l.Units, *u)
	}
	order := func(a, b Line) int {
		return cmp.Or(cmp.Compare(kindRank(a.UnitKind), kindRank(b.UnitKind)), cmp.Compare(a.UnitCode, b.UnitCode),
			cmp.Compare(a.InstitutionID, b.InstitutionID))
	}
	slices.SortFunc(l.Bodies, order)
	slices.SortFunc(l.Units, order)
	hist, err := s.History(ctx, actor, "", 5000)
	if err != nil {
		return l, err
	}
	for _, e := range hist {
		if e.Kind == KindLoan && !e.Returned && (canRead(actor, e.To.UnitPath) || (e.From != nil && canRead(actor, e.From.UnitPath))) {
			l.Loans = append(l.Loans, e)
		}
	}
	return l, nil
}

func kindRank(k string) int {
	switch k {
	case "county":
		return 0
	case "department":
		return 1
	case "street":
		return 2
	case "township":
		return 3
	}
	return 4
}

// Unit returns the line of the unit with code from the ledger (zero counts
// when nothing is approved there).
func (l Ledger) Unit(code string) Line {
	for _, u := range l.Units {
		if u.UnitCode == code {
			return u
		}
	}
	return Line{Body: Body{UnitCode: code}}
}

// Post is a filled post and the named person holding it.
type Post struct {
	ID         int64  `json:"id"`
	Body       Body   `json:"body"`
	Type       string `json:"post_type"`
	TypeName   string `json:"post_type_name"`
	Leader     bool   `json:"leader"`
	Title      string `json:"title"`
	PersonID   int64  `json:"person_id"`
	PersonName string `json:"person_name"`
	Since      string `json:"since"`
	EndedOn    string `json:"ended_on,omitempty"`
}

// PostInput fills a post with a named person.
type PostInput struct {
	UnitCode    string `json:"unit_code"`
	Institution string `json:"institution"`
	Type        string `json:"post_type"`
	Leader      bool   `json:"leader"`
	Title       string `json:"title"`
	PersonID    int64  `json:"person_id"`
	Since       string `json:"since"`
	Demo        bool   `json:"-"`
}

// Fill puts a named person in a vacant post of a body. A leadership post
// needs a vacant 领导职数 as well.
func (s *Service) Fill(ctx context.Context, actor access.Actor, in PostInput) (int64, error) {
	if err := writeGuard(actor); err != nil {
		return 0, err
	}
	t, ok := ParseType(in.Type)
	if !ok || t == Leader {
		return 0, store.Invalid("请选择编制类型：行政编制、事业编制(公益一类/二类)或工勤编制")
	}
	if in.Since == "" {
		in.Since = s.today()
	}
	if !worktime.ValidDay(in.Since) {
		return 0, store.Invalid("请填写到岗日期（年-月-日）")
	}
	if in.PersonID <= 0 {
		return 0, store.Invalid("请选择在编人员")
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		b, err := body(ctx, tx, in.UnitCode, in.Institution)
		if err != nil {
			return err
		}
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM people WHERE id = ?`, in.PersonID).Scan(&name); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return store.Invalidf("找不到人员 %d", in.PersonID)
			}
			return err
		}
		var held int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM staffing_posts WHERE person_id = ? AND ended_on = ''`, in.PersonID).Scan(&held); err != nil {
			return err
		}
		if held > 0 {
			return store.Conflictf("%s已占用一个编制，一人只能占一个编制", name)
		}
		vacant, err := vacantOf(ctx, tx, b, t)
		if err != nil {
			return err
		}
		if vacant <= 0 {
			return store.Invalidf("%s没有%s空编", b.Name(), TypeName(t))
		}
		if in.Leader {
			if vacant, err = vacantOf(ctx, tx, b, Leader); err != nil {
				return err
			}
			if vacant <= 0 {
				return store.Invalidf("%s没有空余的领导职数", b.Name())
			}
		}
		err = tx.QueryRow(ctx, `INSERT INTO staffing_posts (unit_id, institution_id, post_type, leader, title, person_id, since, demo, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, b.UnitID, store.NullID(b.InstitutionID), t, store.BoolInt(in.Leader), strings.TrimSpace(in.Title),
			in.PersonID, in.Since, store.BoolInt(in.Demo), store.Millis(s.now())).Scan(&id)
		if err != nil {
			return fmt.Errorf("fill post: %w", err)
		}
		if in.Demo {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "staffing.fill", Entity: "staffing_post", EntityID: fmt.Sprint(id),
			After: map[string]string{"body": b.Name(), "type": t, "person": name}})
	})
	return id, err
}

// Vacate ends a filled post on day (today when empty).
func (s *Service) Vacate(ctx context.Context, actor access.Actor, postID int64, day string) error {
	if err := writeGuard(actor); err != nil {
		return err
	}
	if day == "" {
		day = s.today()
	}
	if !worktime.ValidDay(day) {
		return store.Invalid("请填写离岗日期（年-月-日）")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE staffing_posts SET ended_on = ? WHERE id = ? AND ended_on = ''`, day, postID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.NotFound("没有这个在编岗位")
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "staffing.vacate", Entity: "staffing_post", EntityID: fmt.Sprint(postID)})
	})
}

// Posts lists the filled posts of the unit with code (its institutions
// included), or of the person when personID is set.
func (s *Service) Posts(ctx context.Context, actor access.Actor, code string, personID int64) ([]Post, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	where, args := "p.person_id = ?", []any{personID}
	if personID == 0 {
		where, args = "u.code = ?", []any{code}
	}
	rows, err := s.db.Query(ctx, `SELECT p.id, p.unit_id, COALESCE(p.institution_id, 0), p.post_type, p.leader, p.title, p.person_id, pe.name, p.since, p.ended_on, u.path
		FROM staffing_posts p JOIN units u ON u.id = p.unit_id JOIN people pe ON pe.id = p.person_id
		WHERE `+where+` ORDER BY p.ended_on, COALESCE(p.institution_id, 0), p.post_type, p.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("posts: %w", err)
	}
	type raw struct {
		p    Post
		u, i int64
		path string
	}
	var raws []raw
	for rows.Next() {
		var r raw
		var leader int
		if err := rows.Scan(&r.p.ID, &r.u, &r.i, &r.p.Type, &leader, &r.p.Title, &r.p.PersonID, &r.p.PersonName, &r.p.Since, &r.p.EndedOn, &r.path); err != nil {
			rows.Close()
			return nil, err
		}
		r.p.Leader = leader == 1
		raws = append(raws, r)
	}
	rows.Close()
	var out []Post
	for _, r := range raws {
		if !canRead(actor, r.path) {
			continue
		}
		b, err := bodyByID(ctx, s.db, r.u, r.i)
		if err != nil {
			return nil, err
		}
		r.p.Body = b
		r.p.TypeName = TypeName(r.p.Type)
		out = append(out, r.p)
	}
	return out, nil
}

// Person is someone who may hold a post, as their page shows them.
type Person struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	UnitCode string `json:"unit_code"`
	UnitName string `json:"unit_name"`
}

// Person returns the person with id, if the actor may read their unit.
func (s *Service) Person(ctx context.Context, actor access.Actor, id int64) (Person, error) {
	p := Person{ID: id}
	var path string
	err := s.db.QueryRow(ctx, `SELECT p.name, u.code, u.name, u.path FROM people p JOIN units u ON u.id = p.unit_id WHERE p.id = ?`, id).
		Scan(&p.Name, &p.UnitCode, &p.UnitName, &path)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !canRead(actor, path)) {
		return p, store.NotFound("没有这个人员")
	}
	return p, err
}
