// Package pairing keeps the pairings of county organs with villages
// (结对共建), their field visits (蹲点调研), the industry projects they help
// start (党建+产业: 党支部+合作社, 党支部+项目) with the fund lines behind them
// (争取 → 到位 → 使用), and the village collective's operating income each
// year (村集体经营性收入) — so each pairing shows the chain visit → project
// → funds → income and its change year on year.
//
// A visit stays small on purpose (a day, who, a finding of at most three
// lines, an optional photo): it must never become paperwork kept for
// reporting. A finding may become a case on the engine, routed as any
// other, or a project. Money is referenced, not kept: the village's own
// accounts (三资) remain the books.
//
// Tables: pairings, pairing_visits, village_partners, pairing_projects,
// pairing_project_stages, pairing_funds and village_incomes (migration
// 0022_org_ledgers).
package pairing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// CaseOpener opens cases on the engine (casework.Service).
type CaseOpener interface {
	Create(ctx context.Context, actor access.Actor, in casework.NewCase) (casework.Case, bool, error)
}

// Service is the pairing ledger's domain API.
type Service struct {
	db    *store.DB
	cases CaseOpener
	now   func() time.Time
}

// New returns the ledger over db; cases opens the cases findings become.
func New(db *store.DB, cases CaseOpener) *Service {
	return &Service{db: db, cases: cases, now: time.Now}
}

// UseClock makes the service read the time from now (tests, demo).
func (s *Service) UseClock(now func() time.Time) { s.now = now }

var shanghai = worktime.Location()

func (s *Service) today() string { return s.now().In(shanghai).Format(time.DateOnly) }

// findingFlow is the flow a finding that becomes a problem goes through:
// the hotline's intake, dispatched and followed up as usual.
const findingFlow = "hotline"

// Project stages.
const (
	StagePlanned   = "planned"   // 谋划
	StageStarted   = "started"   // 实施
	StageProducing = "producing" // 见效
	StageStopped   = "stopped"   // 终止
)

// Stages lists the stages in order.
var Stages = []string{StagePlanned, StageStarted, StageProducing, StageStopped}

// Fund statuses: 争取 → 到位 → 使用.
const (
	FundSought  = "sought"
	FundInPlace = "in_place"
	FundUsed    = "used"
)

// ProjectKinds are the kinds of industry project.
var ProjectKinds = []string{"种植", "养殖", "加工", "文旅", "电商", "光伏", "其他"}

// orgDept reports whether the actor works in the county organisation
// department (县委组织部), which keeps the pairings.
func orgDept(a access.Actor) bool {
	return a.UnitCode == org.DeptOrganisation && a.HasAny(access.RoleDepartment, access.RoleAdmin)
}

// CanPair reports whether actor may set pairings up: the organisation
// department and county administrators.
func CanPair(a access.Actor) bool { return a.CountyAdmin() || orgDept(a) }

// CanWrite reports whether actor may record visits, projects and funds of
// a pairing: the pairing organ's own staff, the organisation department
// and county administrators.
func CanWrite(a access.Actor, p Pairing) bool {
	if CanPair(a) {
		return true
	}
	return a.UnitID == p.OrgUnitID && a.HasAny(access.RoleDepartment, access.RoleAdmin)
}

// CanRecordIncome reports whether actor may enter a village's collective
// income: its township's staff (the township keeps the villages' 三资
// accounts), the organisation department and county administrators.
func CanRecordIncome(a access.Actor, villagePath string) bool {
	if CanPair(a) {
		return true
	}
	return a.HasAny(access.RoleTownship, access.RoleAdmin) && a.UnitKind != org.KindDepartment && a.SeesPath(villagePath)
}

func canRead(a access.Actor, path string) bool {
	return !a.Anonymous() && (org.ReadsAll(a) || a.SeesPath(path))
}

type unitRow struct {
	id               int64
	code, name, kind string
	path             string
}

func unitByCode(ctx context.Context, q store.RowQueryer, code string) (unitRow, error) {
	u := unitRow{code: strings.TrimSpace(code)}
	if u.code == "" {
		return u, store.Invalid("请选择单位")
	}
	r, err := org.RefByCode(ctx, q, u.code)
	if errors.Is(err, store.ErrNotFound) {
		return u, store.Invalidf("找不到单位 %s", u.code)
	}
	u.id, u.name, u.kind, u.path = r.ID, r.Name, r.Kind, r.Path
	return u, err
}

func checkPerson(ctx context.Context, q store.RowQueryer, id int64) error {
	if id <= 0 {
		return store.Invalid("请选择责任干部")
	}
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM people WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return store.Invalidf("找不到人员 %d", id)
	}
	return nil
}

