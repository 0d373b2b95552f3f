package casework

import (
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestServiceFlowPauseResume takes a service application through the flow:
// its own promised limit, the clock stopped while supplements are awaited
// and restarted with the time that was left, and the refusals on the way.
func TestServiceFlowPauseResume(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		window := fx.actor(1, "350722001000", access.RoleTownship)
		other := fx.actor(2, "350722101000", access.RoleTownship)
		c := fx.create(window, NewCase{Flow: "service", Kind: "promised", Title: "临时救助（王大妈）", ReporterPhone: "13900001111",
			PlaceUnit: "350722001000", Dispatch: "350722001000", Channel: "window", DataJSON: `{"limits":{"handle":"3d"}}`})
		if c.Status != "dispatched" || c.HandleDueAt == nil {
			t.Fatalf("after intake: %s %v", c.Status, c.HandleDueAt)
		}
		want := fx.work.Calendar().Add(fx.now, workDays(3))
		if !c.HandleDueAt.Equal(want) {
			t.Fatalf("handle due %v, want the case's own 3 working days %v", c.HandleDueAt, want)
		}
		fx.refused(other, c.No, Action{Name: "sign"}, store.ErrNotFound)
		fx.do(window, c.No, Action{Name: "sign"})
		fx.refused(window, c.No, Action{Name: "ask_supplement"}, store.ErrInvalid) // a note is needed
		fx.now = fx.now.Add(2 * time.Hour)
		left := fx.work.Calendar().Between(fx.now, want)
		c = fx.do(window, c.No, Action{Name: "ask_supplement", Note: "请补充证明"})
		if c.Status != "supplement" || c.HandleDueAt != nil || fx.lead(c.No).HandleDueAt != nil {
			t.Fatalf("paused: %s %v", c.Status, c.HandleDueAt)
		}
		if n := fx.count(`SELECT COUNT(*) FROM timers WHERE case_id = ? AND kind LIKE 'handle%' AND fired_at IS NULL`, c.ID); n != 0 {
			t.Errorf("%d handle timers still pending while paused", n)
		}
		fx.refused(window, c.No, Action{Name: "approve", Note: "x"}, store.ErrConflict)
		fx.refused(window, c.No, Action{Name: "give_supplement", Note: "已补"}, store.ErrInvalid) // "via" is needed
		fx.now = fx.now.AddDate(0, 0, 14)
		c = fx.do(window, c.No, Action{Name: "give_supplement", Note: "已补", Fields: map[string]string{"via": "window"}})
		if c.Status != "in_hand" || c.HandleDueAt == nil {
			t.Fatalf("resumed: %s %v", c.Status, c.HandleDueAt)
		}
		if got := fx.work.Calendar().Between(fx.now, *c.HandleDueAt); got.Round(time.Minute) != left.Round(time.Minute) {
			t.Errorf("time left after resume %v, want %v", got, left)
		}
		fx.refused(window, c.No, Action{Name: "deliver", Fields: map[string]string{"delivery": "window"}}, store.ErrConflict)
		fx.do(window, c.No, Action{Name: "approve", Note: "准予"})
		c = fx.do(window, c.No, Action{Name: "deliver", Fields: map[string]string{"delivery": "window"}})
		if c.Status != "delivered" || c.ClosedAt == nil {
			t.Fatalf("delivered: %s", c.Status)
		}
	})
}
