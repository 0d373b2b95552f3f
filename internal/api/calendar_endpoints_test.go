package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/worktime"
)

var (
	calAdmin    = access.Actor{UserID: 1, Username: "admin", UnitKind: "county", UnitPath: "/1/", Roles: []access.Role{access.RoleAdmin}}
	calTownship = access.Actor{UserID: 2, Username: "tadmin", UnitKind: "township", UnitPath: "/1/5/", Roles: []access.Role{access.RoleAdmin}}
)

// callAs runs an endpoint's handler as actor, the way route and authed do
// once the token is resolved (token auth is tested by the auth work).
func callAs(s *Server, fn func(http.ResponseWriter, *http.Request, access.Actor) error, actor access.Actor, method, target, day, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if day != "" {
		r.SetPathValue("day", day)
	}
	w := httptest.NewRecorder()
	handlerWrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r, actor); err != nil {
			s.writeError(w, r, err)
		}
	})).ServeHTTP(w, r)
	return w
}

func TestCalendarEndpoints(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		work, err := worktime.NewService(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		s := New(Deps{DB: db, Work: work})
		decode := func(w *httptest.ResponseRecorder, status int, v any) {
			t.Helper()
			if w.Code != status {
				t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body.String())
			}
			if v != nil {
				if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
					t.Fatalf("decode %s: %v", w.Body.String(), err)
				}
			}
		}
		errCode := func(w *httptest.ResponseRecorder, status int, code string) {
			t.Helper()
			var e ErrorBody
			decode(w, status, &e)
			if e.Error.Code != code || e.Error.Message == "" {
				t.Errorf("error = %+v, want code %s with a message", e.Error, code)
			}
		}

		var year CalendarYear
		decode(callAs(s, s.calendarGet, calTownship, "GET", "/api/v1/calendar?year=2026", "", ""), 200, &year)
		if !year.HasEntries || len(year.Days) != 39 || year.Days[0] != (worktime.Day{Day: "2026-01-01", Kind: "holiday", Name: "元旦"}) {
			t.Errorf("2026 = has %v, %d days, first %+v", year.HasEntries, len(year.Days), year.Days)
		}
		if year.Hours.DayMinutes != 390 || len(year.Hours.Periods) != 2 || year.Hours.Periods[0] != (CalendarPeriod{"08:30", "12:00"}) {
			t.Errorf("hours = %+v", year.Hours)
		}
		w := callAs(s, s.calendarGet, calTownship, "GET", "/api/v1/calendar?year=2027", "", "")
		if !strings.Contains(w.Body.String(), `"days":[]`) || !strings.Contains(w.Body.String(), `"has_entries":false`) {
			t.Errorf("2027 = %s", w.Body.String())
		}
		errCode(callAs(s, s.calendarGet, calTownship, "GET", "/api/v1/calendar?year=x", "", ""), 400, "invalid")

		var d worktime.Day
		decode(callAs(s, s.calendarPutDay, calAdmin, "PUT", "/api/v1/calendar/days/2026-11-02", "2026-11-02", `{"kind":"holiday","name":"测试"}`), 200, &d)
		if d != (worktime.Day{Day: "2026-11-02", Kind: "holiday", Name: "测试"}) {
			t.Errorf("PUT day = %+v", d)
		}
		if work.Calendar().DayKind(d.Date()) != worktime.Holiday {
			t.Error("PUT day not in force")
		}
		errCode(callAs(s, s.calendarPutDay, calTownship, "PUT", "/api/v1/calendar/days/2026-11-03", "2026-11-03", `{"kind":"holiday"}`), 403, "forbidden")
		errCode(callAs(s, s.calendarPutDay, calAdmin, "PUT", "/api/v1/calendar/days/2026-11-03", "2026-11-03", `{"kind":"holiday","extra":1}`), 400, "invalid")
		errCode(callAs(s, s.calendarPutDay, calAdmin, "PUT", "/api/v1/calendar/days/2026-11-03", "2026-11-03", `{"kind":"rest"}`), 400, "invalid")
		errCode(callAs(s, s.calendarPutDay, calAdmin, "PUT", "/api/v1/calendar/days/11-03", "11-03", `{"kind":"holiday"}`), 400, "invalid")

		decode(callAs(s, s.calendarDeleteDay, calAdmin, "DELETE", "/api/v1/calendar/days/2026-11-02", "2026-11-02", ""), 204, nil)
		errCode(callAs(s, s.calendarDeleteDay, calAdmin, "DELETE", "/api/v1/calendar/days/2026-11-02", "2026-11-02", ""), 404, "not_found")
		errCode(callAs(s, s.calendarDeleteDay, calTownship, "DELETE", "/api/v1/calendar/days/2026-10-01", "2026-10-01", ""), 403, "forbidden")

		var h CalendarHours
		decode(callAs(s, s.calendarGetHours, calTownship, "GET", "/api/v1/calendar/hours", "", ""), 200, &h)
		if h.DayMinutes != 390 {
			t.Errorf("GET hours = %+v", h)
		}
		decode(callAs(s, s.calendarPutHours, calAdmin, "PUT", "/api/v1/calendar/hours", "", `{"periods":[{"start":"09:00","end":"12:00"},{"start":"13:30","end":"17:30"}]}`), 200, &h)
		if h.DayMinutes != 420 || work.Calendar().DayMinutes() != 420 {
			t.Errorf("PUT hours = %+v", h)
		}
		errCode(callAs(s, s.calendarPutHours, calAdmin, "PUT", "/api/v1/calendar/hours", "", `{"periods":[{"start":"09:00","end":"08:00"}]}`), 400, "invalid")
		errCode(callAs(s, s.calendarPutHours, calAdmin, "PUT", "/api/v1/calendar/hours", "", `{"periods":[{"start":"9","end":"10:00"}]}`), 400, "invalid")
		errCode(callAs(s, s.calendarPutHours, calAdmin, "PUT", "/api/v1/calendar/hours", "", `{"periods":[]}`), 400, "invalid")
		errCode(callAs(s, s.calendarPutHours, calTownship, "PUT", "/api/v1/calendar/hours", "", `{"periods":[{"start":"09:00","end":"10:00"}]}`), 403, "forbidden")
	})
}
