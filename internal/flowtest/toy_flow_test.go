package flowtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/api"
	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/web"
	"grassroots/internal/worktime"
)

// toyFlow is a flow that no code outside this test knows: a permit filed by
// a township, sent to a county department (a unit; it starts the signing
// deadline) and finished by that department with evidence (an attachment of
// stage "evidence" is required). Its names are its own message keys.
func toyFlow() casework.Flow {
	township := []access.Role{access.RoleTownship}
	return casework.Flow{
		Name:     "toy_permit",
		Label:    "toy.flow",
		Start:    "filed",
		OpenedBy: township,
		Nav:      casework.NavEntry{ID: "toys", Key: "toy.nav", Href: "/cases?flow=toy_permit"},
		Primary:  []string{"finish_toy", "send_toy"},
		// Its create form: its own title and button, a title and where.
		Create: casework.CreateForm{Title: "toy.new", Submit: "toy.file", Fields: []casework.FormField{
			{Name: casework.FieldTitle, Required: true}, {Name: casework.FieldBody}, {Name: casework.FieldPlaceUnit, Required: true}}},
		Limits: map[string]string{"sign": "1d"},
		States: []casework.State{
			{Name: "filed", Label: "toy.status.filed"},
			{Name: "sent", Label: "toy.status.sent"},
			{Name: "finished", Label: "toy.status.finished", Final: true},
		},
		Actions: []casework.ActionSpec{
			{
				Name: "send_toy", Label: "toy.action.send", NoteLabel: "toy.note.send", On: casework.OnCase, From: []string{"filed"},
				Who:   []casework.Party{{Roles: township, Scope: casework.ScopeOpener}},
				Needs: casework.Needs{Unit: true, Note: true},
				Done: casework.Outcome{To: "sent", Effects: []casework.Effect{casework.EffDispatch},
					Starts: []casework.Start{{Deadline: "sign"}}},
			},
			{
				Name: "finish_toy", Label: "toy.action.finish", On: casework.OnAssignment, From: []string{"sent"},
				AssignmentFrom: []string{"to_sign"}, AssignmentRole: casework.RoleLead,
				Who:   []casework.Party{{Roles: []access.Role{access.RoleDepartment}, Scope: casework.ScopeUnit}},
				Needs: casework.Needs{Note: true, Attachment: "evidence"},
				Done: casework.Outcome{To: "finished", AssignmentTo: "answered", Effects: []casework.Effect{casework.EffSign, casework.EffAnswer},
					Stops: []string{"sign"}},
			},
		},
	}
}

type toyStack struct {
	t        *testing.T
	web, api http.Handler
	session  map[string][2]string // user → session token, CSRF token
	bearer   map[string]string
}

