package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/api"
	"grassroots/internal/auth"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestAuthEndpoints(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, u := range []string{
			`(1, '350722000000', '浦城县', 'county', NULL, '/1/', 0)`,
			`(2, '350722001000', '南浦街道', 'street', 1, '/1/2/', 1)`,
			`(3, '350722100000', '富岭镇', 'township', 1, '/1/3/', 1)`,
		} {
			if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES `+u[:len(u)-1]+`, 0, 0)`); err != nil {
				t.Fatal(err)
			}
		}
		svc := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
		token := map[string]string{}
		for _, u := range []auth.NewUser{
			{Username: "county", Name: "县管理员", UnitCode: "350722000000", Roles: []string{"admin"}},
			{Username: "nanpu", Name: "南浦管理员", UnitCode: "350722001000", Roles: []string{"admin", "township"}},
			{Username: "fuling", Name: "富岭办事员", UnitCode: "350722100000", Roles: []string{"township"}},
		} {
			u.Password = "long enough password"
			if _, err := svc.CreateUser(ctx, access.System, u); err != nil {
				t.Fatal(err)
			}
			tok, err := svc.CreateToken(ctx, access.System, u.Username, "test")
			if err != nil {
				t.Fatal(err)
			}
			token[u.Username] = tok
		}
		h := api.New(api.Deps{DB: db, Auth: svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
		call := func(method, path, auth, body string) (int, map[string]any) {
			t.Helper()
			r := httptest.NewRequest(method, path, strings.NewReader(body))
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var out map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatalf("%s %s: body is not JSON: %s", method, path, w.Body.String())
			}
			return w.Code, out
		}
		errCode := func(out map[string]any) string {
			e, _ := out["error"].(map[string]any)
			c, _ := e["code"].(string)
			return c
		}

		for _, hdr := range []string{"", "Bearer", "Bearer grt_nope", "Basic " + token["county"], token["county"]} {
			code, out := call("GET", "/api/v1/me", hdr, "")
			if code != http.StatusUnauthorized || errCode(out) != "unauthorized" {
				t.Errorf("GET /api/v1/me with %q = %d %v, want 401 unauthorized", hdr, code, out)
			}
		}
		code, out := call("GET", "/api/v1/me", "bearer "+token["nanpu"], "")
		want := map[string]any{"id": float64(2), "username": "nanpu", "name": "南浦管理员",
			"unit": map[string]any{"code": "350722001000", "name": "南浦街道", "kind": "street"}, "roles": []any{"admin", "township"}}
		if code != http.StatusOK {
			t.Fatalf("GET /api/v1/me = %d %v", code, out)
		}
		if d := cmp.Diff(want, out); d != "" {
			t.Errorf("me (-want +got):\n%s", d)
		}

		usernames := func(out map[string]any) []string {
			var names []string
			for _, u := range out["users"].([]any) {
				names = append(names, u.(map[string]any)["username"].(string))
			}
			return names
		}
		if code, out := call("GET", "/api/v1/users", "Bearer "+token["nanpu"], ""); code != 200 || !cmp.Equal(usernames(out), []string{"nanpu"}) {
			t.Errorf("township admin's users = %d %v", code, out)
		}
		if code, out := call("GET", "/api/v1/users?role=township", "Bearer "+token["county"], ""); code != 200 || !cmp.Equal(usernames(out), []string{"nanpu", "fuling"}) {
			t.Errorf("county admin's township users = %d %v", code, out)
		}
		if code, out := call("GET", "/api/v1/users", "Bearer "+token["fuling"], ""); code != http.StatusForbidden || errCode(out) != "forbidden" {
			t.Errorf("non-admin list = %d %v", code, out)
		}
		if code, out := call("GET", "/api/v1/users?limit=0", "Bearer "+token["county"], ""); code != http.StatusBadRequest {
			t.Errorf("limit=0 = %d %v", code, out)
		}

		body := `{"username":"zhao","password":"long enough password","name":"赵六","unit_code":"350722100000","roles":["township"]}`
		if code, out := call("POST", "/api/v1/users", "Bearer "+token["nanpu"], body); code != http.StatusForbidden {
			t.Errorf("township admin creating at another township = %d %v", code, out)
		}
		code, out = call("POST", "/api/v1/users", "Bearer "+token["county"], body)
		if code != http.StatusCreated || out["username"] != "zhao" || out["active"] != true || out["last_login_at"] != nil {
			t.Errorf("create = %d %v", code, out)
		}
		if code, out := call("POST", "/api/v1/users", "Bearer "+token["county"], body); code != http.StatusConflict {
			t.Errorf("create twice = %d %v", code, out)
		}
		if code, out := call("POST", "/api/v1/users", "Bearer "+token["county"], `{"username":"x","extra":1}`); code != http.StatusBadRequest {
			t.Errorf("unknown field = %d %v", code, out)
		}
	})
}
