package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/org"
	"grassroots/internal/report"
	"grassroots/internal/store"
)

// The grid worker's phone pages: one column, large buttons, the camera and
// the location straight from the form. /m is the worker's day, /m/report
// records what patrol found (reported into the flow that declares casework.ReportPatrol, or fixed on
// the spot: 即办件), /m/check/{no} is the on-site check (核查) of a handled
// event.

// MobileHomePage is the grid worker's day.
type MobileHomePage struct {
	Page
	Work casework.GridWork
	// Owed are today's cases of the worker's unit whose requester has not
	// heard back yet (每日一反馈), each with where to give the feedback.
	Owed []MobileOwed
	// GridCode is the worker's grid, for the link to its page ("" for
	// community staff).
	GridCode string
}

// MobileOwed is one case whose requester is owed today's feedback: Href is
// the phone's feedback form when the case's flow declares a daily feedback
// action, else the case page.
type MobileOwed struct {
	report.DailyCase
	Href string
}

// MobileFeedbackPage is the daily feedback (每日一反馈) on one case: what
// the requester has been told so far and the words to tell them today.
type MobileFeedbackPage struct {
	Page
	Case casework.Case
	// Told are the public events of the case after its intake (what the
	// requester was told, as the daily list counts it), newest first, at
	// most five.
	Told      []casework.Event
	CanGive   bool
	NoteLabel string
	Note      string
	Error     string
}

// MobileCasesPage is "my grid's cases": the desk inbox's list and filters
// as a phone list.
type MobileCasesPage struct {
	Page
	Form     InboxForm
	Rows     []InboxRowView
	Buckets  []Option
	Flows    []Option
	NextHref string
}

// MobileReportForm is what the worker typed, kept on an error.
type MobileReportForm struct {
	Category string
	Title    string
	Body     string
	Address  string
	Lng, Lat string
	Note     string // what was done on the spot
}

// MobileReportPage is the patrol report form.
type MobileReportPage struct {
	Page
	Form       MobileReportForm
	Categories []CategoryOption
	Query      string
	Matches    []CategoryOption
	Idem       string
	Error      string
}

// MobileCheckPage is the on-site check of a handled grid event.
type MobileCheckPage struct {
	Page
	Case casework.Case
	// Handling is the latest handling report (the report_handled event).
	Handling *casework.Event
	// After are the photos taken after handling; Before those of the report.
	After, Before []casework.Attachment
	CanCheck      bool
	Error         string
	Form          MobileCheckForm
}

// MobileCheckForm is what the check form held, kept on an error.
type MobileCheckForm struct {
	Result, Note string
	Lng, Lat     string
}

func (s *Server) mobileRoutes() {
	s.mux.HandleFunc("GET /m", s.gridWorker(s.mobileHome))
	s.mux.HandleFunc("GET /m/cases", s.gridWorker(s.mobileCases))
	s.mux.HandleFunc("GET /m/report", s.gridWorker(s.mobileReportForm))
	s.mux.HandleFunc("POST /m/report", s.gridWorker(s.mobileReport))
	s.mux.HandleFunc("GET /m/check/{no}", s.gridWorker(s.mobileCheckForm))
	s.mux.HandleFunc("POST /m/check/{no}", s.gridWorker(s.mobileCheck))
	s.mux.HandleFunc("GET /m/feedback/{no}", s.gridWorker(s.mobileFeedbackForm))
	s.mux.HandleFunc("POST /m/feedback/{no}", s.gridWorker(s.mobileFeedback))
	s.mux.HandleFunc("GET /m/sw.js", serveServiceWorker)
}

// serveServiceWorker serves the phone pages' service worker (static/sw.js)
// from /m, so that it may keep the pages under /m for opening without a
// signal; always revalidated, so a new version takes over at once.
func serveServiceWorker(w http.ResponseWriter, r *http.Request) {
	a := assets().byName["sw.js"]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Service-Worker-Allowed", "/m")
	h.Set("ETag", a.etag)
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}

