// Package trust owns the checks that span every area: revealing sealed
// personal data with a reason (and the report of every reveal), and the
// re-sealing of every sealed column when the personal-data key rotates. The
// crash, multi-instance, soak and authorisation tests that prove the
// platform keeps its promises live beside the code they exercise
// (cmd/grassroots, internal/web, internal/api); docs/RELIABILITY.md says
// what each proves.
package trust

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/pii"
	"grassroots/internal/store"
)

// The subjects and fields a reveal may name.
const (
	SubjectCase   = "case"
	SubjectPerson = "person"

	FieldReporterPhone = "reporter_phone" // a case's reporter
	FieldPhone         = "phone"          // a person's phone
	FieldIDNo          = "id_no"          // a person's ID number
)

// Reason lengths, in characters.
const (
	minReason = 4
	maxReason = 200
)

// CaseReader is what reveals need from the case engine: a case as the actor
// may see it, and for searches by phone number the inbox (the engine
// enforces scope).
type CaseReader interface {
	Get(ctx context.Context, actor access.Actor, no string) (casework.CaseDetail, error)
	Inbox(ctx context.Context, actor access.Actor, f casework.InboxFilter) (casework.InboxPage, error)
	CallCentreStaff(ctx context.Context, actor access.Actor) (bool, error)
	CallCentreCase(ctx context.Context, actor access.Actor, d *casework.CaseDetail) (bool, error)
}

// Service reveals sealed values and reports reveals.
type Service struct {
	db     *store.DB
	sealer *pii.Sealer
	cases  CaseReader
	now    func() time.Time
	// phoneLimit searches by phone number per user per phoneWindow.
	phoneLimit  int
	phoneWindow time.Duration
}

// NewService returns the trust service. cases may be nil when the case
// engine is not wired (then case reveals are refused).
func NewService(db *store.DB, sealer *pii.Sealer, cases CaseReader) *Service {
	return &Service{db: db, sealer: sealer, cases: cases, now: time.Now,
		phoneLimit: DefaultPhoneSearchLimit, phoneWindow: DefaultPhoneSearchWindow}
}

// MayRevealInScope reports whether the actor may reveal every sealed value
// its scope sees, and so search cases by phone number: administrators and
// supervisors. Anyone else reveals at most the reporter phone of a case its
// unit leads.
func MayRevealInScope(actor access.Actor) bool {
	return !actor.Anonymous() && actor.HasAny(access.RoleAdmin, access.RoleSupervisor)
}

// RevealRequest asks for one sealed value in full.
type RevealRequest struct {
	Subject string `json:"subject"` // case or person
	Ref     string `json:"ref"`     // case number, or person id
	Field   string `json:"field"`   // reporter_phone (case); phone or id_no (person)
	Reason  string `json:"reason"`
}

// Revealed is the full value, with what was recorded.
type Revealed struct {
	ID      int64  `json:"reveal_id"`
	Subject string `json:"subject"`
	Ref     string `json:"ref"`
	Field   string `json:"field"`
	Whose   string `json:"whose"`
	Value   string `json:"value"`
	Masked  string `json:"masked"`
}

// Reveal is one recorded reveal.
type Reveal struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	UserID    int64     `json:"user_id"`
	ActorName string    `json:"actor_name"`
	UnitName  string    `json:"unit_name"`
	Subject   string    `json:"subject"`
	Ref       string    `json:"ref"`
	Field     string    `json:"field"`
	Whose     string    `json:"whose"`
	Reason    string    `json:"reason"`
}

