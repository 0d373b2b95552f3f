package org

// Grid boundaries from GeoJSON: a county's real grids, as a FeatureCollection
// of Polygon or MultiPolygon features (WGS-84) whose properties name the
// grid ("code", and for a new grid "name" and "parent", the community or
// village it lies in). The whole file is checked first; one bad feature
// refuses the file and names every bad feature, and nothing is imported.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// FeatureError is one bad feature of a grids file.
type FeatureError struct {
	Index int // 1-based, in file order
	Code  string
	Msg   string
}

func (e FeatureError) String() string {
	if e.Code != "" {
		return fmt.Sprintf("第%d个要素（%s）：%s", e.Index, e.Code, e.Msg)
	}
	return fmt.Sprintf("第%d个要素：%s", e.Index, e.Msg)
}

// GridImportError lists every bad feature of a refused grids file.
type GridImportError struct {
	Features []FeatureError
}

func (e *GridImportError) Error() string {
	parts := make([]string, 0, len(e.Features))
	for _, f := range e.Features {
		parts = append(parts, f.String())
	}
	return fmt.Sprintf("网格文件有%d个要素有误，未导入任何网格；%s", len(e.Features), strings.Join(parts, "；"))
}

// Unwrap makes errors.Is(err, store.ErrInvalid) hold.
func (e *GridImportError) Unwrap() error { return store.ErrInvalid }

// GridImportResult says what ImportGrids did.
type GridImportResult struct {
	Inserted, Updated int
}

type gridFeature struct {
	index              int
	code, name, parent string
	geometry           string
	box                BBox
	lng, lat           float64 // a point inside, GCJ-02
}

func featureMessage(err error) string {
	if msg, ok := store.UserMessage(err); ok {
		return msg
	}
	return err.Error()
}

// ImportGrids reads a GeoJSON FeatureCollection of grids and stores their
// boundaries: an existing grid's boundary is replaced, a new grid is added
// under its parent. County administrators (and the system) only.
func (s *Service) ImportGrids(ctx context.Context, actor access.Actor, src io.Reader, source string) (GridImportResult, error) {
	if !actor.System && !(actor.Has(access.RoleAdmin) && actor.CountyWide()) {
		return GridImportResult{}, store.Forbidden("只有县级系统管理员可以导入网格边界")
	}
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.NewDecoder(src).Decode(&fc); err != nil {
		return GridImportResult{}, store.Invalidf("网格文件不是有效的GeoJSON：%v", err)
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) == 0 {
		return GridImportResult{}, store.Invalid("网格文件应为含有要素的GeoJSON FeatureCollection")
	}
	var res GridImportResult
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		existing, err := loadExisting(ctx, tx)
		if err != nil {
			return err
		}
		var bad []FeatureError
		var good []gridFeature
		seen := map[string]int{}
		for i, raw := range fc.Features {
			f, msg := parseGridFeature(i+1, raw)
			if msg == "" {
				if first, dup := seen[f.code]; dup {
					msg = fmt.Sprintf("网格代码与第%d个要素重复", first)
				}
				seen[f.code] = f.index
			}
			if msg == "" {
				msg = checkGridFeature(&f, existing)
			}
			if msg != "" {
				bad = append(bad, FeatureError{Index: i + 1, Code: f.code, Msg: msg})
				continue
			}
			good = append(good, f)
		}
		if len(bad) > 0 {
			return &GridImportError{Features: bad}
		}
		now := s.nowMillis()
		for _, f := range good {
			box := f.box
			lng, lat := f.lng, f.lat
			if e := existing[f.code]; e != nil {
				_, err := tx.Exec(ctx, `UPDATE units SET boundary = ?, min_lng = ?, min_lat = ?, max_lng = ?, max_lat = ?, lng = ?, lat = ?, updated_at = ? WHERE id = ?`,
					f.geometry, box.MinLng, box.MinLat, box.MaxLng, box.MaxLat, lng, lat, now, e.id)
				if err != nil {
					return fmt.Errorf("grid %s: %w", f.code, err)
				}
				res.Updated++
				continue
			}
			parent := existing[f.parent]
			e, err := insertUnit(ctx, tx, parent, newUnit{Code: f.code, Name: f.name, Kind: KindGrid, UnitType: "网格",
				Lng: &lng, Lat: &lat, Boundary: f.geometry, BBox: &box}, now)
			if err != nil {
				return fmt.Errorf("grid %s: %w", f.code, err)
			}
			e.kind, e.parentCode = KindGrid, f.parent
			existing[f.code] = e
			res.Inserted++
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "unit.grids.import", Entity: "unit", EntityID: source,
			After: map[string]int{"inserted": res.Inserted, "updated": res.Updated}})
	})
	if err != nil {
		return GridImportResult{}, err
	}
	return res, nil
}

