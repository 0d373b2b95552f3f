// Package wiring is the set of domain services the program runs on: main
// builds them once and hands the same set to the web UI and the JSON API,
// so both act on one webhook outbox, one party registry, one cockpit.
// Complete fills what a caller (a test) left out, once, before any request.
package wiring

import (
	"log/slog"
	"time"

	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/civility"
	"grassroots/internal/cockpit"
	"grassroots/internal/dispatch"
	"grassroots/internal/i18n"
	"grassroots/internal/open311"
	"grassroots/internal/org"
	"grassroots/internal/pairing"
	"grassroots/internal/party"
	"grassroots/internal/patrol"
	"grassroots/internal/province"
	"grassroots/internal/report"
	"grassroots/internal/service"
	"grassroots/internal/staffing"
	"grassroots/internal/stats"
	"grassroots/internal/store"
	"grassroots/internal/taskforce"
	"grassroots/internal/trust"
	"grassroots/internal/volunteer"
	"grassroots/internal/webhook"
	"grassroots/internal/worktime"
)

// Services are what the web UI and the API need from the rest of the
// program. DB is required; a nil service is built over DB (and Cases where
// it needs the engine) by Complete.
type Services struct {
	DB    *store.DB
	Log   *slog.Logger
	Msgs  *i18n.Catalog
	Org   *org.Service
	Auth  *auth.Service
	Work  *worktime.Service
	Cases *casework.Service
	// Lists are the power and responsibility lists; the category tree is
	// the catalogue's too.
	Lists *catalog.Service
	// Service is the universal service window (便民服务).
	Service *service.Service

	// The integration services: the webhook outbox, Open311's API keys,
	// the provincial 12345 exchange and the reveal of sealed personal data
	// (from Org's sealer).
	Webhooks *webhook.Service
	Keys     *open311.Keys
	Province *province.Service
	Trust    *trust.Service

	// Party is the party registry (members' links, co-building); main
	// passes the one wired into Cases.
	Party *party.Service
	// Volunteer is the volunteer service records.
	Volunteer *volunteer.Service
	// Pairing, TaskForce and Staffing are the county's organisational
	// ledgers; without an engine their findings and work items cannot
	// become cases.
	Pairing   *pairing.Service
	TaskForce *taskforce.Service
	Staffing  *staffing.Service
	// Civility is the civic behaviour records and points (main passes the
	// one wired into Cases).
	Civility *civility.Service
	// Reports are the daily lists, the report card and the exports.
	Reports *report.Service
	// Patrol is the grid workers' patrol log.
	Patrol *patrol.Service
	// Dispatch is smart dispatch (suggestions, models); nil shows none.
	Dispatch *dispatch.Service
	// Cockpit is the county cockpit and its monthly reports.
	Cockpit *cockpit.Service
	// Stats computes the figures; its clock decides which cases are still
	// open past their deadline.
	Stats *stats.Service

	// Secure makes the UI's cookies Secure (behind TLS).
	Secure bool
	// Portal are the residents' portal's rate limits (zero fields: defaults).
	Portal PortalLimits
	// TilesDir is the county's own offline map tiles ({z}/{x}/{y}.png),
	// drawn beneath the maps' outlines; "" draws none (docs/DEPLOY.md).
	TilesDir string
}

// Complete builds, once, every service the caller did not pass. Main passes
// them all; tests often pass only DB and Cases.
func (s *Services) Complete() {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.Msgs == nil {
		s.Msgs = i18n.MustLoad()
	}
	if s.DB == nil {
		return
	}
	if s.Webhooks == nil {
		s.Webhooks = webhook.NewService(s.DB, s.Log)
	}
	if s.Keys == nil {
		s.Keys = open311.NewKeys(s.DB)
	}
	if s.Province == nil && s.Cases != nil {
		s.Province = province.NewService(s.DB, s.Cases, s.Log)
	}
	if s.Trust == nil && s.Org != nil && s.Org.Sealer() != nil {
		var cases trust.CaseReader
		if s.Cases != nil {
			cases = s.Cases
		}
		s.Trust = trust.NewService(s.DB, s.Org.Sealer(), cases)
	}
	if s.Volunteer == nil {
		s.Volunteer = volunteer.New(s.DB)
	}
	if s.Cases != nil {
		// Good deeds' photos live in the case attachments' store.
		s.Volunteer.UsePhotos(s.Cases)
	}
	if s.Party == nil && s.Cases != nil {
		s.Party = party.New(s.DB, s.Cases)
		if s.Org != nil {
			s.Party.UseSealer(s.Org.Sealer())
		}
	}
	if s.Patrol == nil && s.Org != nil {
		s.Patrol = patrol.New(s.DB, s.Org)
	}
	// A nil engine must reach the ledgers as a nil interface, not as a
	// typed nil: without one, findings and work items cannot become cases.
	var pairingCases pairing.CaseOpener
	var taskCases taskforce.CaseOpener
	if s.Cases != nil {
		pairingCases, taskCases = s.Cases, s.Cases
	}
	if s.Pairing == nil {
		s.Pairing = pairing.New(s.DB, pairingCases)
	}
	if s.TaskForce == nil {
		s.TaskForce = taskforce.New(s.DB, taskCases)
	}
	if s.Staffing == nil {
		s.Staffing = staffing.New(s.DB)
	}
	if s.Civility == nil {
		s.Civility = civility.New(s.DB, s.Cases)
	}
	if s.Stats == nil {
		s.Stats = stats.New(s.DB)
	}
	if s.Reports == nil && s.Cases != nil {
		s.Reports = report.New(s.DB, s.Cases)
	}
	if s.Lists == nil {
		s.Lists = catalog.NewService(s.DB)
	}
	if s.Cockpit == nil {
		s.Cockpit = cockpit.New(s.DB, cockpit.Pillars(cockpit.Sources{Party: s.Party, Volunteer: s.Volunteer, Service: s.Service, Lists: s.Lists})...)
	}
}

// RateLimit is a token bucket's size and refill: at most Events in a burst,
// refilled at Events per Per.
type RateLimit struct {
	Events int
	Per    time.Duration
}

// PortalLimits are the residents' portal's limits per client address. Zero
// fields take the defaults (DefaultPortalLimits).
type PortalLimits struct {
	// Reports limits new reports (default 10 an hour).
	Reports RateLimit
	// Tracks limits lookups by number and last four digits, and ratings;
	// wrong combinations count like right ones (default 60 an hour).
	Tracks RateLimit
	// Feedback limits the day's feedback pages (default 300 an hour).
	Feedback RateLimit
}

// DefaultPortalLimits are the limits used for zero fields of PortalLimits.
func DefaultPortalLimits() PortalLimits {
	return PortalLimits{
		Reports:  RateLimit{Events: 10, Per: time.Hour},
		Tracks:   RateLimit{Events: 60, Per: time.Hour},
		Feedback: RateLimit{Events: 300, Per: time.Hour},
	}
}

// WithDefaults fills the zero fields of l.
func (l PortalLimits) WithDefaults() PortalLimits {
	d := DefaultPortalLimits()
	if l.Reports.Events <= 0 || l.Reports.Per <= 0 {
		l.Reports = d.Reports
	}
	if l.Tracks.Events <= 0 || l.Tracks.Per <= 0 {
		l.Tracks = d.Tracks
	}
	if l.Feedback.Events <= 0 || l.Feedback.Per <= 0 {
		l.Feedback = d.Feedback
	}
	return l
}
