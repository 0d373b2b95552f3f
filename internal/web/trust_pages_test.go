package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/trust"
)

func TestTrustPagesRender(t *testing.T) {
	t.Parallel()
	s, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Actor{UserID: 1, Name: "管理员", UnitKind: "county", Roles: []access.Role{access.RoleAdmin}}
	req := trust.RevealRequest{Subject: trust.SubjectCase, Ref: "350722-20261126-00001", Field: trust.FieldReporterPhone, Reason: "回访"}
	for _, lang := range []string{"zh", "en"} {
		for _, tc := range []struct {
			name, page string
			data       any
			want       []string
		}{
			{"form", "reveal", RevealPage{Page: s.TestPage(lang, admin), Req: req, Back: "/cases/x", Error: "理由太短"}, []string{`name="reason"`, `name="csrf"`, "理由太短"}},
			{"revealed", "reveal", RevealPage{Page: s.TestPage(lang, admin), Req: req,
				Revealed: &trust.Revealed{Value: "13800005678", Whose: "李四"}}, []string{"13800005678", "李四"}},
			{"report", "admin_reveals", RevealsPage{Page: s.TestPage(lang, admin), Next: 7, Reveals: []trust.Reveal{{ID: 8, At: time.Now(), ActorName: "王五",
				UnitName: "南浦街道", Subject: "case", Ref: "350722-20261126-00001", Field: "reporter_phone", Whose: "李四", Reason: "回访核实"}}},
				[]string{"王五", "回访核实", "before=7"}},
			{"empty report", "admin_reveals", RevealsPage{Page: s.TestPage(lang, admin)}, nil},
		} {
			out, err := s.RenderPage(tc.page, tc.data)
			if err != nil {
				t.Fatalf("%s %s: %v", lang, tc.name, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s %s lacks %q", lang, tc.name, w)
				}
			}
			if strings.Contains(out, "trust.") {
				t.Errorf("%s %s shows an untranslated key", lang, tc.name)
			}
		}
	}
}

// TestRevealThroughTheUI reveals a case's reporter phone as the lead
// department: masked on the case page, full once after a reason, recorded in
// the report an administrator reads.
func TestRevealThroughTheUI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newWalkFixture(t, db)
		dept := fx.actors[roleDept]
		page := fx.send(dept, "GET", "/cases/"+fx.caseNo, nil)
		if page.Code != 200 || strings.Contains(page.Body.String(), "13800005678") || !strings.Contains(page.Body.String(), "*5678") ||
			!strings.Contains(page.Body.String(), "/reveal?subject=case&amp;ref="+fx.caseNo) {
			t.Fatalf("case page: %d; the phone should be masked, with a link to reveal it", page.Code)
		}
		w := fx.send(dept, "POST", "/reveal", url.Values{"subject": {"case"}, "ref": {fx.caseNo}, "field": {"reporter_phone"}, "reason": {"短"}})
		if w.Code != http.StatusBadRequest || strings.Contains(w.Body.String(), "13800005678") {
			t.Fatalf("reveal without a real reason: %d", w.Code)
		}
		w = fx.send(dept, "POST", "/reveal", url.Values{"subject": {"case"}, "ref": {fx.caseNo}, "field": {"reporter_phone"}, "reason": {"联系报告人核实地点"}})
		if w.Code != 200 || !strings.Contains(w.Body.String(), "13800005678") || w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("reveal: %d %q", w.Code, w.Header().Get("Cache-Control"))
		}
		w = fx.send(fx.actors[roleTownB], "POST", "/reveal", url.Values{"subject": {"case"}, "ref": {fx.caseNo}, "field": {"reporter_phone"}, "reason": {"联系报告人核实地点"}})
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "13800005678") {
			t.Fatalf("reveal by township B: %d", w.Code)
		}
		report := fx.send(fx.actors[roleCountyAdmin], "GET", "/admin/reveals", nil)
		if report.Code != 200 || !strings.Contains(report.Body.String(), "联系报告人核实地点") || strings.Count(report.Body.String(), fx.caseNo) < 1 {
			t.Fatalf("report: %d", report.Code)
		}
		if w := fx.send(fx.actors[roleTownA], "GET", "/admin/reveals", nil); w.Code != http.StatusForbidden {
			t.Errorf("report for township staff: %d", w.Code)
		}
	})
}

// TestResidentSeesOnlyOwnCase: a resident follows a case by its number and
// the last four digits of the phone it was reported with; anything else
// finds nothing and shows nothing of the case.
func TestResidentSeesOnlyOwnCase(t *testing.T) {
	t.Parallel()
	fx := newWalkFixture(t, storetest.SQLite(t))
	for _, tc := range []struct {
		name, no, last4 string
		sees            bool
	}{
		{"own case", fx.caseNo, "5678", true},
		{"wrong phone", fx.caseNo, "1234", false},
		{"no phone", fx.caseNo, "", false},
		{"another number", "350722-20261126-99999", "5678", false},
	} {
		w := fx.send(access.Actor{}, "POST", "/portal/track", url.Values{"no": {tc.no}, "last4": {tc.last4}})
		sees := w.Code == 200 && strings.Contains(w.Body.String(), "仙楼路灯不亮")
		if sees != tc.sees || (!tc.sees && strings.Contains(w.Body.String(), "仙楼路灯不亮")) {
			t.Errorf("%s: %d, sees the case = %v, want %v", tc.name, w.Code, sees, tc.sees)
		}
		if strings.Contains(w.Body.String(), "13800005678") || strings.Contains(w.Body.String(), "李四") {
			t.Errorf("%s: the tracking page shows the reporter's personal data", tc.name)
		}
	}
}
