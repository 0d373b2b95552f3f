package volunteer_test

import (
	"testing"
	"time"

	"grassroots/internal/volunteer"
)

func TestServiceMinutes(t *testing.T) {
	t.Parallel()
	m := func(d int) time.Duration { return time.Duration(d) * time.Minute }
	for _, c := range []struct {
		span, length time.Duration
		unit, want   int
	}{
		{m(7), m(120), 15, 0},                   // under half a quarter: no service
		{m(8), m(120), 15, 15},                  // half or more goes up
		{m(52), m(120), 15, 45},                 // nearest quarter, down
		{m(53), m(120), 15, 60},                 // nearest quarter, up
		{m(116), m(120), 15, 120},               // there throughout, signed in late
		{m(50), m(50), 15, 50},                  // the whole of a 50-minute activity
		{m(43), m(50), 15, 50},                  // within half a quarter of its length
		{m(42), m(50), 15, 45},                  // not within: the nearest quarter
		{m(95), 0, 15, 90},                      // length not known
		{m(97) + 40*time.Second, m(120), 1, 98}, // exact minutes, rounded to the nearest
		{m(97) + 20*time.Second, m(120), 1, 97}, // exact minutes, rounded to the nearest
		{m(40), m(120), 30, 30},                 // half hours
		{m(52), m(120), 0, 45},                  // a bad unit is the default
		{m(52), m(120), 90, 45},                 // a bad unit is the default
		{m(240), m(120), 15, 120},               // never more than the activity
		{m(30) + 30*time.Second, m(30), 15, 30}, // its length, not a quarter more
		{m(10) * 0, m(120), 15, 0},              // nothing
	} {
		if got := volunteer.ServiceMinutes(c.span, c.length, c.unit); got != c.want {
			t.Errorf("ServiceMinutes(%v, %v, %d) = %d, want %d", c.span, c.length, c.unit, got, c.want)
		}
	}
}
