package pairing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// Visit is a field visit and what became of its finding.
type Visit struct {
	ID       int64    `json:"id"`
	Day      string   `json:"day"`
	Visitors string   `json:"visitors"`
	Finding  []string `json:"finding"`
	Photo    string   `json:"photo,omitempty"`
	CaseNo   string   `json:"case_no,omitempty"`
	Projects []int64  `json:"project_ids,omitempty"`
}

// Fund is a fund line of a project.
type Fund struct {
	ID        int64  `json:"id"`
	Source    string `json:"source"`
	Amount    int64  `json:"amount"`
	Status    string `json:"status"`
	SoughtOn  string `json:"sought_on"`
	InPlaceOn string `json:"in_place_on,omitempty"`
	UsedOn    string `json:"used_on,omitempty"`
}

// Project is an industry project with its fund lines.
type Project struct {
	ID          int64  `json:"id"`
	VisitID     int64  `json:"visit_id,omitempty"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	PartnerKind string `json:"partner_kind,omitempty"`
	PartnerName string `json:"partner_name,omitempty"`
	Cadre       string `json:"cadre"`
	Stage       string `json:"stage"`
	Funds       []Fund `json:"funds"`
	Money
}

// Money is funds sought (every line), in place (到位: in place or used)
// and used, in yuan.
type Money struct {
	Sought  int64 `json:"funds_sought"`
	InPlace int64 `json:"funds_in_place"`
	Used    int64 `json:"funds_used"`
}

func (m *Money) add(f Fund) {
	m.Sought += f.Amount
	if f.Status != FundSought {
		m.InPlace += f.Amount
	}
	if f.Status == FundUsed {
		m.Used += f.Amount
	}
}

func (m *Money) plus(o Money) { m.Sought += o.Sought; m.InPlace += o.InPlace; m.Used += o.Used }

// Income is a year's collective operating income and its change on the
// year before (HasPrevious false when that year was not entered).
type Income struct {
	Year        int   `json:"year"`
	Amount      int64 `json:"amount"`
	HasPrevious bool  `json:"has_previous"`
	Change      int64 `json:"change"`
	// ChangePct is the change in percent of the year before (0 when that
	// was 0).
	ChangePct float64 `json:"change_pct"`
}

// Row is a pairing with its figures (lists, Excel).
type Row struct {
	Pairing
	Visits   int `json:"visits"`
	Projects int `json:"projects"`
	Money
	// Latest is the village's latest income entered; Rising whether it grew
	// on the year before.
	Latest *Income `json:"latest_income,omitempty"`
	Rising bool    `json:"income_rising"`
}

// Chain is a pairing's chain: visits → projects → funds → income.
type Chain struct {
	Row
	VisitList   []Visit   `json:"visit_list"`
	ProjectList []Project `json:"project_list"`
	Incomes     []Income  `json:"incomes"`
}

// List returns the pairings the actor may read with their figures.
func (s *Service) List(ctx context.Context, actor access.Actor) ([]Row, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	where, args := "1=1", []any(nil)
	if !org.ReadsAll(actor) {
		where, args = actor.SubtreeFilter("p.village_path")
	}
	rows, err := s.db.Query(ctx, `SELECT `+pairingCols+pairingFrom+` WHERE `+where+` ORDER BY v.path, p.id`, args...)
	ps, err := store.Collect(rows, err, scanPairing)
	if err != nil {
		return nil, fmt.Errorf("pairings: %w", err)
	}
	idx := make(map[int64]int, len(ps))
	out := make([]Row, len(ps))
	for i, p := range ps {
		out[i].Pairing = p
		idx[p.ID] = i
	}
	count := func(query string, set func(r *Row, n int)) error {
		rows, err := s.db.Query(ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			if i, ok := idx[id]; ok {
				set(&out[i], n)
			}
		}
		return rows.Err()
	}
	if err := count(`SELECT pairing_id, COUNT(*) FROM pairing_visits GROUP BY pairing_id`, func(r *Row, n int) { r.Visits = n }); err != nil {
		return nil, fmt.Errorf("visits: %w", err)
	}
	if err := count(`SELECT pairing_id, COUNT(*) FROM pairing_projects GROUP BY pairing_id`, func(r *Row, n int) { r.Projects = n }); err != nil {
		return nil, fmt.Errorf("projects: %w", err)
	}
	frows, err := s.db.Query(ctx, `SELECT p.pairing_id, f.status, SUM(f.amount) FROM pairing_funds f JOIN pairing_projects p ON p.id = f.project_id
		GROUP BY p.pairing_id, f.status`)
	if err != nil {
		return nil, fmt.Errorf("funds: %w", err)
	}
	for frows.Next() {
		var id, amount int64
		var status string
		if err := frows.Scan(&id, &status, &amount); err != nil {
			frows.Close()
			return nil, err
		}
		if i, ok := idx[id]; ok {
			out[i].add(Fund{Status: status, Amount: amount})
		}
	}
	frows.Close()
	incomes, err := s.incomes(ctx, 0)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if inc := incomes[out[i].VillageID]; len(inc) > 0 {
			last := inc[len(inc)-1]
			out[i].Latest = &last
			out[i].Rising = last.HasPrevious && last.Change > 0
		}
	}
	return out, nil
}

// incomes returns the incomes of every village (or of one), oldest first,
// each with its change on the year before.
func (s *Service) incomes(ctx context.Context, villageID int64) (map[int64][]Income, error) {
	where, args := "1=1", []any(nil)
	if villageID != 0 {
		where, args = "village_id = ?", []any{villageID}
	}
	rows, err := s.db.Query(ctx, `SELECT village_id, year, amount FROM village_incomes WHERE `+where+` ORDER BY village_id, year`, args...)
	if err != nil {
		return nil, fmt.Errorf("incomes: %w", err)
	}
	defer rows.Close()
	out := map[int64][]Income{}
	for rows.Next() {
		var v int64
		var in Income
		if err := rows.Scan(&v, &in.Year, &in.Amount); err != nil {
			return nil, err
		}
		if prev := out[v]; len(prev) > 0 && prev[len(prev)-1].Year == in.Year-1 {
			p := prev[len(prev)-1]
			in.HasPrevious, in.Change = true, in.Amount-p.Amount
			if p.Amount > 0 {
				in.ChangePct = float64(in.Change) * 100 / float64(p.Amount)
			}
		}
		out[v] = append(out[v], in)
	}
	return out, rows.Err()
}

// Chain returns a pairing's chain.
func (s *Service) Chain(ctx context.Context, actor access.Actor, id int64) (Chain, error) {
	var c Chain
	p, err := s.pairing(ctx, s.db, id)
	if err != nil {
		return c, err
	}
	if !canRead(actor, p.VillagePath) {
		return c, store.NotFound("没有这个结对")
	}
	c.Pairing = p
	rows, err := s.db.Query(ctx, `SELECT id, day, visitors, finding, photo, case_no FROM pairing_visits WHERE pairing_id = ? ORDER BY day DESC, id DESC`, id)
	c.VisitList, err = store.Collect(rows, err, func(sc store.Scanner) (Visit, error) {
		var v Visit
		var finding string
		err := sc.Scan(&v.ID, &v.Day, &v.Visitors, &finding, &v.Photo, &v.CaseNo)
		v.Finding = strings.Split(finding, "\n")
		return v, err
	})
	if err != nil {
		return c, fmt.Errorf("visits: %w", err)
	}
	rows, err = s.db.Query(ctx, `SELECT pr.id, COALESCE(pr.visit_id, 0), pr.kind, pr.name, COALESCE(vp.kind, ''), COALESCE(vp.name, ''), pe.name, pr.stage
		FROM pairing_projects pr JOIN people pe ON pe.id = pr.cadre_person_id LEFT JOIN village_partners vp ON vp.id = pr.partner_id
		WHERE pr.pairing_id = ? ORDER BY pr.id`, id)
	c.ProjectList, err = store.Collect(rows, err, func(sc store.Scanner) (Project, error) {
		var pr Project
		return pr, sc.Scan(&pr.ID, &pr.VisitID, &pr.Kind, &pr.Name, &pr.PartnerKind, &pr.PartnerName, &pr.Cadre, &pr.Stage)
	})
	if err != nil {
		return c, fmt.Errorf("projects: %w", err)
	}
	rows, err = s.db.Query(ctx, `SELECT f.project_id, f.id, f.source, f.amount, f.status, f.sought_on, f.in_place_on, f.used_on
		FROM pairing_funds f JOIN pairing_projects p ON p.id = f.project_id WHERE p.pairing_id = ? ORDER BY f.id`, id)
	type pf struct {
		project int64
		f       Fund
	}
	funds, err := store.Collect(rows, err, func(sc store.Scanner) (pf, error) {
		var x pf
		return x, sc.Scan(&x.project, &x.f.ID, &x.f.Source, &x.f.Amount, &x.f.Status, &x.f.SoughtOn, &x.f.InPlaceOn, &x.f.UsedOn)
	})
	if err != nil {
		return c, fmt.Errorf("funds: %w", err)
	}
	for i := range c.ProjectList {
		pr := &c.ProjectList[i]
		for _, x := range funds {
			if x.project == pr.ID {
				pr.Funds = append(pr.Funds, x.f)
				pr.add(x.f)
			}
		}
		c.Money.plus(pr.Money)
		for j := range c.VisitList {
			if c.VisitList[j].ID == pr.VisitID {
				c.VisitList[j].Projects = append(c.VisitList[j].Projects, pr.ID)
			}
		}
	}
	c.Visits, c.Projects = len(c.VisitList), len(c.ProjectList)
	inc, err := s.incomes(ctx, p.VillageID)
	if err != nil {
		return c, err
	}
	c.Incomes = inc[p.VillageID]
	if n := len(c.Incomes); n > 0 {
		last := c.Incomes[n-1]
		c.Latest, c.Rising = &last, last.HasPrevious && last.Change > 0
	}
	slices.Reverse(c.Incomes)
	return c, nil
}

// Figures are a township's or the county's pairing figures.
type Figures struct {
	Code     string `json:"code,omitempty"`
	Name     string `json:"name"`
	Pairings int    `json:"pairings"`
	// Cadres counts the distinct responsible cadres paired.
	Cadres   int `json:"cadres_paired"`
	Villages int `json:"villages_paired"`
	Visits   int `json:"visits"`
	Projects int `json:"projects"`
	Money
	// Rising counts the paired villages whose latest income grew on the
	// year before.
	Rising int `json:"villages_income_rising"`
}

// Area is the figures per township and for the county.
type Area struct {
	Townships []Figures `json:"townships"`
	County    Figures   `json:"county"`
}

// FiguresOf sums the rows per township and for the county.
func FiguresOf(rows []Row) Area {
	type acc struct {
		f        Figures
		cadres   map[int64]bool
		villages map[int64]bool
		rising   map[int64]bool
	}
	newAcc := func(name string) *acc {
		return &acc{f: Figures{Name: name}, cadres: map[int64]bool{}, villages: map[int64]bool{}, rising: map[int64]bool{}}
	}
	county := newAcc("全县")
	towns := map[string]*acc{}
	for _, r := range rows {
		t, ok := towns[r.Township]
		if !ok {
			t = newAcc(r.Township)
			towns[r.Township] = t
		}
		for _, a := range []*acc{county, t} {
			a.f.Pairings++
			a.cadres[r.CadreID] = true
			a.villages[r.VillageID] = true
			if r.Rising {
				a.rising[r.VillageID] = true
			}
			a.f.Visits += r.Visits
			a.f.Projects += r.Projects
			a.f.Money.plus(r.Money)
		}
	}
	done := func(a *acc) Figures {
		a.f.Cadres, a.f.Villages, a.f.Rising = len(a.cadres), len(a.villages), len(a.rising)
		return a.f
	}
	var area Area
	for _, t := range towns {
		area.Townships = append(area.Townships, done(t))
	}
	slices.SortFunc(area.Townships, func(a, b Figures) int { return cmp.Compare(a.Name, b.Name) })
	area.County = done(county)
	return area
}

// StageName is the Chinese name of a stage.
func StageName(s string) string {
	switch s {
	case StagePlanned:
		return "谋划"
	case StageStarted:
		return "实施"
	case StageProducing:
		return "见效"
	case StageStopped:
		return "终止"
	}
	return s
}

// FundStatusName is the Chinese name of a fund line's status.
func FundStatusName(s string) string {
	switch s {
	case FundSought:
		return "争取"
	case FundInPlace:
		return "到位"
	case FundUsed:
		return "使用"
	}
	return s
}

// Cadre is a county organ's cadre who may be a pairing's responsible
// cadre.
type Cadre struct {
	ID   int64
	Name string
	Unit string
}

// Cadres lists the cadres of the county departments (at most 1000).
func (s *Service) Cadres(ctx context.Context) ([]Cadre, error) {
	rows, err := s.db.Query(ctx, `SELECT p.id, p.name, u.name FROM people p JOIN units u ON u.id = p.unit_id
		WHERE p.role = 'cadre' AND u.kind = 'department' ORDER BY u.code, p.id LIMIT 1000`)
	return store.Collect(rows, err, func(sc store.Scanner) (Cadre, error) {
		var c Cadre
		return c, sc.Scan(&c.ID, &c.Name, &c.Unit)
	})
}