// Pairing is a county organ paired with a village for a term.
type Pairing struct {
	ID          int64  `json:"id"`
	OrgUnitID   int64  `json:"-"`
	OrgCode     string `json:"org_unit_code"`
	OrgName     string `json:"org_unit_name"`
	PartyOrg    string `json:"party_org"`
	CadreID     int64  `json:"cadre_person_id"`
	Cadre       string `json:"cadre"`
	VillageID   int64  `json:"-"`
	VillageCode string `json:"village_code"`
	VillageName string `json:"village_name"`
	VillagePath string `json:"-"`
	Township    string `json:"township"`
	StartDay    string `json:"start_day"`
	EndDay      string `json:"end_day"`
}

// Input is a new pairing.
type Input struct {
	OrgCode     string `json:"org_unit_code"`
	PartyOrg    string `json:"party_org"`
	CadreID     int64  `json:"cadre_person_id"`
	VillageCode string `json:"village_code"`
	StartDay    string `json:"start_day"`
	EndDay      string `json:"end_day"`
	Demo        bool   `json:"-"`
}

// Pair sets up a pairing of a county department's party organisation (and
// its responsible cadre) with a village or community.
func (s *Service) Pair(ctx context.Context, actor access.Actor, in Input) (int64, error) {
	if actor.Anonymous() {
		return 0, store.Forbidden("请先登录")
	}
	if !CanPair(actor) {
		return 0, store.Forbidden("结对共建由县委组织部安排")
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.pair(ctx, tx, actor, in)
		return err
	})
	return id, err
}

// pair checks and inserts a pairing in tx (the caller checked CanPair). A
// pairing already there is refused before the insert, so an import's
// transaction stays usable on PostgreSQL.
func (s *Service) pair(ctx context.Context, tx *store.Tx, actor access.Actor, in Input) (int64, error) {
	if in.StartDay == "" {
		in.StartDay = s.today()
	}
	if !worktime.ValidDay(in.StartDay) || !worktime.ValidDay(in.EndDay) || in.EndDay <= in.StartDay {
		return 0, store.Invalid("请填写结对期限：开始和结束日期（年-月-日），结束晚于开始")
	}
	var id int64
	err := func() error {
		o, err := unitByCode(ctx, tx, in.OrgCode)
		if err != nil {
			return err
		}
		if o.kind != org.KindDepartment {
			return store.Invalidf("%s不是县直机关单位", o.name)
		}
		v, err := unitByCode(ctx, tx, in.VillageCode)
		if err != nil {
			return err
		}
		if v.kind != org.KindVillage && v.kind != org.KindCommunity {
			return store.Invalidf("%s不是村（社区）", v.name)
		}
		if err := checkPerson(ctx, tx, in.CadreID); err != nil {
			return err
		}
		party := strings.TrimSpace(in.PartyOrg)
		if party == "" {
			party = o.name + "机关党支部"
		}
		var taken int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM pairings WHERE org_unit_id = ? AND village_id = ? AND start_day = ?`, o.id, v.id, in.StartDay).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return store.Conflictf("%s与%s已在该期限结对", o.name, v.name)
		}
		err = tx.QueryRow(ctx, `INSERT INTO pairings (org_unit_id, party_org, cadre_person_id, village_id, village_path, start_day, end_day, demo, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, o.id, party, in.CadreID, v.id, v.path, in.StartDay, in.EndDay, store.BoolInt(in.Demo),
			actor.Recorded(), store.Millis(s.now())).Scan(&id)
		if errors.Is(err, store.ErrConflict) {
			return store.Conflictf("%s与%s已在该期限结对", o.name, v.name)
		}
		if err != nil {
			return fmt.Errorf("new pairing: %w", err)
		}
		if in.Demo {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "pairing.create", Entity: "pairing", EntityID: fmt.Sprint(id),
			After: map[string]string{"org": o.code, "village": v.code}})
	}()
	return id, err
}

const pairingCols = `p.id, o.id, o.code, o.name, p.party_org, p.cadre_person_id, c.name, v.id, v.code, v.name, v.path,
	COALESCE(t.name, ''), p.start_day, p.end_day`

const pairingFrom = ` FROM pairings p JOIN units o ON o.id = p.org_unit_id JOIN people c ON c.id = p.cadre_person_id
	JOIN units v ON v.id = p.village_id LEFT JOIN units t ON t.id = v.parent_id`

func scanPairing(sc store.Scanner) (Pairing, error) {
	var p Pairing
	err := sc.Scan(&p.ID, &p.OrgUnitID, &p.OrgCode, &p.OrgName, &p.PartyOrg, &p.CadreID, &p.Cadre, &p.VillageID, &p.VillageCode, &p.VillageName,
		&p.VillagePath, &p.Township, &p.StartDay, &p.EndDay)
	return p, err
}

