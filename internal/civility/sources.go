package civility

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// Item codes the collection from recorded work uses by default: the demo
// catalogue's (the county's own catalogue keeps the same codes or the
// caller names others).
const (
	ItemVolunteerHours = "P-VOL"  // 志愿服务 (per verified hour)
	ItemGoodDeed       = "P-DEED" // 好人好事
)

// FromVolunteerEntry collects a verified volunteer service entry
// (internal/volunteer) as a positive entry: the points of item (default
// P-VOL) per hour served. Each service entry is collected once.
func (s *Service) FromVolunteerEntry(ctx context.Context, actor access.Actor, volunteerEntryID int64, item string) (Entry, error) {
	if item == "" {
		item = ItemVolunteerHours
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var personID int64
		var layer, status, place, content string
		var minutes int
		var started int64
		err := tx.QueryRow(ctx, `SELECT w.person_id, e.layer, e.status, e.place, e.content, e.minutes, e.started_at FROM volunteer_entries e
			JOIN volunteers w ON w.id = e.volunteer_id WHERE e.id = ?`, volunteerEntryID).Scan(&personID, &layer, &status, &place, &content, &minutes, &started)
		if err != nil {
			if errors.Is(store.Normalize(err), store.ErrNotFound) {
				return store.NotFoundf("找不到志愿服务记录 %d", volunteerEntryID)
			}
			return fmt.Errorf("volunteer entry %d: %w", volunteerEntryID, err)
		}
		p, err := personOf(ctx, tx, personID)
		if err != nil {
			return err
		}
		if !staffFor(actor, p.UnitPath, reviewers...) {
			return store.Forbiddenf("只有%s所在社区或乡镇的工作人员可以将志愿服务计入文明积分", p.Name)
		}
		if layer != "verified" || status != "approved" {
			return store.Invalid("只有经核验的志愿服务时长可以计入文明积分")
		}
		if place == "" {
			place = "志愿服务"
		}
		id, err = s.record(ctx, tx, actor, NewEntry{ItemCode: item, PersonID: personID, Source: SourceVolunteerHours,
			SourceRef: "ve-" + strconv.FormatInt(volunteerEntryID, 10), Place: place, OccurredAt: store.Time(started),
			Evidence: fmt.Sprintf("志愿服务记录%d：%s，%.1f小时（已核验）", volunteerEntryID, content, float64(minutes)/60), minutes: minutes})
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	return s.entry(ctx, id)
}

// FromGoodDeed collects a confirmed good deed done by a person as a
// positive entry (item default P-DEED).
func (s *Service) FromGoodDeed(ctx context.Context, actor access.Actor, deedID int64, item string) (Entry, error) {
	if item == "" {
		item = ItemGoodDeed
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var personID *int64
		var problem, beneficiary, confirmedBy string
		var done int64
		err := tx.QueryRow(ctx, `SELECT doer_person_id, problem, beneficiary, confirmed_by, done_at FROM good_deeds WHERE id = ?`, deedID).
			Scan(&personID, &problem, &beneficiary, &confirmedBy, &done)
		if err != nil {
			if errors.Is(store.Normalize(err), store.ErrNotFound) {
				return store.NotFoundf("找不到好人好事记录 %d", deedID)
			}
			return fmt.Errorf("good deed %d: %w", deedID, err)
		}
		if personID == nil {
			return store.Invalid("单位办的实事不计入个人文明积分")
		}
		id, err = s.record(ctx, tx, actor, NewEntry{ItemCode: item, PersonID: *personID, Source: SourceGoodDeed,
			SourceRef: "deed-" + strconv.FormatInt(deedID, 10), Place: beneficiary, OccurredAt: store.Time(done),
			Evidence: fmt.Sprintf("好人好事%d：%s（%s确认）", deedID, problem, confirmedBy)})
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	return s.entry(ctx, id)
}

// FromCase records the uncivil behaviour a resolved case's handling found
// (from the case page): the case must be closed; the entry waits for its
// two reviews.
func (s *Service) FromCase(ctx context.Context, actor access.Actor, caseNo string, in NewEntry) (Entry, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var caseID int64
		var title, address string
		var closed *int64
		err := tx.QueryRow(ctx, `SELECT id, title, address, closed_at FROM cases WHERE no = ?`, caseNo).Scan(&caseID, &title, &address, &closed)
		if err != nil {
			if errors.Is(store.Normalize(err), store.ErrNotFound) {
				return store.NotFoundf("找不到案件 %s", caseNo)
			}
			return fmt.Errorf("case %s: %w", caseNo, err)
		}
		p, err := personOf(ctx, tx, in.PersonID)
		if err != nil {
			return err
		}
		if !staffFor(actor, p.UnitPath, recorders...) {
			return store.Forbiddenf("只有%s所在社区、乡镇的工作人员或网格员可以登记其文明行为", p.Name)
		}
		if closed == nil {
			return store.Invalid("案件办结后才能登记处置中发现的不文明行为")
		}
		in.Source, in.SourceRef = SourceCase, "case-"+caseNo+"-"+strconv.FormatInt(in.PersonID, 10)
		if in.Place == "" {
			in.Place = address
		}
		if in.Evidence == "" {
			in.Evidence = "案件" + caseNo + "：" + title
		} else {
			in.Evidence = "案件" + caseNo + "：" + in.Evidence
		}
		id, err = s.record(ctx, tx, actor, in)
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	return s.entry(ctx, id)
}

// Served is a verified volunteer service entry not yet collected.
type Served struct {
	ID      int64     `json:"id"`
	Content string    `json:"content"`
	Place   string    `json:"place"`
	Minutes int       `json:"minutes"`
	At      time.Time `json:"at"`
}

// Uncollected lists a person's verified volunteer service entries not yet
// collected as civility entries (for the staff who collect them).
func (s *Service) Uncollected(ctx context.Context, actor access.Actor, personID int64) ([]Served, error) {
	p, err := personOf(ctx, s.db, personID)
	if err != nil {
		return nil, err
	}
	if !staffFor(actor, p.UnitPath, reviewers...) {
		return nil, store.Forbidden("只有当事人所在社区或乡镇的工作人员可以查看")
	}
	rows, err := s.db.Query(ctx, `SELECT e.id, e.content, e.place, e.minutes, e.started_at FROM volunteer_entries e JOIN volunteers w ON w.id = e.volunteer_id
		WHERE w.person_id = ? AND e.layer = 'verified' AND e.status = 'approved'
		AND NOT EXISTS (SELECT 1 FROM civility_entries c WHERE c.source = 'volunteer_hours' AND c.source_ref = 've-' || CAST(e.id AS TEXT))
		ORDER BY e.started_at DESC LIMIT 100`, personID)
	return store.Collect(rows, err, func(sc store.Scanner) (Served, error) {
		var v Served
		var at int64
		err := sc.Scan(&v.ID, &v.Content, &v.Place, &v.Minutes, &at)
		v.At = store.Time(at).In(shanghai)
		return v, err
	})
}

// Resident is a person of the actor's area as the entry forms list them
// (name and unit only; the sealed numbers are revealed, with a reason,
// through the trust service).
type Resident struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	UnitName string `json:"unit_name"`
	CardNo   string `json:"card_no,omitempty"`
	Consent  bool   `json:"consent"`
}

// People lists the people of the actor's area whose name contains q (at
// most 50), for the entry forms.
func (s *Service) People(ctx context.Context, actor access.Actor, q string) ([]Resident, error) {
	if actor.Anonymous() || !actor.HasAny(recorders...) || actor.UnitPath == "" {
		return nil, store.Forbidden("只有社区、乡镇工作人员和网格员可以查找人员")
	}
	area := actor.UnitPath
	if actor.Has(access.RoleGrid) && !actor.HasAny(reviewers...) {
		area = parentPath(actor.UnitPath)
	}
	lo, hi := access.PathRange(area)
	rows, err := s.db.Query(ctx, `SELECT p.id, p.name, p.role, u.name, COALESCE(c.card_no, ''), COALESCE(c.consent, 0) FROM people p JOIN units u ON u.id = p.unit_id
		LEFT JOIN civility_cards c ON c.person_id = p.id
		WHERE u.path >= ? AND u.path < ? AND p.name LIKE ? ORDER BY CASE WHEN p.role = 'resident' THEN 0 ELSE 1 END, p.id LIMIT 50`, lo, hi, "%"+clean(q)+"%")
	return store.Collect(rows, err, func(sc store.Scanner) (Resident, error) {
		var r Resident
		return r, sc.Scan(&r.ID, &r.Name, &r.Role, &r.UnitName, &r.CardNo, &r.Consent)
	})
}
