package web

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/i18n"
	"grassroots/internal/report"
	"grassroots/internal/service"
	"grassroots/internal/worktime"
)

//go:embed templates
var templateFS embed.FS

// Page is what every page's data embeds: the layout's needs.
type Page struct {
	TitleKey string
	Title    string // set instead of TitleKey for a title that is data
	Lang     string
	Actor    access.Actor
	CSRF     string
	Nav      string // the active navigation item
	Path     string
	Flash    string
	// Tiles is the URL template of the county's offline map tiles ("" for
	// none); the layout hands it to the map component.
	Tiles string
	msgs  *i18n.Catalog
	// flowNav are the work areas of the registered flows, in registration
	// order (Server.flowNav).
	flowNav []NavItem
	// partyTabs are the work areas of the flows with a parties list.
	partyTabs []NavItem
	// flows finds a flow's declaration (Server.lookupFlow).
	flows func(string) (*casework.Flow, bool)
}

// flowOf returns the declaration of flow.
func (p Page) flowOf(flow string) (*casework.Flow, bool) {
	if p.flows == nil {
		return nil, false
	}
	return p.flows(flow)
}

// T translates key into the page's language.
func (p Page) T(key string, args ...any) string {
	if p.msgs == nil {
		return key
	}
	return p.msgs.T(p.Lang, key, args...)
}

// HeadTitle is the text of the <title> element.
func (p Page) HeadTitle() string {
	t := p.Title
	if t == "" && p.TitleKey != "" {
		t = p.T(p.TitleKey)
	}
	if t == "" {
		return p.T("app.name")
	}
	return t + " · " + p.T("app.name")
}

// OtherLang is the language the switch offers.
func (p Page) OtherLang() string {
	if p.Lang == "en" {
		return "zh"
	}
	return "en"
}

// NavItem is one entry of the left navigation.
type NavItem struct {
	Key, Href, ID string
}

// NavItems is the left navigation by work area, as the actor may use it:
// the home page, the work areas the registered flows declare
// (casework.Flow.Nav), then the registries and the figures.
func (p Page) NavItems() []NavItem {
	items := []NavItem{{"nav.home", "/", "home"}}
	items = append(items, p.flowNav...)
	items = append(items,
		NavItem{"nav.lists", "/lists", "lists"},
		NavItem{"nav.org", "/org", "org"},
		NavItem{"nav.party", "/party", "party"},
		NavItem{"nav.ledgers", "/pairings", "ledgers"},
		NavItem{"nav.stats", "/stats", "stats"},
		NavItem{"nav.cockpit", "/cockpit", "cockpit"},
	)
	if p.Actor.HasAny(access.RoleGrid, access.RoleCommunity) {
		// Grid workers work on the phone pages: their grid, reports, checks.
		items = append([]NavItem{items[0], {"nav.mobile", "/m", "mobile"}}, items[1:]...)
	}
	if p.Actor.Has(access.RoleAdmin) {
		items = append(items, NavItem{"nav.admin", "/admin/users", "admin"}, NavItem{"nav.calendar", "/admin/calendar", "calendar"})
		if p.Actor.CountyAdmin() {
			// The categories and the integrations are the county's.
			items = append(items, NavItem{"categories.nav", "/admin/categories", "categories"},
				NavItem{"nav.integration", "/admin/webhooks", "integration"}, NavItem{"nav.dispatch", "/admin/dispatch", "dispatch"})
		}
		items = append(items, NavItem{"nav.reveals", "/admin/reveals", "reveals"})
	}
	return items
}

// MaySeeReportCard reports whether the page may link the departments'
// report card (the rule is report.MaySeeReportCard).
func (p Page) MaySeeReportCard() bool { return report.MaySeeReportCard(p.Actor) }

// IsServiceStaff reports whether the page may link the service window's
// staff pages, such as its figures (the rule is service.IsStaff).
func (p Page) IsServiceStaff() bool { return service.IsStaff(p.Actor) }

