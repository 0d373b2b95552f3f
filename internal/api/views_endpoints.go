package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/stats"
	"grassroots/internal/store"
	"grassroots/internal/trust"
)

// viewEndpoints registers the read side of the case engine: inbox lists and
// search, the daily collection and feedback report, the rates — the same
// functions the UI and its Excel exports use — and category administration.
func (s *Server) viewEndpoints() {
	s.route("GET /api/v1/cases", s.authed(s.listCases))
	s.route("POST /api/v1/cases/search", s.authed(s.searchCasesByPhone))
	s.route("GET /api/v1/daily", s.authed(s.dailyReport))
	s.route("GET /api/v1/stats/rates", s.authed(s.rates))
	s.route("GET /api/v1/stats/cases", s.authed(s.figureCases))
	s.route("POST /api/v1/categories", s.authed(s.addCategory))
	s.route("PUT /api/v1/categories/{code}/department", s.authed(s.setCategoryDepartment))
	s.route("PUT /api/v1/categories/{code}/name", s.authed(s.renameCategory))
	s.route("PUT /api/v1/categories/{code}/active", s.authed(s.setCategoryActive))
}

// InboxRowBody is one case in a list.
type InboxRowBody struct {
	No          string    `json:"no"`
	Title       string    `json:"title"`
	Flow        string    `json:"flow"`
	Status      string    `json:"status"`
	Priority    string    `json:"priority"`
	RequestType string    `json:"request_type"`
	Category    string    `json:"category"`
	Place       string    `json:"place"`
	Grid        string    `json:"grid"`
	LeadUnit    string    `json:"lead_unit"`
	CreatedAt   time.Time `json:"created_at"`
	Overdue     bool      `json:"overdue"`
	// Late: the part is 超期 now, exactly what bucket=overdue lists.
	Late bool `json:"late"`
	// Final: the status is final in the case's flow (listed as closed).
	Final            bool       `json:"final"`
	AssignmentID     int64      `json:"assignment_id,omitempty"`
	AssignmentStatus string     `json:"assignment_status,omitempty"`
	AssignmentUnit   string     `json:"assignment_unit,omitempty"`
	SignDueAt        *time.Time `json:"sign_due_at,omitempty"`
	HandleDueAt      *time.Time `json:"handle_due_at,omitempty"`
}

