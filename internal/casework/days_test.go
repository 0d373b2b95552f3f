package casework

import (
	"testing"
	"time"
)

func TestDayBounds(t *testing.T) {
	t.Parallel()
	from, to, err := DayBounds("2026-10-01")
	if err != nil {
		t.Fatal(err)
	}
	if got := from.UTC().Format(time.RFC3339); got != "2026-09-30T16:00:00Z" {
		t.Errorf("from = %s", got)
	}
	if to.Sub(from) != 24*time.Hour {
		t.Errorf("day lasts %v", to.Sub(from))
	}
	if Today(time.Date(2026, 9, 30, 16, 30, 0, 0, time.UTC)) != "2026-10-01" {
		t.Error("Today should use Asia/Shanghai")
	}
}
