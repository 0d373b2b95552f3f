package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/dispatch"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestDispatchSuggestions: with a trained model, the call-taker's form, the
// fragment it fetches as the words are typed and the dispatch form of a
// case waiting for dispatch show the three likeliest categories, the top
// one first with its confidence and the unit the lists route it to, as
// buttons that fill the category and unit inputs (Alt+1/2/3 in app.js).
// Without a model, nothing is shown.
func TestDispatchSuggestions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		ctx := context.Background()
		admin := fx.actor(1, "350722000000", "county", access.RoleAdmin)
		lists := catalog.NewService(db)
		if err := lists.SetCategoryDepartment(ctx, admin, "B01001", "350722D003"); err != nil {
			t.Fatal(err)
		}
		d := fx.s.Deps
		d.Lists = lists
		d.Dispatch = dispatch.NewService(db, d.Log, func(context.Context) ([]dispatch.Example, error) {
			var ex []dispatch.Example
			for i := range 30 {
				ex = append(ex, dispatch.Example{Text: fmt.Sprintf("窨井盖缺失 路口%d号", i), Label: "B01001"},
					dispatch.Example{Text: fmt.Sprintf("楼上装修噪音 %d栋", i), Label: "B02"},
					dispatch.Example{Text: fmt.Sprintf("垃圾没人清运 %d巷", i), Label: "B03"})
			}
			return ex, nil
		})
		s, err := New(d)
		if err != nil {
			t.Fatal(err)
		}
		fx.s = s
		taker := fx.actor(2, "350722000000", "county")

		// No model yet: no box.
		w := fx.send(taker, http.MethodGet, "/cases/new?flow=hotline", nil)
		expect(t, w, http.StatusOK)
		if strings.Contains(w.Body.String(), `id="suggest"`) {
			t.Error("suggestions shown without a model")
		}
		if _, err := d.Dispatch.Retrain(ctx, admin, "admin"); err != nil {
			t.Fatal(err)
		}
		w = fx.send(taker, http.MethodGet, "/cases/new?flow=hotline", nil)
		expect(t, w, http.StatusOK, `id="suggest"`, `hx-get="/dispatch/suggest?fill_category=%23f-category&amp;fill_unit=%23f-dispatch"`)
		w = fx.send(taker, http.MethodGet, "/dispatch/suggest?fill_category=%23f-category&fill_unit=%23f-dispatch&title="+urlQueryEscape("路口窨井盖缺失"), nil)
		expect(t, w, http.StatusOK, `data-suggest="1" data-category="B01001" data-unit="350722D003" data-fill-category="#f-category" data-fill-unit="#f-dispatch"`,
			"Alt+1", "→ 县城市管理和综合执法局", `data-suggest="3"`)
		// A selector that is not an element id is dropped.
		w = fx.send(taker, http.MethodGet, "/dispatch/suggest?fill_unit="+urlQueryEscape(`x"><script>`)+"&title="+urlQueryEscape("窨井盖"), nil)
		if strings.Contains(w.Body.String(), "data-fill-unit") || strings.Contains(w.Body.String(), "<script>") {
			t.Errorf("a bad selector got through: %s", w.Body.String())
		}

		// A case received without a unit: its dispatch form offers them.
		c, _, err := fx.s.Cases.Create(ctx, admin, casework.NewCase{Flow: "hotline", RequestType: "complaint", Title: "路口窨井盖缺失",
			ReporterPhone: "13800001234", PlaceUnit: "350722001001"})
		if err != nil {
			t.Fatal(err)
		}
		w = fx.send(admin, http.MethodGet, "/cases/"+c.No, nil)
		expect(t, w, http.StatusOK, `data-suggest="1" data-category="B01001" data-unit="350722D003" data-fill-unit="#a-dispatch-unit"`)
	})
}
