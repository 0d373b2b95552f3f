package casework

// The call-taker's duplicate hint: open cases of the same category near the
// point a caller describes, so that a second call about the same broken
// street lamp joins the first case instead of opening another.

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// DefaultNearbyRadius is the distance, in metres, within which an open case
// of the same category is shown as a possible duplicate.
const DefaultNearbyRadius = 50.0

// maxNearby bounds the hint list.
const maxNearby = 10

// NearbyCase is an open case close to a point.
type NearbyCase struct {
	No           string
	Title        string
	Status       string
	CategoryName string
	Address      string
	CreatedAt    time.Time
	// Distance is the distance from the point, in metres.
	Distance float64
}

// earthRadius is the mean radius of the earth in metres.
const earthRadius = 6371008.8

// distance returns the great-circle distance in metres between two points
// given in degrees (haversine).
func distance(lng1, lat1, lng2, lat2 float64) float64 {
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLng := (lng2 - lng1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(a)))
}

// Nearby returns the open cases (not closed) of the category with the given
// code whose point lies within radius metres (DefaultNearbyRadius when
// radius ≤ 0) of (lng, lat), nearest first, at most ten, among the cases the
// actor may see. The database narrows them with a bounding box on the
// category's cases; the exact distance is computed here.
func (s *Service) Nearby(ctx context.Context, actor access.Actor, lng, lat float64, category string, radius float64) ([]NearbyCase, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	if err := checkPoint(&lng, &lat); err != nil {
		return nil, err
	}
	category = strings.TrimSpace(category)
	if category == "" {
		return nil, nil
	}
	if radius <= 0 {
		radius = DefaultNearbyRadius
	}
	dLat := radius / (earthRadius * math.Pi / 180)
	cos := math.Cos(lat * math.Pi / 180)
	if cos < 0.01 {
		cos = 0.01
	}
	dLng := dLat / cos
	scope, sargs := inboxCaseScope(actor)
	args := []any{category, lng - dLng, lng + dLng, lat - dLat, lat + dLat}
	args = append(args, sargs...)
	rows, err := s.db.Reader(ctx).Query(ctx, `SELECT c.no, c.title, c.status, COALESCE(k.name, ''), c.address, c.created_at, c.lng, c.lat
		FROM cases c JOIN categories k ON k.id = c.category_id
		WHERE k.code = ? AND c.closed_at IS NULL
			AND c.lng >= ? AND c.lng <= ? AND c.lat >= ? AND c.lat <= ?
			AND `+scope+`
		ORDER BY c.created_at DESC LIMIT 200`, args...)
	if err != nil {
		return nil, fmt.Errorf("nearby cases: %w", err)
	}
	defer rows.Close()
	var out []NearbyCase
	for rows.Next() {
		var n NearbyCase
		var clng, clat sql.NullFloat64
		var created int64
		if err := rows.Scan(&n.No, &n.Title, &n.Status, &n.CategoryName, &n.Address, &created, &clng, &clat); err != nil {
			return nil, fmt.Errorf("nearby cases: %w", err)
		}
		if !clng.Valid || !clat.Valid {
			continue
		}
		n.CreatedAt = time.UnixMilli(created).In(shanghai)
		n.Distance = distance(lng, lat, clng.Float64, clat.Float64)
		if n.Distance <= radius {
			out = append(out, n)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("nearby cases: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Distance < out[j].Distance })
	if len(out) > maxNearby {
		out = out[:maxNearby]
	}
	return out, nil
}
