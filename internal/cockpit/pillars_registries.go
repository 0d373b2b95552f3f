package cockpit

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/civility"
	"grassroots/internal/pairing"
)

// CivilityPillar is the civility records' panel (文明积分): entries, those in
// effect, appeals and redemptions of the unit's area. Aggregates only, as
// the records' rules require: no number names a person.
func CivilityPillar(s *civility.Service) Pillar {
	if s == nil {
		return nil
	}
	return civilityPillar{s}
}

type civilityPillar struct{ civ *civility.Service }

func (civilityPillar) Key() string { return "cockpit.pillar.civility" }

func (cp civilityPillar) Panel(ctx context.Context, actor access.Actor, u Unit, _ Period) (PillarPanel, error) {
	level := "township"
	switch u.Kind {
	case "community", "village":
		level = "village"
	case "grid":
		level = "grid"
	}
	f, err := cp.civ.Figures(ctx, actor, level)
	if err != nil {
		return PillarPanel{}, err
	}
	whole := u.Kind == "county" || u.Kind == "city" || u.Kind == "province"
	var entries, effective, repaired int
	for _, r := range f.Rows {
		if whole || r.Place == u.Name {
			entries += r.Entries
			effective += r.Effective
			repaired += r.Repaired
		}
	}
	appeals := 0
	for _, n := range f.Appeals {
		appeals += n
	}
	redemptions := 0
	for _, m := range f.Redemptions {
		redemptions += m.Redemptions
	}
	href := "/civility/figures?" + url.Values{"level": {level}}.Encode()
	nums := []Number{
		count("cockpit.civility.entries", "", entries, "cockpit.def.civility_entries", href),
		count("cockpit.civility.effective", "", effective, "cockpit.def.civility_effective", href),
		count("cockpit.civility.repaired", "", repaired, "cockpit.def.civility_repaired", href),
		count("cockpit.civility.appeals", "", appeals, "cockpit.def.civility_appeals", href),
		count("cockpit.civility.redemptions", "", redemptions, "cockpit.def.civility_redemptions", href),
	}
	return PillarPanel{Available: true, Numbers: nums}, nil
}

// PairingPillar is the pairing ledger's panel (结对帮扶): cadres paired,
// field visits, projects, funds secured and in place, villages whose
// collective income rose, for the unit's area.
func PairingPillar(s *pairing.Service) Pillar {
	if s == nil {
		return nil
	}
	return pairingPillar{s}
}

type pairingPillar struct{ p *pairing.Service }

func (pairingPillar) Key() string { return "cockpit.pillar.pairing" }

func (pp pairingPillar) Panel(ctx context.Context, actor access.Actor, u Unit, _ Period) (PillarPanel, error) {
	rows, err := pp.p.List(ctx, actor)
	if err != nil {
		return PillarPanel{}, err
	}
	var mine []pairing.Row
	for _, r := range rows {
		if u.Path == "" || strings.HasPrefix(r.VillagePath, u.Path) {
			mine = append(mine, r)
		}
	}
	f := pairing.FiguresOf(mine).County
	href := "/pairings"
	yuan := func(n int64) string { return strconv.FormatFloat(float64(n)/10000, 'f', 1, 64) }
	nums := []Number{
		count("cockpit.pairing.cadres", "", f.Cadres, "cockpit.def.pairing_cadres", href),
		count("cockpit.pairing.visits", "", f.Visits, "cockpit.def.pairing_visits", href),
		count("cockpit.pairing.projects", "", f.Projects, "cockpit.def.pairing_projects", href),
		{Key: "cockpit.pairing.sought", Value: yuan(f.Sought), N: float64(f.Sought), Def: "cockpit.def.pairing_sought", Href: href},
		{Key: "cockpit.pairing.in_place", Value: yuan(f.InPlace), N: float64(f.InPlace), Def: "cockpit.def.pairing_in_place", Href: href},
		count("cockpit.pairing.rising", "", f.Rising, "cockpit.def.pairing_rising", href),
	}
	return PillarPanel{Available: true, Numbers: nums}, nil
}
