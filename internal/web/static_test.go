package web_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"grassroots/internal/web"
)

// TestStaticAssetsHashed checks that pages name the CSS and JS by
// content-hashed URLs, served as immutable for a year, so that an upgrade
// never serves stale CSS or JS; that a plain or outdated name is served
// with revalidation (ETag, If-None-Match → 304); and that nothing else is.
func TestStaticAssetsHashed(t *testing.T) {
	t.Parallel()
	s, err := web.New(web.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	get := func(path string, header map[string]string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest("GET", path, nil)
		for k, v := range header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	page := get("/login", nil)
	if page.Code != http.StatusOK {
		t.Fatalf("GET /login = %d", page.Code)
	}
	refs := regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(page.Body.String(), -1)
	if len(refs) < 3 {
		t.Fatalf("the login page names %d static assets, want the CSS, htmx and app.js", len(refs))
	}
	hashed := regexp.MustCompile(`^/static/(.+)\.([0-9a-f]{12})(\.(?:css|js|svg))$`)
	for _, ref := range refs {
		url := ref[1]
		m := hashed.FindStringSubmatch(url)
		if m == nil {
			t.Errorf("page names %s, not a content-hashed URL", url)
			continue
		}
		plain := "/static/" + m[1] + m[3]
		want, err := os.ReadFile(filepath.Join("static", m[1]+m[3]))
		if err != nil {
			t.Fatal(err)
		}

		w := get(url, nil)
		if w.Code != http.StatusOK || w.Body.String() != string(want) {
			t.Errorf("GET %s = %d, %d bytes, want the %d bytes of %s", url, w.Code, w.Body.Len(), len(want), plain)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", url, cc)
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, map[string]string{".css": "text/css", ".js": "text/javascript"}[m[3]]) {
			t.Errorf("GET %s: Content-Type %q", url, ct)
		}

		// The plain name, and a hash that is not the file's (an older
		// page), get the current file but must be revalidated.
		for _, other := range []string{plain, "/static/" + m[1] + ".0123456789ab" + m[3]} {
			w := get(other, nil)
			etag := w.Header().Get("ETag")
			if w.Code != http.StatusOK || w.Body.String() != string(want) || w.Header().Get("Cache-Control") != "no-cache" || etag == "" {
				t.Errorf("GET %s = %d, Cache-Control %q, ETag %q", other, w.Code, w.Header().Get("Cache-Control"), etag)
				continue
			}
			if w := get(other, map[string]string{"If-None-Match": etag}); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
				t.Errorf("GET %s If-None-Match %s = %d, want 304", other, etag, w.Code)
			}
			if w := get(other, map[string]string{"If-None-Match": `W/"000000000000"`}); w.Code != http.StatusOK {
				t.Errorf("GET %s with another ETag = %d, want 200", other, w.Code)
			}
		}
	}

	for _, path := range []string{"/static/nope.css", "/static/vendor/", "/static/", "/static/../server.go"} {
		if w := get(path, nil); w.Code != http.StatusNotFound && w.Code != http.StatusMovedPermanently && w.Code != http.StatusTemporaryRedirect {
			t.Errorf("GET %s = %d, want 404", path, w.Code)
		} else if strings.Contains(w.Body.String(), "app.css") {
			t.Errorf("GET %s lists the directory", path)
		}
	}
}

// TestTemplatesNameAssetsByHash keeps every template's reference to a
// static file going through the asset function (a plain /static/ URL
// would be cached without the content hash) and naming a file that exists.
func TestTemplatesNameAssetsByHash(t *testing.T) {
	t.Parallel()
	asset := regexp.MustCompile(`\{\{\s*asset\s+"([^"]+)"\s*\}\}`)
	n := 0
	err := filepath.WalkDir("templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "/static/") {
			t.Errorf("%s names a /static/ URL; write {{asset \"name\"}}", path)
		}
		for _, m := range asset.FindAllStringSubmatch(string(b), -1) {
			n++
			if _, err := os.Stat(filepath.Join("static", m[1])); err != nil {
				t.Errorf("%s: {{asset %q}}: no such file under static/", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Errorf("%d asset references in the templates, want the layout's and the maps' and charts'", n)
	}
}
