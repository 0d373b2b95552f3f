package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// With as many writes in flight as admitted, another write waits its turn
// for the queue time and is then refused with 503, Retry-After and a body
// its caller can read; reads pass; a write admitted after a slot frees runs.
func TestAdmissionShedsWritesBeyondTheLimit(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	h := newAdmission(1, 50*time.Millisecond, nil).limit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Query().Get("hold") != "" {
			started <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusCreated)
	}))
	first := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/cases?hold=1", nil))
		first <- rec.Code
	}()
	<-started

	for _, tc := range []struct{ path, contentType, body string }{
		{"/api/v1/cases", "application/json", `"code":"busy"`},
		{"/open311/v2/requests.json", "application/json", `"code":503`},
		{"/open311/v2/requests.xml", "text/xml", "<code>503</code>"},
		{"/cases/new", "text/plain", "系统繁忙"},
	} {
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader("{}")))
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s while the slot is taken: %d, want 503", tc.path, rec.Code)
		}
		if waited := time.Since(start); waited < 40*time.Millisecond {
			t.Errorf("%s refused after %s, before its queue wait", tc.path, waited)
		}
		if rec.Header().Get("Retry-After") == "" || !strings.HasPrefix(rec.Header().Get("Content-Type"), tc.contentType) ||
			!strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s: headers %v body %q", tc.path, rec.Header(), rec.Body.String())
		}
		if strings.HasSuffix(tc.path, ".json") || strings.HasPrefix(tc.path, "/api/") {
			var v any
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
				t.Errorf("%s: body is not JSON: %v", tc.path, err)
			}
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/cases", nil))
	if rec.Code != http.StatusCreated {
		t.Errorf("a read was held back: %d", rec.Code)
	}

	// A write that finds the slot freed within its wait runs.
	second := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/cases", nil))
		second <- rec.Code
	}()
	time.Sleep(10 * time.Millisecond)
	close(release)
	if code := <-first; code != http.StatusCreated {
		t.Errorf("the admitted write: %d", code)
	}
	if code := <-second; code != http.StatusCreated {
		t.Errorf("the write that waited for the slot: %d", code)
	}
}
