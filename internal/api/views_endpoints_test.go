package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/api"
	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestViewEndpoints lists and searches cases, reads the daily report and the
// rates through the API, with each user seeing only their subtree.
func TestViewEndpoints(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, u := range []string{
			`(1, '350722000000', '浦城县', 'county', NULL, '/1/', 0)`,
			`(2, '350722001000', '南浦街道', 'street', 1, '/1/2/', 1)`,
			`(3, '350722101000', '富岭镇', 'township', 1, '/1/3/', 1)`,
			`(7, '350722001001', '仙楼社区', 'community', 2, '/1/2/7/', 2)`,
		} {
			if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES `+u[:len(u)-1]+`, 0, 0)`); err != nil {
				t.Fatal(err)
			}
		}
		users := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
		token := map[string]string{}
		for _, u := range []auth.NewUser{
			{Username: "county", Name: "县级", UnitCode: "350722000000", Roles: []string{"admin"}},
			{Username: "nanpu", Name: "南浦干部", UnitCode: "350722001000", Roles: []string{"township"}},
			{Username: "fuling", Name: "富岭干部", UnitCode: "350722101000", Roles: []string{"township"}},
		} {
			u.Password = "long enough password"
			if _, err := users.CreateUser(ctx, access.System, u); err != nil {
				t.Fatal(err)
			}
			tok, err := users.CreateToken(ctx, access.System, u.Username, "test")
			if err != nil {
				t.Fatal(err)
			}
			token[u.Username] = "Bearer " + tok
		}
		sealer, err := pii.New(make([]byte, pii.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		cases, err := casework.NewService(db, casework.Deps{Sealer: sealer, Log: log, AttachDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		lists := catalog.NewService(db)
		if err := lists.SeedCategories(ctx); err != nil {
			t.Fatal(err)
		}
		h := api.New(api.Deps{DB: db, Auth: users, Cases: cases, Lists: lists, Org: org.NewService(db, sealer), Log: log}).Handler()
		call := func(method, path, who, body string) (int, map[string]any) {
			t.Helper()
			r := httptest.NewRequest(method, path, strings.NewReader(body))
			r.Header.Set("Authorization", token[who])
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var out map[string]any
			if w.Code != 204 {
				if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
					t.Fatalf("%s %s: not JSON: %s", method, path, w.Body.String())
				}
			}
			return w.Code, out
		}
		for _, body := range []string{
			`{"flow":"hotline","request_type":"help","title":"仙楼社区路灯不亮","body":"晚上路灯坏了","place_unit":"350722001001","reporter_phone":"13812345678","dispatch":"350722001000"}`,
			`{"flow":"hotline","request_type":"help","title":"广场舞噪音扰民","place_unit":"350722001001","reporter_phone":"13912345678"}`,
		} {
			if code, out := call("POST", "/api/v1/cases", "county", body); code != 201 {
				t.Fatalf("create = %d %v", code, out)
			}
		}
		tests := []struct {
			name, path, who string
			wantCode        int
			wantCases       int
		}{
			{"county sees all", "/api/v1/cases", "county", 200, 2},
			{"township sees its subtree", "/api/v1/cases", "nanpu", 200, 2},
			{"another township sees none", "/api/v1/cases", "fuling", 200, 0},
			{"two-character keyword", "/api/v1/cases?q=" + "路灯", "county", 200, 1},
			{"phone number in the URL is refused", "/api/v1/cases?q=13912345678", "county", 400, 0},
			{"to sign for the township", "/api/v1/cases?bucket=to_sign", "nanpu", 200, 1},
			{"bad date", "/api/v1/cases?from=yesterday", "county", 400, 0},
			{"no token", "/api/v1/cases", "nobody", 401, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, out := call("GET", tt.path, tt.who, "")
				if code != tt.wantCode {
					t.Fatalf("GET %s as %s = %d %v, want %d", tt.path, tt.who, code, out, tt.wantCode)
				}
				if code == 200 {
					if got := len(out["cases"].([]any)); got != tt.wantCases {
						t.Errorf("GET %s as %s: %d cases, want %d", tt.path, tt.who, got, tt.wantCases)
					}
				}
			})
		}
		// Numbers are searched by POST, by those who may reveal them.
		if code, out := call("POST", "/api/v1/cases/search", "county", `{"phone":"139 1234 5678","reason":"来电查询"}`); code != 200 || len(out["cases"].([]any)) != 1 {
			t.Errorf("search by phone = %d %v, want 1 case", code, out)
		}
		if code, out := call("POST", "/api/v1/cases/search", "county", `{"phone":"1391234"}`); code != 400 {
			t.Errorf("search by a partial number = %d %v, want 400", code, out)
		}
		today := casework.Today(time.Now())
		code, out := call("GET", "/api/v1/daily?unit=350722001000&day="+today, "nanpu", "")
		if code != 200 || out["collected"].(float64) != 2 {
			t.Errorf("daily = %d %v, want 2 collected", code, out)
		}
		if code, _ := call("GET", "/api/v1/daily?unit=350722001000", "fuling", ""); code != 403 {
			t.Errorf("another township's daily report = %d, want 403", code)
		}
		code, out = call("GET", "/api/v1/stats/rates?unit=350722000000&from="+today+"&to="+today, "county", "")
		if code != 200 {
			t.Fatalf("rates = %d %v", code, out)
		}
		if n := out["total"].(map[string]any)["counts"].(map[string]any)["cases"].(float64); n != 2 {
			t.Errorf("rates count %v cases, want 2", n)
		}
		// 满意率's entry carries 未联系上 beside it, with its cases.
		var sat map[string]any
		for _, f := range out["figures"].([]any) {
			if m := f.(map[string]any); m["key"] == "satisfaction" {
				sat = m
			}
		}
		if sat == nil || sat["unreached"] != float64(0) || !strings.Contains(sat["unreached_cases"].(string), "count=unreached") {
			t.Errorf("satisfaction figure %v: want unreached beside it", sat)
		}
		// The cases behind a count, one per page, then the next page.
		code, out = call("GET", "/api/v1/stats/cases?unit=350722000000&from="+today+"&to="+today+"&count=cases&limit=1", "county", "")
		if code != 200 || out["total"] != float64(2) || len(out["cases"].([]any)) != 1 || out["next"] == nil {
			t.Fatalf("first page = %d %v", code, out)
		}
		first := out["cases"].([]any)[0].(map[string]any)["no"]
		code, out = call("GET", out["next"].(string), "county", "")
		if code != 200 || len(out["cases"].([]any)) != 1 || out["next"] != nil || out["cases"].([]any)[0].(map[string]any)["no"] == first {
			t.Errorf("second page = %d %v", code, out)
		}
		if code, _ := call("GET", "/api/v1/stats/cases?unit=350722000000&from="+today+"&to="+today+"&limit=9999", "county", ""); code != 400 {
			t.Errorf("a page of 9999 = %d, want 400", code)
		}
		if code, _ := call("GET", "/api/v1/stats/rates?unit=350722000000", "county", ""); code != 400 {
			t.Errorf("rates without a period = %d, want 400", code)
		}
		if code, out := call("POST", "/api/v1/categories", "county", `{"code":"L9001","name":"低保办理"}`); code != 201 {
			t.Errorf("add category = %d %v", code, out)
		}
		if code, _ := call("POST", "/api/v1/categories", "nanpu", `{"code":"L9002","name":"医保"}`); code != 403 {
			t.Errorf("a township adding a category = %d, want 403", code)
		}
		categoryOf := func(code string) (name string, active bool) {
			t.Helper()
			var n int
			if err := db.QueryRow(ctx, `SELECT name, active FROM categories WHERE code = ?`, code).Scan(&name, &n); err != nil {
				t.Fatalf("category %s: %v", code, err)
			}
			return name, n == 1
		}
		// Rename: the county's own categories only, by county administrators.
		for _, tc := range []struct {
			path, who, body string
			want            int
			message         string
		}{
			{"/api/v1/categories/L9001/name", "county", `{"name":" 最低生活保障 "}`, 204, ""},
			{"/api/v1/categories/B01001/name", "county", `{"name":"井盖"}`, 400, "名称不能更改"},
			{"/api/v1/categories/L9001/name", "county", `{"name":""}`, 400, "分类名称必填"},
			{"/api/v1/categories/L9001/name", "county", `{"title":"低保"}`, 400, "未知字段"},
			{"/api/v1/categories/L9999/name", "county", `{"name":"医保"}`, 404, "找不到分类 L9999"},
			{"/api/v1/categories/L9001/name", "nanpu", `{"name":"医保"}`, 403, "县级系统管理员"},
			{"/api/v1/categories/L9001/name", "nobody", `{"name":"医保"}`, 401, ""},
		} {
			code, out := call("PUT", tc.path, tc.who, tc.body)
			if code != tc.want {
				t.Errorf("PUT %s %s as %s = %d %v, want %d", tc.path, tc.body, tc.who, code, out, tc.want)
				continue
			}
			if tc.message != "" {
				if msg, _ := out["error"].(map[string]any)["message"].(string); !strings.Contains(msg, tc.message) {
					t.Errorf("PUT %s %s: message %q lacks %q", tc.path, tc.body, msg, tc.message)
				}
			}
		}
		if name, _ := categoryOf("L9001"); name != "最低生活保障" {
			t.Errorf("L9001 named %q", name)
		}
		// Deactivate a branch with its subtree; no case is filed under it
		// then; reactivating is refused under an inactive parent.
		if code, out := call("POST", "/api/v1/categories", "county", `{"code":"L900101","name":"低保金","parent_code":"L9001"}`); code != 201 {
			t.Fatalf("add subcategory = %d %v", code, out)
		}
		for _, tc := range []struct {
			path, who, body string
			want            int
			message         string
		}{
			{"/api/v1/categories/L9001/active", "county", `{"active":false}`, 204, ""},
			{"/api/v1/categories/L900101/active", "county", `{"active":true}`, 400, "上级分类 L9001"},
			{"/api/v1/categories/L9001/active", "county", `{}`, 400, "active 必填"},
			{"/api/v1/categories/L9001/active", "county", `{"active":"yes"}`, 400, "JSON"},
			{"/api/v1/categories/L9999/active", "county", `{"active":false}`, 404, ""},
			{"/api/v1/categories/B01001/active", "nanpu", `{"active":false}`, 403, "县级系统管理员"},
		} {
			code, out := call("PUT", tc.path, tc.who, tc.body)
			if code != tc.want {
				t.Errorf("PUT %s %s as %s = %d %v, want %d", tc.path, tc.body, tc.who, code, out, tc.want)
				continue
			}
			if tc.message != "" {
				if msg, _ := out["error"].(map[string]any)["message"].(string); !strings.Contains(msg, tc.message) {
					t.Errorf("PUT %s %s: message %q lacks %q", tc.path, tc.body, msg, tc.message)
				}
			}
		}
		for code, want := range map[string]bool{"L9001": false, "L900101": false, "B01001": true} {
			if _, active := categoryOf(code); active != want {
				t.Errorf("%s active %v, want %v", code, active, want)
			}
		}
		if code, out := call("POST", "/api/v1/cases", "county", `{"flow":"hotline","request_type":"help","title":"低保金没有到账","place_unit":"350722001001","reporter_phone":"13812345678","category":"L900101"}`); code != 400 {
			t.Errorf("a case under an inactive category = %d %v, want 400", code, out)
		}
		// The tree still lists them, marked inactive.
		code, out = call("GET", "/api/v1/categories", "nanpu", "")
		var find func(nodes any, code string) map[string]any
		find = func(nodes any, code string) map[string]any {
			list, _ := nodes.([]any)
			for _, n := range list {
				c, _ := n.(map[string]any)
				if c["code"] == code {
					return c
				}
				if found := find(c["children"], code); found != nil {
					return found
				}
			}
			return nil
		}
		if c := find(out["categories"], "L900101"); code != 200 || c == nil || c["active"] != false || c["name"] != "低保金" {
			t.Errorf("category tree = %d, L900101 %v", code, c)
		}
		for _, path := range []string{"/api/v1/categories/L9001/active", "/api/v1/categories/L900101/active"} {
			if code, out := call("PUT", path, "county", `{"active":true}`); code != 204 {
				t.Errorf("PUT %s = %d %v", path, code, out)
			}
		}
		if _, active := categoryOf("L900101"); !active {
			t.Error("L900101 inactive after reactivating it and its parent")
		}
	})
}
