package org

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Datums. Chinese map services publish GCJ-02 ("Mars coordinates"), a
// deliberately shifted WGS-84; GPS and the browser's geolocation give WGS-84.
// Unit centre points (lng, lat) are stored in GCJ-02 as the divisions file
// gives them; grid boundaries and every point a case carries are WGS-84.

const (
	gcjA  = 6378245.0
	gcjEE = 0.00669342162296594323
)

func outOfChina(lng, lat float64) bool {
	return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271
}

func gcjDelta(lng, lat float64) (dLng, dLat float64) {
	x, y := lng-105.0, lat-35.0
	tLat := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	tLat += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	tLat += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	tLat += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	tLng := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	tLng += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	tLng += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	tLng += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (tLat * 180.0) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLng = (tLng * 180.0) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLng, dLat
}

// WGS84ToGCJ02 converts a WGS-84 point to GCJ-02 with the standard published
// formula (points outside China are unchanged).
func WGS84ToGCJ02(lng, lat float64) (float64, float64) {
	if outOfChina(lng, lat) {
		return lng, lat
	}
	dLng, dLat := gcjDelta(lng, lat)
	return lng + dLng, lat + dLat
}

// GCJ02ToWGS84 converts a GCJ-02 point back to WGS-84 by iterating the
// forward formula (better than a metre; points outside China are unchanged).
func GCJ02ToWGS84(lng, lat float64) (float64, float64) {
	if outOfChina(lng, lat) {
		return lng, lat
	}
	wLng, wLat := lng, lat
	for range 10 {
		gLng, gLat := WGS84ToGCJ02(wLng, wLat)
		dLng, dLat := gLng-lng, gLat-lat
		wLng, wLat = wLng-dLng, wLat-dLat
		if math.Abs(dLng) < 1e-10 && math.Abs(dLat) < 1e-10 {
			break
		}
	}
	return wLng, wLat
}

// BBox is a bounding box in degrees.
type BBox struct {
	MinLng, MinLat, MaxLng, MaxLat float64
}

// Contains reports whether the box holds the point (edges included).
func (b BBox) Contains(lng, lat float64) bool {
	return lng >= b.MinLng && lng <= b.MaxLng && lat >= b.MinLat && lat <= b.MaxLat
}

// Boundary is a parsed GeoJSON Polygon or MultiPolygon: polygons of rings of
// [lng, lat] points, the first ring of each the outer one, the rest holes.
type Boundary struct {
	Polygons [][][][2]float64
	BBox     BBox
}

// ParseBoundary reads a GeoJSON Polygon or MultiPolygon geometry (or a
// Feature holding one) in WGS-84.
func ParseBoundary(geojson string) (Boundary, error) {
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
		Geometry    json.RawMessage `json:"geometry"`
	}
	if err := json.Unmarshal([]byte(geojson), &g); err != nil {
		return Boundary{}, store.Invalidf("边界不是有效的GeoJSON：%v", err)
	}
	if g.Type == "Feature" && len(g.Geometry) > 0 {
		return ParseBoundary(string(g.Geometry))
	}
	var b Boundary
	switch g.Type {
	case "Polygon":
		var poly [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &poly); err != nil {
			return Boundary{}, store.Invalidf("边界坐标格式不正确：%v", err)
		}
		b.Polygons = [][][][2]float64{poly}
	case "MultiPolygon":
		if err := json.Unmarshal(g.Coordinates, &b.Polygons); err != nil {
			return Boundary{}, store.Invalidf("边界坐标格式不正确：%v", err)
		}
	default:
		return Boundary{}, store.Invalidf("边界应为Polygon或MultiPolygon，而不是%q", g.Type)
	}
	b.BBox = BBox{MinLng: math.Inf(1), MinLat: math.Inf(1), MaxLng: math.Inf(-1), MaxLat: math.Inf(-1)}
	if len(b.Polygons) == 0 {
		return Boundary{}, store.Invalid("边界没有多边形")
	}
	for _, poly := range b.Polygons {
		if len(poly) == 0 {
			return Boundary{}, store.Invalid("边界含有空多边形")
		}
		for _, ring := range poly {
			if len(ring) < 4 {
				return Boundary{}, store.Invalid("多边形的每个环至少要有4个点（首尾相同）")
			}
			for _, p := range ring {
				if p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
					return Boundary{}, store.Invalidf("坐标 %v,%v 超出范围", p[0], p[1])
				}
				b.BBox.MinLng = math.Min(b.BBox.MinLng, p[0])
				b.BBox.MaxLng = math.Max(b.BBox.MaxLng, p[0])
				b.BBox.MinLat = math.Min(b.BBox.MinLat, p[1])
				b.BBox.MaxLat = math.Max(b.BBox.MaxLat, p[1])
			}
		}
	}
	return b, nil
}

