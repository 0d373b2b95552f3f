// Package catalog owns the catalogue of matters and the executable lists
// (power & responsibility, territorial, access, empowerment) that routing
// obeys. A matter (事项) carries the four unifications — type, name, legal
// basis and code — and every list item references one. The lists are
// versioned: each change is a numbered version recording who, when and why,
// and any version can be read back or compared with another. It also owns
// the category tree (categories.go) that cases are filed under.
//
// The case engine calls three rules from here: CheckAccess (may a county
// department hand this work to a township?), Route (which units lead and
// support a category's matter?) and MayDecide (has a township been empowered
// to decide a matter?).
package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// ApprovalOfficeCode is the unit code of the county's approval office (县委编办),
// which maintains the lists and grants exceptions to the access list.
const ApprovalOfficeCode = "350722D001"

// TownshipTypes are the kinds of township-level unit the lists differ by.
var TownshipTypes = []string{"城区街道", "中心镇", "一般乡镇"}

// ListKind names one of the executable lists.
type ListKind string

// The lists.
const (
	PowerList       ListKind = "power"       // 权责清单
	TerritorialList ListKind = "territorial" // 属地管理事项清单
	AccessList      ListKind = "access"      // 职责准入清单
	EmpowermentList ListKind = "empowerment" // 赋权清单
)

// Lists are every list kind in display order.
var Lists = []ListKind{PowerList, TerritorialList, AccessList, EmpowermentList}

// ParseList returns the list named s, or an ErrNotFound with a message.
func ParseList(s string) (ListKind, error) {
	for _, l := range Lists {
		if string(l) == s {
			return l, nil
		}
	}
	return "", store.NotFoundf("没有名为“%s”的清单", s)
}

// Title is the list's Chinese name.
func (l ListKind) Title() string {
	switch l {
	case PowerList:
		return "权责清单"
	case TerritorialList:
		return "属地管理事项清单"
	case AccessList:
		return "职责准入清单"
	case EmpowermentList:
		return "赋权清单"
	}
	return string(l)
}

// Service is the catalogue's domain API.
type Service struct {
	db   *store.DB
	now  func() time.Time
	jobs *jobs
}

// NewService returns the catalogue over db.
func NewService(db *store.DB) *Service {
	return &Service{db: db, now: time.Now, jobs: &jobs{byID: map[string]*ImportJob{}}}
}

// SetClock replaces the service's clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// DB returns the service's database.
func (s *Service) DB() *store.DB { return s.db }

// CanEdit reports whether the actor may change the lists and the matters:
// administrators, the approval office and the system.
func CanEdit(a access.Actor) bool {
	return a.System || a.Has(access.RoleAdmin) || a.UnitCode == ApprovalOfficeCode
}

// CanGrantExceptions reports whether the actor may grant exceptions to the
// access list: only the approval office (and the system).
func CanGrantExceptions(a access.Actor) bool {
	return a.System || a.UnitCode == ApprovalOfficeCode
}

// IsTownshipLevel reports whether a unit kind is township-level (乡镇、街道).
func IsTownshipLevel(kind string) bool { return kind == "township" || kind == "street" }

func mustRead(a access.Actor) error {
	if a.Anonymous() {
		return store.Forbidden("请先登录后再查看清单")
	}
	return nil
}

func mustEdit(a access.Actor) error {
	if !CanEdit(a) {
		return store.Forbidden("只有系统管理员和县委编办可以维护清单")
	}
	return nil
}

func validTownshipType(t string) bool {
	for _, x := range TownshipTypes {
		if x == t {
			return true
		}
	}
	return false
}

// querier is what both *store.DB and *store.Tx offer, with `?` rebinding.
type querier interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *store.Row
}

// unitRef is a unit as the lists need it; org owns the units table and
// its reads (org/ref.go).
type unitRef = org.Ref

func (s *Service) unitByID(ctx context.Context, q querier, id int64) (unitRef, error) {
	u, err := org.RefByID(ctx, q, id)
	if err != nil {
		if isNotFound(err) {
			return u, store.NotFoundf("找不到编号为 %d 的单位", id)
		}
		return u, fmt.Errorf("read unit %d: %w", id, err)
	}
	return u, nil
}

func (s *Service) unitByCode(ctx context.Context, q querier, code string) (unitRef, error) {
	u, err := org.RefByCode(ctx, q, code)
	if err != nil {
		if isNotFound(err) {
			return u, store.NotFoundf("找不到单位“%s”", code)
		}
		return u, fmt.Errorf("read unit %s: %w", code, err)
	}
	return u, nil
}

// townshipOf returns the township-level unit at or above u, or false.
func (s *Service) townshipOf(ctx context.Context, q querier, u unitRef) (unitRef, bool, error) {
	if IsTownshipLevel(u.Kind) {
		return u, true, nil
	}
	t, ok, err := org.TownshipRefAbove(ctx, q, u.Path)
	if err != nil {
		return unitRef{}, false, fmt.Errorf("find township of %s: %w", u.Code, err)
	}
	return t, ok, nil
}

// jobs holds the running and recent import jobs of this instance.
type jobs struct {
	mu   sync.Mutex
	byID map[string]*ImportJob
	seq  int
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// userText is the message a user should read for err.
func userText(err error) string {
	if msg, ok := store.UserMessage(err); ok {
		return msg
	}
	return "导入失败：系统内部错误，已记录"
}
