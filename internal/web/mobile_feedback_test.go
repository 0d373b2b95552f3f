package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestMobileFeedback: 每日一反馈 on the phone. The grid worker opens the
// feedback form of an event of their grid, is refused without words, tells
// the requester what happened today; the case's public timeline and the
// grid's ledger of the day carry it. A case of a flow without a daily
// feedback action has no form.
func TestMobileFeedback(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		ctx := context.Background()
		worker := fx.actor(31, "350722001001G01", "grid", access.RoleGrid)
		c, _, err := fx.s.Cases.Create(ctx, worker, casework.NewCase{Flow: "grid_event", Category: "S06001", Title: "楼道堆放杂物", PlaceUnit: "350722001001G01", Channel: "grid"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, fx.send(worker, http.MethodGet, "/m/feedback/"+c.No, nil), http.StatusOK, "楼道堆放杂物", "尚未告知诉求人任何进展", `action="/m/feedback/`+c.No+`"`)
		expect(t, fx.send(worker, http.MethodPost, "/m/feedback/"+c.No, url.Values{"note": {"  "}}), http.StatusBadRequest, "楼道堆放杂物", `role="alert"`)
		w := fx.send(worker, http.MethodPost, "/m/feedback/"+c.No, url.Values{"note": {"已联系物业，明天上午清理"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/m?done=feedback&no="+c.No {
			t.Fatalf("feedback: %d %s %s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		expect(t, fx.send(worker, http.MethodGet, "/m/feedback/"+c.No, nil), http.StatusOK, "已联系物业，明天上午清理")
		d, err := fx.s.Cases.Get(ctx, worker, c.No)
		if err != nil {
			t.Fatal(err)
		}
		last := d.Events[len(d.Events)-1]
		if last.Action != "feedback" || !last.Public || last.PublicText != "已联系物业，明天上午清理" || d.Case.Status != "reported" {
			t.Errorf("the feedback event: %+v (status %s)", last, d.Case.Status)
		}
		expect(t, fx.send(worker, http.MethodGet, "/grids/350722001001G01/ledger", nil), http.StatusOK, "已联系物业，明天上午清理", `data-count="told">1<`)

		// Another grid's worker cannot see the case at all.
		fx.addUnit(ctx, "350722001001G02", "仙楼社区第二网格", "grid", "350722001001")
		other := fx.actor(32, "350722001001G02", "grid", access.RoleGrid)
		if w := fx.send(other, http.MethodPost, "/m/feedback/"+c.No, url.Values{"note": {"越权"}}); w.Code != http.StatusNotFound && w.Code != http.StatusForbidden {
			t.Errorf("another grid's worker: %d", w.Code)
		}
	})
}
