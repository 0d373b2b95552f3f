package pairing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// ProjectInput is a new industry project of a pairing.
type ProjectInput struct {
	// VisitID is the visit whose finding the project came from (0: none).
	VisitID int64  `json:"visit_id"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	// PartnerKind ("cooperative" or "enterprise") and PartnerName are the
	// cooperative or enterprise it works through; recorded once per
	// village.
	PartnerKind string `json:"partner_kind"`
	PartnerName string `json:"partner_name"`
	CadreID     int64  `json:"cadre_person_id"`
	Stage       string `json:"stage"`
	Day         string `json:"day"`
}

// AddProject records an industry project of a pairing's village.
func (s *Service) AddProject(ctx context.Context, actor access.Actor, pairingID int64, in ProjectInput) (int64, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.addProject(ctx, tx, actor, pairingID, in)
		return err
	})
	return id, err
}

// addProject checks and records a project in tx.
func (s *Service) addProject(ctx context.Context, tx *store.Tx, actor access.Actor, pairingID int64, in ProjectInput) (int64, error) {
	in.Name, in.Kind = strings.TrimSpace(in.Name), strings.TrimSpace(in.Kind)
	switch {
	case in.Name == "":
		return 0, store.Invalid("请填写项目名称")
	case utf8.RuneCountInString(in.Name) > 100:
		return 0, store.Invalid("项目名称不能超过100字")
	case !slices.Contains(ProjectKinds, in.Kind):
		return 0, store.Invalidf("项目类型应为：%s", strings.Join(ProjectKinds, "、"))
	}
	if in.Stage == "" {
		in.Stage = StagePlanned
	}
	if !slices.Contains(Stages, in.Stage) {
		return 0, store.Invalid("项目阶段应为谋划、实施、见效或终止")
	}
	if in.Day == "" {
		in.Day = s.today()
	}
	if !worktime.ValidDay(in.Day) {
		return 0, store.Invalid("请填写日期（年-月-日）")
	}
	in.PartnerName = strings.TrimSpace(in.PartnerName)
	if in.PartnerName != "" && in.PartnerKind != "cooperative" && in.PartnerKind != "enterprise" {
		return 0, store.Invalid("请选择合作社或企业")
	}
	var id int64
	err := func() error {
		p, err := s.writable(ctx, tx, actor, pairingID)
		if err != nil {
			return err
		}
		if in.CadreID == 0 {
			in.CadreID = p.CadreID
		}
		if err := checkPerson(ctx, tx, in.CadreID); err != nil {
			return err
		}
		if in.VisitID != 0 {
			var of int64
			if err := tx.QueryRow(ctx, `SELECT pairing_id FROM pairing_visits WHERE id = ?`, in.VisitID).Scan(&of); err != nil || of != pairingID {
				return store.Invalid("这次调研不属于该结对")
			}
		}
		var partner int64
		if in.PartnerName != "" {
			err := tx.QueryRow(ctx, `SELECT id FROM village_partners WHERE village_id = ? AND name = ?`, p.VillageID, in.PartnerName).Scan(&partner)
			if errors.Is(err, store.ErrNotFound) {
				err = tx.QueryRow(ctx, `INSERT INTO village_partners (village_id, kind, name, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
					p.VillageID, in.PartnerKind, in.PartnerName, store.Millis(s.now())).Scan(&partner)
			}
			if err != nil {
				return fmt.Errorf("partner: %w", err)
			}
		}
		err = tx.QueryRow(ctx, `INSERT INTO pairing_projects (pairing_id, visit_id, village_id, kind, name, partner_id, cadre_person_id, stage, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, pairingID, store.NullID(in.VisitID), p.VillageID, in.Kind, in.Name, store.NullID(partner),
			in.CadreID, in.Stage, actor.Recorded(), store.Millis(s.now())).Scan(&id)
		if err != nil {
			return fmt.Errorf("new project: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO pairing_project_stages (project_id, stage, day, actor, at) VALUES (?, ?, ?, ?, ?)`,
			id, in.Stage, in.Day, actor.Recorded(), store.Millis(s.now())); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "pairing.project", Entity: "pairing_project", EntityID: fmt.Sprint(id),
			After: map[string]string{"pairing": fmt.Sprint(pairingID), "name": in.Name}})
	}()
	return id, err
}

// projectPairing returns the pairing a project belongs to, checked for
// writing.
func (s *Service) projectPairing(ctx context.Context, q store.RowQueryer, actor access.Actor, projectID int64) (Pairing, error) {
	var pid int64
	err := q.QueryRow(ctx, `SELECT pairing_id FROM pairing_projects WHERE id = ?`, projectID).Scan(&pid)
	if errors.Is(err, store.ErrNotFound) {
		return Pairing{}, store.NotFound("没有这个项目")
	}
	if err != nil {
		return Pairing{}, err
	}
	return s.writable(ctx, q, actor, pid)
}

// SetStage moves a project to a stage on day.
func (s *Service) SetStage(ctx context.Context, actor access.Actor, projectID int64, stage, day string) error {
	if !slices.Contains(Stages, stage) {
		return store.Invalid("项目阶段应为谋划、实施、见效或终止")
	}
	if day == "" {
		day = s.today()
	}
	if !worktime.ValidDay(day) {
		return store.Invalid("请填写日期（年-月-日）")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.projectPairing(ctx, tx, actor, projectID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE pairing_projects SET stage = ? WHERE id = ?`, stage, projectID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO pairing_project_stages (project_id, stage, day, actor, at) VALUES (?, ?, ?, ?, ?)`,
			projectID, stage, day, actor.Recorded(), store.Millis(s.now()))
		return err
	})
}

