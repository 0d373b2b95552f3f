package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/org"
	"grassroots/internal/report"
	"grassroots/internal/store"
)

// The residents' portal: no account, a phone first. A resident reports a
// problem (a case of the flow that declares casework.ReportPortal, on
// channel "portal"), follows it by its number and
// the last four digits of their phone, rates the answer, and reads the day's
// feedback of their community or grid without anyone's personal data. Every
// form is rate-limited per client address.

// PortalHomePage says what a resident can do here.
type PortalHomePage struct {
	Page
}

// PortalReportForm is what a resident typed, kept when the form is shown
// again with an error.
type PortalReportForm struct {
	Category    string
	RequestType string
	Title       string
	Body        string
	Address     string
	Lng, Lat    string
	PlaceUnit   string
	Name        string
	Phone       string
}

// PortalReportPage is the report form.
type PortalReportPage struct {
	Page
	Form         PortalReportForm
	Categories   []CategoryOption // the short list
	Query        string           // the category search
	Matches      []CategoryOption // its answer
	RequestTypes []string
	Townships    []org.Unit
	Idem         string
	Error        string
}

// PortalCategoriesPage is the answer to a category search: the fragment the
// report forms swap in (htmx), or a page of links to the form.
type PortalCategoriesPage struct {
	Page
	Query    string
	Matches  []CategoryOption
	Selected string
	Back     string // the form the links lead to
	Fragment bool   // htmx asked for the radio buttons only
}

// PortalDonePage shows a new case's number and how to follow it.
type PortalDonePage struct {
	Page
	No string
}

// PortalTrackPage is the lookup form and, once found, the case as the
// resident may see it.
type PortalTrackPage struct {
	Page
	No    string
	Last4 string
	View  *casework.PublicView
	Error string
	// Rating is what the rating form held, kept on an error.
	Rating, RatingNote string
	// OwnReview is the rating the case has in its registry's own scale
	// (View.ReviewHref), as its registry words it; "" when none yet.
	OwnReview string
}

// Satisfactions are the choices of the rating form.
func (PortalTrackPage) Satisfactions() []string {
	return []string{casework.Satisfied, casework.Basic, casework.Unsatisfied}
}

// PublicFeedbackRow is one case of the day as residents may see it: the
// number partly masked, the title without long digit runs, no names.
type PublicFeedbackRow struct {
	No         string
	Title      string
	Place      string
	StatusText string
	FedBack    bool
	CreatedAt  time.Time
}

// PortalFeedbackPage is the day's feedback of a unit, or the picker of units.
type PortalFeedbackPage struct {
	Page
	Day      string
	Unit     *org.Unit
	Parent   *org.Unit
	Counts   report.DailyCounts
	Rows     []PublicFeedbackRow
	Children []org.Unit // the units to go down to
}

// PortalLimitedPage tells a resident to wait (HTTP 429).
type PortalLimitedPage struct {
	Page
	Minutes int
}

// portal holds the portal's rate limiters.
type portal struct {
	s                          *Server
	limits                     PortalLimits
	reports, tracks, feedbacks *RateLimiter
}

// portalRoutes registers the residents' portal.
func (s *Server) portalRoutes() {
	l := s.Portal.WithDefaults()
	p := &portal{s: s, limits: l, reports: NewRateLimiter(l.Reports), tracks: NewRateLimiter(l.Tracks), feedbacks: NewRateLimiter(l.Feedback)}
	s.mux.HandleFunc("GET /portal", s.h(p.home))
	s.mux.HandleFunc("GET /portal/report", s.h(p.reportForm))
	s.mux.HandleFunc("POST /portal/report", s.h(p.report))
	s.mux.HandleFunc("GET /portal/report/done", s.h(p.done))
	s.mux.HandleFunc("GET /portal/categories", s.h(p.categories))
	s.mux.HandleFunc("GET /portal/track", s.h(p.trackForm))
	s.mux.HandleFunc("POST /portal/track", s.h(p.track))
	s.mux.HandleFunc("POST /portal/track/rate", s.h(p.rate))
	s.mux.HandleFunc("GET /portal/feedback", s.h(p.feedback))
}

