package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/worktime"
)

// CalendarYear is a year of the working calendar.
type CalendarYear struct {
	Year int `json:"year"`
	// HasEntries is false while the year's holidays are not entered: its
	// deadlines then skip weekends only.
	HasEntries bool           `json:"has_entries"`
	Days       []worktime.Day `json:"days"`
	Hours      CalendarHours  `json:"hours"`
}

// CalendarHours are the working periods of a day.
type CalendarHours struct {
	Periods    []CalendarPeriod `json:"periods"`
	DayMinutes int              `json:"day_minutes,omitempty"`
}

// CalendarPeriod is one working period, "08:30" to "12:00".
type CalendarPeriod struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// CalendarDayBody is the body of PUT /api/v1/calendar/days/{day}.
type CalendarDayBody struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// calendarEndpoints registers the working calendar's endpoints.
func (s *Server) calendarEndpoints() {
	s.route("GET /api/v1/calendar", s.authed(s.calendarGet))
	s.route("PUT /api/v1/calendar/days/{day}", s.authed(s.calendarPutDay))
	s.route("DELETE /api/v1/calendar/days/{day}", s.authed(s.calendarDeleteDay))
	s.route("GET /api/v1/calendar/hours", s.authed(s.calendarGetHours))
	s.route("PUT /api/v1/calendar/hours", s.authed(s.calendarPutHours))
}

func (s *Server) work() (*worktime.Service, error) {
	if s.Work == nil {
		return nil, errors.New("calendar: no working-time service")
	}
	return s.Work, nil
}

func hoursOf(cal *worktime.Calendar) CalendarHours {
	h := CalendarHours{Periods: []CalendarPeriod{}, DayMinutes: cal.DayMinutes()}
	for _, p := range cal.Hours() {
		h.Periods = append(h.Periods, CalendarPeriod{Start: p.StartClock(), End: p.EndClock()})
	}
	return h
}

// calendarGet is GET /api/v1/calendar?year=2026: any signed-in user may read
// the calendar their deadlines are counted on.
func (s *Server) calendarGet(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	work, err := s.work()
	if err != nil {
		return err
	}
	cal := work.Calendar()
	y, err := calendarYearParam(r.URL.Query().Get("year"))
	if err != nil {
		return err
	}
	days, err := work.Days(r.Context(), y)
	if err != nil {
		return err
	}
	if days == nil {
		days = []worktime.Day{}
	}
	return writeJSON(w, http.StatusOK, CalendarYear{Year: y, HasEntries: len(days) > 0, Days: days, Hours: hoursOf(cal)})
}

// calendarYearParam reads ?year=, defaulting to the current year in the
// county's zone.
func calendarYearParam(v string) (int, error) {
	if v == "" {
		return time.Now().In(worktime.Location()).Year(), nil
	}
	y, err := strconv.Atoi(v)
	if err != nil {
		return 0, worktime.CheckYear(0)
	}
	return y, worktime.CheckYear(y)
}

func (s *Server) calendarPutDay(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	work, err := s.work()
	if err != nil {
		return err
	}
	var body CalendarDayBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	d, err := work.SetDay(r.Context(), actor, r.PathValue("day"), body.Kind, body.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) calendarDeleteDay(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	work, err := s.work()
	if err != nil {
		return err
	}
	if err := work.DeleteDay(r.Context(), actor, r.PathValue("day")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) calendarGetHours(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	work, err := s.work()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, hoursOf(work.Calendar()))
}

func (s *Server) calendarPutHours(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	work, err := s.work()
	if err != nil {
		return err
	}
	var body CalendarHours
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	periods := make([]worktime.Period, 0, len(body.Periods))
	for _, p := range body.Periods {
		start, err := worktime.ParseClock(p.Start)
		if err != nil {
			return err
		}
		end, err := worktime.ParseClock(p.End)
		if err != nil {
			return err
		}
		periods = append(periods, worktime.Period{Start: start, End: end})
	}
	if err := work.SetHours(r.Context(), actor, periods); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, hoursOf(work.Calendar()))
}
