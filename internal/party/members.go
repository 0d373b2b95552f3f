package party

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// Party members answer community whistles on their own page. They are
// people (org's people table), not staff users: a staff account would let
// them see their community's whole case load. Community staff issue each
// member a personal link (/m/member/<token>) to open on the phone; whoever
// holds the link acts as that person, on that person's own parts only, and
// community staff may record the steps for a member who has no phone.
// Issuing a new link revokes the old one.

// Member is a person acting through their personal link.
type Member struct {
	PersonID int64  `json:"person_id"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	UnitID   int64  `json:"-"`
	UnitCode string `json:"unit_code"`
	UnitName string `json:"unit_name"`
	UnitPath string `json:"-"`
	// HomeCode and HomeName name the community where the member is
	// registered (dual registration), when any.
	HomeCode string `json:"home_code,omitempty"`
	HomeName string `json:"home_name,omitempty"`
}

// Person is how the engine sees the member acting on their own part: by
// name, at their work unit, without a user account.
func (m Member) Person() casework.Person {
	return casework.Person{ID: m.PersonID, Name: m.Name + "（党员本人）", UnitID: m.UnitID, UnitCode: m.UnitCode, UnitName: m.UnitName, UnitPath: m.UnitPath}
}

var errBadLink = store.NotFound("链接无效或已失效，请联系社区重新获取")

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return hex.EncodeToString(sum[:])
}

func loadMember(ctx context.Context, q querier, personID int64) (Member, error) {
	var m Member
	err := q.QueryRow(ctx, `SELECT p.id, p.name, p.role, u.id, u.code, u.name, u.path, COALESCE(h.code, ''), COALESCE(h.name, '')
		FROM people p JOIN units u ON u.id = p.unit_id LEFT JOIN units h ON h.id = p.home_unit_id WHERE p.id = ?`, personID).
		Scan(&m.PersonID, &m.Name, &m.Role, &m.UnitID, &m.UnitCode, &m.UnitName, &m.UnitPath, &m.HomeCode, &m.HomeName)
	if err != nil {
		err = store.Normalize(err)
		if errors.Is(err, store.ErrNotFound) {
			return m, store.NotFound("找不到该人员")
		}
		return m, fmt.Errorf("person %d: %w", personID, err)
	}
	return m, nil
}

// IssueLink gives a person a new personal link token (returned once; only
// its hash is kept) and revokes the old ones. Staff of the person's
// community or unit (or above it) may issue it.
func (s *Service) IssueLink(ctx context.Context, actor access.Actor, personID int64) (string, error) {
	if !actor.HasAny(access.RoleCommunity, access.RoleTownship, access.RoleAdmin) {
		return "", store.Forbidden("只有社区、乡镇工作人员可以发放党员个人链接")
	}
	var token string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		m, err := loadMember(ctx, tx, personID)
		if err != nil {
			return err
		}
		var homePath string
		if m.HomeCode != "" {
			if err := tx.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, m.HomeCode).Scan(&homePath); err != nil {
				return fmt.Errorf("home unit: %w", err)
			}
		}
		if !actor.SeesPath(m.UnitPath) && (homePath == "" || !actor.SeesPath(homePath)) {
			return store.Forbidden("该人员不在您的辖区")
		}
		token, err = issueToken(ctx, tx, actor, personID, s.now())
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "member.link", Entity: "person", EntityID: fmt.Sprint(personID),
			After: map[string]any{"name": m.Name}})
	})
	return token, err
}

// issueToken makes a new personal link token for the person (returned
// once; only its hash is kept) and revokes their earlier ones: a person has
// one key, whatever page it opens.
func issueToken(ctx context.Context, tx *store.Tx, actor access.Actor, personID int64, at time.Time) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := "gm_" + base64.RawURLEncoding.EncodeToString(b)
	now := store.Millis(at)
	if _, err := tx.Exec(ctx, `UPDATE member_links SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL`, now, personID); err != nil {
		return "", fmt.Errorf("revoke old links: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO member_links (person_id, token_hash, created_by, created_at) VALUES (?, ?, ?, ?)`,
		personID, tokenHash(token), store.NullID(actor.UserID), now); err != nil {
		return "", fmt.Errorf("issue link: %w", store.Normalize(err))
	}
	return token, nil
}

// MemberByToken returns the person a personal link belongs to.
func (s *Service) MemberByToken(ctx context.Context, token string) (Member, error) {
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, "gm_") || len(token) > 100 {
		return Member{}, errBadLink
	}
	var pid int64
	err := s.db.QueryRow(ctx, `SELECT person_id FROM member_links WHERE token_hash = ? AND revoked_at IS NULL`, tokenHash(token)).Scan(&pid)
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return Member{}, errBadLink
		}
		return Member{}, fmt.Errorf("member link: %w", err)
	}
	return loadMember(ctx, s.db, pid)
}

// MemberByID returns the person with personID as a member (generated work:
// the demo's members acting on their parts).
func (s *Service) MemberByID(ctx context.Context, personID int64) (Member, error) {
	return loadMember(ctx, s.db, personID)
}

// Parts lists the member's parts, open ones first, with the actions they
// may take on each now.
func (s *Service) Parts(ctx context.Context, m Member, limit int) ([]casework.PersonPart, error) {
	return s.cases.PersonParts(ctx, m.PersonID, limit)
}

// Do takes an action as the member, on their own part of the case.
func (s *Service) Do(ctx context.Context, m Member, no string, act casework.Action) (casework.Case, error) {
	return s.cases.PersonDo(ctx, m.Person(), no, act)
}

// HomeOf returns the id of the community where the person is registered
// (dual registration), or 0 (casework.PartyRegistry).
func (s *Service) HomeOf(ctx context.Context, tx *store.Tx, personID int64) (int64, error) {
	var home int64
	err := tx.QueryRow(ctx, `SELECT COALESCE(home_unit_id, 0) FROM people WHERE id = ?`, personID).Scan(&home)
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return 0, nil
		}
		return 0, fmt.Errorf("home of person %d: %w", personID, err)
	}
	return home, nil
}