// allow takes a token from rl for the request's client, or writes the
// "please wait" page and reports false.
func (p *portal) allow(w http.ResponseWriter, r *http.Request, rl *RateLimiter) bool {
	ok, wait := rl.Allow(clientKey(r))
	if ok {
		return true
	}
	p.s.Log.InfoContext(r.Context(), "portal rate limited", "path", r.URL.Path, "retry_after_s", int(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	pg := PortalLimitedPage{Page: p.s.page(r, "portal.limited.title", ""), Minutes: int(wait.Minutes()) + 1}
	p.s.renderStatus(w, r, http.StatusTooManyRequests, "portal_limited", pg)
	return false
}

func (p *portal) home(w http.ResponseWriter, r *http.Request) error {
	return p.s.render(w, r, "portal_home", PortalHomePage{Page: p.s.page(r, "portal.home.title", "")})
}

func (p *portal) reportPage(r *http.Request, f PortalReportForm, query string) (PortalReportPage, error) {
	pg := PortalReportPage{Page: p.s.page(r, "portal.report.title", ""), Form: f, Query: query, RequestTypes: casework.RequestTypes, Idem: newIdem()}
	var err error
	pg.Categories, pg.Matches, err = p.s.categoryChoices(r.Context(), false, portalCommonCategories(), f.Category, query)
	if err != nil {
		return pg, err
	}
	if p.s.Org != nil {
		for _, kind := range []string{org.KindStreet, org.KindTownship} {
			us, err := p.s.Org.ByKind(r.Context(), kind)
			if err != nil {
				return pg, err
			}
			pg.Townships = append(pg.Townships, us...)
		}
	}
	return pg, nil
}

func (p *portal) reportForm(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pg, err := p.reportPage(r, PortalReportForm{Category: q.Get("category")}, q.Get("cq"))
	if err != nil {
		return err
	}
	return p.s.render(w, r, "portal_report", pg)
}

func (p *portal) report(w http.ResponseWriter, r *http.Request) error {
	if err := parseUpload(r); err != nil {
		return err
	}
	f := PortalReportForm{
		Category: r.PostFormValue("category"), RequestType: r.PostFormValue("request_type"),
		Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Address: r.PostFormValue("address"),
		Lng: r.PostFormValue("lng"), Lat: r.PostFormValue("lat"), PlaceUnit: r.PostFormValue("place_unit"),
		Name: r.PostFormValue("name"), Phone: r.PostFormValue("phone"),
	}
	if !p.allow(w, r, p.reports) {
		return nil
	}
	c, err := p.createReport(r, f)
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		pg, perr := p.reportPage(r, f, "")
		if perr != nil {
			return perr
		}
		if idem := formIdem(r); idem != "" {
			pg.Idem = idem // a retry of the same form stays one case
		}
		pg.Error = msg
		p.s.renderStatus(w, r, Status(err), "portal_report", pg)
		return nil
	}
	http.Redirect(w, r, "/portal/report/done?no="+urlQueryEscape(c.No), http.StatusSeeOther)
	return nil
}

func (p *portal) createReport(r *http.Request, f PortalReportForm) (casework.Case, error) {
	if p.s.Cases == nil {
		return casework.Case{}, errors.New("no case engine")
	}
	lng, lat, err := formPoint(f.Lng, f.Lat)
	if err != nil {
		return casework.Case{}, err
	}
	photos, err := formPhotos(r, "photos", "evidence")
	if err != nil {
		return casework.Case{}, err
	}
	if strings.TrimSpace(f.Body) == "" {
		return casework.Case{}, store.Invalid("请描述您反映的问题")
	}
	flow, ok := p.s.Cases.ReportFlow(casework.ReportPortal)
	if !ok {
		return casework.Case{}, store.NotFound(p.s.Msgs.T(langOf(r), "portal.report.off"))
	}
	in := casework.NewCase{
		Flow: flow.Name, RequestType: f.RequestType, Category: f.Category,
		Title: titleFrom(f.Title, f.Body), Body: f.Body, Address: f.Address, Lng: lng, Lat: lat, PlaceUnit: f.PlaceUnit,
		ReporterName: f.Name, ReporterPhone: f.Phone, Channel: "portal", Attachments: photos,
	}
	if idem := formIdem(r); idem != "" {
		in.Source, in.ExternalID = "portal", idem
	}
	c, _, err := p.s.Cases.Create(r.Context(), access.Actor{}, in)
	return c, err
}

func (p *portal) done(w http.ResponseWriter, r *http.Request) error {
	no := strings.TrimSpace(r.URL.Query().Get("no"))
	if !casework.LooksLikeCaseNo(no) {
		return store.NotFound(p.s.Msgs.T(langOf(r), "portal.done.no_number"))
	}
	return p.s.render(w, r, "portal_done", PortalDonePage{Page: p.s.page(r, "portal.done.title", ""), No: no})
}

// categories answers a category search: the fragment of radio buttons for
// htmx, or a page of links back to the form.
func (p *portal) categories(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	back := "/portal/report"
	if q.Get("for") == "m" {
		back = "/m/report"
	}
	_, matches, err := p.s.categoryChoices(r.Context(), back == "/m/report", nil, "", q.Get("cq"))
	if err != nil {
		return err
	}
	return p.s.render(w, r, "portal_categories", PortalCategoriesPage{Page: p.s.page(r, "portal.categories.title", ""),
		Query: q.Get("cq"), Matches: matches, Selected: q.Get("category"), Back: back, Fragment: r.Header.Get("HX-Request") == "true"})
}

func (p *portal) trackForm(w http.ResponseWriter, r *http.Request) error {
	return p.s.render(w, r, "portal_track", PortalTrackPage{Page: p.s.page(r, "portal.track.title", ""), No: strings.TrimSpace(r.URL.Query().Get("no"))})
}

// trackPage looks the case up; a wrong combination is a message on the form.
func (p *portal) trackPage(w http.ResponseWriter, r *http.Request, pg PortalTrackPage) error {
	v, err := p.s.Cases.Track(r.Context(), pg.No, pg.Last4)
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		pg.Error, pg.View = msg, nil
		p.s.renderStatus(w, r, Status(err), "portal_track", pg)
		return nil
	}
	pg.View = &v
	if v.ReviewHref != "" && p.s.Service != nil {
		if a, err := p.s.Service.PublicApplication(r.Context(), pg.No, pg.Last4); err == nil && a.Review != nil {
			pg.OwnReview = p.s.Msgs.T(pg.Lang, fmt.Sprintf("service.rating.%d", a.Review.Rating))
		}
	}
	return p.s.render(w, r, "portal_track", pg)
}

