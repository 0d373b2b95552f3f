package worktime

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"
)

// cal2026 is the calendar with the shipped 2026 data and the default hours.
func cal2026(t testing.TB) *Calendar {
	t.Helper()
	b, err := dataFS.ReadFile("data/cn-2026.csv")
	if err != nil {
		t.Fatal(err)
	}
	days, err := ParseCSV(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCalendar(days, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// at is a moment in Shanghai, "2026-09-30 16:00".
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, Location())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestShippedData(t *testing.T) {
	c := cal2026(t)
	if got := c.DayMinutes(); got != 390 {
		t.Errorf("DayMinutes = %d, want 390 (08:30-12:00 and 14:30-17:30)", got)
	}
	if !c.HasYear(2026) || c.HasYear(2027) {
		t.Errorf("HasYear(2026) = %v, HasYear(2027) = %v", c.HasYear(2026), c.HasYear(2027))
	}
	if got := c.DayName(at(t, "2026-10-01 00:00")); got != "国庆节" {
		t.Errorf("DayName(2026-10-01) = %q", got)
	}
}

func TestIsWorkday(t *testing.T) {
	c := cal2026(t)
	for _, tc := range []struct {
		day  string
		want bool
	}{
		{"2026-02-14", true},  // Saturday, Spring Festival make-up day
		{"2026-02-28", true},  // Saturday, make-up day
		{"2026-02-07", false}, // ordinary Saturday
		{"2026-02-16", false}, // Monday in the Spring Festival
		{"2026-02-24", true},  // Tuesday after it
		{"2026-10-01", false}, // National Day
		{"2026-10-08", true},  // Thursday after the break
		{"2026-10-10", true},  // Saturday make-up day
		{"2026-10-11", false}, // Sunday
		{"2026-10-12", true},  // Monday
		{"2027-01-01", true},  // Friday: 2027's holidays are not entered
		{"2027-01-02", false}, // Saturday
	} {
		if got := c.IsWorkday(at(t, tc.day+" 10:00")); got != tc.want {
			t.Errorf("IsWorkday(%s) = %v, want %v", tc.day, got, tc.want)
		}
	}
	// The day is taken in Shanghai, whatever the zone of the time given:
	// 2026-10-07 20:00 UTC is 2026-10-08 04:00 in Shanghai, a working day.
	if !c.IsWorkday(time.Date(2026, 10, 7, 20, 0, 0, 0, time.UTC)) {
		t.Error("IsWorkday must read the date in Shanghai")
	}
}

func TestAdd(t *testing.T) {
	c := cal2026(t)
	for _, tc := range []struct {
		name  string
		from  string
		limit Limit
		want  string
	}{
		{"five working days across National Day, make-up day counted", "2026-09-30 16:00", Limit{Days: 5}, "2026-10-13 16:00"},
		{"two working hours over a weekend", "2026-03-13 16:30", Limit{Minutes: 120}, "2026-03-16 09:30"},
		{"lunch break skipped", "2026-03-10 11:50", Limit{Minutes: 30}, "2026-03-10 14:50"},
		{"ends on the end of a period", "2026-03-10 11:30", Limit{Minutes: 30}, "2026-03-10 12:00"},
		{"from the lunch break", "2026-03-10 12:30", Limit{Minutes: 10}, "2026-03-10 14:40"},
		{"from before work", "2026-03-16 07:00", Limit{Minutes: 30}, "2026-03-16 09:00"},
		{"from a holiday", "2026-10-03 10:00", Limit{Minutes: 120}, "2026-10-08 10:30"},
		{"one day from the evening ends at the end of the next working day", "2026-03-13 18:00", Limit{Days: 1}, "2026-03-16 17:30"},
		{"one day from the start of a day ends that evening", "2026-03-16 08:30", Limit{Days: 1}, "2026-03-16 17:30"},
		{"Spring Festival: the Saturday make-up day counts, the break does not", "2026-02-13 10:00", Limit{Days: 3}, "2026-02-25 10:00"},
		{"Saturday make-up day 2026-02-14 is worked", "2026-02-14 09:00", Limit{Minutes: 60}, "2026-02-14 10:00"},
		{"2 working hours on the eve of Spring Festival", "2026-02-14 16:30", Limit{Minutes: 120}, "2026-02-24 09:30"},
		{"fifteen working days", "2026-04-01 09:00", Limit{Days: 15}, "2026-04-23 09:00"},
		{"natural 24 hours ignore the calendar", "2026-10-01 10:00", Limit{Natural: 24 * time.Hour}, "2026-10-02 10:00"},
		{"no entries for 2027: weekends only", "2027-01-01 10:00", Limit{Days: 1}, "2027-01-04 10:00"},
		{"zero limit", "2026-10-03 10:00", Limit{}, "2026-10-03 10:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Add(at(t, tc.from), tc.limit)
			if want := at(t, tc.want); !got.Equal(want) {
				t.Errorf("Add(%s, %v) = %s, want %s", tc.from, tc.limit, got.In(Location()).Format("2006-01-02 15:04 Mon"), tc.want)
			}
		})
	}
}

func TestAddFromUTC(t *testing.T) {
	c := cal2026(t)
	from := at(t, "2026-09-30 16:00").UTC()
	if got, want := c.Add(from, Limit{Days: 5}), at(t, "2026-10-13 16:00"); !got.Equal(want) {
		t.Errorf("Add from a UTC time = %s, want %s", got, want)
	}
}

func TestBetween(t *testing.T) {
	c := cal2026(t)
	for _, tc := range []struct {
		name string
		a, b string
		want time.Duration
	}{
		{"across a weekend", "2026-03-13 16:30", "2026-03-16 09:30", 2 * time.Hour},
		{"backwards is negative", "2026-03-16 09:30", "2026-03-13 16:30", -2 * time.Hour},
		{"five working days across National Day", "2026-09-30 16:00", "2026-10-13 16:00", 5 * 390 * time.Minute},
		{"inside the lunch break", "2026-03-10 12:10", "2026-03-10 14:00", 0},
		{"on a holiday", "2026-10-02 09:00", "2026-10-02 17:00", 0},
		{"a whole working day", "2026-03-10 00:00", "2026-03-11 00:00", 390 * time.Minute},
		{"the same moment", "2026-03-10 10:00", "2026-03-10 10:00", 0},
		{"two days overdue", "2026-03-10 10:00", "2026-03-12 10:00", 2 * 390 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Between(at(t, tc.a), at(t, tc.b)); got != tc.want {
				t.Errorf("Between(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// TestAddBetweenAgree checks on many random starts that the working time
// between a start and its deadline is the limit.
func TestAddBetweenAgree(t *testing.T) {
	c := cal2026(t)
	r := rand.New(rand.NewPCG(1, 2))
	base := at(t, "2026-01-01 00:00")
	for i := 0; i < 2000; i++ {
		from := base.Add(time.Duration(r.IntN(365*24*60)) * time.Minute)
		l := Limit{Minutes: 1 + r.IntN(20*390)}
		due := c.Add(from, l)
		if got := c.Between(from, due); got != time.Duration(l.Minutes)*time.Minute {
			t.Fatalf("Between(%s, Add(%v)=%s) = %v, want %d minutes", from, l, due, got, l.Minutes)
		}
		if due.Before(from) {
			t.Fatalf("Add(%s, %v) = %s is before the start", from, l, due)
		}
	}
}

func TestFormatLeft(t *testing.T) {
	c := cal2026(t)
	day := 390 * time.Minute
	for _, tc := range []struct {
		d      time.Duration
		zh, en string
	}{
		{3*time.Hour + 20*time.Minute, "剩余3小时20分", "3 h 20 min left"},
		{2 * time.Hour, "剩余2小时", "2 h left"},
		{45*time.Minute + 30*time.Second, "剩余45分", "45 min left"},
		{0, "剩余0分", "0 min left"},
		{-(2*day + time.Hour), "超期2个工作日", "2 working days overdue"},
		{-10 * time.Minute, "超期10分", "10 min overdue"},
		{day, "剩余1个工作日", "1 working day left"},
		{day - time.Minute, "剩余6小时29分", "6 h 29 min left"},
	} {
		if got := c.FormatLeft("zh", tc.d); got != tc.zh {
			t.Errorf("FormatLeft(zh, %v) = %q, want %q", tc.d, got, tc.zh)
		}
		if got := c.FormatLeft("en", tc.d); got != tc.en {
			t.Errorf("FormatLeft(en, %v) = %q, want %q", tc.d, got, tc.en)
		}
	}
}

func TestCustomHours(t *testing.T) {
	hours, err := ParseHours("09:00-12:00, 13:00-18:00")
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCalendar(nil, hours)
	if err != nil {
		t.Fatal(err)
	}
	if c.DayMinutes() != 480 {
		t.Errorf("DayMinutes = %d, want 480", c.DayMinutes())
	}
	if got, want := c.Add(at(t, "2026-03-10 11:30"), Limit{Minutes: 60}), at(t, "2026-03-10 13:30"); !got.Equal(want) {
		t.Errorf("Add = %s, want %s", got, want)
	}
}

func TestParseHours(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // FormatHours of the result, or "" for an error
	}{
		{"08:30-12:00,14:30-17:30", "08:30-12:00,14:30-17:30"},
		{"8:30-12:00", "08:30-12:00"},
		{"00:00-24:00", "00:00-24:00"},
		{"", ""},
		{"12:00-08:30", ""},
		{"08:30-12:00,11:00-17:30", ""},
		{"14:30-17:30,08:30-12:00", ""},
		{"08:30-12:60", ""},
		{"0830-1200", ""},
		{"24:30-25:00", ""},
		{"1:0-2:00", ""},
		{"01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00,09:00-10:00,11:00-12:00,13:00-14:00", ""},
	} {
		ps, err := ParseHours(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseHours(%q) = %v, want an error", tc.in, ps)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseHours(%q): %v", tc.in, err)
			continue
		}
		if got := FormatHours(ps); got != tc.want {
			t.Errorf("ParseHours(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNewCalendarRejectsBadDays(t *testing.T) {
	for _, d := range []Day{{Day: "2026-13-01", Kind: Holiday}, {Day: "2026-10-01", Kind: "festival"}} {
		if _, err := NewCalendar([]Day{d}, nil); err == nil {
			t.Errorf("NewCalendar(%v) succeeded", d)
		}
	}
}

func BenchmarkAddFiveDays(b *testing.B) {
	c := cal2026(b)
	from := at(b, "2026-09-30 16:00")
	for b.Loop() {
		c.Add(from, Limit{Days: 5})
	}
}
