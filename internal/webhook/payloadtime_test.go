package webhook

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestFormatTime(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 12, 3, 7, 4, 5, 0, time.UTC), "2026-12-03T15:04:05.000+08:00"},
		{time.Date(2026, 12, 3, 7, 4, 5, 120_456_789, time.UTC), "2026-12-03T15:04:05.120+08:00"},
		{time.Date(2026, 12, 3, 23, 4, 5, 0, time.FixedZone("", -5*3600)), "2026-12-04T12:04:05.000+08:00"},
	} {
		if got := FormatTime(c.in); got != c.want {
			t.Errorf("FormatTime(%v) = %s, want %s", c.in, got, c.want)
		}
		var back Time
		if err := json.Unmarshal([]byte(`"`+c.want+`"`), &back); err != nil || !back.Equal(c.in.Truncate(time.Millisecond)) {
			t.Errorf("Time round trip of %s = %v, %v", c.want, back, err)
		}
	}
}

// TestPayloadTimes: every time in every body of a case's life is in the one
// format, whatever zone the engine's clock is in.
func TestPayloadTimes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		// UTC and a fraction that Go's RFC3339Nano would write as ".12".
		fx.County.Now = time.Date(2026, 12, 3, 1, 2, 3, 120_000_000, time.UTC)
		fx.clock = fx.County.Now
		ep, _ := fx.endpoint("http://example.invalid/all", Events...)
		c := fx.Hotline(fx.CallTaker(), "路灯不亮")
		fx.Resolve(c.No)
		ds, err := fx.hooks.Deliveries(context.Background(), fx.Admin(), DeliveryFilter{EndpointID: ep.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		layout := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$`)
		seen := map[string]bool{}
		for _, d := range ds {
			var body map[string]any
			if err := json.Unmarshal([]byte(d.Payload), &body); err != nil {
				t.Fatal(err)
			}
			times := map[string]any{"occurred_at": body["occurred_at"]}
			for k, v := range body["case"].(map[string]any) {
				if k == "handle_due_at" || k == "answered_at" || k == "closed_at" || k == "created_at" || k == "updated_at" {
					times["case."+k] = v
				}
			}
			for k, v := range times {
				s, _ := v.(string)
				if !layout.MatchString(s) {
					t.Errorf("%s %s: %s = %v, want like 2026-12-03T15:04:05.000+08:00", d.UID, d.Event, k, v)
				}
				seen[k] = true
			}
			if d.Event == EventCaseCreated {
				if got := body["case"].(map[string]any)["created_at"]; got != "2026-12-03T09:02:03.120+08:00" {
					t.Errorf("created_at = %v, want 2026-12-03T09:02:03.120+08:00", got)
				}
			}
		}
		for _, k := range []string{"occurred_at", "case.handle_due_at", "case.answered_at", "case.closed_at", "case.created_at", "case.updated_at"} {
			if !seen[k] {
				t.Errorf("no body carried %s", k)
			}
		}
	})
}
