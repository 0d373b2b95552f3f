package casework

import (
	"context"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestAutoDispatchAboveTheGate: a case of a chosen channel whose words the
// model is sure of is dispatched at intake, by nobody, to the unit the
// lists route the category to, and its timeline says so with the
// confidence; below the gate, from another channel, or when staff chose a
// category without a unit, it waits for a person. Automatic dispatches do
// not become training examples.
func TestAutoDispatchAboveTheGate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		admin := fx.actor(1, "350722000000", access.RoleAdmin)
		if err := fx.cat.SetCategoryDepartment(ctx, admin, "B01001", "350722D002"); err != nil {
			t.Fatal(err)
		}
		// The model: sure of manholes, unsure of the rest; the county
		// chose the portal only.
		fx.s.UseAutoDispatch(func(_ context.Context, _ store.RowQueryer, channel, text string) (AutoChoice, bool, error) {
			if channel != "portal" {
				return AutoChoice{}, false, nil
			}
			if strings.Contains(text, "井盖") {
				return AutoChoice{Category: "B01001", Confidence: 0.934, Gate: 0.8, ModelID: 7}, true, nil
			}
			return AutoChoice{}, false, nil
		})
		resident := access.Actor{}
		portal := func(title string) NewCase {
			in := hotline(title)
			in.Body = title + "，请尽快处理"
			return in
		}

		c := fx.create(resident, portal("小区门口井盖缺失"))
		if c.Status != "dispatched" || c.CategoryCode != "B01001" {
			t.Fatalf("sure case: status %s, category %q; want dispatched under B01001", c.Status, c.CategoryCode)
		}
		if lead := fx.lead(c.No); lead.UnitCode != "350722D002" {
			t.Errorf("dispatched to %s, want the category's department", lead.UnitCode)
		}
		var dispatch *Event
		d := fx.detail(c.No)
		for i, e := range d.Events {
			if e.Action == "dispatch" {
				dispatch = &d.Events[i]
			}
		}
		if dispatch == nil || dispatch.ActorName != "自动派单" || !strings.Contains(dispatch.Note, "置信度 93%") ||
			dispatch.Data["auto"] != true || dispatch.Data["confidence"] != 0.934 {
			t.Errorf("dispatch event %+v; want 自动派单 with the confidence", dispatch)
		}

		// Below the gate: waits, without a category.
		if c := fx.create(resident, portal("楼上装修噪音大")); c.Status != "received" || c.CategoryCode != "" {
			t.Errorf("unsure case: %s %q; want received, no category", c.Status, c.CategoryCode)
		}
		// Another channel (the call-taker's phone): waits.
		taker := fx.actor(1, "350722000000")
		if c := fx.create(taker, hotline("井盖缺失")); c.Status != "received" {
			t.Errorf("phone case: %s; want received", c.Status)
		}
		// A resident's own category is replaced by the model's sure one.
		in := portal("人行道井盖松动")
		in.Category = "B01"
		if c := fx.create(resident, in); c.Status != "dispatched" || c.CategoryCode != "B01001" {
			t.Errorf("resident's category: %s %q; want dispatched under B01001", c.Status, c.CategoryCode)
		}
		ex, err := fx.s.DispatchExamples(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(ex) != 0 {
			t.Errorf("%d training examples from automatic dispatches, want 0: %+v", len(ex), ex)
		}
		// A person's dispatch teaches.
		waiting := fx.create(taker, func() NewCase { in := hotline("井盖被盗"); in.Category = "B01001"; return in }())
		fx.do(taker, waiting.No, Action{Name: "dispatch", UnitCode: "350722D002"})
		if ex, _ := fx.s.DispatchExamples(ctx, 100); len(ex) != 1 {
			t.Errorf("%d training examples after a person's dispatch, want 1", len(ex))
		}
	})
}
