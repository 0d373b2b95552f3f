package org

import (
	"context"
	"fmt"
	"strings"

	"grassroots/internal/store"
)

// puchengCountyBoundary is the shipped boundary of Pucheng county (data/README.md).
func puchengCountyBoundary() string {
	b, _ := dataFS.ReadFile("data/pucheng-county-boundary.geojson")
	return strings.TrimSpace(string(b))
}

// setCountyBoundary gives the county unit code the shipped boundary when it
// has none, so that a boundary an administrator set is never overwritten.
func setCountyBoundary(ctx context.Context, tx *store.Tx, code, geojson string) error {
	b, err := ParseBoundary(geojson)
	if err != nil {
		return fmt.Errorf("shipped boundary of %s: %w", code, err)
	}
	_, err = tx.Exec(ctx, `UPDATE units SET boundary = ?, min_lng = ?, min_lat = ?, max_lng = ?, max_lat = ? WHERE code = ? AND boundary = ''`,
		geojson, b.BBox.MinLng, b.BBox.MinLat, b.BBox.MaxLng, b.BBox.MaxLat, code)
	if err != nil {
		return fmt.Errorf("set boundary of %s: %w", code, err)
	}
	return nil
}
