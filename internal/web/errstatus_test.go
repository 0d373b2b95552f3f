package web

import (
	"log/slog"
	"net/http/httptest"
	"testing"

	"grassroots/internal/httperr/httperrtest"
)

// TestErrorPageStatus checks that the error page answers every error with
// httperr's status, the one the API and Open311 answer (their own tests
// send the same list).
func TestErrorPageStatus(t *testing.T) {
	t.Parallel()
	s, err := New(Deps{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range httperrtest.Cases() {
		rec := httptest.NewRecorder()
		s.renderError(rec, httptest.NewRequest("GET", "/cases/1", nil), c.Err)
		if rec.Code != c.Status {
			t.Errorf("%s: error page status %d, want %d", c.Name, rec.Code, c.Status)
		}
	}
}
