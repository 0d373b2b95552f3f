package worktime

import (
	"bytes"
	"context"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/settings"
	"grassroots/internal/store"
	"grassroots/internal/timers"
)

// The shipped official calendars, one file per year: data/cn-YYYY.csv with
// the columns date,kind,name.
//
//go:embed data/*.csv
var dataFS embed.FS

// The settings the calendar keeps.
const (
	// SettingHours holds the working hours, "08:30-12:00,14:30-17:30".
	SettingHours = "worktime.hours"
	// settingVersion counts changes, so that every instance reloads.
	settingVersion = "worktime.version"
)

// maxDayName bounds the name of a listed day, in characters.
const maxDayName = 40

// Service keeps the calendar in the database, editable by administrators.
// It holds the calendar in force, replaced whole after each change; several
// instances sharing a database pick up each other's changes with Watch.
type Service struct {
	db      *store.DB
	cal     atomic.Pointer[Calendar]
	version atomic.Int64
}

// NewService loads the calendar from db, first seeding each shipped year
// (data/cn-YYYY.csv) that the database has never been seeded with and that
// has no entries yet.
func NewService(ctx context.Context, db *store.DB) (*Service, error) {
	s := &Service{db: db}
	if err := s.seed(ctx); err != nil {
		return nil, err
	}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Calendar returns the calendar in force. It never returns nil once
// NewService has succeeded.
func (s *Service) Calendar() *Calendar { return s.cal.Load() }

// seed loads the shipped calendars, each once per database: the run is
// recorded in jobs_runs, so a year an administrator emptied on purpose is
// not filled again at the next start, and instances starting together seed
// it once.
func (s *Service) seed(ctx context.Context) error {
	names, err := fs.Glob(dataFS, "data/cn-*.csv")
	if err != nil {
		return err
	}
	for _, name := range names {
		year, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path.Base(name), "cn-"), ".csv"))
		if err != nil {
			return fmt.Errorf("calendar data %s: name must be cn-YYYY.csv", name)
		}
		b, err := dataFS.ReadFile(name)
		if err != nil {
			return err
		}
		days, err := ParseCSV(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("calendar data %s: %w", name, err)
		}
		_, err = timers.RunOnce(ctx, s.db, "worktime.seed", path.Base(name), func(ctx context.Context, tx *store.Tx) error {
			var n int
			lo, hi := yearRange(year)
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM calendar_days WHERE day >= ? AND day < ?`, lo, hi).Scan(&n); err != nil {
				return fmt.Errorf("count days of %d: %w", year, err)
			}
			if n > 0 {
				return nil
			}
			now := time.Now().UnixMilli()
			for _, d := range days {
				if _, err := tx.Exec(ctx, `INSERT INTO calendar_days (day, kind, name, updated_at) VALUES (?, ?, ?, ?)
					ON CONFLICT (day) DO NOTHING`, d.Day, d.Kind, d.Name, now); err != nil {
					return fmt.Errorf("seed %s: %w", d.Day, err)
				}
			}
			if err := settings.Bump(ctx, tx, settingVersion); err != nil {
				return err
			}
			return audit.Write(ctx, tx, audit.Entry{Actor: access.System, Action: "calendar.seed", Entity: "calendar",
				EntityID: strconv.Itoa(year), After: map[string]any{"file": path.Base(name), "days": len(days)}})
		})
		if err != nil {
			return fmt.Errorf("seed calendar %d: %w", year, err)
		}
	}
	return nil
}

// ParseCSV reads a calendar file with the header date,kind,name.
func ParseCSV(r io.Reader) ([]Day, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 3
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if strings.TrimPrefix(head[0], "\ufeff") != "date" || head[1] != "kind" || head[2] != "name" {
		return nil, fmt.Errorf("header is %v, want date,kind,name", head)
	}
	var days []Day
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return days, nil
		}
		if err != nil {
			return nil, err
		}
		d, err := checkDay(rec[0], rec[1], rec[2])
		if err != nil {
			line, _ := cr.FieldPos(0)
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		days = append(days, d)
	}
}

// checkDay validates a listed day as given by a person or a file.
func checkDay(day, kind, name string) (Day, error) {
	t, err := ParseDay(day)
	if err != nil {
		return Day{}, err
	}
	if err := CheckYear(t.Year()); err != nil {
		return Day{}, err
	}
	kind = strings.TrimSpace(kind)
	if kind != Holiday && kind != Workday {
		return Day{}, store.Invalid("类型须为“节假日”（holiday）或“调休上班”（workday）")
	}
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > maxDayName {
		return Day{}, store.Invalidf("名称最多%d个字", maxDayName)
	}
	return Day{Day: t.Format("2006-01-02"), Kind: kind, Name: name}, nil
}

func yearRange(year int) (lo, hi string) {
	return fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-01-01", year+1)
}

// Reload reads the calendar from the database and puts it in force.
func (s *Service) Reload(ctx context.Context) error {
	// The version is read first: a change made while loading is then seen
	// as newer by Watch and loaded again.
	version, err := settings.Int(ctx, s.db, settingVersion, 0)
	if err != nil {
		return fmt.Errorf("load calendar: %w", err)
	}
	hoursText, err := settings.String(ctx, s.db, SettingHours, "")
	if err != nil {
		return fmt.Errorf("load calendar: %w", err)
	}
	hours := DefaultHours()
	if hoursText != "" {
		if hours, err = ParseHours(hoursText); err != nil {
			return fmt.Errorf("load calendar: setting %s: %w", SettingHours, err)
		}
	}
	days, err := s.queryDays(ctx, `SELECT day, kind, name, updated_at FROM calendar_days ORDER BY day`)
	if err != nil {
		return fmt.Errorf("load calendar: %w", err)
	}
	cal, err := NewCalendar(days, hours)
	if err != nil {
		return fmt.Errorf("load calendar: %w", err)
	}
	s.cal.Store(cal)
	s.version.Store(int64(version))
	return nil
}

// Watch reloads the calendar whenever another instance has changed it,
// checking every interval until ctx ends.
func (s *Service) Watch(ctx context.Context, log *slog.Logger, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		v, err := settings.Int(ctx, s.db, settingVersion, 0)
		if err != nil {
			if ctx.Err() == nil {
				log.WarnContext(ctx, "check calendar version", "err", err)
			}
			continue
		}
		if int64(v) == s.version.Load() {
			continue
		}
		if err := s.Reload(ctx); err != nil {
			log.ErrorContext(ctx, "reload calendar", "err", err)
			continue
		}
		log.InfoContext(ctx, "calendar reloaded", "version", v)
	}
}

func (s *Service) queryDays(ctx context.Context, q string, args ...any) ([]Day, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read calendar days: %w", err)
	}
	defer rows.Close()
	var out []Day
	for rows.Next() {
		var d Day
		var at int64
		if err := rows.Scan(&d.Day, &d.Kind, &d.Name, &at); err != nil {
			return nil, fmt.Errorf("read calendar days: %w", err)
		}
		d.UpdatedAt = store.Time(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Days lists the holidays and make-up working days of year, in date order.
func (s *Service) Days(ctx context.Context, year int) ([]Day, error) {
	lo, hi := yearRange(year)
	return s.queryDays(ctx, `SELECT day, kind, name, updated_at FROM calendar_days WHERE day >= ? AND day < ? ORDER BY day`, lo, hi)
}

// CanEdit reports whether actor may change the calendar: a county-level
// administrator (the calendar is the county's, not a township's).
func CanEdit(actor access.Actor) bool {
	return actor.Has(access.RoleAdmin) && actor.CountyWide()
}

func checkEdit(actor access.Actor) error {
	if !CanEdit(actor) {
		return store.Forbidden("只有县级系统管理员可以修改工作日历")
	}
	return nil
}

// SetDay lists day ("2026-10-01") as a holiday or a make-up working day
// (kind Holiday or Workday), replacing what was listed, and puts the changed
// calendar in force.
func (s *Service) SetDay(ctx context.Context, actor access.Actor, day, kind, name string) (Day, error) {
	if err := checkEdit(actor); err != nil {
		return Day{}, err
	}
	d, err := checkDay(day, kind, name)
	if err != nil {
		return Day{}, err
	}
	d.UpdatedAt = time.UnixMilli(time.Now().UnixMilli())
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		before, err := dayIn(ctx, tx, d.Day)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO calendar_days (day, kind, name, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name, updated_at = excluded.updated_at`,
			d.Day, d.Kind, d.Name, store.Millis(d.UpdatedAt)); err != nil {
			return fmt.Errorf("set calendar day %s: %w", d.Day, err)
		}
		e := audit.Entry{Actor: actor, Action: "calendar.day.set", Entity: "calendar_day", EntityID: d.Day, After: d}
		if before != nil {
			e.Before = before
		}
		if err := audit.Write(ctx, tx, e); err != nil {
			return err
		}
		return settings.Bump(ctx, tx, settingVersion)
	})
	if err != nil {
		return Day{}, err
	}
	return d, s.Reload(ctx)
}

