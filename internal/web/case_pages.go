package web

// The case inbox (/cases): tabs for the buckets with counts, a filter bar, a
// dense table with the working time left, keyset paging and the Excel export
// of exactly what is filtered. The case page, its actions and the call-taker
// form are in case_view.go and case_new.go.

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/trust"
	"grassroots/internal/worktime"
	"grassroots/internal/xlsx"
)

// caseRoutes registers case intake, inboxes and case pages (casework work).
func (s *Server) caseRoutes() {
	s.mux.HandleFunc("GET /cases", s.staff(s.caseInbox))
	s.mux.HandleFunc("POST /cases/search", s.staff(s.caseSearch))
	s.mux.HandleFunc("GET /cases/export.xlsx", s.staff(s.caseExport))
	s.mux.HandleFunc("GET /cases/new", s.staff(s.caseNewForm))
	s.mux.HandleFunc("POST /cases/new", s.staff(s.caseCreate))
	s.mux.HandleFunc("GET /cases/nearby", s.staff(s.caseNearby))
	s.mux.HandleFunc("GET /cases/{no}", s.staff(s.caseView))
	s.mux.HandleFunc("GET /cases/{no}/map.json", s.staff(s.caseMapJSON))
	s.mux.HandleFunc("POST /cases/{no}/actions/{action}", s.staff(s.caseAction))
	s.mux.HandleFunc("GET /attachments/{id}", s.staff(s.attachment))
	s.mux.HandleFunc("GET /units/search", s.staff(s.unitSearch))
}

// Option is one choice of a select or datalist.
type Option struct {
	Value, Label string
}

// InboxTab is one bucket tab of the inbox.
type InboxTab struct {
	Bucket   string
	Key      string // message key of its name
	Count    int
	HasCount bool
	Href     string
	Current  bool
	Alarm    bool // overdue: shown in red when not empty
}

// InboxRowView is one line of the inbox table, with its status tag and the
// working time left.
type InboxRowView struct {
	casework.InboxRow
	Tag       string // CSS class: to-sign, in-hand, near, overdue, closed
	StatusKey string // message key of the status shown
	Left      string // "剩余3小时20分" / "超期2个工作日"; "" when no deadline runs
	LeftOver  bool
}

// InboxForm is the filter bar as typed (kept as text so it is shown back).
type InboxForm struct {
	Bucket, Flow, RequestType, Status, Category, Grid, From, To, Q string
}

// CaseInboxPage is the inbox.
type CaseInboxPage struct {
	Page
	Form         InboxForm
	Tabs         []InboxTab
	Rows         []InboxRowView
	NextHref     string
	ExportHref   string
	Flows        []Option
	RequestTypes []Option
	Categories   []Option
	Grids        []Option
	// Work is true in the work buckets, which list one row per unit's part.
	Work bool
	// Phone is the search by phone number: its form, and after a search
	// what was found.
	Phone PhoneSearchView
}

// PhoneSearchView is the search by phone number on the inbox page. The
// number is posted, never put in a link, so it reaches no access log.
type PhoneSearchView struct {
	// Allowed: the user may search by number (trust.Service.MaySearchPhone).
	Allowed bool
	// Searched is set on the answer to a search, with the number masked.
	Searched bool
	Masked   string
	// More: more cases than one page have the number.
	More bool
}

// inboxFormOf reads the filter bar from the query string.
func inboxFormOf(q url.Values) InboxForm {
	g := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return InboxForm{Bucket: g("bucket"), Flow: g("flow"), RequestType: g("type"), Status: g("status"), Category: g("category"),
		Grid: g("grid"), From: g("from"), To: g("to"), Q: g("q")}
}

// values is the form as query parameters, without the empty ones.
func (f InboxForm) values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"bucket", f.Bucket}, {"flow", f.Flow}, {"type", f.RequestType}, {"status", f.Status},
		{"category", f.Category}, {"grid", f.Grid}, {"from", f.From}, {"to", f.To}, {"q", f.Q}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v
}

