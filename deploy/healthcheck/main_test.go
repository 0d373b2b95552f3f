package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestCheck checks that only a 200 from the readiness endpoint is healthy: a
// 503 (database down, migrations behind), a redirect and a closed port are not.
func TestCheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		if status == http.StatusFound {
			http.Redirect(w, r, "/login", status)
			return
		}
		w.WriteHeader(status)
	}))
	for _, tt := range []struct {
		status  int
		healthy bool
	}{{http.StatusOK, true}, {http.StatusServiceUnavailable, false}, {http.StatusFound, false}} {
		status = tt.status
		if err := check(srv.URL+"/readyz", time.Second); (err == nil) != tt.healthy {
			t.Errorf("status %d: check = %v, want healthy %v", tt.status, err, tt.healthy)
		}
	}
	url := srv.URL + "/readyz"
	srv.Close()
	if err := check(url, time.Second); err == nil {
		t.Error("a closed server was reported healthy")
	}
}
