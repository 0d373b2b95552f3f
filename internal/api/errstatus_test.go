package api

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"

	"grassroots/internal/httperr"
	"grassroots/internal/httperr/httperrtest"
)

// TestErrorStatus checks that the API answers every error with httperr's
// status and code, the status the web and Open311 answer (their own tests
// send the same list), and always a message.
func TestErrorStatus(t *testing.T) {
	t.Parallel()
	s := New(Deps{Log: slog.New(slog.DiscardHandler)})
	for _, c := range httperrtest.Cases() {
		rec := httptest.NewRecorder()
		s.writeError(rec, httptest.NewRequest("GET", "/api/v1/cases/1", nil), c.Err)
		if rec.Code != c.Status {
			t.Errorf("%s: status %d, want %d", c.Name, rec.Code, c.Status)
		}
		var body ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: body %q: %v", c.Name, rec.Body, err)
		}
		if want := httperr.Code(c.Err); body.Error.Code != want {
			t.Errorf("%s: code %q, want %q", c.Name, body.Error.Code, want)
		}
		if body.Error.Message == "" {
			t.Errorf("%s: no message", c.Name)
		}
	}
}
