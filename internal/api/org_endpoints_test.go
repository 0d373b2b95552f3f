package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/demo"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// orgHandlerAs serves one org endpoint as a given actor, through the same
// error encoding as the real routes.
func orgHandlerAs(s *Server, pattern string, actor access.Actor, fn func(w http.ResponseWriter, r *http.Request, a access.Actor) error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r, actor); err != nil {
			s.writeError(w, r, err)
		}
	})
	return handlerWrap(mux)
}

func TestOrgEndpoints(t *testing.T) {
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
		actorAt := func(code string, roles ...access.Role) access.Actor {
			u, err := o.UnitByCode(ctx, access.System, code)
			if err != nil {
				t.Fatal(err)
			}
			return access.Actor{UserID: 1, Username: "api", UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, UnitKind: u.Kind, UnitPath: u.Path, Roles: roles}
		}
		county := actorAt("350722000000", access.RoleSupervisor)
		nanpu := actorAt("350722001000", access.RoleTownship)
		get := func(a access.Actor, pattern string, fn func(http.ResponseWriter, *http.Request, access.Actor) error, target string, into any) int {
			w := httptest.NewRecorder()
			orgHandlerAs(s, pattern, a, fn).ServeHTTP(w, httptest.NewRequest("GET", target, nil))
			if into != nil {
				if err := json.Unmarshal(w.Body.Bytes(), into); err != nil {
					t.Fatalf("GET %s: %v: %s", target, err, w.Body.String())
				}
			}
			return w.Code
		}

		var u UnitJSON
		if code := get(county, "GET /api/v1/units/{code}", s.unitGet, "/api/v1/units/350722001000", &u); code != 200 {
			t.Fatalf("GET unit = %d", code)
		}
		if u.Code != "350722001000" || u.Name != "南浦街道" || u.Kind != "street" || u.ParentCode != "350722000000" || len(u.Children) != 14 ||
			u.Children[0].Code != "350722001001" || u.Children[0].Kind != "community" || u.TownshipType != "城区街道" {
			t.Errorf("unit = %+v", u)
		}
		var raw map[string]any
		get(county, "GET /api/v1/units/{code}", s.unitGet, "/api/v1/units/350722001001G01", &raw)
		for _, k := range []string{"code", "name", "kind", "parent_code", "children", "boundary"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("grid JSON lacks %q: %v", k, raw)
			}
		}
		var e ErrorBody
		if code := get(nanpu, "GET /api/v1/units/{code}", s.unitGet, "/api/v1/units/350722002000", &e); code != 403 || e.Error.Code != "forbidden" || !strings.Contains(e.Error.Message, "无权") {
			t.Errorf("township reads another township: %d %+v", code, e)
		}
		if code := get(county, "GET /api/v1/units/{code}", s.unitGet, "/api/v1/units/000", &e); code != 404 || e.Error.Code != "not_found" {
			t.Errorf("unknown unit: %d %+v", code, e)
		}

		var list UnitList
		get(county, "GET /api/v1/units", s.unitSearch, "/api/v1/units?kind=department", &list)
		if len(list.Units) != 20 || list.Units[0].Code != "350722D000" || list.Units[0].ParentCode != "350722000000" {
			t.Errorf("departments = %+v", list.Units)
		}
		get(nanpu, "GET /api/v1/units", s.unitSearch, "/api/v1/units?q=%E7%A4%BE%E5%8C%BA&kind=community&limit=200", &list)
		if len(list.Units) != 9 {
			t.Errorf("南浦街道 finds %d communities, want 9", len(list.Units))
		}
		if code := get(county, "GET /api/v1/units", s.unitSearch, "/api/v1/units", &e); code != 400 || e.Error.Code != "invalid" {
			t.Errorf("search without q or kind: %d %+v", code, e)
		}
		if code := get(county, "GET /api/v1/units", s.unitSearch, "/api/v1/units?q=x&limit=0", &e); code != 400 {
			t.Errorf("limit 0: %d", code)
		}

		var p PartyOrgJSON
		if code := get(county, "GET /api/v1/party-orgs/{code}", s.partyOrgGet, "/api/v1/party-orgs/350722001001G01P", &p); code != 200 {
			t.Fatalf("GET party org = %d", code)
		}
		if p.Kind != "grid_branch" || p.ParentCode != "350722001001P" || p.Unit.Code != "350722001001G01" {
			t.Errorf("party org = %+v", p)
		}
		for _, c := range p.Children {
			if c.Kind != "party_group" || !strings.HasPrefix(c.UnitCode, "350722001001G01B") {
				t.Errorf("child party org %+v", c)
			}
		}
		if code := get(actorAt("350722002000", access.RoleTownship), "GET /api/v1/party-orgs/{code}", s.partyOrgGet, "/api/v1/party-orgs/350722001001P", &e); code != 403 {
			t.Errorf("party org of another township: %d", code)
		}

		grid, _ := o.UnitByCode(ctx, access.System, "350722001001G01")
		b, _ := org.ParseBoundary(grid.Boundary)
		lng, lat := (b.BBox.MinLng+b.BBox.MaxLng)/2, (b.BBox.MinLat+b.BBox.MaxLat)/2
		var at GridAtJSON
		target := "/api/v1/grids/at?lng=" + ftoa(lng) + "&lat=" + ftoa(lat)
		if code := get(nanpu, "GET /api/v1/grids/at", s.gridAt, target, &at); code != 200 || at.Code != grid.Code || at.Township.Code != "350722001000" || at.Village.Code != "350722001001" {
			t.Errorf("grid at = %d %+v", code, at)
		}
		if code := get(actorAt("350722002000", access.RoleTownship), "GET /api/v1/grids/at", s.gridAt, target, &e); code != 403 {
			t.Errorf("grid at in another township: %d", code)
		}
		if code := get(nanpu, "GET /api/v1/grids/at", s.gridAt, "/api/v1/grids/at?lng=1&lat=1", &e); code != 404 {
			t.Errorf("grid at nowhere: %d", code)
		}
		if code := get(nanpu, "GET /api/v1/grids/at", s.gridAt, "/api/v1/grids/at?lng=x", &e); code != 400 {
			t.Errorf("grid at bad input: %d", code)
		}
	})
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
