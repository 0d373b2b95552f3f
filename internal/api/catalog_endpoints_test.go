package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/catalog"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestListsAPI reads and changes the lists through the API: matters, an
// access check refused then allowed, an import refused with its rows.
func TestListsAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, q := range []string{
			`INSERT INTO units (id, code, name, kind, path, depth, created_at, updated_at) VALUES (1, '350722000000', '浦城县', 'county', '/1/', 0, 0, 0)`,
			`INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (2, '350722D001', '县委编办', 'department', 1, '/1/2/', 1, 0, 0)`,
			`INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (3, '350722D002', '县住房和城乡建设局', 'department', 1, '/1/3/', 1, 0, 0)`,
			`INSERT INTO units (id, code, name, kind, parent_id, path, depth, township_type, created_at, updated_at) VALUES (4, '350722001000', '南浦街道', 'street', 1, '/1/4/', 1, '城区街道', 0, 0)`,
		} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		authSvc := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
		token := func(user, unit string) string {
			if _, err := authSvc.CreateUser(ctx, access.System, auth.NewUser{Username: user, Password: user + " password", Name: user, UnitCode: unit, Roles: []string{"department"}}); err != nil {
				t.Fatal(err)
			}
			tok, err := authSvc.CreateToken(ctx, access.System, user, "test")
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		clerk, dept := token("bianban", "350722D001"), token("zhujian", "350722D002")
		s := New(Deps{DB: db, Auth: authSvc, Lists: catalog.NewService(db)})
		call := func(tok, method, path, body string) (int, map[string]any) {
			r := httptest.NewRequest(method, path, strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, r)
			var out map[string]any
			_ = json.Unmarshal(w.Body.Bytes(), &out)
			return w.Code, out
		}
		if code, out := call(clerk, "POST", "/api/v1/matters", `{"code":"JC00603000","name":"对燃气经营、使用安全的监督检查","basis_law":"城镇燃气管理条例","basis_article":"第四十二条"}`); code != 201 {
			t.Fatalf("create matter: %d %v", code, out)
		}
		if code, out := call(dept, "POST", "/api/v1/matters", `{"code":"JC00604000","name":"x"}`); code != 403 {
			t.Errorf("department creates a matter: %d %v", code, out)
		}
		code, out := call(dept, "GET", "/api/v1/matters", "")
		items, _ := out["items"].([]any)
		if code != 200 || len(items) != 1 {
			t.Fatalf("GET matters: %d %v", code, out)
		}
		m := items[0].(map[string]any)
		for k, want := range map[string]string{"code": "JC00603000", "type": "JC", "name": "对燃气经营、使用安全的监督检查", "basis": "《城镇燃气管理条例》第四十二条"} {
			if m[k] != want {
				t.Errorf("matter %s = %v, want %s", k, m[k], want)
			}
		}
		check := `{"to_code":"350722001000","matter_code":"JC00603000","purpose":"API"}`
		code, out = call(dept, "POST", "/api/v1/access/check", check)
		if e, _ := out["error"].(map[string]any); code != 403 || !strings.Contains(e["message"].(string), "根据职责准入清单，县住房和城乡建设局不得将") {
			t.Fatalf("check refused: %d %v", code, out)
		}
		if code, out := call(clerk, "POST", "/api/v1/lists/access/items", `{"item":{"unit_code":"350722D002","matter_code":"JC00603000","duties":"入户排查"},"reason":"燃气专项"}`); code != 200 {
			t.Fatalf("save access item: %d %v", code, out)
		}
		if code, out := call(dept, "POST", "/api/v1/access/check", check); code != 200 || out["allowed"] != true {
			t.Fatalf("check allowed: %d %v", code, out)
		}
		code, out = call(clerk, "GET", "/api/v1/access/attempts?from=2000-01-01", "")
		if atts, _ := out["attempts"].([]any); code != 200 || len(atts) != 2 {
			t.Errorf("attempts: %d %v", code, out)
		}
		code, out = call(clerk, "POST", "/api/v1/lists/power/import", `{"rows":[{"row":2,"type_name":"行政许可","item":{"township_type":"城区街道","matter_code":"XK1","subject":"a","duties":"b","matter":{"name":"n"}}}]}`)
		if rows, _ := out["rows"].([]any); code != 400 || len(rows) != 1 {
			t.Errorf("bad import: %d %v", code, out)
		}
		if code, out := call(clerk, "GET", "/api/v1/lists/access/versions", ""); code != 200 || len(out["items"].([]any)) != 1 {
			t.Errorf("versions: %d %v", code, out)
		}
		if code, _ := call("", "GET", "/api/v1/matters", ""); code != http.StatusUnauthorized {
			t.Errorf("no token: %d", code)
		}
	})
}
