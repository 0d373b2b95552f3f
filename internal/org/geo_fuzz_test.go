package org

import "testing"

// FuzzParseBoundary feeds grid boundaries (GeoJSON uploaded by staff) to the
// parser: it must answer with a boundary or an error, never panic, and a
// boundary it accepts must answer Contains for any point.
func FuzzParseBoundary(f *testing.F) {
	for _, seed := range []string{
		`{"type":"Polygon","coordinates":[[[118.5,27.9],[118.6,27.9],[118.6,28.0],[118.5,28.0],[118.5,27.9]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[118.5,27.9],[118.6,27.9],[118.6,28.0],[118.5,27.9]]],[[[1,1],[2,1],[2,2],[1,1]]]]}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}`,
		`{"type":"Polygon","coordinates":[[[1e308,1e308],[-1e308,0],[0,0]]]}`,
		`{"type":"Polygon","coordinates":[]}`,
		`{"type":"Point","coordinates":[1,2]}`,
		`null`, `{`, ``,
	} {
		f.Add(seed, 118.55, 27.95)
	}
	f.Fuzz(func(t *testing.T, geojson string, lng, lat float64) {
		b, err := ParseBoundary(geojson)
		if err != nil {
			return
		}
		if len(b.Polygons) == 0 {
			t.Fatalf("ParseBoundary(%q) accepted a boundary without polygons", geojson)
		}
		b.Contains(lng, lat)
	})
}