// gridWorker wraps a handler for grid workers and community staff (who
// patrol too); the domain checks each action again.
func (s *Server) gridWorker(fn handler) http.HandlerFunc {
	return s.staff(func(w http.ResponseWriter, r *http.Request) error {
		if !actorOf(r).HasAny(access.RoleGrid, access.RoleCommunity) {
			return store.Forbidden(s.Msgs.T(langOf(r), "mobile.grid_only"))
		}
		if s.Cases == nil {
			return errors.New("no case engine")
		}
		return fn(w, r)
	})
}

func (s *Server) mobileHome(w http.ResponseWriter, r *http.Request) error {
	work, err := s.Cases.GridWork(r.Context(), actorOf(r), time.Now())
	if err != nil {
		return err
	}
	pg := MobileHomePage{Page: s.page(r, "mobile.home.title", "mobile"), Work: work}
	if a := actorOf(r); a.UnitKind == org.KindGrid {
		pg.GridCode = a.UnitCode
	}
	if s.Reports != nil {
		d, err := s.Reports.Daily(r.Context(), actorOf(r), actorOf(r).UnitCode, work.Day)
		if err != nil {
			return err
		}
		for _, c := range d.NotHeardBack() {
			o := MobileOwed{DailyCase: c, Href: "/cases/" + c.No}
			if f, ok := s.Cases.Flow(c.Flow); ok {
				if _, ok := f.FeedbackAction(); ok {
					o.Href = "/m/feedback/" + c.No
				}
			}
			pg.Owed = append(pg.Owed, o)
		}
	}
	q := r.URL.Query()
	if no := q.Get("no"); casework.LooksLikeCaseNo(no) {
		switch q.Get("done") {
		case "report":
			pg.Flash = pg.T("mobile.flash.reported", no)
		case "onspot":
			pg.Flash = pg.T("mobile.flash.onspot", no)
		case "pass":
			pg.Flash = pg.T("mobile.flash.passed", no)
		case "fail":
			pg.Flash = pg.T("mobile.flash.failed", no)
		case "feedback":
			pg.Flash = pg.T("mobile.flash.feedback", no)
		}
	}
	return s.render(w, r, "mobile_home", pg)
}

// mobileCases lists the cases of the worker's grid with the desk inbox's
// filters (bucket, flow, status, category, dates, search).
func (s *Server) mobileCases(w http.ResponseWriter, r *http.Request) error {
	form := inboxFormOf(r.URL.Query())
	now := time.Now().Truncate(time.Millisecond)
	f, err := s.inboxFilter(form, now)
	if err != nil {
		return err
	}
	f.Cursor = r.URL.Query().Get("cursor")
	page, err := s.Cases.Inbox(r.Context(), actorOf(r), f)
	if err != nil {
		return err
	}
	pg := MobileCasesPage{Page: s.page(r, "mobile.cases.title", "mobile"), Form: form}
	for _, b := range casework.InboxBuckets() {
		pg.Buckets = append(pg.Buckets, Option{string(b), pg.T("caseui.bucket." + string(b))})
	}
	if err := s.fillCaseOptions(r.Context(), actorOf(r), pg.Lang, &pg.Flows, nil, nil); err != nil {
		return err
	}
	for _, row := range page.Rows {
		pg.Rows = append(pg.Rows, InboxRowView{InboxRow: row, StatusKey: "case.status." + row.Status})
	}
	if page.Next != "" {
		v := form.values()
		v.Set("cursor", page.Next)
		pg.NextHref = "/m/cases?" + v.Encode()
	}
	return s.render(w, r, "mobile_cases", pg)
}

func (s *Server) mobileReportPage(r *http.Request, f MobileReportForm, query string) (MobileReportPage, error) {
	pg := MobileReportPage{Page: s.page(r, "mobile.report.title", "mobile"), Form: f, Query: query, Idem: newIdem()}
	var err error
	pg.Categories, pg.Matches, err = s.categoryChoices(r.Context(), true, mobileCommonCategories(), f.Category, query)
	return pg, err
}

func (s *Server) mobileReportForm(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pg, err := s.mobileReportPage(r, MobileReportForm{Category: q.Get("category")}, q.Get("cq"))
	if err != nil {
		return err
	}
	return s.render(w, r, "mobile_report", pg)
}

