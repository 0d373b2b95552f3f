package org_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/demo"
	. "grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// GridAt is tested on the demo grids (internal/demo), which cover the county
// without overlapping.
func TestGridAt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := withDemoGrids(t, db)
		grids, err := s.ByKind(ctx, KindGrid)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []Unit{grids[0], grids[len(grids)/2], grids[len(grids)-1]} {
			b, _ := ParseBoundary(g.Boundary)
			lng, lat := (b.BBox.MinLng+b.BBox.MaxLng)/2, (b.BBox.MinLat+b.BBox.MaxLat)/2
			got, err := s.GridAt(ctx, lng, lat)
			if err != nil || got.Code != g.Code {
				t.Errorf("GridAt(centre of %s) = %s, %v", g.Code, got.Code, err)
			}
			// Just outside its right edge lies the gap between strips.
			if got, err := s.GridAt(ctx, b.BBox.MaxLng+1e-5, lat); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GridAt(just outside %s) = %s, %v; want not found", g.Code, got.Code, err)
			}
		}
		if _, err := s.GridAt(ctx, 116.39, 39.9); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GridAt(Beijing) = %v, want not found", err)
		}
		// An imported boundary with a hole.
		county, err := s.County(ctx)
		if err != nil {
			t.Fatal(err)
		}
		admin := access.Actor{UserID: 1, Username: "t_admin", Name: "测试用户", UnitID: county.ID, UnitCode: county.Code,
			UnitName: county.Name, UnitKind: county.Kind, UnitPath: county.Path, Roles: []access.Role{access.RoleAdmin}}
		g := grids[0]
		holed := `{"type":"Polygon","coordinates":[[[100,10],[101,10],[101,11],[100,11],[100,10]],[[100.4,10.4],[100.6,10.4],[100.6,10.6],[100.4,10.6],[100.4,10.4]]]}`
		if err := s.SetBoundary(ctx, admin, g.ID, holed); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GridAt(ctx, 100.2, 10.2); err != nil || got.Code != g.Code {
			t.Errorf("GridAt inside the new boundary = %s, %v", got.Code, err)
		}
		if _, err := s.GridAt(ctx, 100.5, 10.5); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GridAt in the hole = %v, want not found", err)
		}
		if err := s.SetBoundary(ctx, admin, g.ID, `{"type":"Point","coordinates":[1,2]}`); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("point boundary: %v, want invalid", err)
		}
	})
}

// withDemoGrids returns a service with the divisions and the demo
// organisation data loaded.
func withDemoGrids(t *testing.T, db *store.DB) *Service {
	t.Helper()
	sealer, err := pii.New([]byte(strings.Repeat("k", pii.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	s := NewService(db, sealer)
	if _, err := s.LoadDivisions(context.Background()); err != nil {
		t.Fatalf("load divisions: %v", err)
	}
	if _, err := demo.Org(context.Background(), s); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	return s
}
