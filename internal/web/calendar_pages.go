package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// AdminCalendarPage is the working calendar of one year: its holidays and
// make-up working days, the working hours, and a month grid.
type AdminCalendarPage struct {
	Page
	Year       int
	HasYear    bool // any day of Year is listed
	CanEdit    bool // a county-level administrator
	Days       []CalendarDayRow
	Hours      []worktime.Period
	HoursForm  []worktime.Period // Hours padded with empty rows for the form
	DayMinutes int
	Form       CalendarDayForm
	FormError  string
	HoursError string
	Months     []CalendarMonth
	Weekdays   []int // 1 (Monday) ... 7 (Sunday), the grid's column order
}

// DayHours shows the working time of a day as hours ("6.5").
func (p AdminCalendarPage) DayHours() string {
	return strconv.FormatFloat(float64(p.DayMinutes)/60, 'f', -1, 64)
}

// CalendarDayRow is one listed day in the table.
type CalendarDayRow struct {
	worktime.Day
	Weekday int // 1 (Monday) ... 7 (Sunday)
}

// CalendarDayForm is the add/edit form, kept when shown again with an error.
type CalendarDayForm struct {
	Day  string
	Kind string
	Name string
	Edit bool // editing a listed day rather than adding one
}

// CalendarMonth is one month of the grid: weeks of seven cells, Monday first.
type CalendarMonth struct {
	Month int
	Weeks [][]CalendarCell
}

// CalendarCell is one day of the month grid (Day 0 is an empty cell).
type CalendarCell struct {
	Day   int
	Date  string
	Class string // "work", "rest", "holiday", "makeup"
	Name  string
}

// maxHourRows is how many period rows the hours form offers.
const maxHourRows = 4

// calendarRoutes registers the working calendar's administration.
func (s *Server) calendarRoutes() {
	s.mux.HandleFunc("GET /admin/calendar", s.calendarAdmin(s.adminCalendar))
	s.mux.HandleFunc("POST /admin/calendar/days", s.calendarAdmin(s.adminCalendarSetDay))
	s.mux.HandleFunc("POST /admin/calendar/days/{day}/delete", s.calendarAdmin(s.adminCalendarDeleteDay))
	s.mux.HandleFunc("POST /admin/calendar/hours", s.calendarAdmin(s.adminCalendarHours))
}

// calendarAdmin wraps a calendar page for administrators; the service
// checks again, and only county-level administrators may change anything.
func (s *Server) calendarAdmin(fn handler) http.HandlerFunc {
	return s.staff(func(w http.ResponseWriter, r *http.Request) error {
		if !actorOf(r).Has(access.RoleAdmin) {
			return store.Forbidden(s.Msgs.T(langOf(r), "calendar.admin_only"))
		}
		if s.Work == nil {
			return errors.New("calendar: no working-time service")
		}
		return fn(w, r)
	})
}

// calendarYear reads ?year=, defaulting to the current year in Shanghai.
func calendarYear(r *http.Request, v string) (int, error) {
	if v == "" {
		return time.Now().In(worktime.Location()).Year(), nil
	}
	y, err := strconv.Atoi(v)
	if err != nil {
		return 0, worktime.CheckYear(0)
	}
	return y, worktime.CheckYear(y)
}

func (s *Server) adminCalendar(w http.ResponseWriter, r *http.Request) error {
	year, err := calendarYear(r, r.URL.Query().Get("year"))
	if err != nil {
		return err
	}
	p, err := s.calendarPage(r, year)
	if err != nil {
		return err
	}
	if edit := r.URL.Query().Get("edit"); edit != "" {
		for _, d := range p.Days {
			if d.Day.Day == edit {
				p.Form = CalendarDayForm{Day: d.Day.Day, Kind: d.Kind, Name: d.Name, Edit: true}
			}
		}
	}
	if r.URL.Query().Get("saved") != "" {
		p.Flash = p.T("calendar.saved")
	}
	return s.render(w, r, "admin_calendar", p)
}

// calendarPage gathers the page of year.
func (s *Server) calendarPage(r *http.Request, year int) (AdminCalendarPage, error) {
	days, err := s.Work.Days(r.Context(), year)
	if err != nil {
		return AdminCalendarPage{}, err
	}
	cal := s.Work.Calendar()
	p := AdminCalendarPage{
		Page:       s.page(r, "calendar.title", "calendar"),
		CanEdit:    worktime.CanEdit(actorOf(r)),
		Form:       CalendarDayForm{Kind: worktime.Holiday},
		DayMinutes: cal.DayMinutes(),
	}
	fillCalendarPage(&p, year, days, cal)
	return p, nil
}

// fillCalendarPage sets what follows from the year, its days and the
// calendar in force; the page test uses it too.
func fillCalendarPage(p *AdminCalendarPage, year int, days []worktime.Day, cal *worktime.Calendar) {
	p.Year = year
	p.HasYear = len(days) > 0
	p.Hours = cal.Hours()
	p.DayMinutes = cal.DayMinutes()
	p.HoursForm = append(cal.Hours(), make([]worktime.Period, max(0, maxHourRows-len(p.Hours)))...)
	p.Weekdays = []int{1, 2, 3, 4, 5, 6, 7}
	p.Days = make([]CalendarDayRow, len(days))
	for i, d := range days {
		p.Days[i] = CalendarDayRow{Day: d, Weekday: isoWeekday(d.Date())}
	}
	p.Months = monthGrid(year, cal)
}