func (s *Server) mobileReport(w http.ResponseWriter, r *http.Request) error {
	if err := parseUpload(r); err != nil {
		return err
	}
	f := MobileReportForm{Category: r.PostFormValue("category"), Title: r.PostFormValue("title"), Body: r.PostFormValue("body"),
		Address: r.PostFormValue("address"), Lng: r.PostFormValue("lng"), Lat: r.PostFormValue("lat"), Note: r.PostFormValue("note")}
	onSpot := r.PostFormValue("op") == "onspot"
	c, err := s.createGridEvent(r, f, onSpot)
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		pg, perr := s.mobileReportPage(r, f, "")
		if perr != nil {
			return perr
		}
		if idem := formIdem(r); idem != "" {
			pg.Idem = idem
		}
		pg.Error = msg
		s.renderStatus(w, r, Status(err), "mobile_report", pg)
		return nil
	}
	done := "report"
	if c.OnSpot {
		done = "onspot"
	}
	http.Redirect(w, r, "/m?done="+done+"&no="+urlQueryEscape(c.No), http.StatusSeeOther)
	return nil
}

// createGridEvent reports what patrol found; onSpot closes it at once as
// fixed on the spot, which needs what was done and a photo after.
func (s *Server) createGridEvent(r *http.Request, f MobileReportForm, onSpot bool) (casework.Case, error) {
	lng, lat, err := formPoint(f.Lng, f.Lat)
	if err != nil {
		return casework.Case{}, err
	}
	before, err := formPhotos(r, "photos", "before")
	if err != nil {
		return casework.Case{}, err
	}
	flow, ok := s.Cases.ReportFlow(casework.ReportPatrol)
	if !ok {
		return casework.Case{}, store.NotFound(s.Msgs.T(langOf(r), "mobile.report.off"))
	}
	in := casework.NewCase{Flow: flow.Name, Category: f.Category, Title: titleFrom(f.Title, f.Body), Body: f.Body,
		Address: f.Address, Lng: lng, Lat: lat, Channel: "grid", Attachments: before}
	if in.Title == "" {
		return casework.Case{}, store.Invalid("请描述发现的问题")
	}
	if onSpot {
		after, err := formPhotos(r, "after", "after")
		if err != nil {
			return casework.Case{}, err
		}
		if strings.TrimSpace(f.Note) == "" {
			return casework.Case{}, store.Invalid("即办件请填写现场处置情况")
		}
		if len(after) == 0 {
			return casework.Case{}, store.Invalid("即办件请拍摄处置后的照片")
		}
		in.OnSpot, in.Note = true, f.Note
		in.Attachments = append(in.Attachments, after...)
	}
	if idem := formIdem(r); idem != "" {
		in.Source, in.ExternalID = "mobile", idem
	}
	c, _, err := s.Cases.Create(r.Context(), actorOf(r), in)
	return c, err
}

// checkPage reads the case and what the check shows.
func (s *Server) checkPage(r *http.Request) (MobileCheckPage, error) {
	actor := actorOf(r)
	d, err := s.Cases.Get(r.Context(), actor, r.PathValue("no"))
	if err != nil {
		return MobileCheckPage{}, err
	}
	if f, ok := s.Cases.Flow(d.Case.Flow); !ok || f.Report != casework.ReportPatrol {
		return MobileCheckPage{}, store.NotFound(s.Msgs.T(langOf(r), "mobile.check.not_grid_event"))
	}
	pg := MobileCheckPage{Page: s.page(r, "mobile.check.title", "mobile"), Case: d.Case}
	for i := len(d.Events) - 1; i >= 0; i-- {
		if d.Events[i].Action == "report_handled" {
			ev := d.Events[i]
			pg.Handling = &ev
			break
		}
	}
	for _, a := range d.Attachments {
		if !strings.HasPrefix(a.ContentType, "image/") {
			continue
		}
		switch a.Stage {
		case "after":
			pg.After = append(pg.After, a)
		case "before":
			pg.Before = append(pg.Before, a)
		}
	}
	for _, a := range s.Cases.AllowedActions(actor, d) {
		if a.Name == "check" {
			pg.CanCheck = true
		}
	}
	return pg, nil
}

func (s *Server) mobileCheckForm(w http.ResponseWriter, r *http.Request) error {
	pg, err := s.checkPage(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "mobile_check", pg)
}

