package webhook

import (
	"fmt"
	"time"
)

// TimeLayout is the one format of every time in an outbound body (case
// events and the provincial status updates): RFC 3339 at +08:00, to the
// millisecond, "2026-12-03T15:04:05.000+08:00" (docs/INTEGRATION.md).
// Receivers compare and sort them as text; the server's own zone and Go's
// trimmed fractions (RFC3339Nano) would break that.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// chinaStandardTime is +08:00 without daylight saving, fixed so that the
// format holds on a server with no zone database.
var chinaStandardTime = time.FixedZone("CST", 8*60*60)

// FormatTime writes t in TimeLayout.
func FormatTime(t time.Time) string {
	return t.In(chinaStandardTime).Format(TimeLayout)
}

// Time is a time.Time that a body encodes in TimeLayout.
type Time struct{ time.Time }

// TimeOf is t as a body's optional time: nil stays nil.
func TimeOf(t *time.Time) *Time {
	if t == nil {
		return nil
	}
	return &Time{*t}
}

// MarshalJSON writes the time in TimeLayout.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + FormatTime(t.Time) + `"`), nil
}

// UnmarshalJSON reads any RFC 3339 time (receivers written in Go).
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("webhook time: %s is not a string", b)
	}
	v, err := time.Parse(time.RFC3339, string(b[1:len(b)-1]))
	if err != nil {
		return fmt.Errorf("webhook time: %w", err)
	}
	t.Time = v
	return nil
}
