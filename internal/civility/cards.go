package civility

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// maxFailedPINs locks a card after this many wrong PINs in a row, until
// the community issues a new PIN.
const maxFailedPINs = 5

// Card is a points card (积分卡) as its holder and the counter see it.
type Card struct {
	PersonID   int64     `json:"-"`
	No         string    `json:"card_no"`
	Name       string    `json:"name"`
	UnitName   string    `json:"unit_name"`
	UnitPath   string    `json:"-"`
	Consent    bool      `json:"consent"`
	ConsentAt  time.Time `json:"consent_at,omitzero"`
	IssuedBy   string    `json:"issued_by"`
	IssuedAt   time.Time `json:"issued_at"`
	FailedPINs int       `json:"-"`
}

func hashPIN(pin string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	sum := argon2.IDKey([]byte(pin), salt, 1, 8*1024, 1, 32)
	return base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(sum)
}

func pinMatches(hash, pin string) bool {
	salt64, sum64, ok := strings.Cut(hash, "$")
	if !ok {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(salt64)
	want, err2 := base64.RawStdEncoding.DecodeString(sum64)
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pin), salt, 1, 8*1024, 1, 32)
	return subtle.ConstantTimeCompare(got, want) == 1
}

func checkPIN(pin string) error {
	if len(pin) != 6 || strings.Trim(pin, "0123456789") != "" {
		return store.Invalid("密码应为6位数字")
	}
	return nil
}

func newCardNo() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1e10))
	return fmt.Sprintf("JF%010d", n.Int64())
}

// IssueCard issues a person a points card with a PIN, at their community
// (its staff or the township's), recording whether they consent to
// scoring; a card issued again gets a new number and PIN. It returns the
// card number.
func (s *Service) IssueCard(ctx context.Context, actor access.Actor, personID int64, pin string, consent bool) (string, error) {
	if err := checkPIN(pin); err != nil {
		return "", err
	}
	no := newCardNo()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		p, err := personOf(ctx, tx, personID)
		if err != nil {
			return err
		}
		if !staffFor(actor, p.UnitPath, reviewers...) || actor.Anonymous() {
			return store.Forbiddenf("积分卡由%s所在社区或乡镇发放", p.Name)
		}
		now := store.Millis(s.now())
		var consentAt any
		if consent {
			consentAt = now
		}
		if _, err := tx.Exec(ctx, `DELETE FROM civility_cards WHERE person_id = ?`, p.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO civility_cards (person_id, card_no, pin_hash, unit_id, unit_path, consent, consent_at, issued_by, issued_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, no, hashPIN(pin), p.UnitID, p.UnitPath, store.BoolInt(consent), consentAt, actor.Recorded(), now); err != nil {
			return fmt.Errorf("issue card: %w", store.Normalize(err))
		}
		if _, err := personAccount(ctx, tx, p.ID, now); err != nil {
			return err
		}
		if consent {
			if _, err := s.creditOnConsent(ctx, tx, actor, p.ID, s.now()); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "civility.card.issue", Entity: "person", EntityID: strconv.FormatInt(p.ID, 10),
			After: map[string]any{"card_no": no, "consent": consent}})
	})
	return no, err
}

// SetConsent records a person's consent to scoring, or its withdrawal,
// at the counter (staff of their community or township) or on the portal
// (SetConsentByCard). Without consent no points are credited and no
// incentive is computed; the records are kept. Consent given credits the
// positive entries in force or expired that were not credited
// (creditOnConsent); consent withdrawn keeps the balance as it stands (the
// person may still spend it at a store) and credits nothing new until
// consent is given again (docs/CIVILITY.md).
func (s *Service) SetConsent(ctx context.Context, actor access.Actor, personID int64, consent bool) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := cardOf(ctx, tx, `c.person_id = ?`, personID)
		if err != nil {
			return err
		}
		if !staffFor(actor, c.UnitPath, reviewers...) {
			return store.Forbidden("只有本人或其所在社区、乡镇的工作人员可以办理")
		}
		return s.setConsent(ctx, tx, actor, c, consent)
	})
}

