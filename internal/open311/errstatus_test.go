package open311

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"

	"grassroots/internal/httperr/httperrtest"
)

// TestErrorStatus checks that Open311 answers every error with httperr's
// status, in the answer and in the error list's code, the status the web
// and the API answer (their own tests send the same list).
func TestErrorStatus(t *testing.T) {
	h := &Handler{log: slog.New(slog.DiscardHandler)}
	for _, c := range httperrtest.Cases() {
		rec := httptest.NewRecorder()
		h.fail(rec, httptest.NewRequest("GET", "/open311/v2/requests/1.json", nil), formatJSON, c.Err)
		if rec.Code != c.Status {
			t.Errorf("%s: status %d, want %d", c.Name, rec.Code, c.Status)
		}
		var errs []Error
		if err := json.Unmarshal(rec.Body.Bytes(), &errs); err != nil || len(errs) != 1 {
			t.Fatalf("%s: body %q: %v", c.Name, rec.Body, err)
		}
		if errs[0].Code != c.Status || errs[0].Description == "" {
			t.Errorf("%s: error list %+v, want code %d and a description", c.Name, errs, c.Status)
		}
	}
}
