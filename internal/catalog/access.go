package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// AccessRequest is one attempt to hand work from a unit to another: a case
// dispatch, a township task, a whistle role. Give the matter by its code, or
// the case category whose matter it is.
type AccessRequest struct {
	Actor        access.Actor // who is assigning (recorded)
	FromUnitID   int64        // the assigning unit (a county department for the rule to apply)
	ToUnitID     int64        // the unit the work is handed to
	MatterCode   string
	CategoryCode string
	Purpose      string // what is being assigned, e.g. "工单 350722-20261126-00042 派单"
	// Kind is what is checked: AttemptHandoff ("" too), AttemptDocument.
	Kind string
}

// What a recorded attempt was (access_attempts.kind).
const (
	AttemptHandoff  = "handoff"  // work handed from a county department to a township
	AttemptDecision = "decision" // a township's decision on a matter (empowerment list)
	AttemptDocument = "document" // a responsibility letter, quota, check or veto issued to townships
)

// AccessDecision is what the access list says about a request.
type AccessDecision struct {
	// Applies is false when the rule does not apply: the work does not go
	// from a county department to a township-level unit (or below one).
	Applies     bool
	Allowed     bool
	Matter      *Matter
	ExceptionID int64
	ListVersion int
	// Message cites the rule when the request is refused.
	Message string
}

// DecideAccess says whether the access list admits a request, without
// recording anything (for showing which targets are possible).
func (s *Service) DecideAccess(ctx context.Context, req AccessRequest) (AccessDecision, error) {
	return s.decide(ctx, s.db, req)
}

// CheckAccess enforces the access list (职责准入清单): a county department
// may hand a township-level unit — or a unit inside one — only work whose
// matter is on the access list for that department, unless the approval
// office granted an exception. Every checked attempt is recorded in
// access_attempts, allowed or not, in a transaction of its own, so call it
// before the transaction that makes the assignment. A refusal is an
// ErrForbidden whose user message cites the rule and the list's version:
// 根据职责准入清单，县住房和城乡建设局不得将“…”事项交由南浦街道办理（清单第3版）.
// Requests the rule does not apply to return nil and are not recorded.
func (s *Service) CheckAccess(ctx context.Context, req AccessRequest) error {
	return s.recordRefusal(ctx, func(tx *store.Tx) error { return s.CheckAccessTx(ctx, tx, req) })
}

