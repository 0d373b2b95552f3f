// Package casework is the case engine: cases, assignments, the append-only
// event timeline, flows declared as data, and deadlines in working time.
//
// Every matter that enters (a 12345 call, a grid worker's report, and later
// whistles, township calls, enforcement transfers, service applications) is a
// Case moving through a Flow. Each unit's part is an Assignment with its own
// status and deadlines; every step is an Event. An action is one transaction:
// status change, event, deadline timers, audit entry — or nothing.
package casework

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Calendar counts working time (worktime.Calendar satisfies it).
type Calendar interface {
	Add(from time.Time, l worktime.Limit) time.Time
	Between(a, b time.Time) time.Duration
}

// Sealer protects personal data: Seal encrypts, Open decrypts, Hash gives a
// keyed hash for exact search.
type Sealer interface {
	Seal(plain string) (string, error)
	Open(sealed string) (string, error)
	Hash(plain string) string
}

// Deps are what the engine needs from the rest of the program.
type Deps struct {
	// Calendar returns the current working calendar (it is editable, so it is
	// asked for each time).
	Calendar func(ctx context.Context) (Calendar, error)
	// GridAt returns the code of the grid whose boundary holds the point, or
	// "" when none does.
	GridAt func(ctx context.Context, lng, lat float64) (string, error)
	// Sealer protects the reporter's phone number.
	Sealer Sealer
	// Log receives the engine's log lines (slog.Default when nil).
	Log *slog.Logger
	// AttachDir is the folder attachments are stored under.
	AttachDir string
	// Now is the clock (time.Now when nil); tests inject one.
	Now func() time.Time
	// Flows are extra flows to register besides the built-in ones.
	Flows []Flow
}

// Service is the case engine's domain API.
type Service struct {
	db    *store.DB
	deps  Deps
	log   *slog.Logger
	flows map[string]*Flow
	order []*Flow        // the flows in registration order (Flows)
	hooks []ChangeHook   // see OnChange (hooks.go)
	lists ListRules      // the executable lists (UseLists, coordination.go)
	party PartyRegistry  // the party registry (UseParty, coordination.go)
	auto  AutoDispatcher // smart dispatch at intake (UseAutoDispatch)
	// numbers hands out case numbers (numbers.go).
	numbers *numberer
	// fieldOptions are the offered values of flow-specific action fields,
	// by flow and field (OfferFieldOptions, field_options.go).
	fieldOptions map[[2]string]FieldOptionsFunc
}

// NewService returns the engine over db with the built-in flows (hotline,
// grid_event) and any in d.Flows registered.
func NewService(db *store.DB, d Deps) (*Service, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Service{db: db, deps: d, log: d.Log, flows: map[string]*Flow{}, numbers: &numberer{}}
	for _, f := range append(BuiltinFlows(), d.Flows...) {
		if err := s.Register(f); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Register adds a flow to the engine after checking it.
func (s *Service) Register(f Flow) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if _, dup := s.flows[f.Name]; dup {
		return fmt.Errorf("flow %s registered twice", f.Name)
	}
	f.fillLabels()
	s.flows[f.Name] = &f
	s.order = append(s.order, &f)
	return nil
}

// Flows lists the registered flows in registration order (the built-in ones
// first): the pages build their navigation and lists from it.
func (s *Service) Flows() []*Flow { return slices.Clone(s.order) }

// Flow returns the registered flow named name.
func (s *Service) Flow(name string) (*Flow, bool) {
	f, ok := s.flows[name]
	return f, ok
}

// ReportFlow returns the first registered flow that the report form opens
// (Flow.Report).
func (s *Service) ReportFlow(form ReportForm) (*Flow, bool) {
	for _, f := range s.order {
		if f.Report == form {
			return f, true
		}
	}
	return nil, false
}

// FlowNames lists the registered flows, sorted.
func (s *Service) FlowNames() []string {
	out := make([]string, 0, len(s.flows))
	for n := range s.flows {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (s *Service) now() time.Time { return s.deps.Now() }

func (s *Service) calendar(ctx context.Context) (Calendar, error) {
	if s.deps.Calendar == nil {
		return naturalCalendar{}, nil
	}
	c, err := s.deps.Calendar(ctx)
	if err != nil {
		return nil, fmt.Errorf("working calendar: %w", err)
	}
	return c, nil
}

// naturalCalendar counts every minute as working time; it is used only when
// no working calendar is wired (some unit tests).
type naturalCalendar struct{}

func (naturalCalendar) Add(from time.Time, l worktime.Limit) time.Time {
	switch {
	case l.Natural > 0:
		return from.Add(l.Natural)
	case l.Days > 0:
		return from.AddDate(0, 0, l.Days)
	}
	return from.Add(time.Duration(l.Minutes) * time.Minute)
}

func (naturalCalendar) Between(a, b time.Time) time.Duration { return b.Sub(a) }

// DayMinutes is a natural day's minutes.
func (naturalCalendar) DayMinutes() int { return 24 * 60 }

// Shanghai is the zone case numbers and days are counted in.
var shanghai = worktime.Location()
