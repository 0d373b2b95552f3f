package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestPatrolPages: on the phone a grid worker starts a patrol, notes what
// they see, ends it with a summary; the grid's ledger of the day lists the
// patrol and the note. A second start while one is under way is refused
// with the reason on the page.
func TestPatrolPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		worker := fx.actor(31, "350722001001G01", "grid", access.RoleGrid)
		expect(t, fx.send(worker, http.MethodGet, "/m/patrol", nil), http.StatusOK, "开始巡查")
		w := fx.send(worker, http.MethodPost, "/m/patrol", url.Values{})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("start: %d %s", w.Code, w.Body.String())
		}
		expect(t, fx.send(worker, http.MethodPost, "/m/patrol", url.Values{}), http.StatusConflict, "已有一次巡查正在进行")
		page := fx.send(worker, http.MethodGet, "/m/patrol", nil).Body.String()
		i := strings.Index(page, `action="/m/patrol/`)
		if i < 0 {
			t.Fatalf("no patrol under way on the page:\n%s", page)
		}
		id := page[i+len(`action="/m/patrol/`):]
		id = id[:strings.Index(id, "/")]
		w = fx.send(worker, http.MethodPost, "/m/patrol/"+id+"/notes", url.Values{"note": {"3栋楼道堆放杂物"}, "idem": {"AAAAAAAAAAAAAAAAAAAAAA"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("note: %d %s", w.Code, w.Body.String())
		}
		expect(t, fx.send(worker, http.MethodGet, "/m/patrol", nil), http.StatusOK, "3栋楼道堆放杂物", "结束巡查")
		if w := fx.send(worker, http.MethodPost, "/m/patrol/"+id+"/end", url.Values{"summary": {"巡查一圈"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("end: %d %s", w.Code, w.Body.String())
		}
		expect(t, fx.send(worker, http.MethodGet, "/m/patrol", nil), http.StatusOK, "开始巡查", "巡查一圈", "民情1条")
		expect(t, fx.send(worker, http.MethodGet, "/grids/350722001001G01/ledger", nil), http.StatusOK, "3栋楼道堆放杂物", "巡查一圈", `data-count="patrol">1<`, `data-count="people">1<`)
	})
}