// Contains reports whether the point lies inside the boundary (inside an
// outer ring and in none of its holes).
func (b Boundary) Contains(lng, lat float64) bool {
	if !b.BBox.Contains(lng, lat) {
		return false
	}
	for _, poly := range b.Polygons {
		if !inRing(poly[0], lng, lat) {
			continue
		}
		inHole := false
		for _, hole := range poly[1:] {
			if inRing(hole, lng, lat) {
				inHole = true
				break
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}

// inRing is the even-odd ray-casting test.
func inRing(ring [][2]float64, x, y float64) bool {
	in := false
	for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
		xi, yi, xj, yj := ring[i][0], ring[i][1], ring[j][0], ring[j][1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

// rectangle returns a closed GeoJSON Polygon for a box.
func rectangle(b BBox) string {
	coords := [][][2]float64{{
		{b.MinLng, b.MinLat}, {b.MaxLng, b.MinLat}, {b.MaxLng, b.MaxLat}, {b.MinLng, b.MaxLat}, {b.MinLng, b.MinLat},
	}}
	out, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": coords})
	return string(out)
}

// GridAt returns the grid whose boundary holds the WGS-84 point, or
// ErrNotFound. Candidates come from an index on the grids' bounding boxes;
// only they are tested polygon by polygon. When imported boundaries overlap,
// the grid with the smallest box wins.
func (s *Service) GridAt(ctx context.Context, lng, lat float64) (Unit, error) {
	if math.IsNaN(lng) || math.IsNaN(lat) {
		return Unit{}, store.Invalid("坐标无效")
	}
	rows, err := s.db.Query(ctx, `SELECT `+unitCols+unitFrom+`
		WHERE u.kind = ? AND u.min_lng <= ? AND u.max_lng >= ? AND u.min_lat <= ? AND u.max_lat >= ?
		ORDER BY (u.max_lng - u.min_lng) * (u.max_lat - u.min_lat), u.code`, KindGrid, lng, lng, lat, lat)
	us, err := scanUnits(rows, err)
	if err != nil {
		return Unit{}, fmt.Errorf("grid at %v,%v: %w", lng, lat, err)
	}
	for _, u := range us {
		b, err := ParseBoundary(u.Boundary)
		if err != nil {
			continue
		}
		if b.Contains(lng, lat) {
			return u, nil
		}
	}
	return Unit{}, store.NotFoundf("坐标 %.6f,%.6f 不在任何网格内", lng, lat)
}

// SetBoundary stores a grid's boundary (GeoJSON Polygon or MultiPolygon in
// WGS-84), for administrators of its subtree; "" clears it.
func (s *Service) SetBoundary(ctx context.Context, actor access.Actor, unitID int64, geojson string) error {
	u, err := s.editableUnit(ctx, actor, unitID)
	if err != nil {
		return err
	}
	var bbox *BBox
	if geojson != "" {
		b, err := ParseBoundary(geojson)
		if err != nil {
			return err
		}
		bbox = &b.BBox
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var minLng, minLat, maxLng, maxLat any
		if bbox != nil {
			minLng, minLat, maxLng, maxLat = bbox.MinLng, bbox.MinLat, bbox.MaxLng, bbox.MaxLat
		}
		_, err := tx.Exec(ctx, `UPDATE units SET boundary = ?, min_lng = ?, min_lat = ?, max_lng = ?, max_lat = ?, updated_at = ? WHERE id = ?`,
			geojson, minLng, minLat, maxLng, maxLat, s.nowMillis(), unitID)
		if err != nil {
			return fmt.Errorf("set boundary of %s: %w", u.Code, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "unit.boundary", Entity: "unit", EntityID: u.Code,
			Before: map[string]string{"boundary": u.Boundary}, After: map[string]string{"boundary": geojson}})
	})
}
