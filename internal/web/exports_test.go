package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/xlsx/xlsxtest"
)

// TestCoordAndReportCardExports downloads a coordination list and the
// report card: each is a clerk's table (internal/xlsx) named by what was
// filtered.
func TestCoordAndReportCardExports(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		town := fx.actor(2, "350722001000", "street", access.RoleTownship)
		county := fx.actor(4, "350722000000", "county", access.RoleAdmin)
		w := fx.send(town, "POST", "/enforcement/new", url.Values{"title": {"沿街违规搭建"}, "place": {"350722001001"}, "kind": {""}, "matter": {"CF00202000"}})
		expect(t, w, 303)

		w = fx.send(town, "GET", "/enforcement/export.xlsx?status=open", nil)
		expect(t, w, 200)
		sh := xlsxtest.Read(t, w.Body.Bytes()).Sheet(t, "综合执法")
		if len(sh.Rows) != 1 || sh.Rows[0][1].Value != "沿街违规搭建" || !sh.Column(t, "发起时间")[0].Date() {
			t.Errorf("enforcement export %+v", sh.Rows)
		}
		// The day of the export ends the name (a pattern: the test may run
		// across midnight).
		if cd := w.Header().Get("Content-Disposition"); !regexp.MustCompile(`filename\*=UTF-8''` + regexp.QuoteMeta(url.PathEscape("综合执法-在办-")) + `[0-9]{8}\.xlsx$`).MatchString(cd) {
			t.Errorf("enforcement export file name %q", cd)
		}

		w = fx.send(county, "GET", "/reportcard/export.xlsx?from=2026-06-01&to=2026-11-30", nil)
		expect(t, w, 200)
		xlsxtest.Read(t, w.Body.Bytes()).Sheet(t, "部门考评")
		if cd := w.Header().Get("Content-Disposition"); !strings.Contains(cd, url.PathEscape("部门考评-20260601至20261130.xlsx")) {
			t.Errorf("report card file name %q", cd)
		}
	})
}
