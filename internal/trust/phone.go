package trust

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/pii"
	"grassroots/internal/store"
)

// SubjectPhoneSearch is the subject of a recorded search of cases by their
// reporter's phone number; its ref is the number masked (139****5678).
const SubjectPhoneSearch = "phone_search"

// The default limit of searches by phone number: per user, counted from the
// recorded searches, so it holds across instances and restarts.
const (
	DefaultPhoneSearchLimit  = 30
	DefaultPhoneSearchWindow = time.Hour
)

// PhoneSearch asks for the cases whose reporter has the full phone number
// Phone. Reason is optional and recorded with the search.
type PhoneSearch struct {
	Phone  string `json:"phone"`
	Reason string `json:"reason,omitempty"`
}

// SetPhoneSearchLimit sets how many searches by phone number one user may
// make per window (defaults DefaultPhoneSearchLimit per
// DefaultPhoneSearchWindow); n <= 0 or per <= 0 keeps the default.
func (s *Service) SetPhoneSearchLimit(n int, per time.Duration) {
	if n > 0 && per > 0 {
		s.phoneLimit, s.phoneWindow = n, per
	}
}

// MaySearchPhone reports whether the actor may search cases by phone number:
// those who may reveal numbers in their scope (MayRevealInScope) and the
// 12345 call centre's staff.
func (s *Service) MaySearchPhone(ctx context.Context, actor access.Actor) (bool, error) {
	if actor.Anonymous() {
		return false, nil
	}
	if MayRevealInScope(actor) {
		return true, nil
	}
	if s.cases == nil {
		return false, nil
	}
	return s.cases.CallCentreStaff(ctx, actor)
}

// SearchPhone lists, as f's page of the inbox, the cases whose reporter's
// phone is the full number req.Phone. A search by number tells who called
// from it, so it is a call-centre function with the rules of a reveal: only
// actors who may (MaySearchPhone) search, only by a full number (a partial one is refused, so it finds
// nothing), at most the limit per user and window (SetPhoneSearchLimit), and
// every search is recorded with the reveals (subject phone_search, the
// number masked, the reason if given) and in the audit trail, whether it
// finds anything or not. f's Q and PhoneHash are set here; its other fields
// filter and page as in the inbox.
func (s *Service) SearchPhone(ctx context.Context, actor access.Actor, req PhoneSearch, f casework.InboxFilter) (casework.InboxPage, error) {
	if actor.Anonymous() {
		return casework.InboxPage{}, store.Forbidden("请先登录")
	}
	if may, err := s.MaySearchPhone(ctx, actor); err != nil {
		return casework.InboxPage{}, err
	} else if !may {
		return casework.InboxPage{}, store.Forbidden("只有管理员、督查人员和热线呼叫中心可以按电话号码查找工单")
	}
	phone := pii.NormalizePhone(req.Phone)
	if !pii.ValidPhone(phone) {
		return casework.InboxPage{}, store.Invalid("请输入完整的电话号码（11位手机号，或带区号的固定电话）；不完整的号码查不到工单")
	}
	reason := strings.TrimSpace(req.Reason)
	if utf8.RuneCountInString(reason) > maxReason {
		return casework.InboxPage{}, store.Invalidf("理由最多%d字", maxReason)
	}
	if s.cases == nil {
		return casework.InboxPage{}, store.NotFound("工单功能未启用")
	}
	if err := s.recordPhoneSearch(ctx, actor, phone, reason); err != nil {
		return casework.InboxPage{}, err
	}
	f.Q = phone
	f.PhoneHash = s.sealer.Hash(phone)
	return s.cases.Inbox(ctx, actor, f)
}

// recordPhoneSearch checks the actor's rate and records one search by phone
// number, in one transaction with its audit entry.
func (s *Service) recordPhoneSearch(ctx context.Context, actor access.Actor, phone, reason string) error {
	at := s.now()
	masked := pii.MaskPhone(phone)
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		var oldest int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(at), 0) FROM pii_reveals WHERE user_id = ? AND subject = ? AND at > ?`,
			actor.UserID, SubjectPhoneSearch, store.Millis(at.Add(-s.phoneWindow))).Scan(&n, &oldest); err != nil {
			return fmt.Errorf("count phone searches: %w", err)
		}
		if n >= s.phoneLimit {
			wait := store.Time(oldest).Add(s.phoneWindow).Sub(at)
			return store.Forbiddenf("按号码查找过于频繁（每%s最多%d次），请%d分钟后再试",
				windowText(s.phoneWindow), s.phoneLimit, max(1, int(wait.Minutes()+0.999)))

		}
		var unitID any
		if actor.UnitID != 0 {
			unitID = actor.UnitID
		}
		name := actor.Name
		if name == "" {
			name = actor.Username
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO pii_reveals (at, user_id, actor_name, actor_unit_id, actor_unit_path, subject, subject_ref, field, whose, reason)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?) RETURNING id`,
			store.Millis(at), actor.UserID, name, unitID, actor.UnitPath, SubjectPhoneSearch, masked, FieldReporterPhone, reason).Scan(&id); err != nil {
			return fmt.Errorf("record phone search: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "pii.phone_search", Entity: SubjectPhoneSearch, EntityID: masked,
			After: map[string]any{"reveal_id": id}, Reason: reason})
	})
}

// windowText is a limit's window as a message says it (小时, 10分钟).
func windowText(d time.Duration) string {
	switch {
	case d == time.Hour:
		return "小时"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d小时", int(d.Hours()))
	}
	return fmt.Sprintf("%d分钟", max(1, int(d.Minutes())))
}