// recordRefusal runs a check in a transaction of its own and commits it when
// the check refuses (ErrForbidden), so that the refused attempt stays on
// record; the refusal is then returned.
func (s *Service) recordRefusal(ctx context.Context, check func(tx *store.Tx) error) error {
	var refusal error
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		err := check(tx)
		if errors.Is(err, store.ErrForbidden) {
			refusal = err
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return refusal
}

// CheckAccessTx is CheckAccess inside the caller's transaction: the attempt
// is recorded in tx, so a refused attempt is kept only if the caller commits.
func (s *Service) CheckAccessTx(ctx context.Context, tx *store.Tx, req AccessRequest) error {
	d, err := s.decide(ctx, tx, req)
	if err != nil {
		return err
	}
	if !d.Applies {
		return nil
	}
	var matterID int64
	matterCode := strings.ToUpper(strings.TrimSpace(req.MatterCode))
	if d.Matter != nil {
		matterID, matterCode = d.Matter.ID, d.Matter.Code
	}
	kind := req.Kind
	if kind == "" {
		kind = AttemptHandoff
	}
	if err := s.recordAttempt(ctx, tx, attempt{actor: req.Actor, from: req.FromUnitID, to: req.ToUnitID, matterID: matterID, matterCode: matterCode,
		category: strings.TrimSpace(req.CategoryCode), allowed: d.Allowed, exceptionID: d.ExceptionID, version: d.ListVersion,
		purpose: req.Purpose, message: d.Message, kind: kind}); err != nil {
		return err
	}
	if !d.Allowed {
		return store.Forbidden(d.Message)
	}
	return nil
}

// attempt is one row of access_attempts.
type attempt struct {
	actor                  access.Actor
	from, to, matterID     int64
	matterCode, category   string
	allowed                bool
	exceptionID            int64
	version                int
	purpose, message, kind string
}

func (s *Service) recordAttempt(ctx context.Context, tx *store.Tx, a attempt) error {
	if _, err := tx.Exec(ctx, `INSERT INTO access_attempts (at, user_id, actor_name, from_unit_id, to_unit_id, matter_id, matter_code, category_code, allowed, exception_id, list_version, purpose, message, kind)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, store.Millis(s.now()), store.NullID(a.actor.UserID), a.actor.Recorded(),
		a.from, a.to, store.NullID(a.matterID), a.matterCode, a.category, store.BoolInt(a.allowed),
		store.NullID(a.exceptionID), a.version, a.purpose, a.message, a.kind); err != nil {
		return fmt.Errorf("record access attempt: %w", err)
	}
	return nil
}

func (s *Service) decide(ctx context.Context, q querier, req AccessRequest) (AccessDecision, error) {
	var d AccessDecision
	from, err := s.unitByID(ctx, q, req.FromUnitID)
	if err != nil {
		return d, err
	}
	to, err := s.unitByID(ctx, q, req.ToUnitID)
	if err != nil {
		return d, err
	}
	if from.Kind != "department" {
		return d, nil
	}
	township, ok, err := s.townshipOf(ctx, q, to)
	if err != nil || !ok {
		return d, err
	}
	d.Applies = true
	if d.ListVersion, err = s.currentVersion(ctx, q, AccessList); err != nil {
		return d, err
	}
	target := to.Name
	if to.ID != township.ID {
		target = township.Name + to.Name
	}
	var m Matter
	switch {
	case req.MatterCode != "":
		if m, err = s.matterByCode(ctx, q, req.MatterCode); err != nil {
			return d, err
		}
	case req.CategoryCode != "":
		m, err = s.categoryMatter(ctx, q, req.CategoryCode)
		if errors.Is(err, store.ErrNotFound) {
			d.Message = fmt.Sprintf("根据职责准入清单，%s不得将类别“%s”的工作交由%s办理：该类别未对应任何清单事项（清单第%d版）",
				from.Name, req.CategoryCode, target, d.ListVersion)
			return d, nil
		}
		if err != nil {
			return d, err
		}
	default:
		// A hand-off that names no matter cannot be checked: it is refused,
		// and recorded like any refusal.
		d.Message = fmt.Sprintf("根据职责准入清单，%s向%s交办工作须说明事项：未说明事项的交办不予准入（清单第%d版）",
			from.Name, target, d.ListVersion)
		return d, nil
	}
	d.Matter = &m
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM list_items WHERE list = 'access' AND v_to IS NULL AND item_key = ?`,
		itemKey(AccessList, "", from.ID, m.ID)).Scan(&n); err != nil {
		return d, fmt.Errorf("read access list: %w", err)
	}
	if n > 0 {
		d.Allowed = true
		return d, nil
	}
	now := store.Millis(s.now())
	err = q.QueryRow(ctx, `SELECT id FROM access_exceptions
		WHERE from_unit_id = ? AND matter_id = ? AND (to_unit_id IS NULL OR to_unit_id = ? OR to_unit_id = ?)
		AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY id DESC LIMIT 1`,
		from.ID, m.ID, to.ID, township.ID, now).Scan(&d.ExceptionID)
	switch {
	case err == nil:
		d.Allowed = true
		return d, nil
	case !isNotFound(err):
		return d, fmt.Errorf("read access exceptions: %w", err)
	}
	d.Message = fmt.Sprintf("根据职责准入清单，%s不得将“%s”事项交由%s办理（清单第%d版）", from.Name, m.Name, target, d.ListVersion)
	return d, nil
}

// Exception is a recorded exception to the access list.
type Exception struct {
	ID        int64     `json:"id"`
	FromCode  string    `json:"from_code"`
	FromName  string    `json:"from_name"`
	ToCode    string    `json:"to_code,omitempty"` // "" for any township-level unit
	ToName    string    `json:"to_name,omitempty"`
	Matter    Matter    `json:"matter"`
	Reason    string    `json:"reason"`
	GrantedBy string    `json:"granted_by"`
	GrantedAt time.Time `json:"granted_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// ExceptionInput asks for an exception.
type ExceptionInput struct {
	FromCode   string    `json:"from_code"`
	ToCode     string    `json:"to_code"` // "" for any township-level unit
	MatterCode string    `json:"matter_code"`
	Reason     string    `json:"reason"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
}

// GrantException lets a county department hand a matter that is not on the
// access list to a township (or to any township), for a stated reason,
// until an optional expiry. Only the approval office (编办) may.
func (s *Service) GrantException(ctx context.Context, actor access.Actor, in ExceptionInput) (Exception, error) {
	if !CanGrantExceptions(actor) {
		return Exception{}, store.Forbidden("只有县委编办可以批准职责准入例外")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" {
		return Exception{}, store.Invalid("请填写准予例外的理由")
	}
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(s.now()) {
		return Exception{}, store.Invalid("例外的截止时间必须晚于现在")
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		from, err := s.unitByCode(ctx, tx, in.FromCode)
		if err != nil {
			return err
		}
		if from.Kind != "department" {
			return store.Invalidf("“%s”不是县直部门", from.Name)
		}
		var toID int64
		if in.ToCode != "" {
			to, err := s.unitByCode(ctx, tx, in.ToCode)
			if err != nil {
				return err
			}
			if !IsTownshipLevel(to.Kind) {
				return store.Invalidf("“%s”不是乡镇（街道）", to.Name)
			}
			toID = to.ID
		}
		m, err := s.matterByCode(ctx, tx, in.MatterCode)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO access_exceptions (from_unit_id, to_unit_id, matter_id, reason, granted_by, granted_name, granted_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, from.ID, store.NullID(toID), m.ID, in.Reason, store.NullID(actor.UserID), actor.Recorded(),
			store.Millis(s.now()), store.NullMillis(in.ExpiresAt)).Scan(&id); err != nil {
			return fmt.Errorf("record exception: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "access.exception.grant", Entity: "access_exception", EntityID: fmt.Sprint(id), After: in, Reason: in.Reason})
	})
	if err != nil {
		return Exception{}, err
	}
	return s.exception(ctx, id)
}

// RevokeException ends an exception now.
func (s *Service) RevokeException(ctx context.Context, actor access.Actor, id int64, reason string) error {
	if !CanGrantExceptions(actor) {
		return store.Forbidden("只有县委编办可以撤销职责准入例外")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE access_exceptions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, store.Millis(s.now()), id)
		if err != nil {
			return fmt.Errorf("revoke exception: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.NotFound("没有这项有效的例外")
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "access.exception.revoke", Entity: "access_exception", EntityID: fmt.Sprint(id), Reason: reason})
	})
}

