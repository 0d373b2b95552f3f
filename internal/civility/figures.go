package civility

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Incentive is a row of the incentives table (嘉许激励): what a balance or
// a volunteer star earns, and who provides it.
type Incentive struct {
	ID        int64  `json:"id"`
	Basis     string `json:"basis"` // balance or star
	Threshold int    `json:"threshold"`
	Benefit   string `json:"benefit"`
	Provider  string `json:"provider"`
	Demo      bool   `json:"demo"`
}

// AddIncentive adds a row to the incentives table (the civilisation
// office). Incentives only add: nothing in the table takes anything away
// from anyone.
func (s *Service) AddIncentive(ctx context.Context, actor access.Actor, in Incentive) (Incentive, error) {
	ok, err := s.office(ctx, actor)
	if err != nil {
		return in, err
	}
	if !ok {
		return in, store.Forbidden("只有县文明办可以维护嘉许激励")
	}
	in.Benefit, in.Provider = clean(in.Benefit), clean(in.Provider)
	switch {
	case in.Basis != "balance" && in.Basis != "star":
		return in, store.Invalid("激励依据应为积分余额(balance)或志愿者星级(star)")
	case in.Basis == "star" && (in.Threshold < 1 || in.Threshold > 5):
		return in, store.Invalid("星级应在1至5之间")
	case in.Threshold < 0:
		return in, store.Invalid("门槛不能为负数")
	case in.Benefit == "" || utf8.RuneCountInString(in.Benefit) > 200:
		return in, store.Invalid("请填写激励内容（最多200字）")
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO civility_incentives (basis, threshold, benefit, provider, demo, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.Basis, in.Threshold, in.Benefit, in.Provider, store.BoolInt(in.Demo), actor.Recorded(), store.Millis(s.now())).Scan(&in.ID); err != nil {
			return fmt.Errorf("add incentive: %w", store.Normalize(err))
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "civility.incentive.add", Entity: "civility_incentive", EntityID: strconv.FormatInt(in.ID, 10),
			After: map[string]any{"basis": in.Basis, "threshold": in.Threshold, "benefit": in.Benefit}})
	})
	return in, err
}

// Incentives lists the table.
func (s *Service) Incentives(ctx context.Context) ([]Incentive, error) {
	rows, err := s.db.Query(ctx, `SELECT id, basis, threshold, benefit, provider, demo FROM civility_incentives ORDER BY basis, threshold, id`)
	return store.Collect(rows, err, func(sc store.Scanner) (Incentive, error) {
		var i Incentive
		return i, sc.Scan(&i.ID, &i.Basis, &i.Threshold, &i.Benefit, &i.Provider, &i.Demo)
	})
}

// earned are the incentives a balance and a star reach. Callers compute it
// only for a person who consented to scoring.
func (s *Service) earned(ctx context.Context, balance int64, star int) ([]Incentive, error) {
	all, err := s.Incentives(ctx)
	if err != nil {
		return nil, err
	}
	out := []Incentive{}
	for _, i := range all {
		if i.Basis == "balance" && balance >= int64(i.Threshold) || i.Basis == "star" && star >= i.Threshold && star > 0 {
			out = append(out, i)
		}
	}
	return out, nil
}

// Levels of the figures: aggregates by grid, village (or community) and
// township only, never by person.
var Levels = []string{"township", "village", "grid"}

// FigureRow is one place and item of the figures.
type FigureRow struct {
	Place     string `json:"place"`
	ItemCode  string `json:"item"`
	ItemName  string `json:"item_name"`
	Kind      string `json:"kind"`
	Entries   int    `json:"entries"`
	Effective int    `json:"effective"`
	Repaired  int    `json:"repaired"`
	Withdrawn int    `json:"withdrawn"`
}

// Figures are the civilisation office's and the boards' figures.
type Figures struct {
	Level string      `json:"level"`
	Rows  []FigureRow `json:"rows"`
	// Appeals by outcome (received = not yet decided).
	Appeals map[string]int `json:"appeals"`
	// Redemptions and points redeemed, by store.
	Redemptions []MonthSummary `json:"redemptions"`
}

// Figures aggregates the entries of the actor's area (county-wide: all) by
// level and item, with appeals by outcome and the stores' months. No row
// names a person.
func (s *Service) Figures(ctx context.Context, actor access.Actor, level string) (Figures, error) {
	if level == "" {
		level = "township"
	}
	if !slices.Contains(Levels, level) {
		return Figures{}, store.Invalid("汇总层级应为乡镇(township)、村社区(village)或网格(grid)")
	}
	if actor.Anonymous() {
		return Figures{}, store.Forbidden("请先登录")
	}
	f := Figures{Level: level, Rows: []FigureRow{}, Appeals: map[string]int{}}
	type unit struct{ name, kind string }
	rows, err := s.db.Query(ctx, `SELECT path, name, kind FROM units`)
	type urow struct{ path, name, kind string }
	us, err := store.Collect(rows, err, func(sc store.Scanner) (urow, error) { var u urow; return u, sc.Scan(&u.path, &u.name, &u.kind) })
	if err != nil {
		return f, err
	}
	units := map[string]unit{}
	for _, u := range us {
		units[u.path] = unit{u.name, u.kind}
	}
	kinds := map[string][]string{"township": {"township", "street"}, "village": {"community", "village"}, "grid": {"grid"}}[level]
	placeOf := func(path string) string {
		for p := path; p != "" && p != "/"; p = parentPath(p) {
			if u, ok := units[p]; ok && slices.Contains(kinds, u.kind) {
				return u.name
			}
			if parentPath(p) == p {
				break
			}
		}
		return "（其他）"
	}
	where, args := actor.SubtreeFilter("e.unit_path")
	rows, err = s.db.Query(ctx, `SELECT e.unit_path, i.code, i.name, i.kind, e.status, COALESCE(c.status, '') FROM civility_entries e
		JOIN civility_items i ON i.id = e.item_id LEFT JOIN cases c ON c.id = e.appeal_case_id WHERE `+where, args...)
	type erow struct{ path, code, name, kind, status, appeal string }
	es, err := store.Collect(rows, err, func(sc store.Scanner) (erow, error) {
		var r erow
		return r, sc.Scan(&r.path, &r.code, &r.name, &r.kind, &r.status, &r.appeal)
	})
	if err != nil {
		return f, err
	}
	idx := map[string]int{}
	for _, e := range es {
		key := placeOf(e.path) + "\x00" + e.code
		i, ok := idx[key]
		if !ok {
			i = len(f.Rows)
			idx[key] = i
			f.Rows = append(f.Rows, FigureRow{Place: placeOf(e.path), ItemCode: e.code, ItemName: e.name, Kind: e.kind})
		}
		r := &f.Rows[i]
		r.Entries++
		switch e.status {
		case StatusEffective, StatusExpired:
			r.Effective++
		case StatusRepaired:
			r.Effective++
			r.Repaired++
		case StatusWithdrawn:
			r.Withdrawn++
		}
		if e.appeal != "" {
			f.Appeals[e.appeal]++
		}
	}
	slices.SortFunc(f.Rows, func(a, b FigureRow) int {
		if c := strings.Compare(a.Place, b.Place); c != 0 {
			return c
		}
		return strings.Compare(a.ItemCode, b.ItemCode)
	})
	if f.Redemptions, err = s.Monthly(ctx, actor); err != nil {
		return f, err
	}
	if f.Redemptions == nil {
		f.Redemptions = []MonthSummary{}
	}
	return f, nil
}
