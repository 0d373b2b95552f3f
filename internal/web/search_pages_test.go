package web

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/worktime"
)

// TestPhoneSearchIsNoOracle proves that the inbox answers no one a
// reporter's number by search: a number typed into the keyword box (in the
// URL) is refused for everyone, whole or partial; the posted search by number
// is refused to those who may not reveal numbers, refused for partial
// numbers, and for an administrator finds the case, shows the number only
// masked and in no link, and is recorded in the reveal report.
func TestPhoneSearchIsNoOracle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newCaseFixture(t, db)
		operator := fx.actor(1, "350722000000", "county", access.RoleAdmin)
		community := fx.actor(5, "350722001001", "community", access.RoleCommunity)
		c, _, err := fx.s.Cases.Create(ctx, operator, casework.NewCase{Flow: "hotline", RequestType: "help", Title: "楼道灯不亮",
			Body: "仙楼社区楼道灯坏", ReporterName: "王女士", ReporterPhone: "13812345678", PlaceUnit: "350722001001"})
		if err != nil {
			t.Fatal(err)
		}
		// The community sees the case, so it was the oracle's target.
		expect(t, fx.send(community, "GET", "/cases/"+c.No, nil), 200, c.No)
		for _, q := range []string{"13812345678", "138-1234-5678", "1381234"} {
			w := fx.send(community, "GET", "/cases?q="+url.QueryEscape(q), nil)
			expect(t, w, 400, "按号码查找")
			if strings.Contains(w.Body.String(), c.No) {
				t.Errorf("GET q=%s by the community lists the case", q)
			}
			expect(t, fx.send(operator, "GET", "/cases?q="+url.QueryEscape(q), nil), 400, "按号码查找")
		}
		w := fx.send(community, "POST", "/cases/search", url.Values{"q": {"13812345678"}})
		expect(t, w, 403, "只有管理员、督查人员和热线呼叫中心可以按电话号码查找工单")
		if strings.Contains(w.Body.String(), c.No) {
			t.Error("the community's search by number lists the case")
		}
		expect(t, fx.send(operator, "POST", "/cases/search", url.Values{"q": {"1381234"}}), 400, "完整的电话号码")
		expect(t, fx.send(operator, "POST", "/cases/search", url.Values{"q": {"5678"}}), 303)

		w = fx.send(operator, "POST", "/cases/search", url.Values{"q": {"138 1234 5678"}, "reason": {"来电人询问进度"}})
		expect(t, w, 200, c.No, "138****5678", "本次查找已记录")
		if body := w.Body.String(); strings.Contains(body, "13812345678") || strings.Contains(body, "1234 5678") {
			t.Error("the answer to a search by number carries the number in full")
		}
		expect(t, fx.send(operator, "GET", "/admin/reveals?subject=phone_search", nil), 200, "按号码查找", "138****5678", "来电人询问进度")

		// Case numbers and keywords typed in the top search box go on to the
		// inbox.
		w = fx.send(operator, "POST", "/cases/search", url.Values{"q": {c.No}})
		expect(t, w, 303)
		if loc := w.Header().Get("Location"); loc != "/cases?q="+c.No {
			t.Errorf("case number goes to %q", loc)
		}
		w = fx.send(operator, "POST", "/cases/search", url.Values{"q": {"楼道灯"}})
		if loc := w.Header().Get("Location"); w.Code != 303 || loc != "/cases?q="+url.QueryEscape("楼道灯") {
			t.Errorf("keywords: %d to %q", w.Code, loc)
		}
	})
}

// TestFinalStatusesTaggedClosed proves that every flow's final statuses
// (from the flow declarations, through the engine) are tagged closed in the
// lists, and that statuses that are not final are not.
func TestFinalStatusesTaggedClosed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		cal, err := worktime.NewCalendar(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			flow, status string
			closed       bool
		}{
			{"service", "delivered", true}, {"service", "withdrawn", true},
			{"township_call", "withdrawn", true}, {"whistle", "cancelled", true},
			{"grid_event", "dismissed", true}, {"hotline", "closed", true},
			{"hotline", "in_hand", false}, {"service", "accepted", false},
		} {
			v := rowView(cal, "zh", time.Now(), casework.InboxRow{Flow: tc.flow, Status: tc.status, AssignmentID: 1, AssignmentStatus: "done"}, fx.s.finalStatus)
			if got := v.Tag == "closed"; got != tc.closed {
				t.Errorf("%s/%s tagged %q, closed = %v, want %v", tc.flow, tc.status, v.Tag, got, tc.closed)
			}
		}
	})
}

// TestNoStore proves that pages and API-like answers with personal data
// are not kept by caches (Cache-Control: no-store) — staff pages, the
// portal's pages, redirects — while the static assets keep their caching.
func TestNoStore(t *testing.T) {
	t.Parallel()
	s, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	for _, tc := range []struct {
		path string
		want string
	}{
		{"/cases", "no-store"},
		{"/cases/350722-20261126-00001", "no-store"},
		{"/login", "no-store"},
		{"/portal/track", "no-store"},
		{"/static/app.css", "no-cache"}, // revalidated (ETag); the hashed URL is immutable
		{assetURL("app.css"), "public, max-age=31536000, immutable"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", tc.path, nil))
		if got := w.Header().Get("Cache-Control"); got != tc.want {
			t.Errorf("GET %s (%d): Cache-Control %q, want %q", tc.path, w.Code, got, tc.want)
		}
	}
}