// parseGridFeature reads one feature on its own.
func parseGridFeature(index int, raw json.RawMessage) (gridFeature, string) {
	f := gridFeature{index: index}
	var ft struct {
		Type       string          `json:"type"`
		Properties map[string]any  `json:"properties"`
		Geometry   json.RawMessage `json:"geometry"`
	}
	if err := json.Unmarshal(raw, &ft); err != nil || ft.Type != "Feature" {
		return f, "不是GeoJSON Feature"
	}
	prop := func(k string) string {
		if v, ok := ft.Properties[k]; ok && v != nil {
			return strings.TrimSpace(fmt.Sprint(v))
		}
		return ""
	}
	f.code, f.name, f.parent = prop("code"), prop("name"), prop("parent")
	if f.code == "" {
		return f, "缺少网格代码（properties.code）"
	}
	if len(ft.Geometry) == 0 || string(ft.Geometry) == "null" {
		return f, "缺少边界（geometry）"
	}
	b, err := ParseBoundary(string(ft.Geometry))
	if err != nil {
		return f, featureMessage(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, ft.Geometry); err != nil {
		return f, featureMessage(err)
	}
	f.geometry, f.box = compact.String(), b.BBox
	wLng, wLat, ok := interiorPoint(b)
	if !ok {
		return f, "边界面积为零，找不到其内部的点"
	}
	f.lng, f.lat = WGS84ToGCJ02(wLng, wLat)
	return f, ""
}

// checkGridFeature checks a feature against the stored units.
func checkGridFeature(f *gridFeature, existing map[string]*existingUnit) string {
	if e := existing[f.code]; e != nil {
		if e.kind != KindGrid {
			return fmt.Sprintf("代码%s已是%s（不是网格）", f.code, e.name)
		}
		if f.parent != "" && f.parent != e.parentCode {
			return fmt.Sprintf("网格%s属于%s，不是%s", e.name, e.parentCode, f.parent)
		}
		return ""
	}
	if f.name == "" {
		return "新网格缺少名称（properties.name）"
	}
	if f.parent == "" {
		return "新网格缺少所属社区或村的代码（properties.parent）"
	}
	p := existing[f.parent]
	if p == nil {
		return fmt.Sprintf("找不到所属单位%s", f.parent)
	}
	if p.kind != KindCommunity && p.kind != KindVillage {
		return fmt.Sprintf("所属单位%s（%s）不是社区或村", f.parent, p.name)
	}
	return ""
}

// interiorPoint returns a point inside the boundary (WGS-84): the middle of
// its box when that lies inside, else the middle of the widest span of the
// first polygon's outer ring along the box's middle latitude, else along
// other latitudes.
func interiorPoint(b Boundary) (float64, float64, bool) {
	cx, cy := (b.BBox.MinLng+b.BBox.MaxLng)/2, (b.BBox.MinLat+b.BBox.MaxLat)/2
	if b.Contains(cx, cy) {
		return cx, cy, true
	}
	for _, t := range []float64{0.5, 0.37, 0.63, 0.25, 0.75, 0.13, 0.87} {
		y := b.BBox.MinLat + (b.BBox.MaxLat-b.BBox.MinLat)*t
		for _, poly := range b.Polygons {
			ring := poly[0]
			var xs []float64
			for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
				xi, yi, xj, yj := ring[i][0], ring[i][1], ring[j][0], ring[j][1]
				if (yi > y) != (yj > y) {
					xs = append(xs, (xj-xi)*(y-yi)/(yj-yi)+xi)
				}
			}
			sort.Float64s(xs)
			best, bx := 0.0, 0.0
			for k := 0; k+1 < len(xs); k += 2 {
				if w := xs[k+1] - xs[k]; w > best {
					best, bx = w, (xs[k]+xs[k+1])/2
				}
			}
			if best > 0 && !math.IsNaN(bx) && b.Contains(bx, y) {
				return bx, y, true
			}
		}
	}
	return 0, 0, false
}