func (s *Service) pairing(ctx context.Context, q store.RowQueryer, id int64) (Pairing, error) {
	p, err := scanPairing(q.QueryRow(ctx, `SELECT `+pairingCols+pairingFrom+` WHERE p.id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return p, store.NotFound("没有这个结对")
	}
	return p, err
}

// writable loads a pairing and checks actor may write it.
func (s *Service) writable(ctx context.Context, q store.RowQueryer, actor access.Actor, id int64) (Pairing, error) {
	if actor.Anonymous() {
		return Pairing{}, store.Forbidden("请先登录")
	}
	p, err := s.pairing(ctx, q, id)
	if err != nil {
		return p, err
	}
	if !CanWrite(actor, p) {
		if !canRead(actor, p.VillagePath) {
			return p, store.NotFound("没有这个结对")
		}
		return p, store.Forbidden("只有结对单位、县委组织部可以记录结对共建")
	}
	return p, nil
}

// VisitInput is a field visit.
type VisitInput struct {
	Day      string `json:"day"`
	Visitors string `json:"visitors"`
	Finding  string `json:"finding"`
	Photo    string `json:"photo"`
}

// Visit records a field visit of a pairing. The finding is at most three
// lines of at most 100 characters each.
func (s *Service) Visit(ctx context.Context, actor access.Actor, pairingID int64, in VisitInput) (int64, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.visit(ctx, tx, actor, pairingID, in)
		return err
	})
	return id, err
}

// visit checks and records a visit in tx (the Excel import records every
// row in one).
func (s *Service) visit(ctx context.Context, tx *store.Tx, actor access.Actor, pairingID int64, in VisitInput) (int64, error) {
	if in.Day == "" {
		in.Day = s.today()
	}
	if !worktime.ValidDay(in.Day) {
		return 0, store.Invalid("请填写调研日期（年-月-日）")
	}
	if in.Day > s.today() {
		return 0, store.Invalid("调研日期不能晚于今天")
	}
	in.Visitors = strings.TrimSpace(in.Visitors)
	if in.Visitors == "" {
		return 0, store.Invalid("请填写参加调研的人员")
	}
	finding, err := cleanFinding(in.Finding)
	if err != nil {
		return 0, err
	}
	photo := strings.TrimSpace(in.Photo)
	if utf8.RuneCountInString(photo) > 500 {
		return 0, store.Invalid("照片地址过长")
	}
	if _, err := s.writable(ctx, tx, actor, pairingID); err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO pairing_visits (pairing_id, day, visitors, finding, photo, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, pairingID, in.Day, in.Visitors, finding, photo, actor.Recorded(), store.Millis(s.now())).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("new visit: %w", err)
	}
	return id, nil
}

// cleanFinding trims a finding to its non-empty lines and checks it is at
// most three lines of at most 100 characters.
func cleanFinding(s string) (string, error) {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	switch {
	case len(lines) == 0:
		return "", store.Invalid("请填写调研发现")
	case len(lines) > 3:
		return "", store.Invalid("调研发现最多三行")
	}
	for _, l := range lines {
		if utf8.RuneCountInString(l) > 100 {
			return "", store.Invalid("调研发现每行不超过100字")
		}
	}
	return strings.Join(lines, "\n"), nil
}

// VisitToCase makes a visit's finding a case on the engine, placed in the
// village and routed as usual. Asking again returns the same case.
func (s *Service) VisitToCase(ctx context.Context, actor access.Actor, visitID int64) (string, error) {
	if s.cases == nil {
		return "", store.Invalid("未接入工单系统")
	}
	var pairingID int64
	var finding, caseNo string
	err := s.db.QueryRow(ctx, `SELECT pairing_id, finding, case_no FROM pairing_visits WHERE id = ?`, visitID).Scan(&pairingID, &finding, &caseNo)
	if errors.Is(err, store.ErrNotFound) {
		return "", store.NotFound("没有这次调研")
	}
	if err != nil {
		return "", err
	}
	p, err := s.writable(ctx, s.db, actor, pairingID)
	if err != nil {
		return "", err
	}
	if caseNo != "" {
		return caseNo, nil
	}
	title, _, _ := strings.Cut(finding, "\n")
	if utf8.RuneCountInString(title) > 60 {
		title = string([]rune(title)[:60])
	}
	// The case comes in as an intake of the hotline's own (the system on
	// the cadre's behalf), so the call centre routes it as any other.
	intake := access.Actor{System: true, Name: actor.Recorded()}
	c, _, err := s.cases.Create(ctx, intake, casework.NewCase{Flow: findingFlow, RequestType: casework.RequestHelp, Title: title,
		Body: finding + "\n（" + p.OrgName + "蹲点调研发现）", Channel: "web", Source: "pairing", ExternalID: fmt.Sprintf("visit%d", visitID),
		ReporterName: actor.Recorded(),
		PlaceUnit:    p.VillageCode})
	if err != nil {
		return "", err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE pairing_visits SET case_id = ?, case_no = ? WHERE id = ?`, c.ID, c.No, visitID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("visit %d case: %w", visitID, err)
	}
	return c.No, nil
}

// MayImportIncomes reports whether actor may import villages' incomes:
// whoever may enter some village's (township or street staff and
// administrators, the organisation department, county administrators);
// each row is checked for its village.
func MayImportIncomes(a access.Actor) bool {
	return CanPair(a) || (a.HasAny(access.RoleTownship, access.RoleAdmin) && a.UnitKind != org.KindDepartment && !a.Anonymous())
}