func (s *Service) setConsent(ctx context.Context, tx *store.Tx, actor access.Actor, c Card, consent bool) error {
	now := s.now()
	var at any
	if consent {
		at = store.Millis(now)
	}
	if _, err := tx.Exec(ctx, `UPDATE civility_cards SET consent = ?, consent_at = ? WHERE person_id = ?`, store.BoolInt(consent), at, c.PersonID); err != nil {
		return fmt.Errorf("consent of person %d: %w", c.PersonID, err)
	}
	credited := 0
	if consent {
		var err error
		if credited, err = s.creditOnConsent(ctx, tx, actor, c.PersonID, now); err != nil {
			return err
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "civility.consent", Entity: "person", EntityID: strconv.FormatInt(c.PersonID, 10),
		Before: map[string]any{"consent": c.Consent}, After: map[string]any{"consent": consent, "entries_credited": credited}})
}

func cardOf(ctx context.Context, q querier, where string, arg any) (Card, error) {
	var c Card
	var consentAt *int64
	var issued int64
	err := q.QueryRow(ctx, `SELECT c.person_id, c.card_no, p.name, u.name, c.unit_path, c.consent, c.consent_at, c.issued_by, c.issued_at, c.failed_pins
		FROM civility_cards c JOIN people p ON p.id = c.person_id JOIN units u ON u.id = c.unit_id WHERE `+where, arg).
		Scan(&c.PersonID, &c.No, &c.Name, &c.UnitName, &c.UnitPath, &c.Consent, &consentAt, &c.IssuedBy, &issued, &c.FailedPINs)
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return c, store.NotFound("找不到该积分卡")
		}
		return c, fmt.Errorf("card: %w", err)
	}
	c.ConsentAt, c.IssuedAt = timeOf(consentAt), store.Time(issued).In(shanghai)
	return c, nil
}

func consented(ctx context.Context, q querier, personID int64) (bool, error) {
	var c bool
	err := q.QueryRow(ctx, `SELECT consent FROM civility_cards WHERE person_id = ?`, personID).Scan(&c)
	if errors.Is(store.Normalize(err), store.ErrNotFound) {
		return false, nil
	}
	return c, err
}

// errCard is the one answer to a wrong card or PIN: it does not tell which.
var errCard = store.Forbidden("积分卡号或密码不正确")

// openCard checks a card number and PIN; wrong PINs count towards the
// lock.
func (s *Service) openCard(ctx context.Context, cardNo, pin string) (Card, error) {
	cardNo = strings.ToUpper(clean(cardNo))
	var hash string
	var failed int
	var personID int64
	err := s.db.QueryRow(ctx, `SELECT person_id, pin_hash, failed_pins FROM civility_cards WHERE card_no = ?`, cardNo).Scan(&personID, &hash, &failed)
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return Card{}, errCard
		}
		return Card{}, err
	}
	if failed >= maxFailedPINs {
		return Card{}, store.Forbidden("密码错误次数过多，积分卡已锁定，请到社区重新设置密码")
	}
	if !pinMatches(hash, pin) {
		if _, err := s.db.Exec(ctx, `UPDATE civility_cards SET failed_pins = failed_pins + 1 WHERE person_id = ?`, personID); err != nil {
			return Card{}, err
		}
		return Card{}, errCard
	}
	if failed > 0 {
		if _, err := s.db.Exec(ctx, `UPDATE civility_cards SET failed_pins = 0 WHERE person_id = ?`, personID); err != nil {
			return Card{}, err
		}
	}
	return cardOf(ctx, s.db, `c.person_id = ?`, personID)
}

// Account is what a card holder reads: balance, entries, notices,
// appeals, incentives earned (only with consent) and the statement.
type Account struct {
	Card       Card        `json:"card"`
	Balance    int64       `json:"balance"`
	Entries    []Entry     `json:"entries"`
	Movements  []Movement  `json:"movements"`
	Incentives []Incentive `json:"incentives"`
	// Star is the person's volunteer star level (0 when none).
	Star int `json:"volunteer_star"`
}

