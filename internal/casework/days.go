package casework

import (
	"strings"
	"time"

	"grassroots/internal/store"
)

// DayBounds returns the Asia/Shanghai day "2006-01-02" as the half-open
// interval [from, to), or an error for the user.
func DayBounds(day string) (from, to time.Time, err error) {
	d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(day), viewsZone())
	if err != nil {
		return time.Time{}, time.Time{}, store.Invalid("日期格式应为 2026-11-26")
	}
	return d, d.AddDate(0, 0, 1), nil
}

// Today returns the current day in Asia/Shanghai as "2006-01-02".
func Today(now time.Time) string { return now.In(viewsZone()).Format("2006-01-02") }

// viewsZone is Asia/Shanghai (UTC+8 all year, no daylight saving since
// 1991), fixed so that no time-zone database is needed.
func viewsZone() *time.Location { return time.FixedZone("CST", 8*3600) }
