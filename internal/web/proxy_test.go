package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/clientaddr"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/web"
)

// proxied sends one request to h as if it came from peer (host:port) with
// the given headers and cookies, and returns the answer.
func proxied(h http.Handler, method, path, peer string, form url.Values, header map[string]string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = peer
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func cookieNamed(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestBehindTrustedProxy: behind a trusted reverse proxy that terminated
// TLS, every cookie carries Secure and the login throttle counts the real
// client the proxy forwarded; the same headers from anyone else change
// nothing.
func TestBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, path, depth, created_at, updated_at) VALUES (1, '350722000000', '浦城县', 'county', '/1/', 0, 0, 0)`); err != nil {
			t.Fatal(err)
		}
		svc := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
		if _, err := svc.CreateUser(ctx, access.System, auth.NewUser{Username: "clerk", Password: "clerk password", Name: "办事员", UnitCode: "350722000000", Roles: []string{"supervisor"}}); err != nil {
			t.Fatal(err)
		}
		s, err := web.New(web.Deps{DB: db, Auth: svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		h := clientaddr.Resolver{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}.Middleware(s.Handler())
		const proxy, stranger = "127.0.0.1:50000", "198.51.100.9:50000"
		tlsAt := func(client string) map[string]string {
			return map[string]string{"X-Forwarded-For": client, "X-Forwarded-Proto": "https"}
		}

		// The login page's CSRF cookie, the session cookie and the language
		// cookie carry Secure when the proxy says the client used https.
		w := proxied(h, "GET", "/login", proxy, nil, tlsAt("203.0.113.7"))
		csrf := cookieNamed(w, web.CSRFCookie)
		if csrf == nil || !csrf.Secure {
			t.Fatalf("CSRF cookie behind a TLS proxy = %+v, want Secure", csrf)
		}
		creds := url.Values{"username": {"clerk"}, "password": {"clerk password"}, "csrf": {csrf.Value}}
		w = proxied(h, "POST", "/login", proxy, creds, tlsAt("203.0.113.7"), csrf)
		if sc := cookieNamed(w, web.SessionCookie); w.Code != http.StatusSeeOther || sc == nil || !sc.Secure {
			t.Fatalf("login behind a TLS proxy = %d, session cookie %+v, want Secure", w.Code, sc)
		}
		if lc := cookieNamed(proxied(h, "GET", "/lang/en", proxy, nil, tlsAt("203.0.113.7")), "lang"); lc == nil || !lc.Secure {
			t.Errorf("language cookie behind a TLS proxy = %+v, want Secure", lc)
		}
		// Plain http through the proxy, or the header from a stranger: no Secure.
		if c := cookieNamed(proxied(h, "GET", "/login", proxy, nil, map[string]string{"X-Forwarded-Proto": "http"}), web.CSRFCookie); c == nil || c.Secure {
			t.Errorf("CSRF cookie over plain http = %+v, want no Secure", c)
		}
		if c := cookieNamed(proxied(h, "GET", "/login", stranger, nil, tlsAt("203.0.113.7")), web.CSRFCookie); c == nil || c.Secure {
			t.Errorf("CSRF cookie when an untrusted peer claims https = %+v, want no Secure", c)
		}

		// Failed logins count against the client the proxy forwarded: one
		// client is slowed, another behind the same proxy signs in.
		bad := with(creds, "password", "wrong password")
		for i := range auth.MaxPairFailures {
			if w := proxied(h, "POST", "/login", proxy, bad, tlsAt("203.0.113.7"), csrf); w.Code != http.StatusUnauthorized {
				t.Fatalf("failure %d = %d, want 401", i+1, w.Code)
			}
		}
		w = proxied(h, "POST", "/login", proxy, creds, tlsAt("203.0.113.7"), csrf)
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), "登录失败次数过多，请1秒后再试。") {
			t.Errorf("after %d failures = %d Retry-After %q, want 429 saying to wait 1 second", auth.MaxPairFailures, w.Code, w.Header().Get("Retry-After"))
		}
		w = proxied(h, "POST", "/login", proxy, creds, tlsAt("203.0.113.7"), csrf, &http.Cookie{Name: "lang", Value: "en"})
		if !strings.Contains(w.Body.String(), "Try again after 1 s.") {
			t.Errorf("the English page does not give the wait: %d", w.Code)
		}
		if w := proxied(h, "POST", "/login", proxy, creds, tlsAt("203.0.113.8"), csrf); w.Code != http.StatusSeeOther {
			t.Errorf("another client behind the same proxy = %d, want signed in", w.Code)
		}
		// A stranger cannot pose as another client with the header.
		for range auth.MaxPairFailures {
			proxied(h, "POST", "/login", stranger, bad, map[string]string{"X-Forwarded-For": "203.0.113.99"}, csrf)
		}
		if w := proxied(h, "POST", "/login", stranger, creds, map[string]string{"X-Forwarded-For": "203.0.113.100"}, csrf); w.Code != http.StatusTooManyRequests {
			t.Errorf("a stranger changing X-Forwarded-For escaped the throttle: %d", w.Code)
		}
	})
}