func (p *portal) track(w http.ResponseWriter, r *http.Request) error {
	pg := PortalTrackPage{Page: p.s.page(r, "portal.track.title", ""),
		No: strings.TrimSpace(r.PostFormValue("no")), Last4: strings.TrimSpace(r.PostFormValue("last4"))}
	if !p.allow(w, r, p.tracks) {
		return nil
	}
	return p.trackPage(w, r, pg)
}

func (p *portal) rate(w http.ResponseWriter, r *http.Request) error {
	pg := PortalTrackPage{Page: p.s.page(r, "portal.track.title", ""),
		No: strings.TrimSpace(r.PostFormValue("no")), Last4: strings.TrimSpace(r.PostFormValue("last4")),
		Rating: r.PostFormValue("satisfaction"), RatingNote: r.PostFormValue("note")}
	if !p.allow(w, r, p.tracks) {
		return nil
	}
	if err := p.s.Cases.Rate(r.Context(), pg.No, pg.Last4, pg.Rating, pg.RatingNote); err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		if errors.Is(err, store.ErrNotFound) {
			pg.Error = msg
			p.s.renderStatus(w, r, http.StatusNotFound, "portal_track", pg)
			return nil
		}
		v, terr := p.s.Cases.Track(r.Context(), pg.No, pg.Last4)
		if terr != nil {
			return terr
		}
		pg.View, pg.Error = &v, msg
		p.s.renderStatus(w, r, Status(err), "portal_track", pg)
		return nil
	}
	pg.Flash = p.s.Msgs.T(pg.Lang, "portal.track.rated")
	pg.Rating, pg.RatingNote = "", ""
	return p.trackPage(w, r, pg)
}