const exceptionSelect = `SELECT e.id, f.code, f.name, COALESCE(t.code, ''), COALESCE(t.name, ''), m.id, m.code, m.type, m.name, m.basis_law, m.basis_article, m.demo, m.updated_at,
	e.reason, e.granted_name, e.granted_at, COALESCE(e.expires_at, 0), COALESCE(e.revoked_at, 0)
	FROM access_exceptions e JOIN units f ON f.id = e.from_unit_id LEFT JOIN units t ON t.id = e.to_unit_id JOIN matters m ON m.id = e.matter_id`

func scanException(sc interface{ Scan(...any) error }) (Exception, error) {
	var e Exception
	var mdemo int
	var mupd, g, x, r int64
	err := sc.Scan(&e.ID, &e.FromCode, &e.FromName, &e.ToCode, &e.ToName, &e.Matter.ID, &e.Matter.Code, &e.Matter.Type, &e.Matter.Name,
		&e.Matter.BasisLaw, &e.Matter.BasisArticle, &mdemo, &mupd, &e.Reason, &e.GrantedBy, &g, &x, &r)
	e.Matter.TypeName, e.Matter.Demo, e.Matter.UpdatedAt = TypeName(e.Matter.Type), mdemo == 1, store.Time(mupd)
	e.GrantedAt, e.ExpiresAt, e.RevokedAt = store.Time(g), store.Time(x), store.Time(r)
	return e, err
}

func (s *Service) exception(ctx context.Context, id int64) (Exception, error) {
	e, err := scanException(s.db.QueryRow(ctx, exceptionSelect+` WHERE e.id = ?`, id))
	if err != nil {
		return e, fmt.Errorf("read exception %d: %w", id, err)
	}
	return e, nil
}

// Exceptions lists the exceptions, newest first.
func (s *Service) Exceptions(ctx context.Context, actor access.Actor) ([]Exception, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, exceptionSelect+` ORDER BY e.granted_at DESC, e.id DESC`)
	out, err := store.Collect(rows, err, scanException)
	if err != nil {
		return nil, fmt.Errorf("list exceptions: %w", err)
	}
	return out, nil
}