// InboxBody is one page of a list; pass next as cursor for the following page.
type InboxBody struct {
	Cases []InboxRowBody `json:"cases"`
	Next  string         `json:"next,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func parseDayParam(q, name string, end bool) (time.Time, error) {
	if q == "" {
		return time.Time{}, nil
	}
	from, to, err := casework.DayBounds(q)
	if err != nil {
		return time.Time{}, store.Invalid(name + " 应为日期，例如 2026-11-01")
	}
	if end {
		return to, nil
	}
	return from, nil
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	f := casework.InboxFilter{
		Bucket: casework.InboxBucket(q.Get("bucket")), Flow: q.Get("flow"), RequestType: q.Get("request_type"),
		Status: q.Get("status"), Category: q.Get("category"), Grid: q.Get("grid"), Q: q.Get("q"), Cursor: q.Get("cursor"),
	}
	if f.Bucket == "" {
		f.Bucket = casework.BucketAll
	}
	var err error
	if f.From, err = parseDayParam(q.Get("from"), "from", false); err != nil {
		return err
	}
	if f.To, err = parseDayParam(q.Get("to"), "to", true); err != nil {
		return err
	}
	if l := q.Get("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 {
			return store.Invalid("limit 应为正整数")
		}
	}
	// A phone number in q is refused by the inbox: numbers are searched by
	// POST /api/v1/cases/search only, so they stay out of URLs and logs.
	page, err := s.Cases.Inbox(r.Context(), actor, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.inboxBody(page))
}

// PhoneSearchBody asks for the cases whose reporter has the full phone
// number phone; reason is optional and recorded with the search.
type PhoneSearchBody struct {
	Phone  string `json:"phone"`
	Reason string `json:"reason,omitempty"`
	Limit  int    `json:"limit,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// searchCasesByPhone is the search by phone number (trust.SearchPhone: only
// for those who may reveal numbers, full numbers only, limited per user,
// every search recorded with the reveals), posted so that the number is in
// no URL.
func (s *Server) searchCasesByPhone(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in PhoneSearchBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	svc := s.trustService()
	if svc == nil {
		return store.NotFound("个人信息密钥未配置，无法按号码查找")
	}
	if in.Limit < 0 {
		return store.Invalid("limit 应为正整数")
	}
	page, err := svc.SearchPhone(r.Context(), actor, trust.PhoneSearch{Phone: in.Phone, Reason: in.Reason},
		casework.InboxFilter{Bucket: casework.BucketAll, Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.inboxBody(page))
}

// inboxBody is a page of the inbox as the API answers it.
func (s *Server) inboxBody(page casework.InboxPage) InboxBody {
	body := InboxBody{Cases: make([]InboxRowBody, 0, len(page.Rows)), Next: page.Next}
	for _, row := range page.Rows {
		body.Cases = append(body.Cases, InboxRowBody{
			No: row.No, Title: row.Title, Flow: row.Flow, Status: row.Status, Priority: row.Priority,
			RequestType: row.RequestType, Category: row.CategoryName, Place: row.PlaceName, Grid: row.GridName,
			LeadUnit: row.LeadUnitName, CreatedAt: row.CreatedAt, Overdue: row.Overdue || row.CaseOverdue,
			Late: row.Late, Final: s.Cases.Final(row.Flow, row.Status),
			AssignmentID: row.AssignmentID, AssignmentStatus: row.AssignmentStatus, AssignmentUnit: row.AssignmentUnit,
			SignDueAt: optTime(row.SignDueAt), HandleDueAt: optTime(row.HandleDueAt),
		})
	}
	return body
}

// DailyBody is a unit's daily collection and feedback report.
type DailyBody struct {
	Unit         string            `json:"unit"`
	UnitName     string            `json:"unit_name"`
	Day          string            `json:"day"`
	Collected    int               `json:"collected"`
	FedBack      int               `json:"fed_back"`
	NotFedBack   int               `json:"not_fed_back"`
	Children     []DailyChildBody  `json:"children"`
	Cases        []DailyCaseBody   `json:"cases"`
	NotHeardBack []string          `json:"not_heard_back"`
	Feedback     []DailyFeedbackIn `json:"feedback"`
}

// DailyChildBody is one line of the breakdown by child unit.
type DailyChildBody struct {
	Unit       string `json:"unit"`
	UnitName   string `json:"unit_name"`
	Self       bool   `json:"self,omitempty"`
	Collected  int    `json:"collected"`
	FedBack    int    `json:"fed_back"`
	NotFedBack int    `json:"not_fed_back"`
}

// DailyCaseBody is a case collected that day.
type DailyCaseBody struct {
	No           string    `json:"no"`
	Title        string    `json:"title"`
	Status       string    `json:"status"`
	Place        string    `json:"place"`
	CreatedAt    time.Time `json:"created_at"`
	FedBack      bool      `json:"fed_back"`
	LastFeedback string    `json:"last_feedback,omitempty"`
}

// DailyFeedbackIn is one thing a requester was told that day.
type DailyFeedbackIn struct {
	No     string    `json:"no"`
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Text   string    `json:"text"`
}

func (s *Server) dailyReport(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	day := q.Get("day")
	if day == "" {
		day = casework.Today(time.Now())
	}
	unit := q.Get("unit")
	if unit == "" {
		unit = actor.UnitCode
	}
	rep, err := s.Reports.Daily(r.Context(), actor, unit, day)
	if err != nil {
		return err
	}
	body := DailyBody{Unit: rep.Unit.Code, UnitName: rep.Unit.Name, Day: rep.Day, Collected: rep.Collected,
		FedBack: rep.FedBack, NotFedBack: rep.NotFedBack, Children: []DailyChildBody{}, Cases: []DailyCaseBody{},
		NotHeardBack: []string{}, Feedback: []DailyFeedbackIn{}}
	for _, c := range rep.Children {
		body.Children = append(body.Children, DailyChildBody{Unit: c.Unit.Code, UnitName: c.Unit.Name, Self: c.Self,
			Collected: c.Collected, FedBack: c.FedBack, NotFedBack: c.NotFedBack})
	}
	for _, c := range rep.Cases {
		body.Cases = append(body.Cases, DailyCaseBody{No: c.No, Title: c.Title, Status: c.Status, Place: c.PlaceName,
			CreatedAt: c.CreatedAt, FedBack: c.FedBack, LastFeedback: c.LastFeedback})
	}
	for _, c := range rep.NotHeardBack() {
		body.NotHeardBack = append(body.NotHeardBack, c.No)
	}
	for _, f := range rep.Feedback {
		body.Feedback = append(body.Feedback, DailyFeedbackIn{No: f.No, At: f.At, Action: f.Action, Text: f.Note})
	}
	return writeJSON(w, http.StatusOK, body)
}

// statsQuery reads the unit, flow and period of a figures request, with
// the flow's own figures (casework.Flow.Figures).
func (s *Server) statsQuery(r *http.Request, actor access.Actor) (stats.Query, error) {
	q := r.URL.Query()
	unit := q.Get("unit")
	if unit == "" {
		unit = actor.UnitCode
	}
	from, err := parseDayParam(q.Get("from"), "from", false)
	if err != nil {
		return stats.Query{}, err
	}
	to, err := parseDayParam(q.Get("to"), "to", true)
	if err != nil {
		return stats.Query{}, err
	}
	if from.IsZero() || to.IsZero() {
		return stats.Query{}, store.Invalid("请给出统计期间：from 和 to（例如 from=2026-11-01&to=2026-11-30）")
	}
	weights, err := stats.LoadWeights(r.Context(), s.DB)
	if err != nil {
		return stats.Query{}, err
	}
	flow, figures, err := statsFlow(s.Cases, q.Get("flow"))
	if err != nil {
		return stats.Query{}, err
	}
	return stats.Query{Unit: unit, Flow: flow, From: from, To: to, Weights: weights, Figures: stats.FiguresOf(figures)}, nil
}

func (s *Server) rates(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	sq, err := s.statsQuery(r, actor)
	if err != nil {
		return err
	}
	b, err := s.Stats.Breakdown(r.Context(), actor, sq)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	body := RatesBody{Breakdown: b, Figures: []FigureDef{}}
	for _, n := range b.Names {
		link := func(count string) string {
			return "/api/v1/stats/cases?" + url.Values{"unit": {b.Total.Unit.Code}, "flow": {sq.Flow}, "from": {q.Get("from")},
				"to": {q.Get("to")}, "count": {count}}.Encode()
		}
		f := b.Total.Figure(n.ID)
		body.Figures = append(body.Figures, FigureDef{Key: n.ID, Name: n.Name, Numerator: n.Num, Denominator: n.Den,
			NumeratorCases: link(n.Num), DenominatorCases: link(n.Den), Value: f})
		if n.ID == "satisfaction" {
			// Beside 满意率, not inside its denominator.
			u := b.Total.Counts.Unreached
			body.Figures[len(body.Figures)-1].Unreached, body.Figures[len(body.Figures)-1].UnreachedCases = &u, link("unreached")
		}
	}
	return writeJSON(w, http.StatusOK, body)
}

// RatesBody is the figures (stats.Breakdown) with, per figure the flow
// shows, what its numerator and denominator count (docs/RATES.md) and
// where their cases are listed.
type RatesBody struct {
	stats.Breakdown
	Figures []FigureDef `json:"figures"`
}

// FigureDef names a figure's counts and links to their cases.
type FigureDef struct {
	Key              string       `json:"key"`
	Name             string       `json:"name"`
	Numerator        string       `json:"numerator"`
	Denominator      string       `json:"denominator"`
	NumeratorCases   string       `json:"numerator_cases"`
	DenominatorCases string       `json:"denominator_cases"`
	Value            stats.Figure `json:"value"`
	// Unreached (满意率 only) are the revisits that did not reach the
	// requester, shown beside the rate and not in its denominator.
	Unreached      *int   `json:"unreached,omitempty"`
	UnreachedCases string `json:"unreached_cases,omitempty"`
}

// FigureCasesBody is one page of the cases behind one count of the
// figures; next links the following page.
type FigureCasesBody struct {
	Count string             `json:"count"`
	Total int                `json:"total"`
	Cases []stats.FigureCase `json:"cases"`
	Next  string             `json:"next,omitempty"`
}

func (s *Server) figureCases(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	sq, err := s.statsQuery(r, actor)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	cq := stats.CaseQuery{Query: sq, Count: strings.TrimSpace(q.Get("count")), After: strings.TrimSpace(q.Get("after"))}
	if cq.Count == "" {
		cq.Count = "cases"
	}
	if l := strings.TrimSpace(q.Get("limit")); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > stats.MaxCasePage {
			return store.Invalidf("limit 应为 1 到 %d 之间的整数", stats.MaxCasePage)
		}
		cq.Limit = n
	}
	page, err := s.Stats.Cases(r.Context(), actor, cq)
	if err != nil {
		return err
	}
	body := FigureCasesBody{Count: cq.Count, Cases: page.Cases}
	if body.Cases == nil {
		body.Cases = []stats.FigureCase{}
	}
	if u, err := s.Stats.ListRates(r.Context(), actor, cq); err == nil {
		body.Total, _ = u.CountOf(cq.Count)
	}
	if page.Next != "" {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("after", page.Next)
		body.Next = "/api/v1/stats/cases?" + v.Encode()
	}
	return writeJSON(w, http.StatusOK, body)
}

func (s *Server) addCategory(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in catalog.NewCategory
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.Lists.AddCategory(r.Context(), actor, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (s *Server) setCategoryDepartment(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in struct {
		Department string `json:"department"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Lists.SetCategoryDepartment(r.Context(), actor, r.PathValue("code"), in.Department); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) renameCategory(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Lists.RenameCategory(r.Context(), actor, r.PathValue("code"), in.Name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) setCategoryActive(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in struct {
		Active *bool `json:"active"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	// Required: a body without it must not take a category out of use.
	if in.Active == nil {
		return store.Invalid("active 必填：true 启用该分类，false 停用该分类")
	}
	if err := s.Lists.SetCategoryActive(r.Context(), actor, r.PathValue("code"), *in.Active); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// statsFlow is the flow whose figures are asked for: stats.DefaultFlow (the
// 12345 rates count 12345 cases) unless the request names another, with
// the figures the flow declares.
func statsFlow(cases *casework.Service, flow string) (string, []string, error) {
	flow = strings.TrimSpace(flow)
	if flow == "" {
		flow = stats.DefaultFlow
	}
	if cases == nil {
		return flow, nil, nil
	}
	f, ok := cases.Flow(flow)
	if !ok {
		return "", nil, store.Invalidf("没有业务类型「%s」", flow)
	}
	return flow, f.Figures, nil
}
