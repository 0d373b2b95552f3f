package org

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestGCJ02RoundTrip(t *testing.T) {
	t.Parallel()
	// Pucheng's centre as the divisions file gives it (GCJ-02).
	gLng, gLat := 118.541256, 27.917263
	wLng, wLat := GCJ02ToWGS84(gLng, gLat)
	// The GCJ-02 shift around Pucheng is a few hundred metres.
	if d := math.Hypot(gLng-wLng, gLat-wLat); d < 0.001 || d > 0.01 {
		t.Errorf("shift = %f°, want a few hundred metres", d)
	}
	bLng, bLat := WGS84ToGCJ02(wLng, wLat)
	if math.Abs(bLng-gLng) > 1e-8 || math.Abs(bLat-gLat) > 1e-8 {
		t.Errorf("round trip %f,%f → %f,%f", gLng, gLat, bLng, bLat)
	}
	if x, y := WGS84ToGCJ02(2.35, 48.85); x != 2.35 || y != 48.85 {
		t.Error("points outside China must not move")
	}
}

func TestBoundaryContains(t *testing.T) {
	t.Parallel()
	b, err := ParseBoundary(`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[
		[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]],
		[[[10,10],[12,10],[11,12],[10,10]]]]}}`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lng, lat float64
		want     bool
	}{
		{0.5, 0.5, true}, {1.5, 1.5, false}, {3, 3, true}, {5, 5, false}, {11, 11, true}, {10.1, 11.5, false},
	}
	for _, tt := range tests {
		if got := b.Contains(tt.lng, tt.lat); got != tt.want {
			t.Errorf("Contains(%v, %v) = %v, want %v", tt.lng, tt.lat, got, tt.want)
		}
	}
	for _, bad := range []string{`nope`, `{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]}`, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,91],[0,0]]]}`} {
		if _, err := ParseBoundary(bad); err == nil {
			t.Errorf("ParseBoundary(%s) accepted", bad)
		}
	}
}

// BenchmarkSubtree builds about 100,000 units (20 townships × 25 villages ×
// 20 grids × 9 buildings) and counts one township's subtree: a range scan
// over the path index, on SQLite and (when configured) PostgreSQL.
func BenchmarkSubtree(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var db *store.DB
			if engine == "sqlite" {
				db = storetest.SQLite(b)
			} else {
				db = storetest.Postgres(b)
			}
			ctx := context.Background()
			townshipID := buildTree(b, db)
			s := NewService(db, nil)
			if db.Dialect == store.SQLite {
				var plan strings.Builder
				rows, err := db.Query(ctx, `EXPLAIN QUERY PLAN SELECT COUNT(*) FROM units WHERE path > ? AND path < ?`, "/1/", "/10")
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
					var id, parent, notused int
					var detail string
					rows.Scan(&id, &parent, &notused, &detail)
					plan.WriteString(detail)
				}
				rows.Close()
				if !strings.Contains(plan.String(), "INDEX") {
					b.Fatalf("subtree count does not use an index: %s", plan.String())
				}
			}
			b.ResetTimer()
			for b.Loop() {
				n, err := s.CountSubtree(ctx, townshipID)
				if err != nil {
					b.Fatal(err)
				}
				if n != 25+25*20+25*20*9 {
					b.Fatalf("subtree = %d", n)
				}
			}
		})
	}
}

// buildTree inserts the benchmark tree with explicit ids, 500 rows a
// statement, and returns the id of the first township.
func buildTree(b *testing.B, db *store.DB) int64 {
	b.Helper()
	ctx := context.Background()
	type row struct {
		id, parent int64
		kind, path string
		depth      int
	}
	var rows []row
	next := int64(1)
	add := func(parent *row, kind string) *row {
		r := row{id: next, kind: kind}
		next++
		if parent == nil {
			r.path = fmt.Sprintf("/%d/", r.id)
		} else {
			r.parent, r.path, r.depth = parent.id, fmt.Sprintf("%s%d/", parent.path, r.id), parent.depth+1
		}
		rows = append(rows, r)
		return &rows[len(rows)-1]
	}
	rows = make([]row, 0, 101000)
	county := add(nil, KindCounty)
	for range 20 {
		t := add(county, KindTownship)
		for range 25 {
			v := add(t, KindVillage)
			for range 20 {
				g := add(v, KindGrid)
				for range 9 {
					add(g, KindBuilding)
				}
			}
		}
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for start := 0; start < len(rows); start += 500 {
			end := min(start+500, len(rows))
			var q strings.Builder
			q.WriteString(`INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES `)
			args := make([]any, 0, 9*(end-start))
			for i, r := range rows[start:end] {
				if i > 0 {
					q.WriteString(",")
				}
				q.WriteString("(?, ?, ?, ?, ?, ?, ?, 0, 0)")
				var parent any
				if r.parent != 0 {
					parent = r.parent
				}
				args = append(args, r.id, fmt.Sprintf("B%d", r.id), "单位", r.kind, parent, r.path, r.depth)
			}
			if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("build tree: %v", err)
	}
	if db.Dialect == store.Postgres {
		db.Exec(ctx, `ANALYZE units`)
	}
	b.Logf("%d units", len(rows))
	return 2
}