func (s *Server) mobileCheck(w http.ResponseWriter, r *http.Request) error {
	if err := parseUpload(r); err != nil {
		return err
	}
	no := r.PathValue("no")
	result, note := r.PostFormValue("result"), strings.TrimSpace(r.PostFormValue("note"))
	lngText, latText := r.PostFormValue("lng"), r.PostFormValue("lat")
	err := func() error {
		var passed bool
		switch result {
		case "pass":
			passed = true
		case "fail":
		default:
			return store.Invalid("请选择核查结果：通过或不通过")
		}
		lng, lat, err := formPoint(lngText, latText)
		if err != nil {
			return err
		}
		photos, err := formPhotos(r, "photos", "evidence")
		if err != nil {
			return err
		}
		act := casework.Action{Name: "check", Resolved: &passed, Note: note, Lng: lng, Lat: lat, Attachments: photos}
		if lng != nil {
			// The check's event keeps no point of its own: the checker's
			// position goes on the timeline with the note. A failed check
			// without a reason is left for the engine to refuse.
			loc := fmt.Sprintf("核查位置：%.6f, %.6f", *lng, *lat)
			switch {
			case note != "":
				act.Note = note + "（" + loc + "）"
			case passed:
				act.Note = loc
			}
		}
		_, err = s.Cases.Do(r.Context(), actorOf(r), no, act)
		return err
	}()
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		pg, perr := s.checkPage(r)
		if perr != nil {
			return perr
		}
		pg.Error, pg.Form = msg, MobileCheckForm{Result: result, Note: note, Lng: lngText, Lat: latText}
		s.renderStatus(w, r, Status(err), "mobile_check", pg)
		return nil
	}
	http.Redirect(w, r, "/m?done="+result+"&no="+urlQueryEscape(no), http.StatusSeeOther)
	return nil
}

// feedbackPage reads the case, what its requester was told, and whether the
// actor may give today's feedback now (the flow's daily feedback action).
func (s *Server) feedbackPage(r *http.Request) (MobileFeedbackPage, casework.ActionSpec, error) {
	actor := actorOf(r)
	d, err := s.Cases.Get(r.Context(), actor, r.PathValue("no"))
	if err != nil {
		return MobileFeedbackPage{}, casework.ActionSpec{}, err
	}
	f, ok := s.Cases.Flow(d.Case.Flow)
	if !ok {
		return MobileFeedbackPage{}, casework.ActionSpec{}, store.NotFound(s.Msgs.T(langOf(r), "mobile.feedback.none"))
	}
	spec, ok := f.FeedbackAction()
	if !ok {
		return MobileFeedbackPage{}, casework.ActionSpec{}, store.NotFound(s.Msgs.T(langOf(r), "mobile.feedback.none"))
	}
	pg := MobileFeedbackPage{Page: s.page(r, "mobile.feedback.title", "mobile"), Case: d.Case, NoteLabel: spec.NoteLabel}
	for i := len(d.Events) - 1; i >= 0 && len(pg.Told) < 5; i-- {
		if ev := d.Events[i]; ev.Public && ev.PublicText != "" && ev.Action != "receive" {
			pg.Told = append(pg.Told, d.Events[i])
		}
	}
	for _, a := range s.Cases.AllowedActions(actor, d) {
		if a.Name == spec.Name {
			pg.CanGive = true
		}
	}
	return pg, spec, nil
}

func (s *Server) mobileFeedbackForm(w http.ResponseWriter, r *http.Request) error {
	pg, _, err := s.feedbackPage(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "mobile_feedback", pg)
}

// mobileFeedback gives today's feedback: the flow's daily feedback action
// with the words typed, which the requester reads on the portal.
func (s *Server) mobileFeedback(w http.ResponseWriter, r *http.Request) error {
	pg, spec, err := s.feedbackPage(r)
	if err != nil {
		return err
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if _, err := s.Cases.Do(r.Context(), actorOf(r), pg.Case.No, casework.Action{Name: spec.Name, Note: note}); err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		pg.Error, pg.Note = msg, note
		s.renderStatus(w, r, Status(err), "mobile_feedback", pg)
		return nil
	}
	http.Redirect(w, r, "/m?done=feedback&no="+urlQueryEscape(pg.Case.No), http.StatusSeeOther)
	return nil
}
