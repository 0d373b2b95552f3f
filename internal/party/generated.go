package party

import (
	"context"
	"fmt"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// Generated is content made by a generator (the demo), loaded without the
// per-row checks and audit of a clerk's entry, every row marked demo = 1.
// Activities are signed off through the same sign-off as a community's
// (the ledger, when wired, records their service and good deeds), all in
// one transaction.
type Generated struct {
	// Branches are party organisations (unit_branch) of units, under the
	// party organisation ParentCode.
	Branches []GenBranch
	Members  []GenMember
	// Agreements between communities and units, with commitments.
	Agreements []GenAgreement
	Items      []GenItem
	Activities []GenActivity
}

// GenBranch is a unit's party organisation.
type GenBranch struct {
	Code, Name, ParentCode string
	UnitID                 int64
}

// GenMember is a party member; Branch indexes Branches (-1: none).
// Registered members have an accepted registration at HomeID with GridID.
type GenMember struct {
	Name, Gender       string
	BirthYear          int
	JoinedOn           string
	UnitID             int64
	Branch             int
	HomeID, GridID     int64
	Skills, Intentions string
	Registered         bool
	RegisteredAt       time.Time
	ChannelPhone       bool
	PersonID           int64 // set by LoadGenerated
}

// GenAgreement is a co-building agreement.
type GenAgreement struct {
	CommunityID, UnitID int64
	SignedAt            time.Time
	TermFrom, TermTo    time.Time
	Liaison             string
	Commitments         []CommitmentInput
	Grade               string // last year's evaluation, "" for none
	commitmentIDs       []int64
}

// GenItem is a line of the three lists.
type GenItem struct {
	Kind                string
	CommunityID         int64
	OwnerID, GridID     int64
	Title, Skills       string
	Headcount           int
	StartsAt, CreatedAt time.Time
}

// GenActivity is an activity signed off at SignedOffAt; Agreement indexes
// Agreements (its first commitment moves on; -1: none); Attendees index
// Members.
type GenActivity struct {
	CommunityID, OrganiserID int64
	Agreement                int
	Title, Content, Place    string
	StartsAt, EndsAt         time.Time
	Attendees                []int
	ResidentName, Problem    string
}

// GenResult counts what LoadGenerated wrote.
type GenResult struct {
	Branches, Members, Registered, Agreements, Items, Activities, PersonTimes, Deeds int
}

// LoadGenerated writes generated content in one transaction.
func (s *Service) LoadGenerated(ctx context.Context, g *Generated) (GenResult, error) {
	var res GenResult
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		branchIDs := make([]int64, len(g.Branches))
		for i, b := range g.Branches {
			parent, err := partyOrgByCode(ctx, tx, b.ParentCode)
			if err != nil {
				return fmt.Errorf("branch %s: %w", b.Code, err)
			}
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO party_orgs (code, name, kind, parent_id, path, depth, unit_id, demo, created_at)
				VALUES (?, ?, 'unit_branch', ?, ?, (SELECT depth + 1 FROM party_orgs WHERE id = ?), ?, 1, 0) RETURNING id`,
				b.Code, b.Name, parent.ID, "#"+b.Code, parent.ID, b.UnitID).Scan(&id); err != nil {
				return fmt.Errorf("branch %s: %w", b.Code, store.Normalize(err))
			}
			if _, err := tx.Exec(ctx, `UPDATE party_orgs SET path = ? WHERE id = ?`, fmt.Sprintf("%s%d/", parent.Path, id), id); err != nil {
				return err
			}
			branchIDs[i] = id
			res.Branches++
		}
		for i := range g.Members {
			m := &g.Members[i]
			var org any
			if m.Branch >= 0 {
				org = branchIDs[m.Branch]
			}
			var home any
			if m.Registered {
				home = m.HomeID
			}
			at := store.Millis(m.RegisteredAt)
			if err := tx.QueryRow(ctx, `INSERT INTO people (name, unit_id, role, party_org_id, home_unit_id, demo, created_at, updated_at)
				VALUES (?, ?, 'party_member', ?, ?, 1, ?, ?) RETURNING id`, m.Name, m.UnitID, org, home, at, at).Scan(&m.PersonID); err != nil {
				return fmt.Errorf("member %s: %w", m.Name, err)
			}
			var grid any
			if m.Registered && m.GridID != 0 {
				grid = m.GridID
			}
			if _, err := tx.Exec(ctx, `INSERT INTO party_members (person_id, gender, birth_year, joined_on, home_grid_id, skills, intentions, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.PersonID, m.Gender, m.BirthYear, m.JoinedOn, grid, m.Skills, m.Intentions, at, at); err != nil {
				return fmt.Errorf("member %s: %w", m.Name, err)
			}
			res.Members++
			if !m.Registered {
				continue
			}
			channel := ChannelDesk
			if m.ChannelPhone {
				channel = ChannelPhone
			}
			acc := store.Millis(m.RegisteredAt.Add(26 * time.Hour))
			var rid int64
			if err := tx.QueryRow(ctx, `INSERT INTO member_registrations (person_id, community_unit_id, grid_id, channel, status, registered_at, accepted_at, confirmed_at, demo)
				VALUES (?, ?, ?, ?, 'accepted', ?, ?, ?, 1) RETURNING id`, m.PersonID, m.HomeID, grid, channel, at, acc, acc).Scan(&rid); err != nil {
				return fmt.Errorf("registration of %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE member_registrations SET slip_no = ? WHERE id = ?`,
				fmt.Sprintf("BD%s%06d", m.RegisteredAt.In(shanghai).Format("2006"), rid), rid); err != nil {
				return err
			}
			res.Registered++
		}
		for i := range g.Agreements {
			a := &g.Agreements[i]
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO co_building (community_unit_id, unit_id, signed_at, note, created_at, term_from, term_to, liaison, demo)
				VALUES (?, ?, ?, '演示数据', ?, ?, ?, ?, 1) RETURNING id`, a.CommunityID, a.UnitID, store.Millis(a.SignedAt), store.Millis(a.SignedAt),
				store.Millis(a.TermFrom), store.Millis(a.TermTo), a.Liaison).Scan(&id); err != nil {
				return fmt.Errorf("agreement %d: %w", i, store.Normalize(err))
			}
			for _, c := range a.Commitments {
				var cid int64
				if err := tx.QueryRow(ctx, `INSERT INTO co_building_commitments (agreement_id, kind, what, target) VALUES (?, ?, ?, ?) RETURNING id`,
					id, c.Kind, c.What, c.Target).Scan(&cid); err != nil {
					return fmt.Errorf("commitment: %w", err)
				}
				a.commitmentIDs = append(a.commitmentIDs, cid)
			}
			if a.Grade != "" {
				if _, err := tx.Exec(ctx, `INSERT INTO co_building_evaluations (agreement_id, year, grade, comment, created_at) VALUES (?, ?, ?, '演示数据', ?)`,
					id, a.SignedAt.In(shanghai).Year(), a.Grade, store.Millis(a.SignedAt)); err != nil {
					return fmt.Errorf("evaluation: %w", err)
				}
			}
			res.Agreements++
		}
		for _, it := range g.Items {
			var grid any
			if it.GridID != 0 {
				grid = it.GridID
			}
			status := ItemOpen
			if _, err := tx.Exec(ctx, `INSERT INTO party_items (kind, community_unit_id, owner_unit_id, grid_id, title, skills, headcount, starts_at, status, demo, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`, it.Kind, it.CommunityID, it.OwnerID, grid, it.Title, it.Skills, max(it.Headcount, 1),
				optMillis(&it.StartsAt), status, store.Millis(it.CreatedAt)); err != nil {
				return fmt.Errorf("item %s: %w", it.Title, err)
			}
			res.Items++
		}
		for _, a := range g.Activities {
			var commitment any
			if a.Agreement >= 0 && len(g.Agreements[a.Agreement].commitmentIDs) > 0 {
				commitment = g.Agreements[a.Agreement].commitmentIDs[0]
			}
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO party_activities (commitment_id, community_unit_id, organiser_unit_id, title, content, place, starts_at, ends_at, status, demo, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'planned', 1, ?) RETURNING id`, commitment, a.CommunityID, a.OrganiserID, a.Title, a.Content, a.Place,
				store.Millis(a.StartsAt), store.Millis(a.EndsAt), store.Millis(a.StartsAt.Add(-72*time.Hour))).Scan(&id); err != nil {
				return fmt.Errorf("activity %s: %w", a.Title, err)
			}
			seen := map[int]bool{}
			for _, k := range a.Attendees {
				if seen[k] {
					continue
				}
				seen[k] = true
				if _, err := tx.Exec(ctx, `INSERT INTO party_attendance (activity_id, person_id, in_at, out_at, recorded_by) VALUES (?, ?, ?, ?, 'self')`,
					id, g.Members[k].PersonID, store.Millis(a.StartsAt), store.Millis(a.EndsAt)); err != nil {
					return fmt.Errorf("attendance: %w", err)
				}
				res.PersonTimes++
			}
			in := SignOffInput{ResidentName: a.ResidentName, Problem: a.Problem}
			if err := s.signOffTx(ctx, tx, access.System, id, in, a.EndsAt.Add(2*time.Hour), true); err != nil {
				return fmt.Errorf("sign off %s: %w", a.Title, err)
			}
			res.Activities++
			if a.Problem != "" {
				res.Deeds++
			}
		}
		return nil
	})
	if err != nil {
		return GenResult{}, fmt.Errorf("load generated party data: %w", err)
	}
	return res, nil
}

// DemoLoaded counts the generated registrations already loaded (the demo
// adds its data once).
func (s *Service) DemoLoaded(ctx context.Context, n *int) error {
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM member_registrations WHERE demo = 1`).Scan(n); err != nil {
		return fmt.Errorf("demo party data: %w", err)
	}
	return nil
}
