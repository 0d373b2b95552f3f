package org_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"grassroots/internal/access"
	. "grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

const goodGrids = `{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"code":"350722001001G01","name":"仙楼社区第1网格","parent":"350722001001"},
  "geometry":{"type":"Polygon","coordinates":[[[118.50,27.90],[118.51,27.90],[118.51,27.91],[118.50,27.91],[118.50,27.90]]]}},
 {"type":"Feature","properties":{"code":"350722001001G02","name":"仙楼社区第2网格","parent":"350722001001"},
  "geometry":{"type":"Polygon","coordinates":[[[118.52,27.90],[118.54,27.90],[118.54,27.92],[118.53,27.92],[118.53,27.901],[118.52,27.901],[118.52,27.90]]]}}
]}`

// A grids file is imported whole or not at all: one bad feature refuses it,
// named with its number and code, and nothing is written.
func TestImportGrids(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sealer, err := pii.New([]byte(strings.Repeat("k", pii.KeySize)))
		if err != nil {
			t.Fatal(err)
		}
		s := NewService(db, sealer)
		if _, err := s.LoadDivisions(ctx); err != nil {
			t.Fatal(err)
		}
		bad := strings.Replace(goodGrids, `]}},
 {"type":"Feature","properties":{"code":"350722001001G02"`, `]}},
 {"type":"Feature","properties":{"code":"350722001001G03","name":"坏网格","parent":"350722001001"},
  "geometry":{"type":"Polygon","coordinates":[[[118.5,27.9],[118.6,27.9],[118.5,27.9]]]}},
 {"type":"Feature","properties":{"code":"350722001001G02"`, 1)
		_, err = s.ImportGrids(ctx, access.System, strings.NewReader(bad), "bad.geojson")
		var ge *GridImportError
		if !errors.As(err, &ge) || !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad file: %v", err)
		}
		if len(ge.Features) != 1 || ge.Features[0].Index != 2 || ge.Features[0].Code != "350722001001G03" ||
			!strings.Contains(err.Error(), "第2个要素（350722001001G03）") {
			t.Errorf("bad file refused with %+v: %v", ge.Features, err)
		}
		if gs, _ := s.ByKind(ctx, KindGrid); len(gs) != 0 {
			t.Errorf("a refused file left %d grids", len(gs))
		}
		for name, body := range map[string]string{
			"a township as parent": strings.Replace(goodGrids, `"parent":"350722001001"}`, `"parent":"350722001000"}`, 1),
			"no code":              strings.Replace(goodGrids, `"code":"350722001001G01",`, ``, 1),
			"duplicate code":       strings.Replace(goodGrids, `350722001001G02`, `350722001001G01`, 1),
		} {
			if _, err := s.ImportGrids(ctx, access.System, strings.NewReader(body), name); !errors.As(err, &ge) {
				t.Errorf("%s: %v, want refused", name, err)
			}
		}
		township := access.Actor{UserID: 3, UnitCode: "350722001000", UnitKind: KindStreet, UnitPath: "/x/", Roles: []access.Role{access.RoleAdmin}}
		if _, err := s.ImportGrids(ctx, township, strings.NewReader(goodGrids), "x"); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a township administrator imports grids: %v", err)
		}

		res, err := s.ImportGrids(ctx, access.System, strings.NewReader(goodGrids), "good.geojson")
		if err != nil || res.Inserted != 2 {
			t.Fatalf("good file: %+v, %v", res, err)
		}
		// The second grid is an L whose box centre lies outside it: its
		// centre point is still inside.
		for _, code := range []string{"350722001001G01", "350722001001G02"} {
			g, err := s.UnitByCode(ctx, access.System, code)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := ParseBoundary(g.Boundary)
			lng, lat, ok := GridCentreWGS84(g)
			if !ok || !b.Contains(lng, lat) {
				t.Errorf("%s: centre %v,%v outside its boundary", code, lng, lat)
			}
			if got, err := s.GridAt(ctx, lng, lat); err != nil || got.Code != code {
				t.Errorf("GridAt(centre of %s) = %s, %v", code, got.Code, err)
			}
		}
		res, err = s.ImportGrids(ctx, access.System, strings.NewReader(goodGrids), "again.geojson")
		if err != nil || res.Updated != 2 || res.Inserted != 0 {
			t.Errorf("again: %+v, %v", res, err)
		}
	})
}