// page builds the common page data for a request.
func (s *Server) page(r *http.Request, titleKey, nav string) Page {
	st := stateOf(r)
	return Page{
		TitleKey:  titleKey,
		Lang:      langOf(r),
		Actor:     st.Actor,
		CSRF:      maskCSRF(st.CSRF), // fresh for every answer (BREACH)
		Nav:       nav,
		Path:      r.URL.Path,
		msgs:      s.Msgs,
		flowNav:   s.flowNav(),
		flows:     s.lookupFlow,
		partyTabs: s.partyTabs(),
		Tiles:     s.tiles,
	}
}

// flowNav lists the work areas of the registered flows, each once, in the
// order the flows were registered.
func (s *Server) flowNav() []NavItem {
	if s.Cases == nil {
		return nil
	}
	var out []NavItem
	seen := map[string]bool{}
	for _, f := range s.Cases.Flows() {
		n := f.Nav
		if n.ID == "" || n.Href == "" || seen[n.ID] {
			continue
		}
		seen[n.ID] = true
		out = append(out, NavItem{Key: n.Key, Href: n.Href, ID: n.ID})
	}
	return out
}

// PartyTabs are the tabs of the parties lists (Flow.List is
// casework.ListParties), in registration order.
func (p Page) PartyTabs() []NavItem { return p.partyTabs }

func (s *Server) partyTabs() []NavItem {
	var out []NavItem
	for _, f := range s.routedFlows() {
		if f.List == casework.ListParties && f.Nav.Href != "" {
			out = append(out, NavItem{Key: f.Nav.Key, Href: f.Nav.Href, ID: f.Nav.ID})
		}
	}
	return out
}

// lookupFlow returns the engine's declaration of flow, or the built-in one
// when there is no engine (rendering tests).
func (s *Server) lookupFlow(flow string) (*casework.Flow, bool) {
	if s.Cases != nil {
		return s.Cases.Flow(flow)
	}
	for _, f := range casework.BuiltinFlows() {
		if f.Name == flow {
			return &f, true
		}
	}
	return nil, false
}

// TestPage returns page data for rendering tests.
func (s *Server) TestPage(lang string, actor access.Actor) Page {
	return Page{Lang: lang, Actor: actor, CSRF: "test-csrf", msgs: s.Msgs, flowNav: s.flowNav(), flows: s.lookupFlow, partyTabs: s.partyTabs()}
}

var shanghai = worktime.Location()

var funcs = template.FuncMap{
	// cnTime shows a time the Chinese way: 2026年11月26日 14:30.
	"cnTime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(shanghai).Format("2006年1月2日 15:04")
	},
	"cnDate": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(shanghai).Format("2006年1月2日")
	},
	// cnLastDay shows the last day an exclusive end (the midnight after
	// it) still covers: valid to 2026-12-31 is stored as 2027-01-01 00:00.
	"cnLastDay": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(shanghai).Add(-time.Millisecond).Format("2006年1月2日")
	},
	"isoTime": func(t time.Time) string { return t.Format(time.RFC3339) },
	"add":     func(a, b int) int { return a + b },
	"query":   url.QueryEscape,
	"join":    strings.Join,
	"printf":  fmt.Sprintf,
	// pct shows a ratio (0–1) in whole-number percent with one decimal.
	"pct": func(r float64) string { return fmt.Sprintf("%.1f%%", r*100) },
	// deref is the value of an optional number (0 when absent).
	"deref": func(v *float64) float64 {
		if v == nil {
			return 0
		}
		return *v
	},
	// kb is a byte count in kilobytes.
	"kb": func(n int) float64 { return float64(n) / 1024 },
	// rate shows a ratio as a percentage, "—" when there is none.
	"rate": func(r *float64) string {
		if r == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", *r*100)
	},
	// hours shows minutes as hours, "—" when unknown (no ledger).
	"hours": func(m *int) string {
		if m == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f", float64(*m)/60)
	},
	"hasPrefix": strings.HasPrefix,
	"hoursOf":   func(m int) float64 { return float64(m) / 60 },
	"count": func(n *int) string {
		if n == nil {
			return "—"
		}
		return fmt.Sprint(*n)
	},
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// langOf picks the language: the "lang" cookie set by the language switch,
// else Simplified Chinese. Accept-Language is not consulted: county staff work
// in Chinese whatever their browser was installed with.
func langOf(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil {
		return i18n.Lang(c.Value)
	}
	return i18n.Default
}
