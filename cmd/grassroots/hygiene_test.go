package main

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/api"
	"grassroots/internal/casework"
	"grassroots/internal/web"
)

// TestHygieneOnEveryRoute requests every route of the web UI and the API
// through the whole program's handler and checks the security headers on
// each answer: a CSP without inline script or style that forbids framing,
// nosniff, and a referrer policy.
func TestHygieneOnEveryRoute(t *testing.T) {
	a, srv := newTestApp(t, filepath.Join(t.TempDir(), "g.db"), false)
	w, err := web.New(web.Deps{DB: a.db, Log: a.log, Msgs: a.msgs, Org: a.org, Auth: a.auth, Work: a.work, Cases: a.cases, Lists: a.lists})
	if err != nil {
		t.Fatal(err)
	}
	apiSrv := api.New(api.Deps{DB: a.db, Log: a.log, Org: a.org, Auth: a.auth, Work: a.work, Cases: a.cases, Lists: a.lists})
	wildcard := regexp.MustCompile(`\{[^}]*\}`)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	n := 0
	for _, p := range append(w.Patterns(), apiSrv.Patterns()...) {
		method, path, _ := strings.Cut(p, " ")
		path = strings.ReplaceAll(path, "{$}", "")
		path = wildcard.ReplaceAllString(path, "x")
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("a=b"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		n++
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s %s (%d): headers CSP=%q nosniff=%q referrer=%q", method, path, res.StatusCode, csp, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
		if res.StatusCode >= 500 {
			t.Errorf("%s %s: %d", method, path, res.StatusCode)
		}
	}
	t.Logf("%d routes answered with the security headers", n)
}

// TestLogoutEndsTheSession signs in, signs out, and checks the old session
// cookie opens nothing any more.
func TestLogoutEndsTheSession(t *testing.T) {
	t.Setenv(envAdminPassword, "hygiene-admin-password")
	_, srv := newTestApp(t, filepath.Join(t.TempDir(), "g.db"), false)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) *http.Response {
		res, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	get("/login") // the anonymous CSRF cookie
	u, _ := url.Parse(srv.URL)
	csrf := ""
	for _, c := range jar.Cookies(u) {
		if c.Name == web.CSRFCookie {
			csrf = c.Value
		}
	}
	res, err := client.PostForm(srv.URL+"/login", url.Values{"username": {"admin"}, "password": {"hygiene-admin-password"}, "csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session *http.Cookie
	for _, c := range jar.Cookies(u) {
		if c.Name == web.SessionCookie {
			session = c
		}
	}
	if res.StatusCode != http.StatusSeeOther || session == nil {
		t.Fatalf("login: %d, session cookie %v", res.StatusCode, session)
	}
	if res := get("/cases"); res.StatusCode != 200 {
		t.Fatalf("signed in: /cases %d", res.StatusCode)
	}
	// The session's CSRF token is on the page's forms; logout through the
	// header htmx uses.
	body, _ := http.NewRequest("GET", srv.URL+"/", nil)
	page, err := client.Do(body)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(page.Body)
	page.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(b.String())
	if m == nil {
		t.Fatal("no CSRF token on the home page")
	}
	res, err = client.PostForm(srv.URL+"/logout", url.Values{"csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// Replay the old cookie, as a stolen one would be.
	req, _ := http.NewRequest("GET", srv.URL+"/cases", nil)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: session.Value})
	res, err = (&http.Client{CheckRedirect: client.CheckRedirect}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("old session after logout: %d %s, want the login page", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestUploadsSniffedAndLimited sends an attachment that lies about its type
// and one over the size limit through the API.
func TestUploadsSniffedAndLimited(t *testing.T) {
	a, srv := newTestApp(t, filepath.Join(t.TempDir(), "g.db"), false)
	ctx := context.Background()
	c, _, err := a.cases.Create(ctx, access.System, casework.NewCase{Flow: "hotline", RequestType: "help", Title: "上传测试", PlaceUnit: "350722001000", Dispatch: "350722D003"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.auth.CreateToken(ctx, access.System, "admin", "hygiene")
	if err != nil {
		t.Fatal(err)
	}
	upload := func(name string, data []byte) int {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/cases/"+c.No+"/attachments", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := upload("photo.jpg", []byte("<html><script>alert(1)</script></html>")); got != http.StatusBadRequest {
		t.Errorf("HTML named .jpg: %d, want 400", got)
	}
	big := append([]byte("\xff\xd8\xff\xe0"), make([]byte, casework.MaxAttachment+1)...)
	if got := upload("big.jpg", big); got != http.StatusBadRequest && got != http.StatusRequestEntityTooLarge {
		t.Errorf("file over the limit: %d, want 400/413", got)
	}
}
