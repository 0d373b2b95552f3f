package party

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// CoBuilding is a co-building agreement (共建协议) between an organisation
// and a community.
type CoBuilding struct {
	ID            int64     `json:"id"`
	CommunityCode string    `json:"community_code"`
	CommunityName string    `json:"community_name"`
	UnitCode      string    `json:"unit_code"`
	UnitName      string    `json:"unit_name"`
	SignedAt      time.Time `json:"signed_at"`
	Note          string    `json:"note,omitempty"`
}

// AddCoBuilding records that the unit signed a co-building agreement with
// the community. Staff of the community (or above it) and administrators
// record it; it is audited.
func (s *Service) AddCoBuilding(ctx context.Context, actor access.Actor, communityCode, unitCode, note string) (CoBuilding, error) {
	if !actor.HasAny(access.RoleCommunity, access.RoleTownship, access.RoleAdmin) {
		return CoBuilding{}, store.Forbidden("只有社区、乡镇工作人员可以登记共建单位")
	}
	note = strings.TrimSpace(note)
	var out CoBuilding
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := unitByCode(ctx, tx, communityCode)
		if err != nil {
			return err
		}
		if c.Kind != "community" && c.Kind != "village" {
			return store.Invalidf("%s不是社区或村", c.Name)
		}
		if !actor.SeesPath(c.Path) {
			return store.Forbidden("该社区不在您的辖区")
		}
		u, err := unitByCode(ctx, tx, unitCode)
		if err != nil {
			return err
		}
		if u.ID == c.ID {
			return store.Invalid("共建单位不能是社区本身")
		}
		now := s.now()
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO co_building (community_unit_id, unit_id, signed_at, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			c.ID, u.ID, store.Millis(now), note, store.NullID(actor.UserID), store.Millis(now)).Scan(&id)
		if err != nil {
			err = store.Normalize(err)
			if errors.Is(err, store.ErrConflict) {
				return store.Conflictf("%s已是%s的共建单位", u.Name, c.Name)
			}
			return fmt.Errorf("co-building: %w", err)
		}
		out = CoBuilding{ID: id, CommunityCode: c.Code, CommunityName: c.Name, UnitCode: u.Code, UnitName: u.Name, SignedAt: now.In(shanghai), Note: note}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "cobuilding.add", Entity: "unit", EntityID: c.Code,
			After: map[string]any{"unit": u.Code, "note": out.Note}})
	})
	return out, err
}

// CoBuildings lists the current co-building agreements of a community.
func (s *Service) CoBuildings(ctx context.Context, communityCode string) ([]CoBuilding, error) {
	rows, err := s.db.Query(ctx, `SELECT b.id, c.code, c.name, u.code, u.name, b.signed_at, b.note FROM co_building b
		JOIN units c ON c.id = b.community_unit_id JOIN units u ON u.id = b.unit_id
		WHERE c.code = ? AND b.ended_at IS NULL ORDER BY u.code`, strings.TrimSpace(communityCode))
	out, err := store.Collect(rows, err, func(sc store.Scanner) (CoBuilding, error) {
		var b CoBuilding
		var at int64
		err := sc.Scan(&b.ID, &b.CommunityCode, &b.CommunityName, &b.UnitCode, &b.UnitName, &at, &b.Note)
		b.SignedAt = time.UnixMilli(at).In(shanghai)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("co-building of %s: %w", communityCode, err)
	}
	return out, nil
}

// CoBuilds reports whether unit has a current co-building agreement with
// community (casework.PartyRegistry: a community whistle may summon it).
func (s *Service) CoBuilds(ctx context.Context, tx *store.Tx, communityID, unitID int64) (bool, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM co_building WHERE community_unit_id = ? AND unit_id = ? AND ended_at IS NULL`,
		communityID, unitID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("co-building of unit %d with %d: %w", unitID, communityID, err)
	}
	return n > 0, nil
}

// Summonables lists whom a community whistle at the community may summon:
// its co-building units, then the party members registered there
// (casework.PartyRegistry).
func (s *Service) Summonables(ctx context.Context, communityID int64) ([]casework.Summonable, error) {
	rows, err := s.db.Query(ctx, `SELECT u.code, u.name, u.kind FROM co_building b JOIN units u ON u.id = b.unit_id
		WHERE b.community_unit_id = ? AND b.ended_at IS NULL ORDER BY u.code`, communityID)
	units, err := store.Collect(rows, err, func(sc store.Scanner) (casework.Summonable, error) {
		var x casework.Summonable
		return x, sc.Scan(&x.Code, &x.Name, &x.What)
	})
	if err != nil {
		return nil, fmt.Errorf("co-building units of %d: %w", communityID, err)
	}
	rows, err = s.db.Query(ctx, `SELECT p.id, p.name, p.role, u.name FROM people p JOIN units u ON u.id = p.unit_id
		WHERE p.home_unit_id = ? AND p.role = 'party_member' ORDER BY p.id LIMIT 500`, communityID)
	people, err := store.Collect(rows, err, func(sc store.Scanner) (casework.Summonable, error) {
		var x casework.Summonable
		return x, sc.Scan(&x.PersonID, &x.Name, &x.What, &x.At)
	})
	if err != nil {
		return nil, fmt.Errorf("members registered at %d: %w", communityID, err)
	}
	return append(units, people...), nil
}
