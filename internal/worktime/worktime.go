// Package worktime counts working time on the official calendar: public
// holidays, make-up working days (调休) and configurable working hours, in
// the county's zone (Asia/Shanghai). Deadlines of the case engine are set
// with Calendar.Add and shown with Calendar.Between and Calendar.FormatLeft.
//
// A Calendar is an immutable value, safe for concurrent use; the Service
// keeps the one in force, loaded from the database and replaced whole when
// an administrator edits the calendar.
package worktime

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the zone database, for hosts without one
)

// Limit is a time limit: working minutes, working days, or natural time.
// Exactly one is normally set; when several are, the working time
// (Days × a working day + Minutes) is counted first and the natural time
// added after.
type Limit struct {
	Minutes int           // working minutes (2 working hours = 120)
	Days    int           // working days
	Natural time.Duration // natural time (urgent matters: 24h)
}

// IsZero reports whether the limit sets nothing.
func (l Limit) IsZero() bool { return l.Minutes == 0 && l.Days == 0 && l.Natural == 0 }

// String shows the limit for logs and audit entries: "5d", "120m", "24h0m0s".
func (l Limit) String() string {
	var parts []string
	if l.Days != 0 {
		parts = append(parts, fmt.Sprintf("%dd", l.Days))
	}
	if l.Minutes != 0 {
		parts = append(parts, fmt.Sprintf("%dm", l.Minutes))
	}
	if l.Natural != 0 {
		parts = append(parts, "natural "+l.Natural.String())
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "+")
}

// The kinds of a listed calendar day.
const (
	Holiday = "holiday" // a rest day, even on a weekday (public holiday)
	Workday = "workday" // a working day, even on a weekend (make-up day, 调休上班)
)

// Location returns the county's zone, Asia/Shanghai, or a fixed +08:00 zone
// should the zone database be unusable.
func Location() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// date is a civil date, the key of the calendar's day sets.
type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

// next returns the following day.
func (d date) next() date { return dateOf(time.Date(d.y, d.m, d.d+1, 12, 0, 0, 0, time.UTC)) }

// at returns the moment minute m (since midnight) of day d in loc.
func (d date) at(loc *time.Location, m int) time.Time {
	return time.Date(d.y, d.m, d.d, 0, m, 0, 0, loc)
}

// Calendar knows which days are worked and the working hours of a day. Build
// it with NewCalendar; the zero Calendar is not usable.
type Calendar struct {
	loc        *time.Location
	periods    []Period
	dayMinutes int
	kinds      map[date]string // listed days: Holiday or Workday
	names      map[date]string
	years      map[int]bool // years with at least one listed day
}

// NewCalendar builds a calendar from the listed days and the working hours
// (nil hours means DefaultHours). It fails on a malformed day or hours.
func NewCalendar(days []Day, hours []Period) (*Calendar, error) {
	if hours == nil {
		hours = DefaultHours()
	}
	if err := ValidateHours(hours); err != nil {
		return nil, err
	}
	c := &Calendar{
		loc:     Location(),
		periods: slices.Clone(hours),
		kinds:   make(map[date]string, len(days)),
		names:   make(map[date]string, len(days)),
		years:   map[int]bool{},
	}
	for _, p := range c.periods {
		c.dayMinutes += p.End - p.Start
	}
	for _, d := range days {
		t, err := ParseDay(d.Day)
		if err != nil {
			return nil, err
		}
		if d.Kind != Holiday && d.Kind != Workday {
			return nil, fmt.Errorf("calendar day %s: kind %q is neither holiday nor workday", d.Day, d.Kind)
		}
		k := dateOf(t)
		c.kinds[k] = d.Kind
		c.names[k] = d.Name
		c.years[k.y] = true
	}
	return c, nil
}

// Location returns the calendar's zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Hours returns the working periods of a day.
func (c *Calendar) Hours() []Period { return slices.Clone(c.periods) }

// DayMinutes returns the working minutes of one working day (390 with the
// default hours).
func (c *Calendar) DayMinutes() int { return c.dayMinutes }

// HasYear reports whether any holiday or make-up day of year is listed. A
// year without any (before the State Council publishes it) still counts
// weekends as rest days, but its public holidays are missing.
func (c *Calendar) HasYear(year int) bool { return c.years[year] }

