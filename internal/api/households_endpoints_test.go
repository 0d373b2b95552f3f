package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/demo"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/xlsx"
)

// TestGridHouseholdsEndpoints: a grid's households by the API, masked; an
// import with a bad row is refused whole with the row named; a good one
// adds the household.
func TestGridHouseholdsEndpoints(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sealer, _ := pii.New([]byte(strings.Repeat("k", pii.KeySize)))
		o := org.NewService(db, sealer)
		if _, err := o.LoadDivisions(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.Org(ctx, o); err != nil {
			t.Fatal(err)
		}
		s := New(Deps{DB: db, Org: o})
		const grid = "350722001001G01"
		u, err := o.UnitByCode(ctx, access.System, grid)
		if err != nil {
			t.Fatal(err)
		}
		worker := access.Actor{UserID: 1, Username: "api", UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, UnitKind: u.Kind, UnitPath: u.Path, Roles: []access.Role{access.RoleGrid}}
		call := func(method, body string, into any) int {
			w := httptest.NewRecorder()
			h := orgHandlerAs(s, method+" /api/v1/grids/{code}/households", worker, s.gridHouseholds)
			if method == http.MethodPost {
				h = orgHandlerAs(s, method+" /api/v1/grids/{code}/households", worker, s.gridHouseholdsImport)
			}
			r := httptest.NewRequest(method, "/api/v1/grids/"+grid+"/households", strings.NewReader(body))
			if body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			h.ServeHTTP(w, r)
			if into != nil {
				if err := json.Unmarshal(w.Body.Bytes(), into); err != nil {
					t.Fatalf("%s: %v: %s", method, err, w.Body.String())
				}
			}
			return w.Code
		}
		var list GridHouseholds
		if code := call(http.MethodGet, "", &list); code != 200 || len(list.Households) == 0 || list.Households[0].PhoneMasked == "" || !strings.Contains(list.Households[0].PhoneMasked, "*") {
			t.Fatalf("list: %d %+v", code, list.Households[:min(1, len(list.Households))])
		}
		b := list.Households[0].UnitCode
		var refused HouseholdsRefused
		if code := call(http.MethodPost, `{"rows":[{"unit":"`+b+`","room":"901","head_name":"张某某","residents":2},{"unit":"`+b+`","room":"902","head_name":"李某某","head_phone":"12345","residents":1}]}`, &refused); code != 400 ||
			len(refused.Rows) != 1 || refused.Rows[0] != (xlsx.RowError{Sheet: "住户", Row: 3, Reason: "门牌号902：联系电话格式不正确"}) {
			t.Errorf("refused: %d %+v", code, refused)
		}
		var res org.HouseholdImport
		if code := call(http.MethodPost, `{"rows":[{"unit":"`+b+`","room":"901","head_name":"张某某","head_phone":"13800001234","residents":2}]}`, &res); code != 200 || res.Inserted != 1 {
			t.Errorf("import: %d %+v", code, res)
		}
		var after GridHouseholds
		if call(http.MethodGet, "", &after); len(after.Households) != len(list.Households)+1 {
			t.Errorf("after: %d, before %d", len(after.Households), len(list.Households))
		}
	})
}

// TestGridResidentsEndpoints: residents by the API, with the households
// body: one bad resident refuses the whole body with its sheet and row
// named; a good body records them, listed masked, the household's count
// being the number of its records.
func TestGridResidentsEndpoints(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sealer, _ := pii.New([]byte(strings.Repeat("k", pii.KeySize)))
		o := org.NewService(db, sealer)
		if _, err := o.LoadDivisions(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.Org(ctx, o); err != nil {
			t.Fatal(err)
		}
		s := New(Deps{DB: db, Org: o})
		const grid = "350722001001G01"
		u, err := o.UnitByCode(ctx, access.System, grid)
		if err != nil {
			t.Fatal(err)
		}
		worker := access.Actor{UserID: 1, Username: "api", UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, UnitKind: u.Kind, UnitPath: u.Path, Roles: []access.Role{access.RoleGrid}}
		call := func(method, body string, into any) int {
			w := httptest.NewRecorder()
			h := orgHandlerAs(s, method+" /api/v1/grids/{code}/households", worker, s.gridHouseholds)
			if method == http.MethodPost {
				h = orgHandlerAs(s, method+" /api/v1/grids/{code}/households", worker, s.gridHouseholdsImport)
			}
			r := httptest.NewRequest(method, "/api/v1/grids/"+grid+"/households", strings.NewReader(body))
			if body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			h.ServeHTTP(w, r)
			if into != nil {
				if err := json.Unmarshal(w.Body.Bytes(), into); err != nil {
					t.Fatalf("%s: %v: %s", method, err, w.Body.String())
				}
			}
			return w.Code
		}
		var list GridHouseholds
		if code := call(http.MethodGet, "", &list); code != 200 || len(list.Households) == 0 {
			t.Fatalf("list: %d", code)
		}
		b := list.Households[0].UnitCode
		rows := `"rows":[{"unit":"` + b + `","room":"701","head_name":"吴某某","residents":4}]`
		var refused HouseholdsRefused
		if code := call(http.MethodPost, `{`+rows+`,"residents":[{"unit":"`+b+`","room":"701","name":"吴某某","relation":"户主","phone":"13700002222"},{"unit":"`+b+`","room":"701","name":"郑某某","relation":"配偶","birth_year":1800}]}`, &refused); code != 400 ||
			len(refused.Rows) != 1 || refused.Rows[0].Sheet != "居民" || refused.Rows[0].Row != 3 {
			t.Errorf("refused: %d %+v", code, refused)
		}
		var res org.HouseholdImport
		if code := call(http.MethodPost, `{`+rows+`,"residents":[{"unit":"`+b+`","room":"701","name":"吴某某","relation":"户主","phone":"13700002222"},{"unit":"`+b+`","room":"701","name":"郑某某","relation":"配偶","birth_year":1980}]}`, &res); code != 200 || res.Inserted != 1 || res.Residents != 2 {
			t.Errorf("import: %d %+v", code, res)
		}
		var after GridHouseholds
		call(http.MethodGet, "", &after)
		var found *org.Household
		for i := range after.Households {
			if h := after.Households[i]; h.UnitCode == b && h.Room == "701" {
				found = &after.Households[i]
			}
		}
		if found == nil || found.Residents != 2 || len(found.Records) != 2 || found.Records[0].PhoneMasked != "137****2222" {
			t.Fatalf("the household: %+v", found)
		}
	})
}
