package worktime

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/store"
)

// Period is one span of working time in a day, in minutes since midnight:
// 08:30–12:00 is {510, 720}.
type Period struct {
	Start int
	End   int
}

// DefaultHours are the working hours used until an administrator sets
// others: 08:30–12:00 and 14:30–17:30.
func DefaultHours() []Period { return []Period{{8*60 + 30, 12 * 60}, {14*60 + 30, 17*60 + 30}} }

// maxPeriods bounds the periods of a day.
const maxPeriods = 6

// clock shows minutes since midnight as "08:30".
func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// StartClock shows the start as "08:30".
func (p Period) StartClock() string { return clock(p.Start) }

// EndClock shows the end as "12:00".
func (p Period) EndClock() string { return clock(p.End) }

// String shows the period as "08:30-12:00".
func (p Period) String() string { return clock(p.Start) + "-" + clock(p.End) }

// ParseClock reads "08:30" (or "8:30") as minutes since midnight; "24:00" is
// the end of the day.
func ParseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, store.Invalidf("时间“%s”格式不正确，请写成 08:30 这样的时:分", s)
	}
	return hh*60 + mm, nil
}

// ParseHours reads working hours written as "08:30-12:00,14:30-17:30" (the
// form they are stored in), and validates them.
func ParseHours(s string) ([]Period, error) {
	var ps []Period
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, b, ok := strings.Cut(part, "-")
		if !ok {
			return nil, store.Invalidf("工作时段“%s”格式不正确，请写成 08:30-12:00", part)
		}
		start, err := ParseClock(a)
		if err != nil {
			return nil, err
		}
		end, err := ParseClock(b)
		if err != nil {
			return nil, err
		}
		ps = append(ps, Period{start, end})
	}
	if err := ValidateHours(ps); err != nil {
		return nil, err
	}
	return ps, nil
}

// FormatHours writes working hours the way ParseHours reads them.
func FormatHours(ps []Period) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// ValidateHours checks that working hours are between one and six periods
// within the day, each starting before it ends, in order and not
// overlapping.
func ValidateHours(ps []Period) error {
	if len(ps) == 0 {
		return store.Invalid("请至少填写一个工作时段")
	}
	if len(ps) > maxPeriods {
		return store.Invalidf("工作时段最多%d个", maxPeriods)
	}
	for i, p := range ps {
		if p.Start < 0 || p.End > 24*60 || p.Start >= p.End {
			return store.Invalidf("工作时段 %s 不正确：开始时间须早于结束时间", p)
		}
		if i > 0 && p.Start < ps[i-1].End {
			return store.Invalidf("工作时段 %s 与 %s 重叠或顺序颠倒，请按时间先后填写", ps[i-1], p)
		}
	}
	return nil
}

// Day is one listed calendar day: a public holiday or a make-up working day.
type Day struct {
	Day       string    `json:"day"`  // "2026-10-01"
	Kind      string    `json:"kind"` // Holiday or Workday
	Name      string    `json:"name"` // "国庆节", "国庆节调休上班"
	UpdatedAt time.Time `json:"-"`
}

// Date returns the day at midnight in the county's zone.
func (d Day) Date() time.Time {
	t, _ := ParseDay(d.Day)
	return t
}

// Weekday returns the day of the week of d.
func (d Day) Weekday() time.Weekday { return d.Date().Weekday() }

// MinYear and MaxYear bound the years of the calendar: a day outside them
// is refused on writing as a year outside them is on reading.
const (
	MinYear = 2000
	MaxYear = 2100
)

// CheckYear refuses a year of the calendar outside MinYear..MaxYear.
func CheckYear(year int) error {
	if year < MinYear || year > MaxYear {
		return store.Invalidf("年份不正确，请填写%d至%d之间的年份", MinYear, MaxYear)
	}
	return nil
}

// ParseDay reads "2026-10-01" as midnight of that day in the county's zone.
func ParseDay(s string) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), Location())
	if err != nil {
		return time.Time{}, store.Invalidf("日期“%s”格式不正确，请写成 2026-10-01", s)
	}
	return t, nil
}
