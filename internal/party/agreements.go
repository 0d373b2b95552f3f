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
	"grassroots/internal/pii"
	"grassroots/internal/store"
)

// Co-building agreements in full (单位报到): the term, what the unit
// commits to provide (resources, projects, people: each with a target and
// how much is done), a liaison (联络员) and the community's yearly
// evaluation of the unit. co_building (0007) holds the agreement; 0015 adds
// its term and liaison and the commitments and evaluations.

// Commitment kinds.
const (
	CommitResource = "resource" // 资源
	CommitProject  = "project"  // 项目
	CommitPeople   = "people"   // 人员（服务人次）
)

// Commitment is one thing a unit committed to provide.
type Commitment struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"`
	What   string `json:"what"`
	Target int    `json:"target"`
	Done   int    `json:"done"`
}

// Evaluation is the community's evaluation of the unit for a year.
type Evaluation struct {
	Year    int    `json:"year"`
	Grade   string `json:"grade"`
	Comment string `json:"comment,omitempty"`
}

// Grades of an evaluation, best first.
var Grades = []string{"好", "较好", "一般", "差"}

// Agreement is a co-building agreement with its term, liaison,
// commitments and evaluations.
type Agreement struct {
	CoBuilding
	TermFrom     string       `json:"term_from,omitempty"` // YYYY-MM-DD
	TermTo       string       `json:"term_to,omitempty"`
	Liaison      string       `json:"liaison,omitempty"`
	LiaisonPhone string       `json:"liaison_phone,omitempty"` // masked
	Commitments  []Commitment `json:"commitments"`
	Evaluations  []Evaluation `json:"evaluations"`
	// Progress is done over target across the commitments (0 to 1), or
	// nil when nothing is committed.
	Progress *float64 `json:"progress"`
}

// AgreementInput is a new agreement.
type AgreementInput struct {
	Community    string            `json:"community"`
	Unit         string            `json:"unit"`
	TermFrom     string            `json:"term_from"`
	TermTo       string            `json:"term_to"`
	Liaison      string            `json:"liaison"`
	LiaisonPhone string            `json:"liaison_phone"`
	Note         string            `json:"note"`
	Commitments  []CommitmentInput `json:"commitments"`
	Demo         bool              `json:"-"`
}

// CommitmentInput is one commitment of a new agreement.
type CommitmentInput struct {
	Kind   string `json:"kind"`
	What   string `json:"what"`
	Target int    `json:"target"`
}

// mayCommunity reports whether the actor acts for the community at path:
// the organisation department, or township and community staff (and
// administrators) whose subtree holds it.
func (s *Service) mayCommunity(ctx context.Context, actor access.Actor, path string) (bool, error) {
	if ok, err := s.OrgDepartment(ctx, actor); ok || err != nil {
		return ok, err
	}
	return actor.HasAny(access.RoleCommunity, access.RoleTownship, access.RoleAdmin) && actor.SeesPath(path), nil
}

func parseDay(v, what string) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(v), shanghai)
	if err != nil {
		return t, store.Invalidf("%s的格式应为 2026-01-01", what)
	}
	return t, nil
}

