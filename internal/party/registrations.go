package party

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

// Serving members report where they live (在职党员到居住地社区报到): a
// member registers at the home community, from the phone (their personal
// link) or at the community's desk; the community accepts and assigns a
// grid, which makes the community the member's home (people.home_unit_id,
// what community whistles summon) and issues the registration slip (报到单)
// that goes back to the member's own party organisation. Members
// re-confirm every half year (setting party.reconfirm_months). A member has
// at most one current registration; registering at another community ends
// the old one.

// SettingReconfirmMonths is how often (months) a registered member
// re-confirms the registration; 6 by default.
const SettingReconfirmMonths = "party.reconfirm_months"

// Registration channels and statuses.
const (
	ChannelPhone = "phone"
	ChannelDesk  = "desk"

	RegPending  = "pending"
	RegAccepted = "accepted"
	RegRejected = "rejected"
)

// Registration is a member's registration at a community.
type Registration struct {
	ID            int64      `json:"id"`
	PersonID      int64      `json:"person_id"`
	Name          string     `json:"name"`
	UnitCode      string     `json:"unit_code"`
	UnitName      string     `json:"unit_name"`
	OrgName       string     `json:"org_name,omitempty"`
	CommunityCode string     `json:"community_code"`
	CommunityName string     `json:"community_name"`
	GridCode      string     `json:"grid_code,omitempty"`
	GridName      string     `json:"grid_name,omitempty"`
	Channel       string     `json:"channel"`
	Status        string     `json:"status"`
	SlipNo        string     `json:"slip_no,omitempty"`
	RegisteredAt  time.Time  `json:"registered_at"`
	AcceptedAt    *time.Time `json:"accepted_at,omitempty"`
	ConfirmedAt   *time.Time `json:"confirmed_at,omitempty"`
	// ConfirmDue is when the member next re-confirms (accepted ones).
	ConfirmDue *time.Time `json:"confirm_due,omitempty"`
	Overdue    bool       `json:"overdue,omitempty"`
	Note       string     `json:"note,omitempty"`
}

// RegisterSelf registers the member (acting through their personal link)
// at the community where they live.
func (s *Service) RegisterSelf(ctx context.Context, m Member, communityCode, note string) (Registration, error) {
	return s.register(ctx, access.Actor{Name: m.Name + "（党员本人）"}, m.PersonID, communityCode, ChannelPhone, note)
}

// RegisterAtDesk registers a member at the community's desk: community
// staff (and those above, the organisation department) type it in.
func (s *Service) RegisterAtDesk(ctx context.Context, actor access.Actor, personID int64, communityCode, note string) (Registration, error) {
	return s.register(ctx, actor, personID, communityCode, ChannelDesk, note)
}