// DeleteDay removes day from the list, so it counts as an ordinary weekday
// or weekend again, and puts the changed calendar in force.
func (s *Service) DeleteDay(ctx context.Context, actor access.Actor, day string) error {
	if err := checkEdit(actor); err != nil {
		return err
	}
	t, err := ParseDay(day)
	if err != nil {
		return err
	}
	day = t.Format("2006-01-02")
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		before, err := dayIn(ctx, tx, day)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM calendar_days WHERE day = ?`, day); err != nil {
			return fmt.Errorf("delete calendar day %s: %w", day, err)
		}
		if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "calendar.day.delete", Entity: "calendar_day", EntityID: day, Before: before}); err != nil {
			return err
		}
		return settings.Bump(ctx, tx, settingVersion)
	})
	if err != nil {
		return err
	}
	return s.Reload(ctx)
}

// dayIn reads a listed day inside tx; a day not listed is a NotFound error.
func dayIn(ctx context.Context, tx *store.Tx, day string) (*Day, error) {
	var d Day
	var at int64
	err := tx.QueryRow(ctx, `SELECT day, kind, name, updated_at FROM calendar_days WHERE day = ?`, day).Scan(&d.Day, &d.Kind, &d.Name, &at)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, store.NotFoundf("日历中没有 %s 这一天的设置", day)
		}
		return nil, fmt.Errorf("read calendar day %s: %w", day, err)
	}
	d.UpdatedAt = store.Time(at)
	return &d, nil
}

// SetHours sets the working periods of a day and puts the changed calendar
// in force. Deadlines already set keep their time; new ones count with the
// new hours.
func (s *Service) SetHours(ctx context.Context, actor access.Actor, periods []Period) error {
	if err := checkEdit(actor); err != nil {
		return err
	}
	if err := ValidateHours(periods); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := settings.Set(ctx, tx, actor, SettingHours, FormatHours(periods)); err != nil {
			return err
		}
		return settings.Bump(ctx, tx, settingVersion)
	})
	if err != nil {
		return err
	}
	return s.Reload(ctx)
}
