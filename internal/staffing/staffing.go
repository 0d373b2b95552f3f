// Package staffing keeps the staffing ledger in the shape of 机构编制实名制
// (中央编办发〔2009〕39号): per body (a county department, a township, or
// one of a township's institutions) the posts approved (核定) by type —
// 行政编制, 事业编制 公益一类 and 公益二类, 工勤 — and leadership posts (领导
// 职数), and the named person in each filled post (实有). Vacant posts (空编)
// are what is approved and not filled.
//
// What is approved is never edited: it is the sum of dated events, each
// with its approving document number — an approval, a transfer from one
// body to another (减县补乡), a loan (周转) with its return date, and the
// return that ends a loan. Only the county's establishment office (县委编办)
// and county administrators write the ledger.
//
// Tables: staffing_events and staffing_posts (migration 0022_org_ledgers).
package staffing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Post types (编制类型). Leader is 领导职数, counted apart from the posts.
const (
	Admin   = "admin"   // 行政编制
	Career1 = "career1" // 事业编制(公益一类)
	Career2 = "career2" // 事业编制(公益二类)
	Worker  = "worker"  // 工勤编制
	Leader  = "leader"  // 领导职数
)

// PostTypes lists the types in display order, leadership posts last.
var PostTypes = []string{Admin, Career1, Career2, Worker, Leader}

// TypeName is the Chinese name of a post type.
func TypeName(t string) string {
	switch t {
	case Admin:
		return "行政编制"
	case Career1:
		return "事业编制(公益一类)"
	case Career2:
		return "事业编制(公益二类)"
	case Worker:
		return "工勤编制"
	case Leader:
		return "领导职数"
	}
	return t
}

// ParseType accepts a type's code or its Chinese name (Excel sheets carry
// names).
func ParseType(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, t := range PostTypes {
		if s == t || s == TypeName(t) {
			return t, true
		}
	}
	switch s {
	case "公益一类", "事业一类":
		return Career1, true
	case "公益二类", "事业二类":
		return Career2, true
	case "工勤":
		return Worker, true
	case "行政":
		return Admin, true
	}
	return "", false
}

// Event kinds.
const (
	KindApprove  = "approve"  // 核定
	KindTransfer = "transfer" // 划转 (减县补乡)
	KindLoan     = "loan"     // 周转
	KindReturn   = "return"   // 周转归还
)

// Service is the staffing ledger's domain API.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns the ledger over db on the wall clock.
func New(db *store.DB) *Service { return &Service{db: db, now: time.Now} }

// UseClock makes the service read the time from now (tests, demo).
func (s *Service) UseClock(now func() time.Time) { s.now = now }

var shanghai = worktime.Location()

func (s *Service) today() string { return s.now().In(shanghai).Format(time.DateOnly) }

// CanWrite reports whether actor may write the ledger: staff of the
// county's establishment office (县委编办) and county administrators.
func CanWrite(a access.Actor) bool {
	if a.CountyAdmin() {
		return true
	}
	return a.UnitCode == org.DeptApproval && a.HasAny(access.RoleDepartment, access.RoleAdmin)
}

// canRead reports whether actor may read the ledger of a body at path:
// whoever reads the whole network (county-wide users, departments), and a
// township's staff for the bodies of their own subtree.
func canRead(a access.Actor, path string) bool {
	if a.Anonymous() {
		return false
	}
	return org.ReadsAll(a) || a.SeesPath(path)
}

func writeGuard(a access.Actor) error {
	if a.Anonymous() {
		return store.Forbidden("请先登录")
	}
	if !CanWrite(a) {
		return store.Forbidden("只有县委编办可以调整机构编制")
	}
	return nil
}

// Body is one place posts are approved in: a unit, or one of its
// institutions when InstitutionID is set.
type Body struct {
	UnitID          int64  `json:"-"`
	UnitCode        string `json:"unit_code"`
	UnitName        string `json:"unit_name"`
	UnitKind        string `json:"unit_kind"`
	UnitPath        string `json:"-"`
	InstitutionID   int64  `json:"institution_id,omitempty"`
	InstitutionName string `json:"institution_name,omitempty"`
	Module          string `json:"module,omitempty"`
}

// Name is the body as a clerk reads it: "富岭镇 党政综合办公室".
func (b Body) Name() string {
	if b.InstitutionName != "" {
		return b.UnitName + " " + b.InstitutionName
	}
	return b.UnitName
}

type querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *store.Row
}

// body resolves a unit code and an optional institution name of it.
func body(ctx context.Context, q querier, code, institution string) (Body, error) {
	b := Body{UnitCode: strings.TrimSpace(code)}
	if b.UnitCode == "" {
		return b, store.Invalid("请选择单位")
	}
	r, err := org.RefByCode(ctx, q, b.UnitCode)
	b.UnitID, b.UnitName, b.UnitKind, b.UnitPath = r.ID, r.Name, r.Kind, r.Path
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return b, store.Invalidf("找不到单位 %s", b.UnitCode)
		}
		return b, fmt.Errorf("unit %s: %w", b.UnitCode, err)
	}
	switch b.UnitKind {
	case org.KindDepartment, org.KindTownship, org.KindStreet, org.KindCounty:
	default:
		return b, store.Invalidf("%s 不是核定编制的机构（县直部门或乡镇街道）", b.UnitName)
	}
	institution = strings.TrimSpace(institution)
	if institution == "" {
		return b, nil
	}
	err = q.QueryRow(ctx, `SELECT i.id, i.name, COALESCE(m.name, '') FROM institutions i LEFT JOIN unit_modules m ON m.id = i.module_id
		WHERE i.unit_id = ? AND i.name = ?`, b.UnitID, institution).Scan(&b.InstitutionID, &b.InstitutionName, &b.Module)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return b, store.Invalidf("%s没有机构“%s”", b.UnitName, institution)
		}
		return b, fmt.Errorf("institution %s: %w", institution, err)
	}
	return b, nil
}