// SignAgreement records a co-building agreement with its term and
// commitments.
func (s *Service) SignAgreement(ctx context.Context, actor access.Actor, in AgreementInput) (Agreement, error) {
	from, err := parseDay(in.TermFrom, "协议期限起始日")
	if err != nil {
		return Agreement{}, err
	}
	to, err := parseDay(in.TermTo, "协议期限截止日")
	if err != nil {
		return Agreement{}, err
	}
	if !to.After(from) {
		return Agreement{}, store.Invalid("协议期限截止日应晚于起始日")
	}
	if to.Sub(from) > 5*366*24*time.Hour {
		return Agreement{}, store.Invalid("协议期限最长5年")
	}
	in.Liaison, in.Note = strings.TrimSpace(in.Liaison), strings.TrimSpace(in.Note)
	if in.Liaison == "" {
		return Agreement{}, store.Invalid("请填写共建单位的联络员")
	}
	if utf8.RuneCountInString(in.Liaison) > 40 || utf8.RuneCountInString(in.Note) > 500 {
		return Agreement{}, store.Invalid("联络员姓名最多40字，备注最多500字")
	}
	phone := pii.NormalizePhone(in.LiaisonPhone)
	if phone != "" && !pii.ValidPhone(phone) {
		return Agreement{}, store.Invalid("联络员电话格式不正确（手机号11位，或带区号的固定电话）")
	}
	if len(in.Commitments) == 0 {
		return Agreement{}, store.Invalid("请至少填写一项共建承诺（资源、项目或人员）")
	}
	if len(in.Commitments) > 30 {
		return Agreement{}, store.Invalid("共建承诺最多30项")
	}
	for i, c := range in.Commitments {
		c.What = strings.TrimSpace(c.What)
		switch {
		case c.Kind != CommitResource && c.Kind != CommitProject && c.Kind != CommitPeople:
			return Agreement{}, store.Invalidf("第%d项承诺的类型应为资源、项目或人员", i+1)
		case c.What == "" || utf8.RuneCountInString(c.What) > 200:
			return Agreement{}, store.Invalidf("请填写第%d项承诺的内容（最多200字）", i+1)
		case c.Target < 1 || c.Target > 100000:
			return Agreement{}, store.Invalidf("第%d项承诺的目标数应为1至100000", i+1)
		}
		in.Commitments[i] = c
	}
	var phoneEnc string
	if phone != "" {
		if s.sealer == nil {
			return Agreement{}, errors.New("agreement: no personal-data key configured")
		}
		if phoneEnc, err = s.sealer.Seal(phone); err != nil {
			return Agreement{}, err
		}
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := unitByCode(ctx, tx, in.Community)
		if err != nil {
			return err
		}
		if c.Kind != "community" && c.Kind != "village" {
			return store.Invalidf("%s不是社区或村", c.Name)
		}
		if ok, err := s.mayCommunity(ctx, actor, c.Path); err != nil {
			return err
		} else if !ok {
			return store.Forbiddenf("无权为%s签订共建协议", c.Name)
		}
		u, err := unitByCode(ctx, tx, in.Unit)
		if err != nil {
			return err
		}
		if u.ID == c.ID {
			return store.Invalid("共建单位不能是社区本身")
		}
		now := store.Millis(s.now())
		err = tx.QueryRow(ctx, `INSERT INTO co_building (community_unit_id, unit_id, signed_at, note, created_by, created_at, term_from, term_to, liaison, liaison_phone_enc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.ID, u.ID, now, in.Note, store.NullID(actor.UserID), now, store.Millis(from), store.Millis(to), in.Liaison, phoneEnc).Scan(&id)
		if err != nil {
			err = store.Normalize(err)
			if errors.Is(err, store.ErrConflict) {
				return store.Conflictf("%s已是%s的共建单位", u.Name, c.Name)
			}
			return fmt.Errorf("agreement: %w", err)
		}
		for _, cm := range in.Commitments {
			if _, err := tx.Exec(ctx, `INSERT INTO co_building_commitments (agreement_id, kind, what, target) VALUES (?, ?, ?, ?)`,
				id, cm.Kind, cm.What, cm.Target); err != nil {
				return fmt.Errorf("commitment: %w", err)
			}
		}
		if in.Demo {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "cobuilding.sign", Entity: "unit", EntityID: c.Code,
			After: map[string]any{"unit": u.Code, "term": in.TermFrom + "~" + in.TermTo, "commitments": len(in.Commitments)}})
	})
	if err != nil {
		return Agreement{}, err
	}
	return s.agreement(ctx, id)
}

// AgreementFilter narrows the agreements listed.
type AgreementFilter struct {
	Community string // a community's code
	Unit      string // a co-building unit's code
}

// Agreements lists current agreements the actor may read: those of
// communities in their subtree, those their own unit signed, and all for
// county-wide users and county departments.
func (s *Service) Agreements(ctx context.Context, actor access.Actor, f AgreementFilter) ([]Agreement, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	where, args := []string{"b.ended_at IS NULL"}, []any{}
	if v := strings.TrimSpace(f.Community); v != "" {
		where, args = append(where, "c.code = ?"), append(args, v)
	}
	if v := strings.TrimSpace(f.Unit); v != "" {
		where, args = append(where, "u.code = ?"), append(args, v)
	}
	if !readsAll(actor) {
		where, args = append(where, "(c.path LIKE ? OR u.path LIKE ?)"), append(args, actor.UnitPath+"%", actor.UnitPath+"%")
	}
	return s.agreements(ctx, strings.Join(where, " AND "), args...)
}

func (s *Service) agreement(ctx context.Context, id int64) (Agreement, error) {
	list, err := s.agreements(ctx, "b.id = ?", id)
	if err != nil {
		return Agreement{}, err
	}
	if len(list) == 0 {
		return Agreement{}, store.NotFound("找不到该共建协议")
	}
	return list[0], nil
}

func (s *Service) agreements(ctx context.Context, where string, args ...any) ([]Agreement, error) {
	rows, err := s.db.Query(ctx, `SELECT b.id, c.code, c.name, u.code, u.name, b.signed_at, b.note, COALESCE(b.term_from, 0), COALESCE(b.term_to, 0),
		b.liaison, b.liaison_phone_enc FROM co_building b JOIN units c ON c.id = b.community_unit_id JOIN units u ON u.id = b.unit_id
		WHERE `+where+` ORDER BY c.code, u.code LIMIT 5000`, args...)
	list, err := store.Collect(rows, err, func(sc store.Scanner) (Agreement, error) {
		var a Agreement
		var at, from, to int64
		var enc string
		err := sc.Scan(&a.ID, &a.CommunityCode, &a.CommunityName, &a.UnitCode, &a.UnitName, &at, &a.Note, &from, &to, &a.Liaison, &enc)
		a.SignedAt = time.UnixMilli(at).In(shanghai)
		if from != 0 {
			a.TermFrom, a.TermTo = time.UnixMilli(from).In(shanghai).Format("2006-01-02"), time.UnixMilli(to).In(shanghai).Format("2006-01-02")
		}
		a.LiaisonPhone, _ = s.masked(enc, "")
		a.Commitments, a.Evaluations = []Commitment{}, []Evaluation{}
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("agreements: %w", err)
	}
	if len(list) == 0 {
		return list, nil
	}
	byID := map[int64]*Agreement{}
	ids := make([]any, len(list))
	for i := range list {
		byID[list[i].ID], ids[i] = &list[i], list[i].ID
	}
	in := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	rows, err = s.db.Query(ctx, `SELECT agreement_id, id, kind, what, target, done FROM co_building_commitments WHERE agreement_id IN (`+in+`) ORDER BY id`, ids...)
	if _, err := store.Collect(rows, err, func(sc store.Scanner) (int, error) {
		var aid int64
		var c Commitment
		if err := sc.Scan(&aid, &c.ID, &c.Kind, &c.What, &c.Target, &c.Done); err != nil {
			return 0, err
		}
		byID[aid].Commitments = append(byID[aid].Commitments, c)
		return 0, nil
	}); err != nil {
		return nil, fmt.Errorf("commitments: %w", err)
	}
	rows, err = s.db.Query(ctx, `SELECT agreement_id, year, grade, comment FROM co_building_evaluations WHERE agreement_id IN (`+in+`) ORDER BY year DESC`, ids...)
	if _, err := store.Collect(rows, err, func(sc store.Scanner) (int, error) {
		var aid int64
		var e Evaluation
		if err := sc.Scan(&aid, &e.Year, &e.Grade, &e.Comment); err != nil {
			return 0, err
		}
		byID[aid].Evaluations = append(byID[aid].Evaluations, e)
		return 0, nil
	}); err != nil {
		return nil, fmt.Errorf("evaluations: %w", err)
	}
	for i := range list {
		var done, target int
		for _, c := range list[i].Commitments {
			done, target = done+min(c.Done, c.Target), target+c.Target
		}
		if target > 0 {
			p := float64(done) / float64(target)
			list[i].Progress = &p
		}
	}
	return list, nil
}

// agreementRef is what the writes below need of an agreement.
type agreementRef struct {
	id                      int64
	communityPath, unitPath string
	unitID                  int64
	communityName, unitName string
}

func loadAgreement(ctx context.Context, q querier, id int64) (agreementRef, error) {
	var a agreementRef
	err := q.QueryRow(ctx, `SELECT b.id, c.path, c.name, u.id, u.path, u.name FROM co_building b JOIN units c ON c.id = b.community_unit_id
		JOIN units u ON u.id = b.unit_id WHERE b.id = ? AND b.ended_at IS NULL`, id).Scan(&a.id, &a.communityPath, &a.communityName, &a.unitID, &a.unitPath, &a.unitName)
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return a, store.NotFound("找不到该共建协议")
		}
		return a, fmt.Errorf("agreement %d: %w", id, err)
	}
	return a, nil
}

// RecordProgress adds done to a commitment (what the unit delivered: a
// resource handed over, a project step, people served). The community's
// staff and the unit's own staff record it.
func (s *Service) RecordProgress(ctx context.Context, actor access.Actor, commitmentID int64, done int, note string) (Agreement, error) {
	if done < 1 || done > 10000 {
		return Agreement{}, store.Invalid("完成数应为1至10000")
	}
	var aid int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT agreement_id FROM co_building_commitments WHERE id = ?`, commitmentID).Scan(&aid); err != nil {
			if errors.Is(store.Normalize(err), store.ErrNotFound) {
				return store.NotFound("找不到该共建承诺")
			}
			return fmt.Errorf("commitment %d: %w", commitmentID, err)
		}
		a, err := loadAgreement(ctx, tx, aid)
		if err != nil {
			return err
		}
		ok, err := s.mayCommunity(ctx, actor, a.communityPath)
		if err != nil {
			return err
		}
		if !ok && !(actor.UnitID == a.unitID && !actor.Anonymous()) {
			return store.Forbiddenf("无权登记%s与%s的共建进度", a.unitName, a.communityName)
		}
		if _, err := tx.Exec(ctx, `UPDATE co_building_commitments SET done = done + ? WHERE id = ?`, done, commitmentID); err != nil {
			return fmt.Errorf("commitment %d: %w", commitmentID, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "cobuilding.progress", Entity: "co_building", EntityID: fmt.Sprint(aid),
			Reason: strings.TrimSpace(note), After: map[string]any{"commitment": commitmentID, "done": done}})
	})
	if err != nil {
		return Agreement{}, err
	}
	return s.agreement(ctx, aid)
}

