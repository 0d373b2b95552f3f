package web

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/casework/walktest"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// The flow walk of the web UI: the API walk's table (walktest.Rows and
// walktest.Intakes, docs/AUTHORIZATION.md written out row by row) tried
// through the pages' own forms. Each member of the cast signs in (a real
// session, its CSRF token in the form as the pages carry it) and posts
// every action of every flow as the case page's form does, and opens a case
// of every flow with the intake forms: an allowed member's action is done
// (a redirect, the case's version moved), a refused one gets 403 or 404 and
// the case is unchanged (version and events); a refused intake gets 403 and
// no case is taken in.

// intakeRoutes are the forms that open a case of flow: the call-taker form
// (/cases/new), which takes every flow, and the flow's own create form
// under its list (/whistles/new), when the UI has one.
func intakeRoutes(patterns []string, flow string) []string {
	routes := []string{"/cases/new"}
	for _, f := range casework.BuiltinFlows() {
		if own := f.Nav.Href + "/new"; f.Name == flow && f.Nav.Href != "" && own != routes[0] && slices.Contains(patterns, "POST "+own) {
			routes = append(routes, own)
		}
	}
	return routes
}

type webFlowWalk struct {
	*walktest.Walk
	t        *testing.T
	s        *Server
	h        http.Handler
	sessions map[walktest.Member]string
	csrf     map[walktest.Member]string
}

