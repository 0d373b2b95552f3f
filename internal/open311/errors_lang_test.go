package open311

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"grassroots/internal/store"
)

// TestErrorDescriptionLanguage: a domain error's description follows
// Accept-Language, formatted with the error's own arguments.
func TestErrorDescriptionLanguage(t *testing.T) {
	h := &Handler{log: slog.New(slog.DiscardHandler)}
	err := fmt.Errorf("lookup: %w", store.NotFoundf("找不到服务 %s (service_code not found)", "S9"))
	for _, tc := range []struct{ lang, want string }{
		{"en", "service S9 not found"},
		{"zh-CN", "找不到服务 S9 (service_code not found)"},
		{"", "找不到服务 S9 (service_code not found)"},
	} {
		r := httptest.NewRequest("GET", "/open311/v2/services/S9.json", nil)
		if tc.lang != "" {
			r.Header.Set("Accept-Language", tc.lang)
		}
		rec := httptest.NewRecorder()
		h.fail(rec, r, formatJSON, err)
		var errs []Error
		if err := json.Unmarshal(rec.Body.Bytes(), &errs); err != nil || len(errs) != 1 {
			t.Fatalf("%q: body %q: %v", tc.lang, rec.Body, err)
		}
		if errs[0].Code != 404 || errs[0].Description != tc.want {
			t.Errorf("Accept-Language %q: %+v, want 404 %q", tc.lang, errs[0], tc.want)
		}
	}
}