// FundInput is a fund line being sought (争取) for a project.
type FundInput struct {
	Source string `json:"source"`
	Amount int64  `json:"amount"`
	Day    string `json:"day"`
}

// AddFund records a fund line sought for a project.
func (s *Service) AddFund(ctx context.Context, actor access.Actor, projectID int64, in FundInput) (int64, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.addFund(ctx, tx, actor, projectID, in)
		return err
	})
	return id, err
}

// addFund checks and records a fund line in tx.
func (s *Service) addFund(ctx context.Context, tx *store.Tx, actor access.Actor, projectID int64, in FundInput) (int64, error) {
	in.Source = strings.TrimSpace(in.Source)
	if in.Source == "" {
		return 0, store.Invalid("请填写资金来源")
	}
	if in.Amount <= 0 || in.Amount > 1_000_000_000 {
		return 0, store.Invalid("资金金额应为正整数（元）")
	}
	if in.Day == "" {
		in.Day = s.today()
	}
	if !worktime.ValidDay(in.Day) {
		return 0, store.Invalid("请填写日期（年-月-日）")
	}
	if _, err := s.projectPairing(ctx, tx, actor, projectID); err != nil {
		return 0, err
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO pairing_funds (project_id, source, amount, status, sought_on, created_at) VALUES (?, ?, ?, 'sought', ?, ?) RETURNING id`,
		projectID, in.Source, in.Amount, in.Day, store.Millis(s.now())).Scan(&id)
	return id, err
}

// AdvanceFund moves a fund line one step: sought → in place → used, on
// day.
func (s *Service) AdvanceFund(ctx context.Context, actor access.Actor, fundID int64, day string) (string, error) {
	if day == "" {
		day = s.today()
	}
	if !worktime.ValidDay(day) {
		return "", store.Invalid("请填写日期（年-月-日）")
	}
	var next string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		next, err = s.advanceFund(ctx, tx, actor, fundID, day)
		return err
	})
	return next, err
}

// advanceFund moves a fund line one step in tx (the caller checked day).
func (s *Service) advanceFund(ctx context.Context, tx *store.Tx, actor access.Actor, fundID int64, day string) (string, error) {
	var next string
	err := func() error {
		var projectID int64
		var status, sought, inPlace string
		err := tx.QueryRow(ctx, `SELECT project_id, status, sought_on, in_place_on FROM pairing_funds WHERE id = ?`, fundID).Scan(&projectID, &status, &sought, &inPlace)
		if errors.Is(err, store.ErrNotFound) {
			return store.NotFound("没有这笔资金")
		}
		if err != nil {
			return err
		}
		if _, err := s.projectPairing(ctx, tx, actor, projectID); err != nil {
			return err
		}
		switch status {
		case FundSought:
			if day < sought {
				return store.Invalid("到位日期不能早于争取日期")
			}
			next = FundInPlace
			_, err = tx.Exec(ctx, `UPDATE pairing_funds SET status = ?, in_place_on = ? WHERE id = ?`, next, day, fundID)
		case FundInPlace:
			if day < inPlace {
				return store.Invalid("使用日期不能早于到位日期")
			}
			next = FundUsed
			_, err = tx.Exec(ctx, `UPDATE pairing_funds SET status = ?, used_on = ? WHERE id = ?`, next, day, fundID)
		default:
			return store.Conflict("这笔资金已经使用")
		}
		return err
	}()
	return next, err
}

// RecordIncome enters a village's collective operating income for a year,
// once: the figure is the village's own accounts', referenced here.
func (s *Service) RecordIncome(ctx context.Context, actor access.Actor, villageCode string, year int, amount int64) error {
	if actor.Anonymous() {
		return store.Forbidden("请先登录")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error { return s.recordIncome(ctx, tx, actor, villageCode, year, amount) })
}

// recordIncome is RecordIncome inside tx (the Excel import enters every
// row in one).
func (s *Service) recordIncome(ctx context.Context, tx *store.Tx, actor access.Actor, villageCode string, year int, amount int64) error {
	this := s.now().In(shanghai).Year()
	if year < 2000 || year > this {
		return store.Invalidf("年份应在2000至%d之间", this)
	}
	if amount < 0 || amount > 10_000_000_000 {
		return store.Invalid("村集体经营性收入应为非负整数（元）")
	}
	v, err := unitByCode(ctx, tx, villageCode)
	if err != nil {
		return err
	}
	if v.kind != "village" && v.kind != "community" {
		return store.Invalidf("%s不是村（社区）", v.name)
	}
	if !CanRecordIncome(actor, v.path) {
		return store.Forbidden("村集体经营性收入由所在乡镇或县委组织部填报")
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM village_incomes WHERE village_id = ? AND year = ?`, v.id, year).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return store.Conflictf("%s %d年的村集体经营性收入已填报", v.name, year)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO village_incomes (village_id, year, amount, recorded_by, created_at) VALUES (?, ?, ?, ?, ?)`,
		v.id, year, amount, actor.Recorded(), store.Millis(s.now())); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "pairing.income", Entity: "village_income", EntityID: v.code + ":" + strconv.Itoa(year),
		After: map[string]string{"amount": strconv.FormatInt(amount, 10)}})
}