func (s *Service) register(ctx context.Context, actor access.Actor, personID int64, communityCode, channel, note string) (Registration, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 200 {
		return Registration{}, store.Invalid("备注最多200字")
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := unitByCode(ctx, tx, communityCode)
		if err != nil {
			return err
		}
		if c.Kind != "community" && c.Kind != "village" {
			return store.Invalidf("%s不是社区或村", c.Name)
		}
		if channel == ChannelDesk {
			if ok, err := s.mayCommunity(ctx, actor, c.Path); err != nil {
				return err
			} else if !ok {
				return store.Forbiddenf("无权为%s登记党员报到", c.Name)
			}
		}
		m, err := loadMember(ctx, tx, personID)
		if err != nil {
			return err
		}
		if m.Role != "party_member" {
			return store.Invalidf("%s不是党员", m.Name)
		}
		var curID, curCommunity int64
		var curStatus string
		err = tx.QueryRow(ctx, `SELECT id, community_unit_id, status FROM member_registrations WHERE person_id = ? AND ended_at IS NULL`, personID).
			Scan(&curID, &curCommunity, &curStatus)
		switch err = store.Normalize(err); {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return fmt.Errorf("current registration: %w", err)
		case curStatus == RegPending:
			return store.Conflict("已有一份待社区确认的报到，请等待社区确认")
		case curCommunity == c.ID:
			return store.Conflictf("%s已在%s报到", m.Name, c.Name)
		default:
			// Moving: the old registration ends; the new one waits for its community.
			if _, err := tx.Exec(ctx, `UPDATE member_registrations SET ended_at = ? WHERE id = ?`, store.Millis(s.now()), curID); err != nil {
				return fmt.Errorf("end registration %d: %w", curID, err)
			}
		}
		err = tx.QueryRow(ctx, `INSERT INTO member_registrations (person_id, community_unit_id, channel, status, registered_at, note)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, personID, c.ID, channel, RegPending, store.Millis(s.now()), note).Scan(&id)
		if err != nil {
			return fmt.Errorf("register %d at %s: %w", personID, c.Code, store.Normalize(err))
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.register", Entity: "person", EntityID: fmt.Sprint(personID),
			After: map[string]any{"community": c.Code, "channel": channel}})
	})
	if err != nil {
		return Registration{}, err
	}
	return s.registration(ctx, id)
}

// regRef is what the community's decisions need of a registration.
type regRef struct {
	id, personID, communityID int64
	communityPath, status     string
	communityName             string
}

func loadReg(ctx context.Context, q querier, id int64) (regRef, error) {
	var r regRef
	err := q.QueryRow(ctx, `SELECT g.id, g.person_id, g.community_unit_id, c.path, c.name, g.status FROM member_registrations g
		JOIN units c ON c.id = g.community_unit_id WHERE g.id = ? AND g.ended_at IS NULL`, id).
		Scan(&r.id, &r.personID, &r.communityID, &r.communityPath, &r.communityName, &r.status)
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return r, store.NotFound("找不到该报到记录")
		}
		return r, fmt.Errorf("registration %d: %w", id, err)
	}
	return r, nil
}

// Accept accepts a pending registration and assigns the member a grid of
// the community; the community becomes the member's home and the slip is
// issued.
func (s *Service) Accept(ctx context.Context, actor access.Actor, id int64, gridCode string) (Registration, error) {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		r, err := loadReg(ctx, tx, id)
		if err != nil {
			return err
		}
		if ok, err := s.mayCommunity(ctx, actor, r.communityPath); err != nil {
			return err
		} else if !ok {
			return store.Forbiddenf("只有%s可以确认在该社区的报到", r.communityName)
		}
		if r.status != RegPending {
			return store.Conflict("该报到已处理")
		}
		g, err := unitByCode(ctx, tx, gridCode)
		if err != nil {
			return store.Invalid("请为报到党员分配网格")
		}
		if g.Kind != "grid" || !strings.HasPrefix(g.Path, r.communityPath) {
			return store.Invalidf("%s不是%s的网格", g.Name, r.communityName)
		}
		now := s.now()
		slip := fmt.Sprintf("BD%s%06d", now.In(shanghai).Format("2006"), id)
		if _, err := tx.Exec(ctx, `UPDATE member_registrations SET status = ?, grid_id = ?, slip_no = ?, accepted_at = ?, accepted_by = ?, confirmed_at = ? WHERE id = ?`,
			RegAccepted, g.ID, slip, store.Millis(now), store.NullID(actor.UserID), store.Millis(now), id); err != nil {
			return fmt.Errorf("accept registration %d: %w", id, err)
		}
		if err := setHome(ctx, tx, r.personID, r.communityID, g.ID, now); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.register.accept", Entity: "person", EntityID: fmt.Sprint(r.personID),
			After: map[string]any{"registration": id, "grid": g.Code, "slip": slip}})
	})
	if err != nil {
		return Registration{}, err
	}
	return s.registration(ctx, id)
}

// setHome makes the community (and grid) the member's home.
func setHome(ctx context.Context, tx *store.Tx, personID, communityID, gridID int64, now time.Time) error {
	ms := store.Millis(now)
	if _, err := tx.Exec(ctx, `UPDATE people SET home_unit_id = ?, updated_at = ? WHERE id = ?`, communityID, ms, personID); err != nil {
		return fmt.Errorf("home of %d: %w", personID, err)
	}
	res, err := tx.Exec(ctx, `UPDATE party_members SET home_grid_id = ?, updated_at = ? WHERE person_id = ?`, store.NullID(gridID), ms, personID)
	if err != nil {
		return fmt.Errorf("home grid of %d: %w", personID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO party_members (person_id, home_grid_id, created_at, updated_at) VALUES (?, ?, ?, ?)`, personID, store.NullID(gridID), ms, ms); err != nil {
			return fmt.Errorf("home grid of %d: %w", personID, err)
		}
	}
	return nil
}