func newWebFlowWalk(t *testing.T, db *store.DB) *webFlowWalk {
	t.Helper()
	ctx := context.Background()
	fx := newCaseFixture(t, db)
	if err := walktest.Setup(ctx, db); err != nil {
		t.Fatal(err)
	}
	// The engine as the API walk has it: without the service window's hook,
	// so that service applications open without an item.
	d := fx.s.Deps
	cases, err := casework.NewService(db, casework.Deps{
		Calendar: func(context.Context) (casework.Calendar, error) { return d.Work.Calendar(), nil },
		Sealer:   d.Org.Sealer(), Log: d.Log, AttachDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Cases = cases
	s, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	w := &webFlowWalk{Walk: &walktest.Walk{Cases: cases, Actors: map[walktest.Member]access.Actor{}}, t: t, s: s, h: s.Handler(),
		sessions: map[walktest.Member]string{}, csrf: map[walktest.Member]string{}}
	for _, m := range walktest.Order {
		u := walktest.User(m)
		if _, err := s.Auth.CreateUser(ctx, access.System, u); err != nil {
			t.Fatal(err)
		}
		tok, err := s.Auth.Login(ctx, u.Username, u.Password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		actor, csrf, err := s.Auth.Session(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		w.sessions[m], w.csrf[m], w.Actors[m] = tok, csrf, actor
	}
	return w
}

// post sends form to target as member m, signed in, with the CSRF token
// masked as the pages carry it; act's attachments make it multipart.
func (w *webFlowWalk) post(m walktest.Member, target string, form url.Values, act casework.Action) *httptest.ResponseRecorder {
	w.t.Helper()
	form.Set("csrf", maskCSRF(w.csrf[m]))
	var r *http.Request
	if len(act.Attachments) > 0 {
		body, ctype, err := walktest.Multipart(form, act)
		if err != nil {
			w.t.Fatal(err)
		}
		r = httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		r.Header.Set("Content-Type", ctype)
	} else {
		r = httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: w.sessions[m]})
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, r)
	return rec
}

func (w *webFlowWalk) prepare(r walktest.Row) (string, casework.Action) {
	w.t.Helper()
	no, body, err := w.Prepare(context.Background(), r)
	if err != nil {
		w.t.Fatal(err)
	}
	return no, body
}

func (w *webFlowWalk) state(no string) (int, int) {
	w.t.Helper()
	v, e, err := w.State(context.Background(), no)
	if err != nil {
		w.t.Fatal(err)
	}
	return v, e
}

func (w *webFlowWalk) countCases() int {
	w.t.Helper()
	var n int
	if err := w.s.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM cases`).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// intakeForm is in as a create form posts it: every create form posts the
// same names; the call-taker form picks the place with a unit picker
// (place_unit), the flows' own forms from the opener's places (place).
func intakeForm(route string, in casework.NewCase) url.Values {
	f := url.Values{}
	set := func(k, v string) {
		if v != "" {
			f.Set(k, v)
		}
	}
	set("flow", in.Flow)
	set("kind", in.Kind)
	set("request_type", in.RequestType)
	set("reporter_name", in.ReporterName)
	set("reporter_phone", in.ReporterPhone)
	set("category", in.Category)
	set("priority", in.Priority)
	set("title", in.Title)
	set("body", in.Body)
	set("address", in.Address)
	set("dispatch", in.Dispatch)
	set("matter", in.Matter)
	set("basis", in.Basis)
	if in.LimitDays > 0 {
		set("limit_days", strconv.Itoa(in.LimitDays))
	}
	if route == "/cases/new" {
		set("place_unit", in.PlaceUnit)
	} else {
		set("place", in.PlaceUnit)
	}
	for _, u := range in.Summon {
		f.Add("summon", u)
	}
	for _, u := range in.Supporting {
		f.Add("supporting", u)
	}
	return f
}

func TestAuthorisationWalkWebFlows(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWebFlowWalk(t, db)
		rows := walktest.Rows()
		// The walk covers the table whole: every action of every flow, and
		// every flow's intake through a web form.
		for _, m := range walktest.Missing(rows) {
			t.Errorf("%s is not in the flow walk: add its row to walktest", m)
		}
		patterns := w.s.Patterns()
		// Every case page's action forms post here, whatever the flow.
		const route = "/cases/"
		if !slices.Contains(patterns, "POST "+route+"{no}/actions/{action}") {
			t.Fatalf("no route POST %s{no}/actions/{action}: walk the route the case page's forms post to", route)
		}
		done, refused := 0, 0
		for _, r := range rows {
			no, body := w.prepare(r)
			for _, m := range walktest.Order {
				allowed := slices.Contains(r.Allow, m)
				v0, e0 := w.state(no)
				// The form carries the version the page was shown at.
				act := body
				act.Version = v0
				rec := w.post(m, route+no+"/actions/"+r.Action, walktest.Form(act), act)
				v, e := w.state(no)
				code, loc := rec.Code, rec.Header().Get("Location")
				ok := code == http.StatusSeeOther && strings.HasPrefix(loc, route+no) && v > v0
				if ok {
					done++
				} else if code == http.StatusForbidden || code == http.StatusNotFound {
					refused++
				}
				switch {
				case allowed && !ok:
					t.Errorf("POST %s{no}/actions/%s (%s) as %s: %d %s (version %d→%d), want it done: %s",
						route, r.Action, r.Flow, m, code, loc, v0, v, pageError(rec))
				case !allowed && code != http.StatusForbidden && code != http.StatusNotFound:
					t.Errorf("POST %s{no}/actions/%s (%s) as %s: %d %s, want 403/404: %s", route, r.Action, r.Flow, m, code, loc, pageError(rec))
				case !allowed && (v != v0 || e != e0):
					t.Errorf("POST %s{no}/actions/%s (%s) as %s: refused, but the case changed (version %d→%d, events %d→%d)",
						route, r.Action, r.Flow, m, v0, v, e0, e)
				}
				if v != v0 {
					no, body = w.prepare(r)
				}
			}
		}
		t.Logf("POST %s{no}/actions/{action}: %d done, %d refused", route, done, refused)

		for _, f := range casework.BuiltinFlows() {
			flow, allow := f.Name, walktest.Intakes()[f.Name]
			var in casework.NewCase
			for _, r := range rows {
				if r.Flow == flow {
					in = r.In
				}
			}
			routes := intakeRoutes(patterns, flow)
			t.Logf("intake of %s through %s", flow, strings.Join(routes, ", "))
			for _, route := range routes {
				for _, m := range walktest.Order {
					allowed := slices.Contains(allow, m)
					before := w.countCases()
					rec := w.post(m, route, intakeForm(route, in), casework.Action{})
					after := w.countCases()
					loc := rec.Header().Get("Location")
					taken := rec.Code == http.StatusSeeOther && loc != "" && !strings.HasPrefix(loc, "/login") && after == before+1
					switch {
					case allowed && !taken:
						t.Errorf("POST %s (%s) as %s: %d %s, %d cases taken in, want one: %s", route, flow, m, rec.Code, loc, after-before, pageError(rec))
					case !allowed && rec.Code != http.StatusForbidden:
						t.Errorf("POST %s (%s) as %s: %d %s, want 403: %s", route, flow, m, rec.Code, loc, pageError(rec))
					case !allowed && after != before:
						t.Errorf("POST %s (%s) as %s: refused, but %d cases were taken in", route, flow, m, after-before)
					}
				}
			}
		}
	})
}

// pageError is the message a refused form shows, for the test's report.
func pageError(rec *httptest.ResponseRecorder) string {
	b := rec.Body.String()
	i := strings.Index(b, `role="alert"`)
	if i < 0 {
		return ""
	}
	b = b[i:]
	if j := strings.IndexByte(b, '>'); j >= 0 {
		b = b[j+1:]
	}
	if j := strings.IndexByte(b, '<'); j >= 0 {
		b = b[:j]
	}
	return strings.TrimSpace(b)
}
