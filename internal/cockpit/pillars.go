package cockpit

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/party"
	"grassroots/internal/service"
	"grassroots/internal/store"
	"grassroots/internal/volunteer"
)

// Pillar is one pillar panel of the cockpit (双报到, 文明积分, 结对帮扶, 便民服务,
// 清单): a registry's aggregates for a unit. A registry not built yet is
// plugged in as Unavailable, which says so instead of showing zeros; the
// real one replaces it later without the cockpit changing.
type Pillar interface {
	// Key is the message key of the panel's title.
	Key() string
	// Panel computes the pillar's numbers for unit u over p.
	Panel(ctx context.Context, actor access.Actor, u Unit, p Period) (PillarPanel, error)
}

// PillarPanel is what a pillar shows.
type PillarPanel struct {
	Key string `json:"key"`
	// Available is false for a registry that does not exist yet (Note
	// says why); its panel shows no numbers at all.
	Available bool     `json:"available"`
	Note      string   `json:"note,omitempty"` // message key
	Numbers   []Number `json:"numbers,omitempty"`
}

// Unavailable is a pillar whose registry is not built yet.
type Unavailable string

// Key is the panel's title key.
func (k Unavailable) Key() string { return string(k) }

// Panel says the registry is not yet available.
func (k Unavailable) Panel(context.Context, access.Actor, Unit, Period) (PillarPanel, error) {
	return PillarPanel{Key: string(k), Note: "cockpit.pillar.unavailable"}, nil
}

// Sources are the registries behind the built-in pillars; a nil one makes
// its pillar unavailable.
type Sources struct {
	Party     *party.Service
	Volunteer *volunteer.Service
	Service   *service.Service
	Lists     *catalog.Service
	// Civility and Pairing are the registries other work is building; nil
	// until they exist.
	Civility Pillar
	Pairing  Pillar
}

// Pillars returns the cockpit's pillar panels in display order.
func Pillars(src Sources) []Pillar {
	out := []Pillar{}
	if src.Party != nil {
		out = append(out, partyPillar{src.Party, src.Volunteer})
	} else {
		out = append(out, Unavailable("cockpit.pillar.party"))
	}
	out = append(out, orUnavailable(src.Civility, "cockpit.pillar.civility"), orUnavailable(src.Pairing, "cockpit.pillar.pairing"))
	if src.Service != nil {
		out = append(out, servicePillar{src.Service})
	} else {
		out = append(out, Unavailable("cockpit.pillar.service"))
	}
	if src.Lists != nil {
		out = append(out, listsPillar{src.Lists})
	} else {
		out = append(out, Unavailable("cockpit.pillar.lists"))
	}
	return out
}

func orUnavailable(p Pillar, key string) Pillar {
	if p == nil {
		return Unavailable(key)
	}
	return p
}

// Pillars computes every pillar panel; a pillar the actor may not read
// says so (cockpit.pillar.forbidden) rather than failing the cockpit.
func (s *Service) Pillars(ctx context.Context, actor access.Actor, u Unit, p Period) ([]PillarPanel, error) {
	var out []PillarPanel
	for _, pl := range s.pillars {
		pp, err := pl.Panel(ctx, actor, u, p)
		if errors.Is(err, store.ErrForbidden) {
			pp, err = PillarPanel{Key: pl.Key(), Note: "cockpit.pillar.forbidden"}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("cockpit pillar %s: %w", pl.Key(), err)
		}
		pp.Key = pl.Key()
		out = append(out, pp)
	}
	return out, nil
}

func pct(r *float64, n, d int) Number {
	x := Number{Value: "—", Of: strconv.Itoa(n) + " / " + strconv.Itoa(d)}
	if r != nil {
		x.N = *r
		x.Value = strconv.FormatFloat(*r*100, 'f', 1, 64) + "%"
	}
	return x
}

// partyPillar is dual registration (双报到) with the volunteer hours and
// good deeds of the ledger.
type partyPillar struct {
	party *party.Service
	vol   *volunteer.Service
}

func (partyPillar) Key() string { return "cockpit.pillar.party" }