// feedbackKinds are the units whose day residents may read.
var feedbackKinds = []string{org.KindStreet, org.KindTownship, org.KindCommunity, org.KindVillage, org.KindGrid}

func (p *portal) feedback(w http.ResponseWriter, r *http.Request) error {
	if !p.allow(w, r, p.feedbacks) {
		return nil
	}
	if p.s.Org == nil || p.s.Cases == nil {
		return errors.New("portal feedback: services not wired")
	}
	ctx := r.Context()
	q := r.URL.Query()
	pg := PortalFeedbackPage{Page: p.s.page(r, "portal.feedback.title", ""), Day: strings.TrimSpace(q.Get("day"))}
	if pg.Day == "" {
		pg.Day = casework.Today(time.Now())
	}
	if _, _, err := casework.DayBounds(pg.Day); err != nil {
		return err
	}
	code := strings.TrimSpace(q.Get("unit"))
	if code == "" {
		for _, kind := range []string{org.KindStreet, org.KindTownship} {
			us, err := p.s.Org.ByKind(ctx, kind)
			if err != nil {
				return err
			}
			pg.Children = append(pg.Children, us...)
		}
		return p.s.render(w, r, "portal_feedback", pg)
	}
	// Unit names are public; the organisation service is asked as the
	// system, and only units residents live in are offered.
	u, err := p.s.Org.UnitByCode(ctx, access.System, code)
	if err != nil {
		return err
	}
	if !slices.Contains(feedbackKinds, u.Kind) {
		return store.NotFound(p.s.Msgs.T(pg.Lang, "portal.feedback.no_unit"))
	}
	pg.Unit = &u
	if u.ParentID != 0 {
		if parent, err := p.s.Org.UnitByID(ctx, u.ParentID); err == nil && slices.Contains(feedbackKinds, parent.Kind) {
			pg.Parent = &parent
		}
	}
	if u.Kind != org.KindGrid {
		children, err := p.s.Org.Children(ctx, access.System, u.ID)
		if err != nil {
			return err
		}
		for _, c := range children {
			if slices.Contains(feedbackKinds, c.Kind) {
				pg.Children = append(pg.Children, c)
			}
		}
	}
	rep, err := p.s.Reports.Daily(ctx, access.System, u.Code, pg.Day)
	if err != nil {
		return err
	}
	pg.Counts = rep.DailyCounts
	for _, c := range rep.Cases {
		row := PublicFeedbackRow{No: maskCaseNo(c.No), Title: scrubDigits(c.Title), Place: c.GridName, FedBack: c.FedBack, CreatedAt: c.CreatedAt}
		if row.Place == "" {
			row.Place = c.PlaceName
		}
		if f, ok := p.s.Cases.Flow(c.Flow); ok {
			row.StatusText = f.PublicText(c.Status)
		}
		pg.Rows = append(pg.Rows, row)
	}
	return p.s.render(w, r, "portal_feedback", pg)
}

// maskCaseNo hides all but the last two digits of a case number's serial:
// 350722-20261126-00042 → 350722-20261126-***42.
func maskCaseNo(no string) string {
	i := strings.LastIndexByte(no, '-')
	if i < 0 || len(no)-i-1 <= 2 {
		return no
	}
	serial := no[i+1:]
	return no[:i+1] + strings.Repeat("*", len(serial)-2) + serial[len(serial)-2:]
}

// longDigits are runs that may be a phone or ID number.
var longDigits = regexp.MustCompile(`[0-9０-９]{6,}[0-9Xx]*`)

// scrubDigits hides digit runs that may be phone or ID numbers.
func scrubDigits(s string) string {
	return longDigits.ReplaceAllStringFunc(s, func(m string) string { return strings.Repeat("*", min(len([]rune(m)), 11)) })
}
