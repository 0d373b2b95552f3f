package ledger

import (
	"errors"
	"testing"
	"time"

	"grassroots/internal/store"
)

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) // Thursday
	for _, tt := range []struct {
		kind, day, from, to, label string
	}{
		{"", "", "2026-12-03", "2026-12-04", "2026年12月3日"},
		{Week, "2026-12-03", "2026-11-30", "2026-12-07", "2026年11月30日至12月6日"},
		{Week, "2026-12-06", "2026-11-30", "2026-12-07", "2026年11月30日至12月6日"},
		{Month, "2026-12-31", "2026-12-01", "2027-01-01", "2026年12月"},
	} {
		p, err := ParsePeriod(tt.kind, tt.day, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.From.Format("2006-01-02") + " " + p.To.Format("2006-01-02"); got != tt.from+" "+tt.to || p.Label() != tt.label {
			t.Errorf("ParsePeriod(%q, %q) = %s %q, want %s %s %q", tt.kind, tt.day, got, p.Label(), tt.from, tt.to, tt.label)
		}
	}
	if _, err := ParsePeriod("year", "", now); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a year: %v", err)
	}
	if _, err := ParsePeriod(Day, "2026-13-01", now); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a bad day: %v", err)
	}
}
