// Package party is the party registry: party members' personal links,
// dual registration (双报到: the community where a serving member is
// registered), co-building agreements (共建协议) between organisations and
// communities, and the volunteer service (志愿服务) members are credited
// for.
//
// The case engine (internal/casework) runs community whistles; it asks this
// package whom they may summon and what a member's finished part earns
// through casework.PartyRegistry, which Service satisfies and
// cmd/grassroots wires with casework.Service.UseParty. This package imports
// the engine (a member acts on their own parts through it), never the
// reverse.
//
// Tables: member_links and co_building (migration 0007_coordination), the
// register, agreements, registrations, lists and activities
// (0015_party_registry), and people.home_unit_id (0001_org, the column the
// people pages of internal/org edit). Volunteer service is written to
// internal/volunteer's records (0016_volunteer), which took over the rows
// of 0007's volunteer_hours.
package party

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/casework"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Service is the party registry's domain API.
type Service struct {
	db     *store.DB
	cases  *casework.Service
	now    func() time.Time
	sealer *pii.Sealer
	ledger ServiceLedger
}

// New returns the registry over db; members act on their parts through
// cases. It satisfies casework.PartyRegistry: wire it into cases with
// cases.UseParty.
func New(db *store.DB, cases *casework.Service) *Service {
	return &Service{db: db, cases: cases, now: time.Now}
}

var _ casework.PartyRegistry = (*Service)(nil)

// UseClock makes the registry read the time from now (tests, simulations).
func (s *Service) UseClock(now func() time.Time) { s.now = now }

// shanghai is the zone dates are shown in.
var shanghai = worktime.Location()

// unit is a unit as this package reads it.
type unit struct {
	ID   int64
	Code string
	Name string
	Kind string
	Path string
}

type querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *store.Row
}

// unitByCode finds the unit a user named by its code.
func unitByCode(ctx context.Context, q querier, code string) (unit, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return unit{}, store.Invalid("请选择单位")
	}
	var u unit
	err := q.QueryRow(ctx, `SELECT id, code, name, kind, path FROM units WHERE code = ?`, code).Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.Path)
	if err != nil {
		err = store.Normalize(err)
		if errors.Is(err, store.ErrNotFound) {
			return u, store.Invalidf("找不到单位编码 %s", code)
		}
		return u, fmt.Errorf("unit %s: %w", code, err)
	}
	return u, nil
}