// Reveal opens one sealed value for the actor and records who, when, what,
// whose and why, in the same transaction as an audit entry. Administrators
// and supervisors reveal what their scope sees; staff of a case's lead unit
// reveal that case's reporter phone. Anyone else is refused, and nothing is
// recorded.
func (s *Service) Reveal(ctx context.Context, actor access.Actor, req RevealRequest) (Revealed, error) {
	if actor.Anonymous() {
		return Revealed{}, store.Forbidden("请先登录")
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if n := utf8.RuneCountInString(req.Reason); n < minReason || n > maxReason {
		return Revealed{}, store.Invalidf("请填写查看完整号码的理由（%d至%d字）", minReason, maxReason)
	}
	req.Ref = strings.TrimSpace(req.Ref)
	var (
		sealed, whose string
		mask          func(string) string
		err           error
	)
	switch {
	case req.Subject == SubjectCase && req.Field == FieldReporterPhone:
		sealed, whose, err = s.casePhone(ctx, actor, req.Ref)
		mask = pii.MaskPhone
	case req.Subject == SubjectPerson && (req.Field == FieldPhone || req.Field == FieldIDNo):
		sealed, whose, err = s.personField(ctx, actor, req.Ref, req.Field)
		mask = pii.MaskPhone
		if req.Field == FieldIDNo {
			mask = pii.MaskID
		}
	default:
		return Revealed{}, store.Invalid("只能查看工单报告人的电话，或人员的电话、身份证号")
	}
	if err != nil {
		return Revealed{}, err
	}
	if sealed == "" {
		return Revealed{}, store.NotFound("没有登记该号码")
	}
	plain, err := s.sealer.Open(sealed)
	if err != nil {
		return Revealed{}, fmt.Errorf("reveal %s %s %s: %w", req.Subject, req.Ref, req.Field, err)
	}
	out := Revealed{Subject: req.Subject, Ref: req.Ref, Field: req.Field, Whose: whose, Value: plain, Masked: mask(plain)}
	at := s.now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var unitID any
		if actor.UnitID != 0 {
			unitID = actor.UnitID
		}
		name := actor.Name
		if name == "" {
			name = actor.Username
		}
		if err := tx.QueryRow(ctx, `INSERT INTO pii_reveals (at, user_id, actor_name, actor_unit_id, actor_unit_path, subject, subject_ref, field, whose, reason)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			store.Millis(at), actor.UserID, name, unitID, actor.UnitPath, req.Subject, req.Ref, req.Field, whose, req.Reason).Scan(&out.ID); err != nil {
			return fmt.Errorf("record reveal: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "pii.reveal", Entity: req.Subject, EntityID: req.Ref,
			After: map[string]any{"field": req.Field, "whose": whose, "reveal_id": out.ID}, Reason: req.Reason})
	})
	if err != nil {
		return Revealed{}, err
	}
	return out, nil
}

// casePhone returns a case's sealed reporter phone when the actor may see it
// in full.
func (s *Service) casePhone(ctx context.Context, actor access.Actor, no string) (sealed, whose string, err error) {
	if s.cases == nil {
		return "", "", store.NotFound("找不到该工单")
	}
	d, err := s.cases.Get(ctx, actor, no)
	if err != nil {
		return "", "", err
	}
	// The lead unit is casework.LeadStaff's: the unit of the case's current
	// lead part itself, the one that signs and answers it (ScopeLead).
	if !MayRevealInScope(actor) && !casework.LeadStaff(actor, &d) {
		// The call centre calls the requester back (the revisit).
		centre, err := s.cases.CallCentreCase(ctx, actor, &d)
		if err != nil {
			return "", "", err
		}
		if !centre {
			return "", "", store.Forbidden("只有管理员、督查人员、热线呼叫中心和工单的主办单位可以查看完整号码")
		}
	}
	err = s.db.QueryRow(ctx, `SELECT reporter_phone_enc, reporter_name FROM cases WHERE no = ?`, no).Scan(&sealed, &whose)
	if err != nil {
		return "", "", fmt.Errorf("read case %s: %w", no, err)
	}
	return sealed, whose, nil
}

// personField returns a person's sealed phone or ID number when the actor,
// an administrator or supervisor, sees the person's unit.
func (s *Service) personField(ctx context.Context, actor access.Actor, ref, field string) (sealed, whose string, err error) {
	id, perr := strconv.ParseInt(ref, 10, 64)
	if perr != nil || id <= 0 {
		return "", "", store.NotFound("找不到该人员")
	}
	var phone, idNo, path string
	err = s.db.QueryRow(ctx, `SELECT p.name, p.phone_enc, p.id_no_enc, u.path FROM people p JOIN units u ON u.id = p.unit_id WHERE p.id = ?`, id).
		Scan(&whose, &phone, &idNo, &path)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !actor.SeesPath(path)) {
		return "", "", store.NotFound("找不到该人员")
	}
	if err != nil {
		return "", "", fmt.Errorf("read person %d: %w", id, err)
	}
	if !MayRevealInScope(actor) {
		return "", "", store.Forbidden("只有管理员和督查人员可以查看人员的完整号码")
	}
	if field == FieldIDNo {
		return idNo, whose, nil
	}
	return phone, whose, nil
}

// RevealFilter narrows the report.
type RevealFilter struct {
	UserID  int64
	Subject string
	Ref     string
	// Before is the id of the last row of the previous page (keyset paging).
	Before int64
	Limit  int
}

// Reveals lists recorded reveals, newest first, for administrators and
// supervisors: county-wide ones see all, others the reveals made by users of
// their subtree.
func (s *Service) Reveals(ctx context.Context, actor access.Actor, f RevealFilter) ([]Reveal, error) {
	if actor.Anonymous() || !actor.HasAny(access.RoleAdmin, access.RoleSupervisor) {
		return nil, store.Forbidden("只有管理员和督查人员可以查看号码查看记录")
	}
	cond, args := actor.SubtreeFilter("r.actor_unit_path")
	where := []string{cond}
	if f.UserID != 0 {
		where, args = append(where, "r.user_id = ?"), append(args, f.UserID)
	}
	if f.Subject != "" {
		where, args = append(where, "r.subject = ?"), append(args, f.Subject)
	}
	if f.Ref != "" {
		where, args = append(where, "r.subject_ref = ?"), append(args, f.Ref)
	}
	if f.Before > 0 {
		where, args = append(where, "r.id < ?"), append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	args = append(args, f.Limit)
	rows, err := s.db.Query(ctx, `SELECT r.id, r.at, r.user_id, r.actor_name, COALESCE(u.name, ''), r.subject, r.subject_ref, r.field, r.whose, r.reason
		FROM pii_reveals r LEFT JOIN units u ON u.id = r.actor_unit_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY r.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list reveals: %w", err)
	}
	defer rows.Close()
	out := []Reveal{}
	for rows.Next() {
		var r Reveal
		var at int64
		if err := rows.Scan(&r.ID, &at, &r.UserID, &r.ActorName, &r.UnitName, &r.Subject, &r.Ref, &r.Field, &r.Whose, &r.Reason); err != nil {
			return nil, fmt.Errorf("list reveals: %w", err)
		}
		r.At = store.Time(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