// Attempt is one recorded assignment attempt.
type Attempt struct {
	ID          int64     `json:"id"`
	At          time.Time `json:"at"`
	ActorName   string    `json:"actor_name"`
	FromCode    string    `json:"from_code"`
	FromName    string    `json:"from_name"`
	ToCode      string    `json:"to_code"`
	ToName      string    `json:"to_name"`
	MatterCode  string    `json:"matter_code"`
	MatterName  string    `json:"matter_name"`
	Category    string    `json:"category_code,omitempty"`
	Allowed     bool      `json:"allowed"`
	ExceptionID int64     `json:"exception_id,omitempty"`
	ListVersion int       `json:"list_version"`
	Purpose     string    `json:"purpose"`
	Message     string    `json:"message"`
	// Kind is handoff, decision or document (AttemptHandoff ...).
	Kind string `json:"kind"`
}

// DepartmentAttempts sums one department's attempts in a period.
type DepartmentAttempts struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Total     int    `json:"total"`
	Allowed   int    `json:"allowed"`
	Refused   int    `json:"refused"`
	Exception int    `json:"by_exception"`
}

// seesAllAttempts: the county level, supervisors, editors.
func seesAllAttempts(a access.Actor) bool {
	return a.CountyWide() || CanEdit(a) || a.Has(access.RoleSupervisor)
}

func attemptScope(a access.Actor) (string, []any) {
	if seesAllAttempts(a) {
		return "1=1", nil
	}
	if a.UnitKind == "department" {
		return "a.from_unit_id = ?", []any{a.UnitID}
	}
	return a.SubtreeFilter("t.path")
}

// AttemptsReport sums the attempts between from and to by department (all
// departments for the county level; a department sees its own; a township
// those made to it).
func (s *Service) AttemptsReport(ctx context.Context, actor access.Actor, from, to time.Time) ([]DepartmentAttempts, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	cond, args := attemptScope(actor)
	args = append([]any{store.Millis(from), store.Millis(to)}, args...)
	rows, err := s.db.Query(ctx, `SELECT f.code, f.name, COUNT(*),
		SUM(CASE WHEN a.allowed = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN a.allowed = 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN a.exception_id IS NOT NULL THEN 1 ELSE 0 END)
		FROM access_attempts a JOIN units f ON f.id = a.from_unit_id JOIN units t ON t.id = a.to_unit_id
		WHERE a.at >= ? AND a.at < ? AND `+cond+`
		GROUP BY f.code, f.name ORDER BY f.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("attempts report: %w", err)
	}
	defer rows.Close()
	var out []DepartmentAttempts
	for rows.Next() {
		var d DepartmentAttempts
		if err := rows.Scan(&d.Code, &d.Name, &d.Total, &d.Allowed, &d.Refused, &d.Exception); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Attempts lists the latest attempts between from and to, newest first,
// optionally of one department (code) only.
func (s *Service) Attempts(ctx context.Context, actor access.Actor, from, to time.Time, deptCode string, limit int) ([]Attempt, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	cond, args := attemptScope(actor)
	q := `SELECT a.id, a.at, a.actor_name, f.code, f.name, t.code, t.name, a.matter_code, COALESCE(m.name, ''), a.category_code,
		a.allowed, COALESCE(a.exception_id, 0), a.list_version, a.purpose, a.message, a.kind
		FROM access_attempts a JOIN units f ON f.id = a.from_unit_id JOIN units t ON t.id = a.to_unit_id LEFT JOIN matters m ON m.id = a.matter_id
		WHERE a.at >= ? AND a.at < ? AND ` + cond
	args = append([]any{store.Millis(from), store.Millis(to)}, args...)
	if deptCode != "" {
		q += ` AND f.code = ?`
		args = append(args, deptCode)
	}
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	q += ` ORDER BY a.at DESC, a.id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var at int64
		var allowed int
		if err := rows.Scan(&a.ID, &at, &a.ActorName, &a.FromCode, &a.FromName, &a.ToCode, &a.ToName, &a.MatterCode, &a.MatterName, &a.Category,
			&allowed, &a.ExceptionID, &a.ListVersion, &a.Purpose, &a.Message, &a.Kind); err != nil {
			return nil, err
		}
		a.At, a.Allowed = store.Time(at), allowed == 1
		out = append(out, a)
	}
	return out, rows.Err()
}
