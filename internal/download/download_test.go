package download

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestServe(t *testing.T) {
	modified := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name        string
		f           File
		disposition string
		modified    string
	}{
		{"an attachment to save", File{Type: "application/zip", Size: 5, Name: "现场.zip", Modified: modified},
			"attachment; filename*=utf-8''%E7%8E%B0%E5%9C%BA.zip", "Fri, 04 Dec 2026 08:00:00 GMT"},
		{"an image shown", File{Type: "image/png", Size: 5, Name: "a.png", Inline: true}, `inline; filename=a.png`, ""},
		{"a photo without a name", File{Type: "image/jpeg", Size: 5, Inline: true}, "inline", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			Serve(w, tc.f, strings.NewReader("hello"))
			h := w.Result().Header
			want := map[string]string{"Content-Type": tc.f.Type, "X-Content-Type-Options": "nosniff", "Content-Length": "5",
				"Content-Disposition": tc.disposition, "Last-Modified": tc.modified, "Cache-Control": "private, max-age=86400"}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("no sandbox: %q", h.Get("Content-Security-Policy"))
			}
			if w.Code != 200 || w.Body.String() != "hello" {
				t.Errorf("answer %d %q", w.Code, w.Body.String())
			}
		})
	}
}
