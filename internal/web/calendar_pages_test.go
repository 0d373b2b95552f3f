package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/worktime"
)

var (
	calCountyAdmin   = access.Actor{UserID: 1, Username: "admin", Name: "管理员", UnitName: "浦城县", UnitKind: "county", UnitPath: "/1/", Roles: []access.Role{access.RoleAdmin}}
	calTownshipAdmin = access.Actor{UserID: 2, Username: "tadmin", Name: "乡镇管理员", UnitName: "南浦街道", UnitKind: "street", UnitPath: "/1/2/", Roles: []access.Role{access.RoleAdmin}}
	calClerk         = access.Actor{UserID: 3, Username: "clerk", Name: "办事员", UnitName: "浦城县", UnitKind: "county", UnitPath: "/1/", Roles: []access.Role{access.RoleSupervisor}}
)

// TestCalendarPagesRender renders the calendar page with sample data in both
// languages, editable and read-only, with and without the year's entries.
func TestCalendarPagesRender(t *testing.T) {
	t.Parallel()
	s, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	days := []worktime.Day{
		{Day: "2026-10-01", Kind: worktime.Holiday, Name: "国庆节"},
		{Day: "2026-10-10", Kind: worktime.Workday, Name: "国庆节调休上班"},
	}
	cal, err := worktime.NewCalendar(days, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		lang    string
		actor   access.Actor
		year    int
		days    []worktime.Day
		want    []string
		notWant []string
	}{
		{"zh editable", "zh", calCountyAdmin, 2026, days,
			[]string{"工作日历", "国庆节调休上班", "星期六", `action="/admin/calendar/days/2026-10-01/delete"`, `name="csrf" value="test-csrf"`, "08:30", "6.5", `class="cal-makeup" title="国庆节调休上班">10<`, "十月"},
			[]string{"尚未录入"}},
		{"en read-only", "en", calTownshipAdmin, 2026, days,
			[]string{"Working calendar", "Make-up working day", "you may look"},
			[]string{`action="/admin/calendar/days"`, `action="/admin/calendar/hours"`}},
		{"zh year without entries", "zh", calCountyAdmin, 2027, nil,
			[]string{"2027年的节假日和调休安排尚未录入", "暂无数据"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := AdminCalendarPage{Page: s.TestPage(tc.lang, tc.actor), CanEdit: worktime.CanEdit(tc.actor), Form: CalendarDayForm{Kind: worktime.Holiday}}
			fillCalendarPage(&p, tc.year, tc.days, cal)
			out, err := s.RenderPage("admin_calendar", p)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
}

func TestMonthGrid(t *testing.T) {
	t.Parallel()
	cal, err := worktime.NewCalendar([]worktime.Day{{Day: "2026-02-14", Kind: worktime.Workday}, {Day: "2026-02-16", Kind: worktime.Holiday}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	feb := monthGrid(2026, cal)[1]
	// 2026-02-01 is a Sunday: six empty cells, then the 1st.
	if first := feb.Weeks[0]; first[5].Day != 0 || first[6].Day != 1 || first[6].Class != "rest" {
		t.Errorf("first week = %+v", first)
	}
	cells := map[int]string{}
	for _, w := range feb.Weeks {
		if len(w) != 7 {
			t.Fatalf("a week of %d cells", len(w))
		}
		for _, c := range w {
			cells[c.Day] = c.Class
		}
	}
	for day, want := range map[int]string{2: "work", 14: "makeup", 15: "rest", 16: "holiday", 28: "rest"} {
		if cells[day] != want {
			t.Errorf("2026-02-%02d is %q, want %q", day, cells[day], want)
		}
	}
}

// calRequest sends a request as actor straight to the routes (the session
// layer, tested by the auth work, is skipped).
func calRequest(s *Server, actor access.Actor, method, target string, form url.Values) *httptest.ResponseRecorder {
	var r *http.Request
	if form != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	w := httptest.NewRecorder()
	s.mux.ServeHTTP(w, withState(r, requestState{Actor: actor, CSRF: "test-csrf"}))
	return w
}

func TestCalendarHandlers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		work, err := worktime.NewService(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Deps{DB: db, Work: work})
		if err != nil {
			t.Fatal(err)
		}
		check := func(w *httptest.ResponseRecorder, status int, contains string) {
			t.Helper()
			if w.Code != status {
				t.Errorf("status %d, want %d; body: %.300s", w.Code, status, w.Body.String())
			}
			if contains != "" && !strings.Contains(w.Body.String(), contains) {
				t.Errorf("body lacks %q: %.500s", contains, w.Body.String())
			}
		}
		check(calRequest(s, calCountyAdmin, "GET", "/admin/calendar?year=2026", nil), 200, "国庆节调休上班")
		check(calRequest(s, calCountyAdmin, "GET", "/admin/calendar?year=2026&edit=2026-10-10&saved=1", nil), 200, `value="国庆节调休上班"`)
		check(calRequest(s, calCountyAdmin, "GET", "/admin/calendar?year=2027", nil), 200, "尚未录入")
		check(calRequest(s, calCountyAdmin, "GET", "/admin/calendar?year=abc", nil), 400, "年份不正确")
		check(calRequest(s, calClerk, "GET", "/admin/calendar", nil), 403, "")
		check(calRequest(s, access.Actor{}, "GET", "/admin/calendar", nil), 303, "")

		// Add a day, then see it in force.
		w := calRequest(s, calCountyAdmin, "POST", "/admin/calendar/days", url.Values{"day": {"2026-11-02"}, "kind": {"holiday"}, "name": {"测试假日"}})
		check(w, 303, "")
		if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "/admin/calendar?year=2026&saved=1") {
			t.Errorf("redirect to %q", loc)
		}
		if work.Calendar().IsWorkday(mustDay(t, "2026-11-02")) {
			t.Error("added holiday not in force")
		}
		// A mistake shows the page again with the message and the input kept.
		check(calRequest(s, calCountyAdmin, "POST", "/admin/calendar/days", url.Values{"day": {"2026-11-31"}, "kind": {"holiday"}, "name": {"错日"}}), 400, "日期“2026-11-31”格式不正确")
		// A township administrator may look but not change.
		check(calRequest(s, calTownshipAdmin, "GET", "/admin/calendar?year=2026", nil), 200, "只能查看")
		check(calRequest(s, calTownshipAdmin, "POST", "/admin/calendar/days/2026-11-02/delete", url.Values{}), 403, "县级系统管理员")
		// Delete it.
		check(calRequest(s, calCountyAdmin, "POST", "/admin/calendar/days/2026-11-02/delete", url.Values{}), 303, "")
		if !work.Calendar().IsWorkday(mustDay(t, "2026-11-02")) {
			t.Error("deleted holiday still in force")
		}
		check(calRequest(s, calCountyAdmin, "POST", "/admin/calendar/days/2026-11-02/delete", url.Values{}), 404, "")

		// Working hours.
		check(calRequest(s, calCountyAdmin, "POST", "/admin/calendar/hours", url.Values{"year": {"2026"}, "start": {"09:00", "14:00", ""}, "end": {"12:00", "18:00", ""}}), 303, "")
		if got := worktime.FormatHours(work.Calendar().Hours()); got != "09:00-12:00,14:00-18:00" {
			t.Errorf("hours = %q", got)
		}
		check(calRequest(s, calCountyAdmin, "POST", "/admin/calendar/hours", url.Values{"year": {"2026"}, "start": {"09:00", "11:00"}, "end": {"12:00", "18:00"}}), 400, "重叠")
		check(calRequest(s, calCountyAdmin, "POST", "/admin/calendar/hours", url.Values{"year": {"2026"}, "start": {"09:00"}, "end": {""}}), 400, "成对")
	})
}

func mustDay(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := worktime.ParseDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return v.Add(10 * time.Hour)
}
