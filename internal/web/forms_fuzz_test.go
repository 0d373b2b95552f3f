package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzFormCSRF feeds form bodies of any content type to the CSRF check,
// which is the first code to parse every unsafe request (url-encoded and
// multipart forms): it must never panic and only accept the exact token.
func FuzzFormCSRF(f *testing.F) {
	const token = "0123456789abcdef0123456789abcdef"
	for _, seed := range []struct{ ct, body string }{
		{"application/x-www-form-urlencoded", "csrf=" + token + "&title=%E8%B7%AF%E7%81%AF"},
		{"application/x-www-form-urlencoded", "csrf=%zz&a=%"},
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + token + "\r\n--X--\r\n"},
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n\xff\xd8\r\n--X"},
		{"multipart/form-data", "garbage"},
		{"text/plain", "csrf=" + token},
	} {
		f.Add(seed.ct, seed.body)
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest("POST", "/portal/report", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		ok := validCSRF(w, r, token)
		if ok && r.Header.Get("X-CSRF-Token") == "" && r.PostFormValue("csrf") != token {
			t.Fatalf("accepted a form whose csrf field is %q", r.PostFormValue("csrf"))
		}
	})
}