// Reject turns a pending registration down with a reason (the member is
// not living there, a duplicate ...).
func (s *Service) Reject(ctx context.Context, actor access.Actor, id int64, reason string) (Registration, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 200 {
		return Registration{}, store.Invalid("请填写不予确认的原因（最多200字）")
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		r, err := loadReg(ctx, tx, id)
		if err != nil {
			return err
		}
		if ok, err := s.mayCommunity(ctx, actor, r.communityPath); err != nil {
			return err
		} else if !ok {
			return store.Forbiddenf("只有%s可以确认在该社区的报到", r.communityName)
		}
		if r.status != RegPending {
			return store.Conflict("该报到已处理")
		}
		now := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `UPDATE member_registrations SET status = ?, note = ?, ended_at = ? WHERE id = ?`, RegRejected, reason, now, id); err != nil {
			return fmt.Errorf("reject registration %d: %w", id, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.register.reject", Entity: "person", EntityID: fmt.Sprint(r.personID), Reason: reason})
	})
	if err != nil {
		return Registration{}, err
	}
	return s.registration(ctx, id)
}

// Reconfirm records the member's half-yearly re-confirmation of their
// current accepted registration.
func (s *Service) Reconfirm(ctx context.Context, m Member) (Registration, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id FROM member_registrations WHERE person_id = ? AND ended_at IS NULL AND status = ?`, m.PersonID, RegAccepted).Scan(&id)
		if err != nil {
			if errors.Is(store.Normalize(err), store.ErrNotFound) {
				return store.Invalid("您还没有已确认的报到，请先到居住地社区报到")
			}
			return fmt.Errorf("registration of %d: %w", m.PersonID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE member_registrations SET confirmed_at = ? WHERE id = ?`, store.Millis(s.now()), id); err != nil {
			return fmt.Errorf("reconfirm %d: %w", id, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: access.Actor{Name: m.Name + "（党员本人）"}, Action: "party.register.confirm", Entity: "person", EntityID: fmt.Sprint(m.PersonID)})
	})
	if err != nil {
		return Registration{}, err
	}
	return s.registration(ctx, id)
}

// RegistrationFilter narrows the registrations listed.
type RegistrationFilter struct {
	Community string // the community's code
	Unit      string // the members' work unit's code (the slips a unit receives)
	Status    string // pending, accepted, rejected; "" for all current
	PersonID  int64
	Overdue   bool // accepted ones whose re-confirmation is overdue
}