func isoWeekday(t time.Time) int {
	wd := int(t.Weekday())
	if wd == 0 {
		return 7
	}
	return wd
}

// monthGrid lays out the twelve months of year with each day's kind.
func monthGrid(year int, cal *worktime.Calendar) []CalendarMonth {
	loc := cal.Location()
	months := make([]CalendarMonth, 12)
	for m := range 12 {
		first := time.Date(year, time.Month(m+1), 1, 12, 0, 0, 0, loc)
		week := make([]CalendarCell, isoWeekday(first)-1, 7)
		cm := CalendarMonth{Month: m + 1}
		for d := first; d.Month() == first.Month(); d = d.AddDate(0, 0, 1) {
			c := CalendarCell{Day: d.Day(), Date: d.Format("2006-01-02"), Name: cal.DayName(d)}
			switch kind, work := cal.DayKind(d), cal.IsWorkday(d); {
			case kind == worktime.Holiday:
				c.Class = "holiday"
			case kind == worktime.Workday && work:
				c.Class = "makeup"
			case work:
				c.Class = "work"
			default:
				c.Class = "rest"
			}
			week = append(week, c)
			if len(week) == 7 {
				cm.Weeks = append(cm.Weeks, week)
				week = make([]CalendarCell, 0, 7)
			}
		}
		if len(week) > 0 {
			week = append(week, make([]CalendarCell, 7-len(week))...)
			cm.Weeks = append(cm.Weeks, week)
		}
		months[m] = cm
	}
	return months
}

// calendarBack redirects to the year's page after a change.
func calendarBack(w http.ResponseWriter, r *http.Request, year int, anchor string) {
	http.Redirect(w, r, fmt.Sprintf("/admin/calendar?year=%d&saved=1#%s", year, url.PathEscape(anchor)), http.StatusSeeOther)
}

// yearOfDay returns the year of "2026-10-01", or the current one.
func yearOfDay(day string) int {
	if t, err := worktime.ParseDay(day); err == nil {
		return t.Year()
	}
	return time.Now().In(worktime.Location()).Year()
}

// renderCalendarError shows the page again with a user's mistake next to
// the form it came from; other errors go to the error page.
func (s *Server) renderCalendarError(w http.ResponseWriter, r *http.Request, year int, err error, set func(p *AdminCalendarPage, msg string)) error {
	msg, ok := userMessage(r, err)
	if !ok || !errors.Is(err, store.ErrInvalid) {
		return err
	}
	p, perr := s.calendarPage(r, year)
	if perr != nil {
		return perr
	}
	set(&p, msg)
	s.renderStatus(w, r, http.StatusBadRequest, "admin_calendar", p)
	return nil
}

func (s *Server) adminCalendarSetDay(w http.ResponseWriter, r *http.Request) error {
	form := CalendarDayForm{
		Day:  strings.TrimSpace(r.PostFormValue("day")),
		Kind: r.PostFormValue("kind"),
		Name: r.PostFormValue("name"),
		Edit: r.PostFormValue("edit") != "",
	}
	year := yearOfDay(form.Day)
	d, err := s.Work.SetDay(r.Context(), actorOf(r), form.Day, form.Kind, form.Name)
	if err != nil {
		return s.renderCalendarError(w, r, year, err, func(p *AdminCalendarPage, msg string) {
			p.Form, p.FormError = form, msg
		})
	}
	calendarBack(w, r, year, "day-"+d.Day)
	return nil
}

func (s *Server) adminCalendarDeleteDay(w http.ResponseWriter, r *http.Request) error {
	day := r.PathValue("day")
	if err := s.Work.DeleteDay(r.Context(), actorOf(r), day); err != nil {
		return err
	}
	calendarBack(w, r, yearOfDay(day), "days")
	return nil
}

func (s *Server) adminCalendarHours(w http.ResponseWriter, r *http.Request) error {
	year, err := calendarYear(r, r.PostFormValue("year"))
	if err != nil {
		return err
	}
	periods, err := parseHoursForm(r.PostForm["start"], r.PostForm["end"])
	if err == nil {
		err = s.Work.SetHours(r.Context(), actorOf(r), periods)
	}
	if err != nil {
		return s.renderCalendarError(w, r, year, err, func(p *AdminCalendarPage, msg string) { p.HoursError = msg })
	}
	calendarBack(w, r, year, "hours")
	return nil
}

// parseHoursForm pairs the start and end fields, skipping empty rows.
func parseHoursForm(starts, ends []string) ([]worktime.Period, error) {
	if len(starts) != len(ends) {
		return nil, store.Invalid("工作时段的开始和结束时间须成对填写")
	}
	var ps []worktime.Period
	for i := range starts {
		a, b := strings.TrimSpace(starts[i]), strings.TrimSpace(ends[i])
		if a == "" && b == "" {
			continue
		}
		if a == "" || b == "" {
			return nil, store.Invalid("工作时段的开始和结束时间须成对填写")
		}
		start, err := worktime.ParseClock(a)
		if err != nil {
			return nil, err
		}
		end, err := worktime.ParseClock(b)
		if err != nil {
			return nil, err
		}
		ps = append(ps, worktime.Period{Start: start, End: end})
	}
	return ps, worktime.ValidateHours(ps)
}
