package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

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

// TestDomainErrorInClientLanguage: a domain error's message follows the
// client's Accept-Language (English from the catalogue, else Chinese); the
// code stays the same.
func TestDomainErrorInClientLanguage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (1, '350722000000', '浦城县', 'county', NULL, '/1/', 0, 0, 0)`); err != nil {
			t.Fatal(err)
		}
		users := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
		if _, err := users.CreateUser(ctx, access.System, auth.NewUser{Username: "county", Name: "县级", UnitCode: "350722000000", Roles: []string{"admin"}, Password: "long enough password"}); err != nil {
			t.Fatal(err)
		}
		tok, err := users.CreateToken(ctx, access.System, "county", "test")
		if err != nil {
			t.Fatal(err)
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
		h := api.New(api.Deps{DB: db, Auth: users, Cases: cases, Lists: catalog.NewService(db), Org: org.NewService(db, sealer), Log: log}).Handler()
		for _, tc := range []struct{ lang, want string }{
			{"en-US,en;q=0.9", "Please enter a title"},
			{"zh-CN,zh;q=0.9", "请填写标题"},
			{"", "请填写标题"},
		} {
			r := httptest.NewRequest("POST", "/api/v1/cases", strings.NewReader(`{"flow":"hotline","request_type":"help","title":" ","reporter_phone":"13812345678"}`))
			r.Header.Set("Authorization", "Bearer "+tok)
			if tc.lang != "" {
				r.Header.Set("Accept-Language", tc.lang)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var body api.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("%q: not JSON: %s", tc.lang, w.Body)
			}
			if w.Code != 400 || body.Error.Code != "invalid" || body.Error.Message != tc.want {
				t.Errorf("Accept-Language %q: %d %+v, want 400 invalid %q", tc.lang, w.Code, body.Error, tc.want)
			}
		}
	})
}