func newToyStack(t *testing.T, db *store.DB) *toyStack {
	t.Helper()
	ctx := context.Background()
	for _, u := range []string{
		`(1, '350722000000', '浦城县', 'county', NULL, '/1/', 0)`,
		`(2, '350722101000', '富岭镇', 'township', 1, '/1/2/', 1)`,
		`(3, '350722D003', '县城市管理和综合执法局', 'department', 1, '/1/3/', 1)`,
	} {
		if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES `+u[:len(u)-1]+`, 0, 0)`); err != nil {
			t.Fatal(err)
		}
	}
	authSvc := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
	st := &toyStack{t: t, session: map[string][2]string{}, bearer: map[string]string{}}
	for _, u := range []auth.NewUser{
		{Username: "town", Name: "富岭干部", UnitCode: "350722101000", Roles: []string{"township"}},
		{Username: "dept", Name: "城管局干部", UnitCode: "350722D003", Roles: []string{"department"}},
	} {
		u.Password = "long enough password"
		if _, err := authSvc.CreateUser(ctx, access.System, u); err != nil {
			t.Fatal(err)
		}
		tok, err := authSvc.CreateToken(ctx, access.System, u.Username, "test")
		if err != nil {
			t.Fatal(err)
		}
		st.bearer[u.Username] = "Bearer " + tok
		sess, err := authSvc.Login(ctx, u.Username, u.Password, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		_, csrf, err := authSvc.Session(ctx, sess)
		if err != nil {
			t.Fatal(err)
		}
		st.session[u.Username] = [2]string{sess, csrf}
	}
	work, err := worktime.NewService(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := pii.New(make([]byte, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases, err := casework.NewService(db, casework.Deps{
		Calendar:  func(context.Context) (casework.Calendar, error) { return work.Calendar(), nil },
		Sealer:    sealer,
		Log:       log,
		AttachDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The engine's registration API: nothing else is told of the flow.
	if err := cases.Register(toyFlow()); err != nil {
		t.Fatal(err)
	}
	ws, err := web.New(web.Deps{DB: db, Log: log, Org: org.NewService(db, sealer), Work: work, Cases: cases, Auth: authSvc})
	if err != nil {
		t.Fatal(err)
	}
	st.web = ws.Handler()
	st.api = api.New(api.Deps{DB: db, Auth: authSvc, Cases: cases, Log: log}).Handler()
	return st
}

// page sends a web request as user; body is a form (url.Values) or a
// multipart body with its content type.
func (st *toyStack) page(user, method, target string, body io.Reader, contentType string) *httptest.ResponseRecorder {
	st.t.Helper()
	r := httptest.NewRequest(method, target, body)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	s := st.session[user]
	r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: s[0]})
	if method == http.MethodPost {
		r.Header.Set("X-CSRF-Token", s[1])
	}
	w := httptest.NewRecorder()
	st.web.ServeHTTP(w, r)
	return w
}

func (st *toyStack) call(user, method, target string, body io.Reader, contentType string) (int, map[string]any) {
	st.t.Helper()
	r := httptest.NewRequest(method, target, body)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("Authorization", st.bearer[user])
	w := httptest.NewRecorder()
	st.api.ServeHTTP(w, r)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

func has(t *testing.T, w *httptest.ResponseRecorder, status int, want ...string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body: %.800s", w.Code, status, w.Body.String())
	}
	for _, s := range want {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("answer lacks %q", s)
		}
	}
}

// evidence is a multipart form with the given fields and one evidence file
// in the action form's field file_evidence (none when withFile is false).
func evidence(t *testing.T, fields url.Values, withFile bool) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if withFile {
		fw, err := mw.CreateFormFile("file_evidence", "现场.pdf")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte("%PDF-1.4 evidence\n"))
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

// TestToyFlowThroughWebAndAPI registers a flow no code outside this test
// knows and drives it through the web pages and the API: the navigation
// offers its work area, the one case page shows its statuses, its actions
// with exactly the inputs they declare (a unit; a note and evidence), its
// deadline, and the API takes the same form field names as the page.
func TestToyFlowThroughWebAndAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		st := newToyStack(t, db)
		form := func(kv ...string) url.Values {
			v := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Add(kv[i], kv[i+1])
			}
			return v
		}
		post := func(user, target string, v url.Values) *httptest.ResponseRecorder {
			return st.page(user, http.MethodPost, target, strings.NewReader(v.Encode()), "application/x-www-form-urlencoded")
		}

		// Web: the flow's work area is in the navigation; its list is the
		// case list filtered by it.
		has(t, st.page("town", "GET", "/", nil, ""), 200, `href="/cases?flow=toy_permit"`, "toy.nav")
		has(t, st.page("town", "GET", "/cases?flow=toy_permit", nil, ""), 200, "toy.nav")
		// Its create form has the fields it declares, and no others.
		w := st.page("town", "GET", "/cases/new?flow=toy_permit", nil, "")
		has(t, w, 200, `value="toy_permit"`, "toy.new", "toy.file", `name="title"`, `name="body"`, `name="place_unit"`)
		for _, other := range []string{`name="reporter_name"`, `name="request_type"`, `name="summon"`, `name="lng"`, `name="dispatch"`} {
			if strings.Contains(w.Body.String(), other) {
				t.Errorf("the toy's create form has %s, which it does not declare", other)
			}
		}
		w = post("town", "/cases/new", form("flow", "toy_permit", "title", "临时占道许可", "body", "店门口搭棚", "place_unit", "350722101000"))
		has(t, w, 303)
		loc := w.Header().Get("Location")
		no := strings.TrimPrefix(strings.Split(loc, "?")[0], "/cases/")
		if no == "" || !strings.HasPrefix(loc, "/cases/") {
			t.Fatalf("created case at %q", loc)
		}
		// The case page renders the flow from its declaration.
		has(t, st.page("town", "GET", "/cases/"+no, nil, ""), 200, "toy.status.filed", "toy.action.send", "toy.note.send",
			`action="/cases/`+no+`/actions/send_toy"`, `name="unit"`, `name="note"`, `href="/cases?flow=toy_permit"`, "toy.flow")
		// A bad version is refused, not ignored.
		has(t, post("town", "/cases/"+no+"/actions/send_toy", form("unit", "350722D003", "note", "请审批", "version", "x")), 400, "表单版本号不正确")
		has(t, post("town", "/cases/"+no+"/actions/send_toy", form("unit", "350722D003", "note", "请审批")), 303)
		// Sending started the signing deadline, shown on the page.
		has(t, st.page("town", "GET", "/cases/"+no, nil, ""), 200, "toy.status.sent", "签收时限")
		// The department sees its action with the evidence it needs.
		has(t, st.page("dept", "GET", "/cases/"+no, nil, ""), 200, "toy.action.finish", `name="file_evidence"`, `enctype="multipart/form-data"`)
		body, ct := evidence(t, form("note", "已审批"), false)
		has(t, st.page("dept", "POST", "/cases/"+no+"/actions/finish_toy", body, ct), 400, "请上传证据照片", "已审批")
		body, ct = evidence(t, form("note", "已审批"), true)
		has(t, st.page("dept", "POST", "/cases/"+no+"/actions/finish_toy", body, ct), 303)
		has(t, st.page("dept", "GET", "/cases/"+no, nil, ""), 200, "toy.status.finished", "现场.pdf", `class="tag closed"`)

		// API: the same flow, its declaration in allowed_actions, the same
		// field names in a form body.
		code, out := st.call("town", "POST", "/api/v1/cases", strings.NewReader(`{"flow":"toy_permit","title":"第二件","body":"API"}`), "application/json")
		if code != 201 {
			t.Fatalf("API create: %d %v", code, out)
		}
		no2, _ := out["case"].(map[string]any)["no"].(string)
		code, out = st.call("town", "GET", "/api/v1/cases/"+no2, nil, "")
		if code != 200 {
			t.Fatalf("API get: %d %v", code, out)
		}
		acts, _ := out["allowed_actions"].([]any)
		if len(acts) != 1 || acts[0].(map[string]any)["label"] != "toy.action.send" || acts[0].(map[string]any)["note_label"] != "toy.note.send" {
			t.Fatalf("allowed_actions = %v", acts)
		}
		code, out = st.call("town", "POST", "/api/v1/cases/"+no2+"/actions/send_toy", strings.NewReader(`{"unit":"350722D003","note":"请审批"}`), "application/json")
		if code != 200 {
			t.Fatalf("API send (JSON): %d %v", code, out)
		}
		body, ct = evidence(t, form("note", "已审批"), true)
		code, out = st.call("dept", "POST", "/api/v1/cases/"+no2+"/actions/finish_toy", body, ct)
		if code != 200 || out["case"].(map[string]any)["status"] != "finished" {
			t.Fatalf("API finish (form with file_evidence): %d %v", code, out)
		}
	})
}
