package web

import (
	"net/http"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
)

// HomeCard is one count on the work bench, linking to its filtered inbox.
type HomeCard struct {
	Key   string // message key of its name
	Count int
	Href  string
	Alarm bool // shown in red when not empty (overdue)
}

// HomeLink is a quick link of the work bench.
type HomeLink struct {
	Key, Href, AccessKey string
}

// HomePage is the work bench: the user's unit and the counts of their work.
type HomePage struct {
	Page
	Cards []HomeCard
	Links []HomeLink
}

func (s *Server) homeRoutes() {
	s.mux.HandleFunc("GET /{$}", s.staff(s.home))
}

// homeBuckets are the cards of the work bench, in order.
var homeBuckets = []casework.InboxBucket{casework.BucketToSign, casework.BucketInHand, casework.BucketNear, casework.BucketOverdue, casework.BucketToRevisit}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	p := HomePage{Page: s.page(r, "nav.home", "home")}
	actor := actorOf(r)
	if s.Cases != nil {
		counts, err := s.Cases.Counts(r.Context(), actor, time.Now())
		if err != nil {
			return err
		}
		for _, b := range homeBuckets {
			p.Cards = append(p.Cards, HomeCard{Key: bucketKeys[b], Count: counts[string(b)], Href: "/cases?bucket=" + string(b),
				Alarm: b == casework.BucketOverdue && counts[string(b)] > 0})
		}
		if canTakeCalls(actor) {
			p.Links = append(p.Links, HomeLink{"caseui.new.title", "/cases/new", "n"})
		}
		p.Links = append(p.Links, HomeLink{"caseui.home.all_cases", "/cases", ""})
	}
	p.Links = append(p.Links, HomeLink{"caseui.daily.title", "/daily", ""}, HomeLink{"caseui.stats.title", "/stats", ""})
	return s.render(w, r, "home", p)
}

// canTakeCalls reports whether the user is offered the call-taker form: the
// county level (the 12345 centre), administrators and supervisors. Anyone
// signed in may still open /cases/new; the engine decides.
func canTakeCalls(a access.Actor) bool {
	return a.CountyWide() || a.HasAny(access.RoleAdmin, access.RoleSupervisor)
}