// Registrations lists current registrations the actor may read: of
// communities in their subtree, of members working in their subtree, and
// all for county-wide users and county departments.
func (s *Service) Registrations(ctx context.Context, actor access.Actor, f RegistrationFilter) ([]Registration, error) {
	if actor.Anonymous() && !actor.System {
		return nil, store.Forbidden("请先登录")
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.Status != RegRejected {
		where = append(where, "g.ended_at IS NULL")
	}
	if v := strings.TrimSpace(f.Community); v != "" {
		where, args = append(where, "c.code = ?"), append(args, v)
	}
	if v := strings.TrimSpace(f.Unit); v != "" {
		where, args = append(where, "u.code = ?"), append(args, v)
	}
	if f.Status != "" {
		where, args = append(where, "g.status = ?"), append(args, f.Status)
	}
	if f.PersonID != 0 {
		where, args = append(where, "g.person_id = ?"), append(args, f.PersonID)
	}
	if !readsAll(actor) {
		where, args = append(where, "(c.path LIKE ? OR u.path LIKE ?)"), append(args, actor.UnitPath+"%", actor.UnitPath+"%")
	}
	list, err := s.registrations(ctx, strings.Join(where, " AND "), args...)
	if err != nil || !f.Overdue {
		return list, err
	}
	var out []Registration
	for _, r := range list {
		if r.Overdue {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *Service) registration(ctx context.Context, id int64) (Registration, error) {
	list, err := s.registrations(ctx, "g.id = ?", id)
	if err != nil {
		return Registration{}, err
	}
	if len(list) == 0 {
		return Registration{}, store.NotFound("找不到该报到记录")
	}
	return list[0], nil
}

func (s *Service) registrations(ctx context.Context, where string, args ...any) ([]Registration, error) {
	months, err := settings.Int(ctx, s.db, SettingReconfirmMonths, 6)
	if err != nil {
		return nil, fmt.Errorf("registrations: %w", err)
	}
	if months < 1 {
		months = 6
	}
	now := s.now()
	rows, err := s.db.Query(ctx, `SELECT g.id, p.id, p.name, u.code, u.name, COALESCE(o.name, ''), c.code, c.name, COALESCE(gr.code, ''), COALESCE(gr.name, ''),
		g.channel, g.status, g.slip_no, g.registered_at, COALESCE(g.accepted_at, 0), COALESCE(g.confirmed_at, 0), g.note
		FROM member_registrations g JOIN people p ON p.id = g.person_id JOIN units u ON u.id = p.unit_id
		LEFT JOIN party_orgs o ON o.id = p.party_org_id JOIN units c ON c.id = g.community_unit_id LEFT JOIN units gr ON gr.id = g.grid_id
		WHERE `+where+` ORDER BY c.code, g.status DESC, g.registered_at DESC LIMIT 10000`, args...)
	return store.Collect(rows, err, func(sc store.Scanner) (Registration, error) {
		var r Registration
		var reg, acc, conf int64
		err := sc.Scan(&r.ID, &r.PersonID, &r.Name, &r.UnitCode, &r.UnitName, &r.OrgName, &r.CommunityCode, &r.CommunityName, &r.GridCode, &r.GridName,
			&r.Channel, &r.Status, &r.SlipNo, &reg, &acc, &conf, &r.Note)
		r.RegisteredAt = time.UnixMilli(reg).In(shanghai)
		if acc != 0 {
			t := time.UnixMilli(acc).In(shanghai)
			r.AcceptedAt = &t
		}
		if conf != 0 {
			t := time.UnixMilli(conf).In(shanghai)
			due := t.AddDate(0, months, 0)
			r.ConfirmedAt, r.ConfirmDue = &t, &due
			r.Overdue = r.Status == RegAccepted && now.After(due)
		}
		return r, err
	})
}

// Slip is the registration slip (报到单) sent back to the member's own
// party organisation: who registered where, in which grid, since when.
type Slip struct {
	Registration
	Issuer string `json:"issuer"` // the community party committee
}

// RegistrationSlip returns an accepted registration's slip to the
// community's side, the member's work unit and its party organisation, and
// the organisation department.
func (s *Service) RegistrationSlip(ctx context.Context, actor access.Actor, id int64) (Slip, error) {
	r, err := s.registration(ctx, id)
	if err != nil {
		return Slip{}, err
	}
	if r.Status != RegAccepted {
		return Slip{}, store.NotFound("该报到尚未被社区确认，没有报到单")
	}
	var communityPath, unitPath string
	var unitID int64
	if err := s.db.QueryRow(ctx, `SELECT c.path, u.id, u.path FROM member_registrations g JOIN units c ON c.id = g.community_unit_id
		JOIN people p ON p.id = g.person_id JOIN units u ON u.id = p.unit_id WHERE g.id = ?`, id).Scan(&communityPath, &unitID, &unitPath); err != nil {
		return Slip{}, fmt.Errorf("slip %d: %w", id, err)
	}
	ok, err := s.mayCommunity(ctx, actor, communityPath)
	if err != nil {
		return Slip{}, err
	}
	if !ok && !readsAll(actor) && actor.UnitID != unitID && !(actor.UnitPath != "" && strings.HasPrefix(unitPath, actor.UnitPath)) {
		return Slip{}, store.NotFound("找不到该报到记录")
	}
	return Slip{Registration: r, Issuer: strings.TrimSuffix(strings.TrimSuffix(r.CommunityName, "居委会"), "委会") + "党委"}, nil
}
