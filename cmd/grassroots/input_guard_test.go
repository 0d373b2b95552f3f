package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/open311"
	"grassroots/internal/web"
)

// TestInputProbes sends what real clients send by mistake or on purpose (a
// NUL byte or invalid UTF-8 in a path, a query, a form or JSON; "\u0000" in
// JSON; trailing JSON; an oversize body; a wrong Content-Type; NaN and Inf
// coordinates; a calendar day outside the supported years) to each surface
// through the whole handler stack, on both engines. Each is refused with
// its status and a Chinese message in the surface's shape, and nothing is
// written (no case, no calendar day, no audit entry).
func TestInputProbes(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		t.Setenv(envAdminPassword, "probe-admin-password")
		a, srv := newTestApp(t, dsn, false)
		ctx := context.Background()
		tok, err := a.auth.CreateToken(ctx, access.System, "admin", "probe")
		if err != nil {
			t.Fatal(err)
		}
		key, _, err := a.open311Handler().(*open311.Handler).Keys().Create(ctx, access.System, "probe", "")
		if err != nil {
			t.Fatal(err)
		}
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		csrf := signIn(t, client, srv.URL, "admin", "probe-admin-password")

		counts := func() [3]int {
			var n [3]int
			for i, q := range []string{`SELECT COUNT(*) FROM cases`, `SELECT COUNT(*) FROM calendar_days`, `SELECT COUNT(*) FROM audit_log`} {
				if err := a.db.QueryRow(ctx, q).Scan(&n[i]); err != nil {
					t.Fatal(err)
				}
			}
			return n
		}
		goodCase := `{"flow":"hotline","request_type":"help","title":"路灯不亮","place_unit":"350722001000","dispatch":"350722D003"}`
		form := func(vals url.Values) (string, io.Reader) {
			return "application/x-www-form-urlencoded", strings.NewReader(vals.Encode())
		}
		multi := func(vals url.Values, fileName string) (string, io.Reader) {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			for k, vs := range vals {
				for _, v := range vs {
					mw.WriteField(k, v)
				}
			}
			if fileName != "" {
				fw, _ := mw.CreateFormFile("photo", fileName)
				fw.Write([]byte("\xff\xd8\xff\xe0 not much of a photo"))
			}
			mw.Close()
			return mw.FormDataContentType(), &b
		}
		jsonBody := func(s string) (string, io.Reader) { return "application/json", strings.NewReader(s) }
		newCase := url.Values{"csrf": {csrf}, "flow": {"hotline"}, "request_type": {"help"}, "title": {"路灯不亮"},
			"place_unit": {"350722001000"}, "dispatch": {"350722D003"}}
		with := func(v url.Values, k, val string) url.Values {
			out := url.Values{}
			for kk, vv := range v {
				out[kk] = append([]string(nil), vv...)
			}
			out.Set(k, val)
			return out
		}
		report := url.Values{"csrf": {csrf}, "request_type": {"help"}, "title": {"路灯不亮"}, "body": {"村口路灯坏了"},
			"place_unit": {"350722001000"}, "name": {"张三"}, "phone": {"13800001111"}}
		o311 := url.Values{"api_key": {key}, "service_code": {"B01001"}, "description": {"路灯不亮"}, "address_string": {"城关镇"}}

		for _, tc := range []struct {
			name, method, path string
			body               func() (string, io.Reader)
			auth               bool
			status             int
			want               string // in the body: the Chinese message
			shape              string // json, open311, html
		}{
			{"api NUL in path", "GET", "/api/v1/units/%00", nil, true, 400, "请求路径含有无效字符", "json"},
			{"api NUL in query", "GET", "/api/v1/units?q=%00", nil, true, 400, "“q”含有无效字符", "json"},
			{"api bad UTF-8 in query", "GET", "/api/v1/cases?q=%ff", nil, true, 400, "“q”含有无效字符", "json"},
			{"api bad UTF-8 in query name", "GET", "/api/v1/cases?%ff=1", nil, true, 400, "无效的参数名", "json"},
			{"api escaped NUL in JSON", "POST", "/api/v1/cases", func() (string, io.Reader) {
				return jsonBody(strings.Replace(goodCase, "路灯不亮", `路灯\u0000不亮`, 1))
			}, true, 400, "JSON须为UTF-8文本", "json"},
			{"api bad UTF-8 in JSON", "POST", "/api/v1/cases", func() (string, io.Reader) {
				return jsonBody(strings.Replace(goodCase, "路灯不亮", "路灯\xff不亮", 1))
			}, true, 400, "JSON须为UTF-8文本", "json"},
			{"api trailing JSON", "POST", "/api/v1/cases", func() (string, io.Reader) { return jsonBody(goodCase + ` x`) }, true, 400, "只能是一个JSON值", "json"},
			{"api two JSON objects", "POST", "/api/v1/cases", func() (string, io.Reader) { return jsonBody(goodCase + goodCase) }, true, 400, "只能是一个JSON值", "json"},
			{"api oversize JSON", "POST", "/api/v1/cases", func() (string, io.Reader) {
				return jsonBody(strings.Replace(goodCase, "路灯不亮", strings.Repeat("长", 1<<19), 1))
			}, true, 413, "请求体过大：不能超过1 MB", "json"},
			{"api JSON far over the limit", "POST", "/api/v1/cases", func() (string, io.Reader) {
				// A client still sending reads the answer, not a reset.
				return jsonBody(strings.Replace(goodCase, "路灯不亮", strings.Repeat("长", 16<<20/3), 1))
			}, true, 413, "请求体过大：不能超过1 MB", "json"},
			{"web form over the limit", "POST", "/cases/new", func() (string, io.Reader) {
				var b bytes.Buffer
				mw := multipart.NewWriter(&b)
				mw.WriteField("csrf", csrf)
				fw, _ := mw.CreateFormFile("file", "big.jpg")
				fw.Write(make([]byte, 65<<20))
				mw.Close()
				return mw.FormDataContentType(), &b
			}, false, 413, "请求体过大：不能超过64 MB", "html"},
			{"api form-encoded JSON", "POST", "/api/v1/cases", func() (string, io.Reader) {
				return "application/x-www-form-urlencoded", strings.NewReader(goodCase)
			}, true, 415, "请求体须为JSON", "json"},
			{"api text/plain JSON", "POST", "/api/v1/cases", func() (string, io.Reader) { return "text/plain", strings.NewReader(goodCase) }, true, 415, "“text/plain”", "json"},
			{"api JSON in GBK", "POST", "/api/v1/cases", func() (string, io.Reader) {
				return "application/json; charset=gbk", strings.NewReader(goodCase)
			}, true, 415, "请求体须为JSON", "json"},
			{"api Inf coordinate in query", "GET", "/api/v1/grids/at?lng=Inf&lat=27.9", nil, true, 400, "WGS-84坐标", "json"},
			{"api NaN coordinate in query", "GET", "/api/v1/grids/at?lng=NaN&lat=NaN", nil, true, 400, "WGS-84坐标", "json"},
			{"api calendar day before 2000", "PUT", "/api/v1/calendar/days/1900-01-01", func() (string, io.Reader) {
				return jsonBody(`{"kind":"holiday","name":"元旦"}`)
			}, true, 400, "2000至2100", "json"},
			{"api calendar day after 2100", "PUT", "/api/v1/calendar/days/9999-12-31", func() (string, io.Reader) {
				return jsonBody(`{"kind":"holiday","name":"元旦"}`)
			}, true, 400, "2000至2100", "json"},

			{"login NUL in username", "POST", "/login", func() (string, io.Reader) {
				return form(url.Values{"csrf": {csrf}, "username": {"admin\x00"}, "password": {"x"}})
			}, false, 400, "“username”含有无效字符", "html"},
			{"web NUL in path", "GET", "/cases/%00", nil, false, 400, "请求路径含有无效字符", "html"},
			{"web form NUL in title", "POST", "/cases/new", func() (string, io.Reader) { return form(with(newCase, "title", "路灯\x00不亮")) }, false, 400, "“title”含有无效字符", "html"},
			{"web form bad UTF-8 in body", "POST", "/cases/new", func() (string, io.Reader) { return form(with(newCase, "body", "坏\xc3")) }, false, 400, "“body”含有无效字符", "html"},
			{"web form NaN point", "POST", "/cases/new", func() (string, io.Reader) {
				return form(with(with(newCase, "lng", "NaN"), "lat", "NaN"))
			}, false, 400, "经纬度应为数字", "html"},
			{"web form Inf point", "POST", "/cases/new", func() (string, io.Reader) {
				return form(with(with(newCase, "lng", "Inf"), "lat", "27.9"))
			}, false, 400, "经纬度应为数字", "html"},
			{"portal multipart control character", "POST", "/portal/report", func() (string, io.Reader) { return multi(with(report, "title", "路灯\x01不亮"), "") }, false, 400, "“title”含有无效字符", "html"},
			{"portal multipart bad UTF-8 file name", "POST", "/portal/report", func() (string, io.Reader) { return multi(report, "照片\xff.jpg") }, false, 400, "文件名含有无效字符", "html"},
			{"portal multipart NUL in file name", "POST", "/portal/report", func() (string, io.Reader) { return multi(report, "照片\x00.jpg") }, false, 400, "无法读取提交的表单", "html"},
			{"portal NaN point", "POST", "/portal/report", func() (string, io.Reader) {
				return form(with(with(report, "lng", "NaN"), "lat", "27.9"))
			}, false, 400, "经纬度", "html"},

			{"open311 GET NUL in query", "GET", "/open311/v2/requests.json?service_request_id=%00", nil, false, 400, "含有无效字符", "open311"},
			{"open311 GET bad UTF-8 in path", "GET", "/open311/v2/requests/%ff.xml", nil, false, 400, "请求路径含有无效字符", "open311xml"},
			{"open311 POST NUL in description", "POST", "/open311/v2/requests.json", func() (string, io.Reader) { return form(with(o311, "description", "路灯\x00不亮")) }, false, 400, "“description”含有无效字符", "open311"},
			{"open311 POST Inf coordinate", "POST", "/open311/v2/requests.json", func() (string, io.Reader) {
				return form(with(with(o311, "lat", "Inf"), "long", "118.5"))
			}, false, 400, "lat 应为", "open311"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := counts()
				var body io.Reader
				ct := ""
				if tc.body != nil {
					ct, body = tc.body()
				}
				req, err := http.NewRequest(tc.method, srv.URL+tc.path, body)
				if err != nil {
					t.Fatal(err)
				}
				if ct != "" {
					req.Header.Set("Content-Type", ct)
				}
				if tc.auth {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				got := string(b)
				if res.StatusCode != tc.status || !strings.Contains(got, tc.want) {
					t.Errorf("%s %s = %d %s, want %d with %q", tc.method, tc.path, res.StatusCode, truncate(got), tc.status, tc.want)
				}
				shapes := map[string]string{"json": `{"error":{"code":`, "open311": `[{"code":`, "open311xml": `<errors>`, "html": `<!doctype html>`}
				if want := shapes[tc.shape]; !strings.Contains(strings.ToLower(got), strings.ToLower(want)) {
					t.Errorf("%s %s answered %s, want the %s shape (%s)", tc.method, tc.path, truncate(got), tc.shape, want)
				}
				if after := counts(); after != before {
					t.Errorf("%s %s wrote: cases, calendar days, audit entries %v -> %v", tc.method, tc.path, before, after)
				}
			})
		}
		// The probes were refused for what they carried, not for the
		// rest: the same requests without it go through.
		for _, tc := range []struct {
			name, method, path string
			body               func() (string, io.Reader)
			auth               bool
			status             int
		}{
			{"api case", "POST", "/api/v1/cases", func() (string, io.Reader) { return jsonBody(goodCase) }, true, 201},
			{"api case with charset", "POST", "/api/v1/cases", func() (string, io.Reader) { return "application/json; charset=UTF-8", strings.NewReader(goodCase) }, true, 201},
			{"api case with tab and CRLF", "POST", "/api/v1/cases", func() (string, io.Reader) {
				return jsonBody(strings.Replace(goodCase, "路灯不亮", `路灯\t不亮\r\n两盏`, 1))
			}, true, 201},
			{"web form with CRLF", "POST", "/cases/new", func() (string, io.Reader) { return form(with(newCase, "body", "第一行\r\n第二行\t完")) }, false, 303},
			{"open311 POST", "POST", "/open311/v2/requests.json", func() (string, io.Reader) { return form(o311) }, false, 201},
		} {
			t.Run("accepted "+tc.name, func(t *testing.T) {
				ct, body := tc.body()
				req, _ := http.NewRequest(tc.method, srv.URL+tc.path, body)
				req.Header.Set("Content-Type", ct)
				if tc.auth {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != tc.status {
					t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, res.StatusCode, truncate(string(b)), tc.status)
				}
			})
		}
	})
}

// signIn signs a user in through the login form and returns the session's
// CSRF token, read from the home page.
func signIn(t *testing.T, client *http.Client, base, username, password string) string {
	t.Helper()
	res, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	u, _ := url.Parse(base)
	csrf := ""
	for _, c := range client.Jar.Cookies(u) {
		if c.Name == web.CSRFCookie {
			csrf = c.Value
		}
	}
	res, err = client.PostForm(base+"/login", url.Values{"username": {username}, "password": {password}, "csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	res, err = client.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no CSRF token on the home page")
	}
	return string(m[1])
}
