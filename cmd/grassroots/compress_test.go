package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// gzipGet fetches url asking for gzip (or not) and returns the answer with
// its body decoded once, as a browser would.
func gzipGet(t *testing.T, url string, gz bool, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// DisableCompression: the transport neither asks for gzip nor
	// decodes it, so the test sees the wire.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return res, body
}

// TestCompression checks that every surface answers gzip to a client that
// accepts it, the same bytes as without, and leaves alone small bodies
// and /metrics (compressed by promhttp itself, so never twice).
func TestCompression(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		_, srv := newTestApp(t, dsn, false)
		_, login := gzipGet(t, srv.URL+"/login", false, nil)
		refs := regexp.MustCompile(`(?:href|src)="(/static/[^"]+\.(?:css|js))"`).FindAllStringSubmatch(string(login), -1)
		if len(refs) < 2 {
			t.Fatalf("login page names %d CSS/JS files", len(refs))
		}
		paths := []string{"/login", "/api/v1/openapi.json", "/open311/v2/services.xml", "/open311/v2/services.json"}
		for _, ref := range refs {
			paths = append(paths, ref[1])
		}
		for _, p := range paths {
			plain, want := gzipGet(t, srv.URL+p, false, nil)
			res, got := gzipGet(t, srv.URL+p, true, nil)
			if plain.Header.Get("Content-Encoding") != "" {
				t.Errorf("GET %s without Accept-Encoding: Content-Encoding %q", p, plain.Header.Get("Content-Encoding"))
			}
			if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
				t.Errorf("GET %s: %d Content-Encoding %q (%d bytes), want gzip", p, res.StatusCode, res.Header.Get("Content-Encoding"), len(got))
				continue
			}
			if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("GET %s: Vary %q", p, res.Header.Get("Vary"))
			}
			// Pages differ by their masked CSRF token; the rest are the same bytes.
			if p != "/login" && !bytes.Equal(got, want) {
				t.Errorf("GET %s: the gzip body decodes to %d bytes, the plain one is %d", p, len(got), len(want))
			}
			if strings.HasPrefix(p, "/static/") && res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
				t.Errorf("GET %s gzip: Cache-Control %q", p, res.Header.Get("Cache-Control"))
			}
		}
		var doc map[string]any
		if _, b := gzipGet(t, srv.URL+"/api/v1/openapi.json", true, nil); json.Unmarshal(b, &doc) != nil || doc["openapi"] == nil {
			t.Errorf("openapi.json through gzip is not the document: %.80s", b)
		}

		// Revalidation still works through the compressor.
		res, _ := gzipGet(t, srv.URL+"/static/app.css", true, nil)
		if etag := res.Header.Get("ETag"); etag == "" {
			t.Error("/static/app.css: no ETag")
		} else if res, _ := gzipGet(t, srv.URL+"/static/app.css", true, map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
			t.Errorf("/static/app.css If-None-Match = %d, want 304", res.StatusCode)
		}

		// A small body is not worth it; an image is compressed already.
		for _, p := range []string{"/healthz", "/static/vendor/images/layers.png"} {
			if res, _ := gzipGet(t, srv.URL+p, true, nil); res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "" {
				t.Errorf("GET %s: %d Content-Encoding %q, want none", p, res.StatusCode, res.Header.Get("Content-Encoding"))
			}
		}
		// /metrics: gzip once, by promhttp.
		res, body := gzipGet(t, srv.URL+"/metrics", true, nil)
		if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(string(body), "grassroots_http_requests_total") {
			t.Errorf("/metrics gzip: Content-Encoding %q, body %.80q", res.Header.Get("Content-Encoding"), body)
		}
	})
}

// TestCompressFilter checks what compress leaves alone (compressed types,
// a Content-Encoding set by the handler, small bodies) and that a flushed
// answer reaches the client before the handler ends.
func TestCompressFilter(t *testing.T) {
	text := strings.Repeat("县城网格员工单 ", 400)
	release := make(chan struct{})
	mux := http.NewServeMux()
	serve := func(path, ctype, encoding, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			if encoding != "" {
				w.Header().Set("Content-Encoding", encoding)
			}
			io.WriteString(w, body)
		})
	}
	serve("/xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "", text)
	serve("/zip", "application/zip", "", text)
	serve("/png", "image/png", "", text)
	serve("/pre", "text/html; charset=utf-8", "br", text)
	serve("/small", "application/json", "", `{"ok":true}`)
	serve("/xml", "text/xml; charset=utf-8", "", text)
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, text)
		http.NewResponseController(w).Flush()
		<-release
		io.WriteString(w, "end")
	})
	srv := httptest.NewServer(compress(mux))
	defer srv.Close()
	defer close(release)

	for path, want := range map[string]string{"/xlsx": "", "/zip": "", "/png": "", "/pre": "br", "/small": "", "/xml": "gzip"} {
		res, _ := gzipGet(t, srv.URL+path, true, nil)
		if got := res.Header.Get("Content-Encoding"); got != want {
			t.Errorf("GET %s: Content-Encoding %q, want %q", path, got, want)
		}
	}

	req, _ := http.NewRequest("GET", srv.URL+"/stream", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("stream: Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	got := make(chan error, 1)
	go func() {
		zr, err := gzip.NewReader(res.Body)
		if err == nil {
			_, err = io.ReadFull(zr, make([]byte, len(text)))
		}
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the flushed part did not reach the client while the handler ran")
	}
}