// href is the inbox URL of the form with bucket replaced ("" keeps it).
func (f InboxForm) href(path, bucket string) string {
	v := f.values()
	if bucket != "" {
		v.Set("bucket", bucket)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// filter turns the form into the engine's inbox filter; errors carry a
// message for the user.
func (s *Server) inboxFilter(f InboxForm, now time.Time) (casework.InboxFilter, error) {
	out := casework.InboxFilter{Bucket: casework.InboxBucket(f.Bucket), Flow: f.Flow, RequestType: f.RequestType, Status: f.Status,
		Category: f.Category, Grid: f.Grid, Q: f.Q, Now: now}
	if out.Bucket == "" {
		out.Bucket = casework.BucketAll
	}
	if !slices.Contains(casework.InboxBuckets(), out.Bucket) {
		return out, store.Invalid("未知的列表：" + f.Bucket)
	}
	if f.From != "" {
		from, _, err := casework.DayBounds(f.From)
		if err != nil {
			return out, store.Invalid("开始日期格式应为 2026-11-26")
		}
		out.From = from
	}
	if f.To != "" {
		_, to, err := casework.DayBounds(f.To)
		if err != nil {
			return out, store.Invalid("结束日期格式应为 2026-11-26")
		}
		out.To = to
	}
	// A phone number in Q is refused by the inbox: numbers are searched by
	// POST /cases/search only (caseSearch).
	return out, nil
}

// calendar is the working calendar, or a plain one (working hours on
// weekdays) when none is loaded.
func (s *Server) calendar() *worktime.Calendar {
	if s.Work != nil {
		if c := s.Work.Calendar(); c != nil {
			return c
		}
	}
	c, _ := worktime.NewCalendar(nil, nil)
	return c
}

// timeLeft is the working time from now to due as lists show it, and
// whether it has passed.
func timeLeft(cal *worktime.Calendar, lang string, now, due time.Time) (string, bool) {
	if due.IsZero() || cal == nil {
		return "", false
	}
	d := cal.Between(now, due)
	return cal.FormatLeft(lang, d), due.Before(now)
}

// finalStatus reports whether status is final in flow, as the flow
// declaration says (casework.Service.Final); without an engine nothing is.
func (s *Server) finalStatus(flow, status string) bool {
	return s.Cases != nil && s.Cases.Final(flow, status)
}

// rowView adds the tag and the time left to an inbox row. final says which
// statuses are final (Server.finalStatus); the overdue tag is the row's Late,
// the very condition the overdue bucket selects by, so that every row shown
// 超期 is in that bucket.
func rowView(cal *worktime.Calendar, lang string, now time.Time, r casework.InboxRow, final func(flow, status string) bool) InboxRowView {
	v := InboxRowView{InboxRow: r, StatusKey: "case.status." + r.Status}
	closed := final(r.Flow, r.Status)
	var due time.Time
	partOpen := r.AssignmentID != 0 && !slices.Contains([]string{"answered", "returned", "done", "refused"}, r.AssignmentStatus)
	switch {
	case closed:
	case r.AssignmentStatus == "to_sign":
		due = r.SignDueAt
	case partOpen:
		due = r.HandleDueAt
	}
	v.Left, v.LeftOver = timeLeft(cal, lang, now, due)
	switch {
	case closed:
		v.Tag = "closed"
	case r.Late:
		v.Tag = "overdue"
	case !due.IsZero() && due.Sub(now) <= casework.DefaultNearWithin:
		v.Tag = "near"
	case r.AssignmentStatus == "to_sign" || r.Status == "received" || r.Status == "reported" || r.Status == "returned":
		v.Tag = "to-sign"
	default:
		v.Tag = "in-hand"
	}
	if r.AssignmentStatus == "to_sign" && r.Status != "dispatched" {
		v.StatusKey = "case.part_status.to_sign"
	}
	return v
}

// bucketKeys are the tabs' names.
var bucketKeys = map[casework.InboxBucket]string{
	casework.BucketToSign: "caseui.bucket.to_sign", casework.BucketInHand: "caseui.bucket.in_hand",
	casework.BucketNear: "caseui.bucket.near", casework.BucketOverdue: "caseui.bucket.overdue",
	casework.BucketToRevisit: "caseui.bucket.to_revisit", casework.BucketClosed: "caseui.bucket.closed",
	casework.BucketAll: "caseui.bucket.all",
}

func (s *Server) caseInbox(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	ctx := r.Context()
	actor := actorOf(r)
	nav, title := "cases", "caseui.inbox.title"
	form := inboxFormOf(r.URL.Query())
	// A flow whose work area is this list filtered by it (Flow.Nav) names
	// the page and its navigation item.
	if f, ok := s.flowOf(form.Flow); ok && f.Nav.Href == "/cases?flow="+f.Name {
		nav, title = f.Nav.ID, f.Nav.Key
	}
	p := CaseInboxPage{Page: s.page(r, title, nav), Form: form}
	if svc := s.trustService(); svc != nil {
		allowed, err := svc.MaySearchPhone(r.Context(), actor)
		if err != nil {
			return err
		}
		p.Phone.Allowed = allowed
	}
	// Milliseconds, as the database keeps times: the rows' Late and their
	// time left are then reckoned at the very same instant.
	now := time.Now().Truncate(time.Millisecond)
	f, err := s.inboxFilter(form, now)
	if err != nil {
		return err
	}
	f.Cursor = r.URL.Query().Get("cursor")
	p.Work = slices.Contains([]casework.InboxBucket{casework.BucketToSign, casework.BucketInHand, casework.BucketNear, casework.BucketOverdue}, f.Bucket)
	page, err := s.Cases.Inbox(ctx, actor, f)
	if err != nil {
		return err
	}
	return s.renderInbox(w, r, &p, f, page, now)
}

// renderInbox fills the rest of the inbox page around a page of rows.
func (s *Server) renderInbox(w http.ResponseWriter, r *http.Request, p *CaseInboxPage, f casework.InboxFilter, page casework.InboxPage, now time.Time) error {
	ctx := r.Context()
	actor := actorOf(r)
	form := p.Form
	cal := s.calendar()
	for _, row := range page.Rows {
		p.Rows = append(p.Rows, rowView(cal, p.Lang, now, row, s.finalStatus))
	}
	if page.Next != "" && p.Phone.Searched {
		p.Phone.More = true
	} else if page.Next != "" {
		v := form.values()
		v.Set("bucket", string(f.Bucket))
		v.Set("cursor", page.Next)
		p.NextHref = "/cases?" + v.Encode()
	}
	p.ExportHref = form.href("/cases/export.xlsx", string(f.Bucket))
	counts, err := s.Cases.Counts(ctx, actor, now)
	if err != nil {
		return err
	}
	for _, b := range casework.InboxBuckets() {
		n, has := counts[string(b)]
		p.Tabs = append(p.Tabs, InboxTab{Bucket: string(b), Key: bucketKeys[b], Count: n, HasCount: has,
			Href: form.href("/cases", string(b)), Current: b == f.Bucket, Alarm: b == casework.BucketOverdue && n > 0})
	}
	if err := s.fillCaseOptions(ctx, actor, p.Lang, &p.Flows, &p.RequestTypes, &p.Categories); err != nil {
		return err
	}
	if s.Org != nil {
		grids, err := s.Org.SearchKind(ctx, actor, "", "grid", 200)
		if err != nil {
			return err
		}
		for _, g := range grids {
			p.Grids = append(p.Grids, Option{g.Code, g.Name})
		}
	}
	return s.render(w, r, "case_inbox", *p)
}

// caseSearch answers the search box (POST, so that what is typed stays out
// of URLs and so out of access logs): a case number or keywords go on to the
// inbox (GET /cases?q=...); a phone number, or what looks like part of one,
// is a search by number through trust.SearchPhone, which checks that the
// user may reveal numbers, refuses partial numbers, limits the rate and
// records the search; its answer is the inbox page with the cases found and
// the number masked, in no link.
func (s *Server) caseSearch(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	q := strings.TrimSpace(r.PostFormValue("q"))
	if _, phone := casework.PhoneQuery(q); !phone || casework.LooksLikeCaseNo(q) {
		target := "/cases"
		if q != "" {
			target += "?" + url.Values{"q": {q}}.Encode()
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	svc := s.trustService()
	if svc == nil {
		return store.NotFound(s.Msgs.T(langOf(r), "trust.reveal.unavailable"))
	}
	now := time.Now().Truncate(time.Millisecond)
	f := casework.InboxFilter{Bucket: casework.BucketAll, Limit: casework.MaxInboxLimit, Now: now}
	page, err := svc.SearchPhone(r.Context(), actorOf(r), trust.PhoneSearch{Phone: q, Reason: r.PostFormValue("reason")}, f)
	if err != nil {
		return err
	}
	p := CaseInboxPage{Page: s.page(r, "caseui.inbox.title", "cases"), Form: InboxForm{Bucket: string(casework.BucketAll)}}
	p.Phone = PhoneSearchView{Allowed: true, Searched: true, Masked: pii.MaskPhone(q)}
	return s.renderInbox(w, r, &p, f, page, now)
}

// fillCaseOptions lists the flows, request types and categories for pickers.
func (s *Server) fillCaseOptions(ctx context.Context, actor access.Actor, lang string, flows, types, cats *[]Option) error {
	t := func(k string) string { return s.Msgs.T(lang, k) }
	if flows != nil {
		for _, f := range s.Cases.FlowNames() {
			key := "case.flow." + f
			if fl, ok := s.Cases.Flow(f); ok {
				key = fl.LabelKey()
			}
			*flows = append(*flows, Option{f, t(key)})
		}
	}
	if types != nil {
		for _, rt := range casework.RequestTypes {
			*types = append(*types, Option{rt, t("case.request_type." + rt)})
		}
	}
	if cats != nil {
		tree, err := s.Lists.Categories(ctx)
		if err != nil {
			return err
		}
		*cats = categoryOptions(tree, "")
	}
	return nil
}

// categoryOptions flattens the category tree into "major / minor" labels,
// active categories only.
func categoryOptions(tree []catalog.Category, prefix string) []Option {
	var out []Option
	for _, c := range tree {
		if !c.Active {
			continue
		}
		label := c.Name
		if prefix != "" {
			label = prefix + " / " + c.Name
		}
		out = append(out, Option{c.Code, label})
		out = append(out, categoryOptions(c.Children, label)...)
	}
	return out
}

// caseExport writes exactly what the inbox filter selects as an .xlsx.
func (s *Server) caseExport(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	f, err := s.inboxFilter(inboxFormOf(r.URL.Query()), time.Now())
	if err != nil {
		return err
	}
	// Build the workbook in memory first, so that an error becomes an error
	// page and not half a file.
	actor := actorOf(r)
	var b bytes.Buffer
	if err := s.Reports.ExportInbox(r.Context(), actor, f, &b); err != nil {
		return err
	}
	// The file says what was filtered: 工单-南浦街道-超期-20261203.xlsx.
	flow := ""
	if fl, ok := s.Cases.Flow(f.Flow); ok {
		flow = s.Msgs.T("zh", fl.LabelKey())
	}
	xlsx.Serve(w, xlsx.FileName(time.Now(), "工单", flow, actor.UnitName, s.Msgs.T("zh", bucketKeys[f.Bucket])), b.Bytes())
	return nil
}

// UnitListPage is the unit picker's datalist fragment.
type UnitListPage struct {
	Page
	ListID string
	Units  []Option
}

// unitSearch answers the unit pickers: a <datalist> of units whose name
// contains q or whose code starts with it. Units in the actor's scope come
// first, then county departments (which anyone may involve).
func (s *Server) unitSearch(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		if field := r.URL.Query().Get("field"); field != "" {
			q = strings.TrimSpace(r.URL.Query().Get(field))
		}
	}
	listID := r.URL.Query().Get("list")
	if listID == "" || strings.ContainsAny(listID, `"<>& `) {
		listID = "units"
	}
	p := UnitListPage{Page: s.page(r, "caseui.units.title", ""), ListID: listID}
	units, err := s.unitOptions(r.Context(), actorOf(r), q)
	if err != nil {
		return err
	}
	p.Units = units
	return s.render(w, r, "case_units", p)
}

// unitOptions finds units for a picker: by name or code in the actor's
// scope, plus county departments; with an empty q, the townships, streets
// and departments.
func (s *Server) unitOptions(ctx context.Context, actor access.Actor, q string) ([]Option, error) {
	if s.Org == nil {
		return nil, nil
	}
	seen := map[string]bool{}
	var out []Option
	add := func(code, name string) {
		if !seen[code] {
			seen[code] = true
			out = append(out, Option{code, name})
		}
	}
	if q == "" {
		for _, kind := range []string{"township", "street", "department"} {
			us, err := s.Org.ByKind(ctx, kind)
			if err != nil {
				return nil, err
			}
			for _, u := range us {
				add(u.Code, u.Name)
			}
		}
		return out, nil
	}
	us, err := s.Org.Search(ctx, actor, q, 30)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		add(u.Code, u.Name)
	}
	depts, err := s.Org.SearchKind(ctx, access.System, q, "department", 10)
	if err != nil {
		return nil, err
	}
	for _, u := range depts {
		add(u.Code, u.Name)
	}
	return out, nil
}

// resolveUnit turns what was typed in a unit picker into a unit code: a
// code as it is, or an exact unit name when exactly one unit has it.
func (s *Server) resolveUnit(ctx context.Context, typed string) string {
	typed = strings.TrimSpace(typed)
	if typed == "" || s.DB == nil {
		return typed
	}
	// "南浦街道 (350722001000)" from a pasted label.
	if i := strings.LastIndex(typed, "("); i >= 0 && strings.HasSuffix(typed, ")") {
		return strings.TrimSpace(typed[i+1 : len(typed)-1])
	}
	if _, err := org.RefByCode(ctx, s.DB, typed); err == nil {
		return typed
	}
	if us, err := org.RefsByName(ctx, s.DB, typed, 2); err == nil && len(us) == 1 {
		return us[0].Code
	}
	return typed
}
