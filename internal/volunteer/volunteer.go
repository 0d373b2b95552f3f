// Package volunteer keeps volunteer service records (志愿服务记录) the way
// 民政部令第67号《志愿服务记录与证明出具办法(试行)》 names them: the
// volunteer's basic information (a person with a volunteer number), service
// entries (date, place, content, hours, recorder, organising body),
// training, honours and evaluations; the certificates (志愿服务记录证明) the
// organising unit or community issues from them; star levels; and the good
// deeds (办实事好事) members and units do.
//
// Good deeds live here and not in a package of their own because they are
// born in the same transaction as the hours: an activity signed off records
// its attendees' verified entries and, where it solved a resident's
// problem, the deed (ActivitySignedOff).
//
// Hours come in two layers, always shown apart: verified (sign-in/out and
// the organiser's confirmation, or a whistle part whose result was
// accepted) and back-filled (entered afterwards with a reason, approved by
// someone other than who entered it, never longer than the activity). Only
// entries that count (verified, or back-filled and promoted by the
// approver) count towards stars. Every change is in the entry's history.
//
// Tables: volunteers, volunteer_entries, volunteer_entry_history,
// volunteer_corrections, volunteer_notes, volunteer_stars,
// volunteer_certificates and good_deeds (migration 0016_volunteer).
package volunteer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Service is the volunteer records' domain API.
type Service struct {
	db     *store.DB
	now    func() time.Time
	photos PhotoStore // good deeds' photos (UsePhotos)
}

// New returns the records over db, on the wall clock, without a signing
// key.
func New(db *store.DB) *Service { return &Service{db: db, now: time.Now} }

// UseClock makes the service read the time from now (tests, demo).
func (s *Service) UseClock(now func() time.Time) { s.now = now }

// shanghai is the zone dates are shown and periods are cut in.
var shanghai = worktime.Location()

// Layers of an entry.
const (
	Verified   = "verified"
	Backfilled = "backfilled"
)

// Number is the volunteer number of a person: "ZY" and the person's id in
// eight digits (the same the migration gives the volunteers it creates).
func Number(personID int64) string { return fmt.Sprintf("ZY%08d", personID) }

// Volunteer is a person with a volunteer record.
type Volunteer struct {
	ID       int64  `json:"-"`
	PersonID int64  `json:"person_id"`
	No       string `json:"volunteer_no"`
	Name     string `json:"name"`
	UnitID   int64  `json:"-"`
	UnitName string `json:"unit_name"`
	UnitPath string `json:"-"`
	// IDType and IDMasked are the identity document as a certificate
	// shows it: 居民身份证 and a masked number, or empty when none is kept.
	IDType   string `json:"id_type"`
	IDMasked string `json:"id_masked"`
}

type querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *store.Row
}

// ensure returns the volunteer id of a person, creating the record (kept
// by unitID) on first service.
func ensure(ctx context.Context, tx *store.Tx, personID, unitID int64, at time.Time) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM volunteers WHERE person_id = ?`, personID).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(store.Normalize(err), store.ErrNotFound) {
		return 0, fmt.Errorf("volunteer of person %d: %w", personID, err)
	}
	err = tx.QueryRow(ctx, `INSERT INTO volunteers (person_id, volunteer_no, unit_id, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		personID, Number(personID), unitID, store.Millis(at)).Scan(&id)
	if err != nil {
		err = store.Normalize(err)
		if errors.Is(err, store.ErrInvalid) {
			return 0, store.Invalidf("找不到人员 %d", personID)
		}
		return 0, fmt.Errorf("new volunteer for person %d: %w", personID, err)
	}
	return id, nil
}

// Volunteer returns the record of a person, store.ErrNotFound when the
// person has none.
func (s *Service) Volunteer(ctx context.Context, personID int64) (Volunteer, error) {
	return volunteerOf(ctx, s.db, personID)
}

func volunteerOf(ctx context.Context, q querier, personID int64) (Volunteer, error) {
	var v Volunteer
	var idHash string
	err := q.QueryRow(ctx, `SELECT w.id, w.person_id, w.volunteer_no, p.name, w.unit_id, u.name, u.path, p.id_no_hash
		FROM volunteers w JOIN people p ON p.id = w.person_id JOIN units u ON u.id = w.unit_id WHERE w.person_id = ?`, personID).
		Scan(&v.ID, &v.PersonID, &v.No, &v.Name, &v.UnitID, &v.UnitName, &v.UnitPath, &idHash)
	if err != nil {
		err = store.Normalize(err)
		if errors.Is(err, store.ErrNotFound) {
			return v, store.NotFoundf("人员 %d 没有志愿服务记录", personID)
		}
		return v, fmt.Errorf("volunteer of person %d: %w", personID, err)
	}
	if idHash != "" {
		// The number itself is sealed; a certificate shows its type and a
		// mask that gives nothing away.
		v.IDType, v.IDMasked = "居民身份证", "******************"
	}
	return v, nil
}

// unitInfo is a unit as this package reads it.
type unitInfo struct {
	ID   int64
	Name string
	Kind string
	Path string
}

func unitOf(ctx context.Context, q querier, id int64) (unitInfo, error) {
	u := unitInfo{ID: id}
	err := q.QueryRow(ctx, `SELECT name, kind, path FROM units WHERE id = ?`, id).Scan(&u.Name, &u.Kind, &u.Path)
	if err != nil {
		err = store.Normalize(err)
		if errors.Is(err, store.ErrNotFound) {
			return u, store.Invalidf("找不到单位 %d", id)
		}
		return u, fmt.Errorf("unit %d: %w", id, err)
	}
	return u, nil
}

// organiser reports whether actor may record, approve and correct entries
// of the organising unit at path: staff of a community, township or
// administration whose subtree holds it.
func organiser(actor access.Actor, path string) bool {
	if actor.System {
		return true
	}
	return actor.HasAny(access.RoleCommunity, access.RoleTownship, access.RoleAdmin) && actor.SeesPath(path)
}

func clean(s string) string { return strings.TrimSpace(s) }

// history appends one line to an entry's history.
func history(ctx context.Context, tx *store.Tx, entryID int64, kind string, actor access.Actor, note string, oldMin, newMin any, at time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO volunteer_entry_history (entry_id, kind, actor, user_id, note, old_minutes, new_minutes, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, entryID, kind, actor.Recorded(), store.NullID(actor.UserID), note, oldMin, newMin, store.Millis(at)); err != nil {
		return fmt.Errorf("history of entry %d: %w", entryID, store.Normalize(err))
	}
	return nil
}
