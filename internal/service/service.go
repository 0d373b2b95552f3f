// Package service owns the universal service window (便民服务): service items
// built on the catalogue's matters (materials, time limits, fee, level and
// the online / one-visit / proxy / nearby / city-wide / cross-region flags,
// items moved down to townships), the service network (a centre in each
// township and street, service points in villages, their windows and staff),
// the front desk (materials checked against the list, one-time notices,
// acceptance with a receipt), the back office and delivery (through the case
// flow "service"), online and proxy applications, reviews (好差评) and the
// figures per centre, office and item.
//
// An application is a case of the flow "service"; this package keeps its
// service side (item, channel, window, materials, visits, delivery, review)
// in service_applications, written by a change hook inside the case's own
// transactions, so the two never disagree.
package service

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Item kinds.
const (
	KindImmediate = "immediate" // 即办件: finished at the window
	KindPromised  = "promised"  // 承诺件: handled in the back office within the promised limit
)

// Levels that handle an item.
const (
	LevelCounty   = "county"
	LevelTownship = "township"
	LevelVillage  = "village"
)

// Channels an application comes by.
const (
	ChannelWindow = "window" // at a centre's universal window
	ChannelOnline = "online" // 掌上办, from the resident's phone
	ChannelProxy  = "proxy"  // 代办, by a village service point on the resident's behalf
)

// Delivery methods (统一出件).
const (
	DeliverWindow = "window"
	DeliverPost   = "post"
	DeliverOnline = "online"
)

// Deliveries lists the delivery methods in display order.
var Deliveries = []string{DeliverWindow, DeliverPost, DeliverOnline}

// Material forms.
const (
	FormOriginal     = "original"
	FormCopy         = "copy"
	FormOriginalCopy = "original_copy"
	FormElectronic   = "electronic"
)

// Sealer gives the keyed hash that links a resident's visits (pii.Sealer).
type Sealer interface {
	Hash(plain string) string
}

// Service is the service window's domain API.
type Service struct {
	db     *store.DB
	cases  *casework.Service
	sealer Sealer
	log    *slog.Logger
	now    func() time.Time
}

// New returns the service window over db and the case engine, and registers
// its change hook on the engine (call it while wiring, before serving).
func New(db *store.DB, cases *casework.Service, sealer Sealer, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{db: db, cases: cases, sealer: sealer, log: log, now: time.Now}
	cases.OnChange(s.onChange)
	return s
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Cases returns the case engine the applications run on.
func (s *Service) Cases() *casework.Service { return s.cases }

// staffRoles may work at a window or in a back office.
var staffRoles = []access.Role{access.RoleAdmin, access.RoleTownship, access.RoleCommunity, access.RoleDepartment}

func mustStaff(a access.Actor) error {
	if a.Anonymous() {
		return store.Forbidden("请先登录")
	}
	if !IsStaff(a) {
		return store.Forbidden("您的角色不能办理便民服务")
	}
	return nil
}

// IsStaff reports whether the actor works the service window (accepts,
// handles and delivers applications, reads its figures).
func IsStaff(a access.Actor) bool {
	return !a.Anonymous() && (a.System || a.HasAny(staffRoles...))
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// Money shows an amount in fen as yuan ("12.50元", "免费").
func Money(cents int64) string {
	if cents == 0 {
		return "免费"
	}
	return fmt.Sprintf("%d.%02d元", cents/100, cents%100)
}

var shanghai = worktime.Location()

func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }
