// Package civility keeps civic behaviour records and civility points
// (公民文明行为记录与文明积分) the lawful way (docs/CIVILITY.md):
//
//   - the catalogue (行为目录) is data, versioned; a negative item names its
//     legal basis (an article of 《南平市文明行为促进条例》, of the county's
//     measures, or a village rule with its assembly's date) or cannot be
//     saved (国办发〔2020〕49号: nothing enters the record beyond the
//     catalogue and its basis);
//   - entries are collected from recorded work (verified volunteer hours
//     and good deeds, a resolved case, a grid worker's patrol, a community's
//     nomination), each naming a person by their person record;
//   - a negative entry is approved by two different reviewers, noticed to
//     the person, and takes effect only after the appeal window (setting
//     civility.appeal_window_days, default 15); the appeal is a case of the
//     flow civility_appeal, decided by someone who took no part in the
//     entry;
//   - points are kept in a double-entry ledger and spent at the points
//     store's counter; no score and no incentive is computed for a person
//     who has not consented, and a record of a legal violation is kept
//     without a score.
//
// Tables: civility_* (migration 0021_civility).
package civility

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/settings"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Settings.
const (
	// SettingAppealWindowDays is the appeal window after a notice, in days.
	SettingAppealWindowDays = "civility.appeal_window_days"
	// SettingRepairMinutes is the repair path (信用修复): verified volunteer
	// minutes served after an entry took effect that repair it early.
	SettingRepairMinutes = "civility.repair_minutes"
	// SettingOfficeUnit is the unit code of the county civilisation office
	// (县文明办), whose staff keep the catalogue and the incentives.
	SettingOfficeUnit = "civility.office_unit"
	// SettingMaxBalance is the upper bound of a person's points account.
	SettingMaxBalance = "civility.max_balance"
)

// Defaults of the settings.
const (
	DefaultAppealWindowDays = 15
	DefaultRepairMinutes    = 600
	DefaultMaxBalance       = 100000
)

// AppealFlow is the case flow appeals run on (casework.CivilityAppealFlow).
const AppealFlow = "civility_appeal"

// appealSource is the case source of the appeals this package opens.
const appealSource = "civility"

// Service is the civility records' domain API.
type Service struct {
	db    *store.DB
	cases *casework.Service
	now   func() time.Time
}

// New returns the records over db on the wall clock. cases may be nil (then
// appeals are refused); when set, the service registers its change hook.
func New(db *store.DB, cases *casework.Service) *Service {
	s := &Service{db: db, cases: cases, now: time.Now}
	if cases != nil {
		cases.OnChange(s.onCaseChange)
		cases.OfferFieldOptions(AppealFlow, "item", s.revisionOptions)
	}
	return s
}

// UseClock makes the service read the time from now (tests, demo).
func (s *Service) UseClock(now func() time.Time) { s.now = now }

var shanghai = worktime.Location()

type querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *store.Row
}

type unitInfo struct {
	ID               int64
	Code, Name, Kind string
	Path             string
}

func unitOf(ctx context.Context, q querier, id int64) (unitInfo, error) {
	u := unitInfo{ID: id}
	err := q.QueryRow(ctx, `SELECT code, name, kind, path FROM units WHERE id = ?`, id).Scan(&u.Code, &u.Name, &u.Kind, &u.Path)
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return u, store.Invalidf("找不到单位 %d", id)
		}
		return u, fmt.Errorf("unit %d: %w", id, err)
	}
	return u, nil
}

// person is a person as this package reads them: name and unit, never the
// sealed numbers.
type person struct {
	ID       int64
	Name     string
	Role     string
	UnitID   int64
	UnitCode string
	UnitName string
	UnitPath string
}

func personOf(ctx context.Context, q querier, id int64) (person, error) {
	p := person{ID: id}
	err := q.QueryRow(ctx, `SELECT p.name, p.role, u.id, u.code, u.name, u.path FROM people p JOIN units u ON u.id = p.unit_id WHERE p.id = ?`, id).
		Scan(&p.Name, &p.Role, &p.UnitID, &p.UnitCode, &p.UnitName, &p.UnitPath)
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return p, store.Invalidf("找不到人员 %d", id)
		}
		return p, fmt.Errorf("person %d: %w", id, err)
	}
	return p, nil
}

// parentPath is the path of the unit above the one at p ("/1/5/78/" gives
// "/1/5/").
func parentPath(p string) string {
	t := strings.TrimSuffix(p, "/")
	if i := strings.LastIndex(t, "/"); i >= 0 {
		return t[:i+1]
	}
	return p
}

// staffFor reports whether actor is staff of the person's community or
// township (a unit whose subtree holds the person's unit), or a grid
// worker of a grid in the person's community.
func staffFor(actor access.Actor, path string, roles ...access.Role) bool {
	if actor.System {
		return true
	}
	if !actor.HasAny(roles...) {
		return false
	}
	if actor.UnitPath != "" && strings.HasPrefix(path, actor.UnitPath) {
		return true
	}
	if actor.Has(access.RoleGrid) && actor.UnitPath != "" && strings.HasPrefix(path, parentPath(actor.UnitPath)) && parentPath(actor.UnitPath) != actor.UnitPath {
		return true
	}
	return false
}

// reviewers are the roles that review entries and read a person's record.
var reviewers = []access.Role{access.RoleCommunity, access.RoleTownship}

// recorders are the roles that record entries.
var recorders = []access.Role{access.RoleGrid, access.RoleCommunity, access.RoleTownship}

// office reports whether actor keeps the catalogue and incentives: a county
// administrator, or staff of the civilisation office's unit.
func (s *Service) office(ctx context.Context, actor access.Actor) (bool, error) {
	if actor.CountyAdmin() {
		return true, nil
	}
	code, err := settings.String(ctx, s.db, SettingOfficeUnit, "")
	if err != nil {
		return false, err
	}
	return code != "" && actor.UnitCode == code && !actor.Anonymous(), nil
}

func timeOf(ms *int64) time.Time {
	if ms == nil {
		return time.Time{}
	}
	return store.Time(*ms).In(shanghai)
}

func clean(s string) string { return strings.TrimSpace(s) }

func history(ctx context.Context, tx *store.Tx, entryID int64, kind string, actor access.Actor, note string, at time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO civility_entry_history (entry_id, kind, actor, user_id, note, at) VALUES (?, ?, ?, ?, ?, ?)`,
		entryID, kind, actor.Recorded(), store.NullID(actor.UserID), note, store.Millis(at)); err != nil {
		return fmt.Errorf("history of entry %d: %w", entryID, store.Normalize(err))
	}
	return nil
}

// b2i is a boolean as the INTEGER columns keep it.
