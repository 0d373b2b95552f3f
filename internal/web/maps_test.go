package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestMapSources: the county's shipped boundary reaches every signed-in
// user's maps and a boundary an administrator set is kept on a second load;
// the county's own tiles are served from its folder and nothing outside
// it is.
func TestMapSources(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sealer, _ := pii.New([]byte(strings.Repeat("k", pii.KeySize)))
		o := org.NewService(db, sealer)
		if _, err := o.LoadDivisions(ctx); err != nil {
			t.Fatal(err)
		}
		tiles := t.TempDir()
		if err := os.MkdirAll(filepath.Join(tiles, "12", "3400"), 0o755); err != nil {
			t.Fatal(err)
		}
		png := []byte("\x89PNG\r\n\x1a\nfake")
		if err := os.WriteFile(filepath.Join(tiles, "12", "3400", "1700.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(filepath.Dir(tiles), "secret.png"), []byte("no"), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := New(Deps{DB: db, Org: o, TilesDir: tiles})
		if err != nil {
			t.Fatal(err)
		}
		village, err := o.UnitByCode(ctx, access.System, "350722207201")
		if err != nil {
			t.Fatal(err)
		}
		clerk := access.Actor{UserID: 1, Username: "u", Name: "测试", UnitID: village.ID, UnitCode: village.Code, UnitName: village.Name,
			UnitKind: village.Kind, UnitPath: village.Path, Roles: []access.Role{access.RoleCommunity}}
		get := func(target string) *httptest.ResponseRecorder {
			w := httptest.NewRecorder()
			s.mux.ServeHTTP(w, withState(httptest.NewRequest("GET", target, nil), requestState{Actor: clerk, CSRF: "x"}))
			return w
		}

		w := get("/geo/county")
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/geo+json" {
			t.Fatalf("GET /geo/county = %d %q", w.Code, w.Header().Get("Content-Type"))
		}
		b, err := org.ParseBoundary(w.Body.String())
		if err != nil {
			t.Fatalf("the county boundary does not parse: %v", err)
		}
		// The county seat (南浦街道) lies inside, Nanping city (建阳) outside.
		if !b.Contains(118.5412, 27.9187) || b.Contains(118.12, 27.33) {
			t.Errorf("the county boundary holds the wrong places: bbox %+v", b.BBox)
		}

		// A boundary set by an administrator survives another load.
		county, err := o.County(ctx)
		if err != nil {
			t.Fatal(err)
		}
		own := `{"type":"Polygon","coordinates":[[[118,27],[119,27],[119,28],[118,27]]]}`
		admin := access.Actor{UserID: 2, UnitID: county.ID, UnitCode: county.Code, UnitPath: county.Path, UnitKind: county.Kind, Roles: []access.Role{access.RoleAdmin}}
		if err := o.SetBoundary(ctx, admin, county.ID, own); err != nil {
			t.Fatal(err)
		}
		if _, err := o.LoadDivisions(ctx); err != nil {
			t.Fatal(err)
		}
		if got := get("/geo/county").Body.String(); !json.Valid([]byte(got)) || got != own {
			t.Errorf("after a second load the county boundary is %.80s, want the administrator's", got)
		}

		if w := get("/tiles/12/3400/1700"); w.Code != http.StatusOK || w.Body.String() != string(png) {
			t.Errorf("tile = %d %q", w.Code, w.Body.String())
		}
		for _, bad := range []string{"/tiles/12/3400/9", "/tiles/12/3400/1700.png", "/tiles/../../secret", "/tiles/12/..%2F..%2F/secret", "/tiles/a/3400/1700"} {
			if w := get(bad); w.Code == http.StatusOK {
				t.Errorf("GET %s = 200 %q", bad, w.Body.String())
			}
		}
	})
}
