package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/web"
)

var (
	csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	csrfMeta  = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
)

// pageCSRF is the CSRF token the first form of a page carries.
func pageCSRF(t *testing.T, html string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(html)
	if m == nil {
		t.Fatal("no csrf field in the page")
	}
	return m[1]
}

// pageCSRFTokens are every CSRF token a page carries: the meta tag's and
// the forms' hidden fields.
func pageCSRFTokens(t *testing.T, html string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, re := range []*regexp.Regexp{csrfMeta, csrfField} {
		ms := re.FindAllStringSubmatch(html, -1)
		if ms == nil {
			t.Fatalf("no %s in the page", re)
		}
		for _, m := range ms {
			out[m[1]] = true
		}
	}
	return out
}

// tamper changes one character in the middle of a token.
func tamper(tok string) string {
	b := []byte(tok)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// TestCSRFMaskedPerResponse checks the BREACH defence: two answers of the
// same page never carry the same CSRF token bytes, nor the token itself;
// a masked token from either answer passes the CSRF check, as a form field
// and as htmx's X-CSRF-Token header; a tampered one is refused.
func TestCSRFMaskedPerResponse(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, path, depth, created_at, updated_at) VALUES (1, '350722000000', '浦城县', 'county', '/1/', 0, 0, 0)`); err != nil {
			t.Fatal(err)
		}
		svc := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
		if _, err := svc.CreateUser(ctx, access.System, auth.NewUser{Username: "admin", Password: "admin password", Name: "管理员", UnitCode: "350722000000", Roles: []string{"admin"}}); err != nil {
			t.Fatal(err)
		}
		s, err := web.New(web.Deps{DB: db, Auth: svc, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		c := &client{t: t, h: s.Handler(), cookies: map[string]string{}}

		// twice fetches path twice and returns one token of each answer,
		// having checked that the answers share no token and carry not
		// the raw one.
		twice := func(path, raw string) [2]string {
			t.Helper()
			var toks [2]string
			var sets [2]map[string]bool
			for i := range 2 {
				w := c.do("GET", path, nil, nil)
				if w.Code != http.StatusOK {
					t.Fatalf("GET %s = %d", path, w.Code)
				}
				sets[i] = pageCSRFTokens(t, w.Body.String())
				if raw == "" {
					raw = c.cookies[web.CSRFCookie]
				}
				if sets[i][raw] || raw == "" {
					t.Fatalf("GET %s carries the raw token %q", path, raw)
				}
				toks[i] = pageCSRF(t, w.Body.String())
			}
			for tok := range sets[0] {
				if sets[1][tok] {
					t.Fatalf("GET %s twice: both answers carry the token %q", path, tok)
				}
			}
			return toks
		}

		creds := func(password, csrf string) url.Values {
			return url.Values{"username": {"admin"}, "password": {password}, "csrf": {csrf}}
		}
		anon := twice("/login", "")
		// A wrong password is a 401: the CSRF check passed; a refused token is 403.
		for i, tok := range anon {
			if w := c.do("POST", "/login", creds("wrong password", tok), nil); w.Code != http.StatusUnauthorized {
				t.Errorf("login with answer %d's masked token = %d, want 401 (token accepted)", i+1, w.Code)
			}
			if w := c.do("POST", "/login", creds("admin password", tamper(tok)), nil); w.Code != http.StatusForbidden {
				t.Errorf("login with answer %d's token tampered = %d, want 403", i+1, w.Code)
			}
		}
		if w := c.do("POST", "/login", creds("admin password", anon[1]), nil); w.Code != http.StatusSeeOther {
			t.Fatalf("login = %d", w.Code)
		}
		_, sessionCSRF, err := svc.Session(ctx, c.cookies[web.SessionCookie])
		if err != nil {
			t.Fatal(err)
		}

		signed := twice("/admin/users", sessionCSRF)
		if w := c.do("POST", "/logout", nil, map[string]string{"X-CSRF-Token": tamper(signed[0])}); w.Code != http.StatusForbidden {
			t.Errorf("logout with a tampered header token = %d, want 403", w.Code)
		}
		if w := c.do("POST", "/logout", nil, map[string]string{"X-CSRF-Token": anon[0]}); w.Code != http.StatusForbidden {
			t.Errorf("logout with the anonymous masked token = %d, want 403", w.Code)
		}
		if w := c.do("POST", "/logout", nil, map[string]string{"X-CSRF-Token": signed[0]}); w.Code != http.StatusSeeOther {
			t.Errorf("logout with the first answer's masked header token = %d, want 303", w.Code)
		}
	})
}
