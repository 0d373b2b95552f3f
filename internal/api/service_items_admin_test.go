package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"grassroots/internal/service"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestPutServiceItem creates a service item through the API, then changes
// it; bad input gets 400 with the domain's message and a township user 403.
func TestPutServiceItem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newAPIWalkFixture(t, db)
		if _, err := db.Exec(ctx, `INSERT INTO matters (code, type, name, created_at, updated_at) VALUES ('JF00503000', 'JF', '临时救助', 0, 0)`); err != nil {
			t.Fatal(err)
		}
		put := func(role apiRole, path, body string) *httptest.ResponseRecorder {
			r := httptest.NewRequest(http.MethodPut, path, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+fx.tokens[role])
			w := httptest.NewRecorder()
			fx.s.Handler().ServeHTTP(w, r)
			return w
		}
		decode := func(w *httptest.ResponseRecorder) service.Item {
			t.Helper()
			var it service.Item
			if err := json.Unmarshal(w.Body.Bytes(), &it); err != nil {
				t.Fatalf("%v: %s", err, w.Body.String())
			}
			return it
		}
		const path = "/api/v1/service-items/JF00503000"
		create := `{"kind":"promised","level":"township","legal_days":10,"promised_days":5,"devolved":true,"one_visit":true,
			"materials":[{"name":"临时救助申请书","required":true},{"name":"困难情况说明","form":"copy"}]}`
		w := put(apiCountyAdmin, path, create)
		if w.Code != http.StatusCreated || w.Header().Get("Location") != path {
			t.Fatalf("create: %d %s", w.Code, w.Body.String())
		}
		if it := decode(w); it.Name != "临时救助" || it.PromisedDays != 5 || !it.Devolved || len(it.Materials) != 2 || it.Materials[0].Copies != 1 {
			t.Errorf("created: %+v", it)
		}
		update := `{"code":"jf00503000","kind":"promised","level":"township","legal_days":10,"promised_days":3,"devolved":true,"one_visit":true,"fee_cents":1250,
			"materials":[{"name":"临时救助申请书","required":true},{"name":"户口簿","form":"original_copy","copies":2,"required":true,"sample":"核验原件"}]}`
		w = put(apiCountyAdmin, path, update)
		if w.Code != http.StatusOK {
			t.Fatalf("update: %d %s", w.Code, w.Body.String())
		}
		it := decode(w)
		if it.PromisedDays != 3 || it.FeeCents != 1250 || len(it.Materials) != 2 || it.Materials[1].Name != "户口簿" || it.Materials[1].Copies != 2 {
			t.Errorf("updated: %+v", it)
		}
		for _, c := range []struct {
			name   string
			role   apiRole
			path   string
			body   string
			status int
			msg    string
		}{
			{"promised beyond legal", apiCountyAdmin, path, `{"kind":"promised","level":"township","legal_days":5,"promised_days":8}`, http.StatusBadRequest, "承诺时限不能超过法定时限"},
			{"county item without department", apiCountyAdmin, path, `{"kind":"immediate","level":"county"}`, http.StatusBadRequest, "县级事项请填写责任部门"},
			{"duplicate material", apiCountyAdmin, path, `{"kind":"immediate","level":"township","materials":[{"name":"身份证"},{"name":"身份证"}]}`, http.StatusBadRequest, "材料“身份证”重复"},
			{"code differs from the path", apiCountyAdmin, path, `{"code":"JF00504000","kind":"immediate","level":"township"}`, http.StatusBadRequest, "不一致"},
			{"unknown field", apiCountyAdmin, path, `{"kind":"immediate","level":"township","fee":"10元"}`, http.StatusBadRequest, "未知字段"},
			{"matter not in the catalogue", apiCountyAdmin, "/api/v1/service-items/XX99999999", `{"kind":"immediate","level":"township"}`, http.StatusBadRequest, "事项目录中没有编码为 XX99999999 的事项"},
			{"township staff", apiTownA, path, update, http.StatusForbidden, "维护服务事项"},
			{"township administrator", apiTownAdmin, path, update, http.StatusForbidden, "维护服务事项"},
		} {
			w := put(c.role, c.path, c.body)
			var e ErrorBody
			_ = json.Unmarshal(w.Body.Bytes(), &e)
			if w.Code != c.status || !strings.Contains(e.Error.Message, c.msg) {
				t.Errorf("%s: %d %s, want %d with %q", c.name, w.Code, w.Body.String(), c.status, c.msg)
			}
		}
		if it, err := fx.s.Service.Item(ctx, "JF00503000"); err != nil || it.PromisedDays != 3 || len(it.Materials) != 2 {
			t.Errorf("refused requests changed the item: %+v %v", it, err)
		}
	})
}
