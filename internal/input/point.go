package input

import (
	"math"
	"strconv"
	"strings"
)

// Coord reads a coordinate in decimal degrees: a finite number within
// ±limit (180 for a longitude, 90 for a latitude). strconv.ParseFloat alone
// takes "NaN", "Inf" and "1e400" (+Inf with an error only for the last).
func Coord(s string, limit float64) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < -limit || v > limit {
		return 0, false
	}
	return v, true
}

// Point reads a longitude and a latitude as Coord does.
func Point(lng, lat string) (x, y float64, ok bool) {
	x, okX := Coord(lng, 180)
	y, okY := Coord(lat, 90)
	return x, y, okX && okY
}