// Evaluate records the community's evaluation of a co-building unit for a
// year (once a year; a second one for the same year replaces it). The
// community's staff (and the township above it, the organisation
// department) evaluate; the unit does not evaluate itself.
func (s *Service) Evaluate(ctx context.Context, actor access.Actor, agreementID int64, year int, grade, comment string) (Agreement, error) {
	grade, comment = strings.TrimSpace(grade), strings.TrimSpace(comment)
	valid := false
	for _, g := range Grades {
		valid = valid || g == grade
	}
	if !valid {
		return Agreement{}, store.Invalidf("评价等次应为：%s", strings.Join(Grades, "、"))
	}
	if now := s.now().In(shanghai).Year(); year < 2000 || year > now {
		return Agreement{}, store.Invalidf("评价年度应在2000至%d之间", now)
	}
	if utf8.RuneCountInString(comment) > 500 {
		return Agreement{}, store.Invalid("评价意见最多500字")
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		a, err := loadAgreement(ctx, tx, agreementID)
		if err != nil {
			return err
		}
		if ok, err := s.mayCommunity(ctx, actor, a.communityPath); err != nil {
			return err
		} else if !ok {
			return store.Forbiddenf("只有%s及其上级可以评价共建单位", a.communityName)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM co_building_evaluations WHERE agreement_id = ? AND year = ?`, agreementID, year); err != nil {
			return fmt.Errorf("evaluation: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO co_building_evaluations (agreement_id, year, grade, comment, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			agreementID, year, grade, comment, store.NullID(actor.UserID), store.Millis(s.now())); err != nil {
			return fmt.Errorf("evaluation: %w", store.Normalize(err))
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "cobuilding.evaluate", Entity: "co_building", EntityID: fmt.Sprint(agreementID),
			After: map[string]any{"year": year, "grade": grade}})
	})
	if err != nil {
		return Agreement{}, err
	}
	return s.agreement(ctx, agreementID)
}
