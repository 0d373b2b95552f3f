package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/web"
)

func TestAuthPagesRender(t *testing.T) {
	t.Parallel()
	s, err := web.New(web.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Actor{UserID: 1, Username: "admin", Name: "系统管理员", UnitCode: "350722000000", UnitName: "浦城县", UnitKind: "county", UnitPath: "/1/", Roles: []access.Role{access.RoleAdmin}}
	user := auth.User{ID: 7, Username: "wang.wei", Name: "王伟", UnitCode: "350722001001", UnitName: "城北社区", UnitKind: "community",
		Roles: []access.Role{access.RoleCommunity, access.RoleGrid}, Active: true, CreatedAt: time.Date(2026, 11, 26, 6, 30, 0, 0, time.UTC)}
	inactive := user
	inactive.ID, inactive.Username, inactive.Active, inactive.LastLoginAt = 8, "li.na", false, time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	for _, lang := range []string{"zh", "en"} {
		pages := []struct {
			name string
			data any
			want []string
		}{
			{"login", web.LoginPage{Page: s.TestPage(lang, access.Actor{}), Username: "wang.wei", Next: "/org", Error: "用户名或密码不正确"},
				[]string{`name="csrf" value="test-csrf"`, `value="/org"`, "用户名或密码不正确", `type="password"`}},
			{"admin_users", web.AdminUsersPage{Page: s.TestPage(lang, admin), Users: []auth.User{user, inactive}, Roles: access.Roles,
				Filter: auth.UserFilter{Role: "grid"}, Form: web.NewUserForm{UnitCode: "350722000000", Roles: []string{"grid"}}, FormError: "用户名已被使用"},
				[]string{`href="/admin/users/7"`, "王伟", "城北社区", `value="grid" checked`, `<option value="grid" selected>`, "用户名已被使用", `name="csrf" value="test-csrf"`}},
			{"admin_users_edit", web.AdminUserPage{Page: s.TestPage(lang, admin), User: user, Roles: access.Roles,
				Tokens: []auth.Token{{ID: 1, Name: "12345", CreatedAt: user.CreatedAt}}},
				[]string{`action="/admin/users/7/roles"`, `value="community" checked`, `action="/admin/users/7/password"`, `action="/admin/users/7/logout"`, `name="active" value="0"`, "12345"}},
			{"admin_users_password", web.AdminPasswordPage{Page: s.TestPage(lang, admin), User: user, Password: "Abcdefgh23456789"},
				[]string{"Abcdefgh23456789", "wang.wei"}},
		}
		for _, p := range pages {
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				html, err := s.RenderPage(p.name, p.data)
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				for _, w := range p.want {
					if !strings.Contains(html, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				if m := regexp.MustCompile(`auth\.[a-z_]+\.[a-z_.]+`).FindString(html); m != "" {
					t.Errorf("untranslated key %q in page", m)
				}
			})
		}
	}
}

// client drives the web handler with a cookie jar of its own.
type client struct {
	t       *testing.T
	h       http.Handler
	cookies map[string]string
}

func (c *client) do(method, path string, form url.Values, header map[string]string) *httptest.ResponseRecorder {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = "192.0.2.10:5555"
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	for k, v := range c.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	return w
}

func TestLoginAndCSRF(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, path, depth, created_at, updated_at) VALUES (1, '350722000000', '浦城县', 'county', '/1/', 0, 0, 0)`); err != nil {
			t.Fatal(err)
		}
		svc := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
		for _, u := range []auth.NewUser{
			{Username: "admin", Password: "admin password", Name: "管理员", UnitCode: "350722000000", Roles: []string{"admin"}},
			{Username: "clerk", Password: "clerk password", Name: "办事员", UnitCode: "350722000000", Roles: []string{"supervisor"}},
		} {
			if _, err := svc.CreateUser(ctx, access.System, u); err != nil {
				t.Fatal(err)
			}
		}
		s, err := web.New(web.Deps{DB: db, Auth: svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		c := &client{t: t, h: s.Handler(), cookies: map[string]string{}}

		// Signed-in pages send anonymous visitors to the login page.
		if w := c.do("GET", "/admin/users", nil, nil); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login?next=") {
			t.Fatalf("anonymous GET /admin/users = %d %s", w.Code, w.Header().Get("Location"))
		}
		w := c.do("GET", "/login?next=/admin/users", nil, nil)
		if w.Code != http.StatusOK {
			t.Fatalf("GET /login = %d", w.Code)
		}
		// The page carries the cookie's token masked (TestCSRFMaskedPerResponse).
		csrf := pageCSRF(t, w.Body.String())
		if len(c.cookies[web.CSRFCookie]) < 32 {
			t.Fatalf("no CSRF cookie: %q", c.cookies[web.CSRFCookie])
		}
		creds := url.Values{"username": {"admin"}, "password": {"admin password"}, "next": {"/admin/users"}}

		// POST without the token, or with a wrong one, is refused.
		for name, form := range map[string]url.Values{"no token": creds, "wrong token": with(creds, "csrf", strings.Repeat("x", 43))} {
			w := c.do("POST", "/login", form, nil)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "页面已过期") {
				t.Errorf("%s: POST /login = %d, want 403 with the csrf message", name, w.Code)
			}
			if _, ok := c.cookies[web.SessionCookie]; ok {
				t.Errorf("%s: a session was started", name)
			}
		}

		w = c.do("POST", "/login", with(with(creds, "csrf", csrf), "password", "wrong password"), nil)
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "用户名或密码不正确") {
			t.Errorf("wrong password: %d", w.Code)
		}
		w = c.do("POST", "/login", with(creds, "csrf", csrf), nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/users" {
			t.Fatalf("login = %d to %q", w.Code, w.Header().Get("Location"))
		}
		var sc *http.Cookie
		for _, ck := range w.Result().Cookies() {
			if ck.Name == web.SessionCookie {
				sc = ck
			}
		}
		if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" {
			t.Fatalf("session cookie = %+v", sc)
		}
		_, sessionCSRF, err := svc.Session(ctx, sc.Value)
		if err != nil {
			t.Fatal(err)
		}

		w = c.do("GET", "/admin/users", nil, nil)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "clerk") || strings.Contains(w.Body.String(), sessionCSRF) {
			t.Fatalf("GET /admin/users = %d", w.Code)
		}
		create := url.Values{"username": {"new.user"}, "name": {"新用户"}, "unit": {"350722000000"}, "password": {"new user password"}, "role": {"township", "grid"}}
		if w := c.do("POST", "/admin/users", create, nil); w.Code != http.StatusForbidden {
			t.Errorf("create without token = %d, want 403", w.Code)
		}
		if w := c.do("POST", "/admin/users", create, map[string]string{"X-CSRF-Token": csrf}); w.Code != http.StatusForbidden {
			t.Errorf("signed in, the anonymous token must not do: %d", w.Code)
		}
		w = c.do("POST", "/admin/users", with(create, "csrf", sessionCSRF), nil)
		if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "done=created") {
			t.Fatalf("create user = %d %s: %s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		w = c.do("GET", w.Header().Get("Location"), nil, nil)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "new.user") {
			t.Errorf("user page = %d", w.Code)
		}
		w = c.do("POST", "/admin/users", with(with(create, "csrf", sessionCSRF), "password", "short"), nil)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "密码至少需要10个字符") {
			t.Errorf("create with a short password = %d", w.Code)
		}

		// htmx sends the token as a header; logout ends the session.
		if w := c.do("POST", "/logout", nil, nil); w.Code != http.StatusForbidden {
			t.Errorf("logout without token = %d", w.Code)
		}
		w = c.do("POST", "/logout", nil, map[string]string{"X-CSRF-Token": sessionCSRF})
		if w.Code != http.StatusSeeOther {
			t.Errorf("logout = %d", w.Code)
		}
		if _, _, err := svc.Session(ctx, sc.Value); err == nil {
			t.Error("session still valid after logout")
		}

		// A non-admin is turned away from user administration; next must be local.
		w = c.do("POST", "/login", url.Values{"username": {"clerk"}, "password": {"clerk password"}, "next": {"//evil.example/"}, "csrf": {c.cookies[web.CSRFCookie]}}, nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
			t.Errorf("login with a foreign next = %d to %q", w.Code, w.Header().Get("Location"))
		}
		if w := c.do("GET", "/admin/users", nil, nil); w.Code != http.StatusForbidden {
			t.Errorf("non-admin GET /admin/users = %d", w.Code)
		}
	})
}

func with(v url.Values, k, val string) url.Values {
	out := url.Values{}
	for kk, vv := range v {
		out[kk] = append([]string(nil), vv...)
	}
	out.Set(k, val)
	return out
}