// Portal is the card holder's own view, opened with card number and PIN.
func (s *Service) Portal(ctx context.Context, cardNo, pin string) (Account, error) {
	c, err := s.openCard(ctx, cardNo, pin)
	if err != nil {
		return Account{}, err
	}
	return s.account(ctx, c, true)
}

// AccountByCard is the counter's view of a card (staff of a store's or the
// person's area): name, balance and consent, not the entries.
func (s *Service) AccountByCard(ctx context.Context, actor access.Actor, cardNo string) (Account, error) {
	c, err := cardOf(ctx, s.db, `c.card_no = ?`, strings.ToUpper(clean(cardNo)))
	if err != nil {
		return Account{}, err
	}
	if actor.Anonymous() || !actor.HasAny(access.RoleCommunity, access.RoleTownship, access.RoleAdmin) {
		return Account{}, store.Forbidden("只有积分超市所在社区、乡镇的工作人员可以查询积分卡")
	}
	a, err := s.account(ctx, c, staffFor(actor, c.UnitPath, reviewers...))
	return a, err
}

func (s *Service) account(ctx context.Context, c Card, withEntries bool) (Account, error) {
	a := Account{Card: c, Entries: []Entry{}, Movements: []Movement{}, Incentives: []Incentive{}}
	err := s.db.QueryRow(ctx, `SELECT COALESCE((SELECT balance FROM civility_accounts WHERE person_id = ?), 0)`, c.PersonID).Scan(&a.Balance)
	if err != nil {
		return a, err
	}
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(MAX(s.level), 0) FROM volunteer_stars s JOIN volunteers w ON w.id = s.volunteer_id WHERE w.person_id = ?`,
		c.PersonID).Scan(&a.Star); err != nil {
		return a, err
	}
	if c.Consent {
		if a.Incentives, err = s.earned(ctx, a.Balance, a.Star); err != nil {
			return a, err
		}
	}
	if !withEntries {
		return a, nil
	}
	rows, err := s.db.Query(ctx, `SELECT `+entryCols+entryFrom+` WHERE e.person_id = ? ORDER BY e.occurred_at DESC, e.id DESC LIMIT 200`, c.PersonID)
	if a.Entries, err = store.Collect(rows, err, scanEntry); err != nil {
		return a, err
	}
	rows, err = s.db.Query(ctx, `SELECT t.id, t.kind, m.amount, t.operator, t.reason, t.at FROM civility_movements m
		JOIN civility_transfers t ON t.id = m.transfer_id JOIN civility_accounts a ON a.id = m.account_id
		WHERE a.person_id = ? ORDER BY m.id DESC LIMIT 100`, c.PersonID)
	a.Movements, err = store.Collect(rows, err, func(sc store.Scanner) (Movement, error) {
		var m Movement
		return m, sc.Scan(&m.TransferID, &m.Kind, &m.Amount, &m.Operator, &m.Reason, &m.At)
	})
	return a, err
}

// AppealByCard is the card holder's appeal from the portal, against one of
// their own noticed entries. The case is opened as the system on their
// behalf (the portal needs no account).
func (s *Service) AppealByCard(ctx context.Context, cardNo, pin string, entryID int64, reason string) (Entry, error) {
	c, err := s.openCard(ctx, cardNo, pin)
	if err != nil {
		return Entry{}, err
	}
	e, err := s.entry(ctx, entryID)
	if err != nil {
		return Entry{}, err
	}
	if e.PersonID != c.PersonID {
		return Entry{}, store.NotFoundf("找不到文明行为记录 %d", entryID)
	}
	return s.openAppeal(ctx, access.Actor{System: true, Name: c.Name + "（本人，积分卡" + c.No + "）"}, e, reason)
}

// SetConsentByCard records the card holder's own consent or withdrawal.
func (s *Service) SetConsentByCard(ctx context.Context, cardNo, pin string, consent bool) error {
	c, err := s.openCard(ctx, cardNo, pin)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		return s.setConsent(ctx, tx, access.Actor{System: true, Name: c.Name + "（本人）"}, c, consent)
	})
}
