package casework

import (
	"context"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestDispatchExamples: a case a person dispatched is an example with its
// category; a case never dispatched, or without category, is not.
func TestDispatchExamples(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		taker := fx.actor(1, "350722000000")
		street := fx.actor(2, "350722001000", access.RoleTownship)
		in := hotline("仙楼社区路灯不亮")
		in.Category = "S06001"
		c := fx.create(taker, in)
		fx.do(taker, c.No, Action{Name: "dispatch", UnitCode: "350722001000"})
		fx.do(street, c.No, Action{Name: "return", Note: "非本街道职责"})
		fx.do(taker, c.No, Action{Name: "dispatch", UnitCode: "350722D003"})
		waiting := hotline("尚未派单")
		waiting.Category = "S06001"
		fx.create(taker, waiting)
		d := fx.create(taker, hotline("无分类"))
		fx.do(taker, d.No, Action{Name: "dispatch", UnitCode: "350722D003"})

		got, err := fx.s.DispatchExamples(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		want := []DispatchExample{{Text: "仙楼社区路灯不亮\n小区路灯不亮，晚上出行不便", Category: "S06001"}}
		if len(got) != 1 || got[0] != want[0] {
			t.Fatalf("examples %+v, want %+v", got, want)
		}
	})
}