func (pp partyPillar) Panel(ctx context.Context, actor access.Actor, u Unit, p Period) (PillarPanel, error) {
	f, err := pp.party.Figures(ctx, actor, u.Code, p.MonthFrom, p.To)
	if err != nil {
		return PillarPanel{}, err
	}
	href := "/party?" + url.Values{"unit": {u.Code}}.Encode()
	rate := pct(f.RegistrationRate, f.RegisteredServing, f.Serving)
	rate.Key, rate.Def, rate.Href = "cockpit.party.rate", "cockpit.def.party_rate", href
	nums := []Number{
		count("cockpit.party.registered", "", f.Registered, "cockpit.def.party_registered", href),
		rate,
		count("cockpit.party.person_times", "", f.PersonTimes, "cockpit.def.party_person_times", href),
	}
	if pp.vol != nil {
		v, _, deeds, err := pp.vol.Totals(ctx, u.Path, p.MonthFrom, p.To)
		if err != nil {
			return PillarPanel{}, err
		}
		hours := Number{Key: "cockpit.party.hours", Value: strconv.FormatFloat(float64(v)/60, 'f', 1, 64), N: float64(v) / 60,
			Def: "cockpit.def.party_hours", Href: "/volunteers"}
		nums = append(nums, hours, count("cockpit.party.deeds", "", deeds, "cockpit.def.party_deeds", "/volunteers"))
	}
	return PillarPanel{Available: true, Numbers: nums}, nil
}

// servicePillar is the service window (便民服务): applications and on-time
// delivery, by centre.
type servicePillar struct{ svc *service.Service }

func (servicePillar) Key() string { return "cockpit.pillar.service" }

func (sp servicePillar) Panel(ctx context.Context, actor access.Actor, u Unit, p Period) (PillarPanel, error) {
	f, err := sp.svc.Figures(ctx, actor, service.FigureFilter{From: p.MonthFrom, To: p.To})
	if err != nil {
		return PillarPanel{}, err
	}
	href := "/service/figures?" + url.Values{"from": {p.MonthFromD}, "to": {p.TodayD}}.Encode()
	row := f.All
	for _, c := range f.ByCentre {
		if c.Key == u.Code {
			row = c
		}
	}
	onTime := pct(ratioOf(row.OnTime, row.Decided), row.OnTime, row.Decided)
	onTime.Key, onTime.Def, onTime.Href = "cockpit.service.on_time", "cockpit.def.service_on_time", href
	nums := []Number{count("cockpit.service.applications", "", row.Total, "cockpit.def.service_applications", href), onTime}
	for _, c := range f.ByCentre {
		x := pct(ratioOf(c.OnTime, c.Decided), c.OnTime, c.Decided)
		x.Label, x.Def, x.Href = c.Name, "cockpit.def.service_on_time", href
		nums = append(nums, x)
	}
	return PillarPanel{Available: true, Numbers: nums}, nil
}

func ratioOf(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	r := float64(n) / float64(d)
	return &r
}

// listsPillar is the lists (清单): data-access refusals and the townships'
// empowerment requests waiting for a decision.
type listsPillar struct{ lists *catalog.Service }

func (listsPillar) Key() string { return "cockpit.pillar.lists" }

func (lp listsPillar) Panel(ctx context.Context, actor access.Actor, u Unit, p Period) (PillarPanel, error) {
	rep, err := lp.lists.AttemptsReport(ctx, actor, p.MonthFrom, p.To)
	if err != nil {
		return PillarPanel{}, err
	}
	refused, total := 0, 0
	for _, d := range rep {
		refused += d.Refused
		total += d.Total
	}
	reqs, err := lp.lists.Requests(ctx, actor, "pending")
	if err != nil {
		return PillarPanel{}, err
	}
	x := count("cockpit.lists.refused", "", refused, "cockpit.def.lists_refused",
		"/lists/attempts?"+url.Values{"from": {p.MonthFromD}, "to": {p.TodayD}}.Encode())
	x.Of = "/ " + strconv.Itoa(total)
	return PillarPanel{Available: true, Numbers: []Number{x,
		count("cockpit.lists.requests", "", len(reqs), "cockpit.def.lists_requests", "/lists/requests?status=pending")}}, nil
}