// isWorkday reports whether civil date d is worked.
func (c *Calendar) isWorkday(d date) bool {
	switch c.kinds[d] {
	case Holiday:
		return false
	case Workday:
		return true
	}
	wd := time.Date(d.y, d.m, d.d, 12, 0, 0, 0, time.UTC).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// IsWorkday reports whether the day of t (in the county's zone) is a working
// day: a weekday that is not a listed holiday, or a listed make-up day.
func (c *Calendar) IsWorkday(t time.Time) bool { return c.isWorkday(dateOf(t.In(c.loc))) }

// DayName returns the name of the listed day of t ("国庆节"), or "".
func (c *Calendar) DayName(t time.Time) string { return c.names[dateOf(t.In(c.loc))] }

// DayKind returns Holiday or Workday for a listed day, or "" for an ordinary
// one.
func (c *Calendar) DayKind(t time.Time) string { return c.kinds[dateOf(t.In(c.loc))] }

// maxRestRun bounds the search for the next working day, so that a calendar
// with absurd data (a year of holidays) cannot loop for ever.
const maxRestRun = 800

// Add returns the moment limit l runs out when it starts at from.
//
// Working minutes are counted from from, or from the start of the next
// working period when from lies outside working time. A working day is the
// working minutes of one day, so N working days end at the same working-clock
// position on the N-th following working day, and at the end of the N-th
// working day when from lies outside working hours. Natural time is added as
// it is.
func (c *Calendar) Add(from time.Time, l Limit) time.Time {
	minutes := l.Days*c.dayMinutes + l.Minutes
	t := from
	if minutes > 0 {
		t = c.addMinutes(from, minutes)
	}
	return t.Add(l.Natural)
}

func (c *Calendar) addMinutes(from time.Time, minutes int) time.Time {
	local := from.In(c.loc)
	remaining := time.Duration(minutes) * time.Minute
	d := dateOf(local)
	cursor := local
	rest := 0
	for {
		if !c.isWorkday(d) {
			rest++
			if rest > maxRestRun {
				// No working day in sight: fall back to natural time.
				return cursor.Add(remaining)
			}
			d = d.next()
			continue
		}
		rest = 0
		for _, p := range c.periods {
			start, end := d.at(c.loc, p.Start), d.at(c.loc, p.End)
			if !cursor.Before(end) {
				continue
			}
			if cursor.After(start) {
				start = cursor
			}
			avail := end.Sub(start)
			if remaining <= avail {
				return start.Add(remaining)
			}
			remaining -= avail
			cursor = end
		}
		d = d.next()
		cursor = d.at(c.loc, 0)
	}
}

// Between returns the working time from a to b; negative when b is before a.
// Working days are not skipped in bulk: the span of a case is weeks, not
// decades.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if b.Before(a) {
		return -c.Between(b, a)
	}
	a, b = a.In(c.loc), b.In(c.loc)
	var sum time.Duration
	last := dateOf(b)
	for d := dateOf(a); ; d = d.next() {
		if c.isWorkday(d) {
			for _, p := range c.periods {
				start, end := d.at(c.loc, p.Start), d.at(c.loc, p.End)
				if start.Before(a) {
					start = a
				}
				if end.After(b) {
					end = b
				}
				if end.After(start) {
					sum += end.Sub(start)
				}
			}
		}
		if d == last {
			return sum
		}
	}
}

// WorkingDays expresses d in whole working days of this calendar, rounded
// toward zero.
func (c *Calendar) WorkingDays(d time.Duration) int {
	if c.dayMinutes == 0 {
		return 0
	}
	return int(d / (time.Duration(c.dayMinutes) * time.Minute))
}

// FormatLeft shows the working time left before a deadline (d ≥ 0) or past
// it (d < 0), the way lists show it: "剩余3小时20分", "超期2个工作日" in
// Chinese, "3 h 20 min left", "2 working days overdue" in English (lang
// "en"). It counts whole working days from one working day up, and hours and
// minutes below that.
func (c *Calendar) FormatLeft(lang string, d time.Duration) string {
	over := d < 0
	if over {
		d = -d
	}
	en := lang == "en"
	var amount string
	if days := c.WorkingDays(d); days >= 1 {
		switch {
		case !en:
			amount = fmt.Sprintf("%d个工作日", days)
		case days == 1:
			amount = "1 working day"
		default:
			amount = fmt.Sprintf("%d working days", days)
		}
	} else {
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		switch {
		case !en && h > 0 && m > 0:
			amount = fmt.Sprintf("%d小时%d分", h, m)
		case !en && h > 0:
			amount = fmt.Sprintf("%d小时", h)
		case !en:
			amount = fmt.Sprintf("%d分", m)
		case h > 0 && m > 0:
			amount = fmt.Sprintf("%d h %d min", h, m)
		case h > 0:
			amount = fmt.Sprintf("%d h", h)
		default:
			amount = fmt.Sprintf("%d min", m)
		}
	}
	switch {
	case en && over:
		return amount + " overdue"
	case en:
		return amount + " left"
	case over:
		return "超期" + amount
	}
	return "剩余" + amount
}

// ValidDay reports whether s is a calendar day written 2006-01-02, as the
// registries' forms and imports take dates.
func ValidDay(s string) bool {
	if len(s) != len(time.DateOnly) {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}
