package worktime

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

var (
	countyAdmin   = access.Actor{UserID: 1, Username: "admin", Name: "管理员", UnitKind: "county", UnitPath: "/1/", Roles: []access.Role{access.RoleAdmin}}
	townshipAdmin = access.Actor{UserID: 2, Username: "tadmin", Name: "乡镇管理员", UnitKind: "township", UnitPath: "/1/5/", Roles: []access.Role{access.RoleAdmin}}
	countyClerk   = access.Actor{UserID: 3, Username: "clerk", Name: "办事员", UnitKind: "county", UnitPath: "/1/", Roles: []access.Role{access.RoleSupervisor}}
)

func TestService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, err := NewService(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		days, err := s.Days(ctx, 2026)
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 39 {
			t.Fatalf("seeded %d days of 2026, want the 39 of cn-2026.csv", len(days))
		}
		if d := days[0]; d.Day != "2026-01-01" || d.Kind != Holiday || d.Name != "元旦" {
			t.Errorf("first day = %+v", d)
		}
		cal := s.Calendar()
		if got := cal.Add(at(t, "2026-09-30 16:00"), Limit{Days: 5}); !got.Equal(at(t, "2026-10-13 16:00")) {
			t.Errorf("Add on the loaded calendar = %s", got)
		}

		// A second start (or a second instance) does not seed again, even
		// after the year was emptied on purpose.
		for _, d := range days {
			if err := s.DeleteDay(ctx, countyAdmin, d.Day); err != nil {
				t.Fatal(err)
			}
		}
		s2, err := NewService(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := s2.Days(ctx, 2026); len(got) != 0 {
			t.Errorf("restart seeded %d days into an emptied year", len(got))
		}
		if s2.Calendar().HasYear(2026) || s.Calendar().HasYear(2026) {
			t.Error("emptied year still has entries in the calendar")
		}
		if !s.Calendar().IsWorkday(at(t, "2026-10-01 10:00")) {
			t.Error("2026-10-01 is an ordinary Thursday once its entry is deleted")
		}

		// Set and edit a day.
		if _, err := s.SetDay(ctx, countyAdmin, "2026-10-01", Holiday, " 国庆节 "); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetDay(ctx, countyAdmin, "2026-10-01", Holiday, "国庆节（更正）"); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Days(ctx, 2026)
		if diff := cmp.Diff([]Day{{Day: "2026-10-01", Kind: Holiday, Name: "国庆节（更正）"}}, got, cmpIgnoreUpdated); diff != "" {
			t.Errorf("days after SetDay (-want +got):\n%s", diff)
		}
		if s.Calendar().IsWorkday(at(t, "2026-10-01 10:00")) {
			t.Error("SetDay did not put the holiday in force")
		}
		if s.Calendar().DayName(at(t, "2026-10-01 10:00")) != "国庆节（更正）" {
			t.Error("edited name not in force")
		}

		// Working hours.
		if err := s.SetHours(ctx, countyAdmin, []Period{{9 * 60, 12 * 60}, {13 * 60, 17 * 60}}); err != nil {
			t.Fatal(err)
		}
		if got := s.Calendar().DayMinutes(); got != 420 {
			t.Errorf("DayMinutes after SetHours = %d, want 420", got)
		}
		s3, err := NewService(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if got := FormatHours(s3.Calendar().Hours()); got != "09:00-12:00,13:00-17:00" {
			t.Errorf("stored hours = %q", got)
		}

		// Every change is audited.
		recs, err := audit.List(ctx, db, "", "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, r := range recs {
			actions[r.Action]++
		}
		want := map[string]int{"calendar.seed": 1, "calendar.day.delete": 39, "calendar.day.set": 2, "setting.set": 1}
		if diff := cmp.Diff(want, actions); diff != "" {
			t.Errorf("audit actions (-want +got):\n%s", diff)
		}
		if n, err := audit.Verify(ctx, db); err != nil {
			t.Errorf("audit chain broken after %d entries: %v", n, err)
		}
	})
}

var cmpIgnoreUpdated = cmp.Comparer(func(a, b time.Time) bool { return true })

func TestServiceRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, err := NewService(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			err  error
			fn   func() error
		}{
			{"township admin", store.ErrForbidden, func() error { _, err := s.SetDay(ctx, townshipAdmin, "2026-11-02", Holiday, "x"); return err }},
			{"county non-admin", store.ErrForbidden, func() error { return s.DeleteDay(ctx, countyClerk, "2026-10-01") }},
			{"anonymous hours", store.ErrForbidden, func() error { return s.SetHours(ctx, access.Actor{}, DefaultHours()) }},
			{"bad date", store.ErrInvalid, func() error { _, err := s.SetDay(ctx, countyAdmin, "2026-02-30", Holiday, ""); return err }},
			{"bad kind", store.ErrInvalid, func() error { _, err := s.SetDay(ctx, countyAdmin, "2026-11-02", "rest", ""); return err }},
			{"long name", store.ErrInvalid, func() error {
				_, err := s.SetDay(ctx, countyAdmin, "2026-11-02", Holiday, "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一")
				return err
			}},
			{"delete unlisted", store.ErrNotFound, func() error { return s.DeleteDay(ctx, countyAdmin, "2026-11-02") }},
			{"overlapping hours", store.ErrInvalid, func() error { return s.SetHours(ctx, countyAdmin, []Period{{600, 700}, {650, 800}}) }},
			{"no hours", store.ErrInvalid, func() error { return s.SetHours(ctx, countyAdmin, nil) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.fn()
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if _, ok := store.UserMessage(err); !ok {
					t.Errorf("error %v carries no message for the user", err)
				}
			})
		}
		if got, _ := s.Days(ctx, 2026); len(got) != 39 {
			t.Errorf("refused changes changed the calendar: %d days", len(got))
		}
	})
}

// TestWatch checks that an instance picks up a change made by another.
func TestWatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, err := NewService(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewService(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			b.Watch(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), 10*time.Millisecond)
		}()
		if _, err := a.SetDay(ctx, countyAdmin, "2026-11-02", Holiday, "测试"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for b.Calendar().IsWorkday(at(t, "2026-11-02 10:00")) {
			if time.Now().After(deadline) {
				t.Fatal("the other instance did not reload the calendar")
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
	})
}
