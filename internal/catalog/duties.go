package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Duty documents (责任状、分解下达指标、考核验收、一票否决): what a county
// department issues to townships to make them answer for its work. The seed
// orders them cleared, and forbids departments to shift work to townships
// this way: a new one is admitted only for matters the access list admits
// from that department (every township × every matter it names), and is
// otherwise refused and recorded like any access refusal (kind
// "document"); the existing ones are registered for the clean-up, whose
// result (abolished or kept, the reason and the approving document) is
// recorded; the county sees what is left per department.

// The kinds of duty documents.
const (
	DutyLetter     = "letter"     // 责任状
	DutyQuota      = "quota"      // 分解下达指标
	DutyAcceptance = "acceptance" // 考核验收
	DutyVeto       = "veto"       // 一票否决
)

// DutyKinds are the kinds, in order.
var DutyKinds = []string{DutyLetter, DutyQuota, DutyAcceptance, DutyVeto}

var dutyKindNames = map[string]string{DutyLetter: "责任状", DutyQuota: "分解下达指标", DutyAcceptance: "考核验收", DutyVeto: "一票否决"}

// The statuses of a duty document.
const (
	DutyInForce   = "in_force"  // issued (or registered) and not cleared
	DutyAbolished = "abolished" // cleared: abolished
	DutyKept      = "kept"      // cleared: kept, with the reason
)

// DutyDocument is one registered document.
type DutyDocument struct {
	ID        int64        `json:"id"`
	Kind      string       `json:"kind"`
	KindName  string       `json:"kind_name"`
	Title     string       `json:"title"`
	DeptCode  string       `json:"dept_code"`
	DeptName  string       `json:"dept_name"`
	DocNo     string       `json:"doc_no,omitempty"`
	IssuedAt  time.Time    `json:"issued_at"`
	Existing  bool         `json:"existing"`
	Status    string       `json:"status"`
	Townships []UnitChoice `json:"townships"`
	Matters   []Matter     `json:"matters"`
	// The clean-up, when recorded.
	CleanupReason string    `json:"cleanup_reason,omitempty"`
	CleanupDoc    string    `json:"cleanup_doc,omitempty"`
	CleanedBy     string    `json:"cleaned_by,omitempty"`
	CleanedAt     time.Time `json:"cleaned_at,omitzero"`
	ListVersion   int       `json:"list_version,omitempty"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
}

// UnitChoice names a unit.
type UnitChoice struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// DutyInput registers a document. Existing registers one issued before,
// for the clean-up (no access check); otherwise it is a new one, checked
// against the access list.
type DutyInput struct {
	Kind      string    `json:"kind"`
	Title     string    `json:"title"`
	DeptCode  string    `json:"dept_code"` // "" for the actor's own department
	DocNo     string    `json:"doc_no"`
	IssuedAt  time.Time `json:"issued_at"`
	Townships []string  `json:"townships"` // township codes
	Matters   []string  `json:"matters"`   // matter codes
	Existing  bool      `json:"existing"`
}

// DutyCleanup records the clean-up of a document.
type DutyCleanup struct {
	Result string `json:"result"` // abolished, kept
	Reason string `json:"reason"`
	DocNo  string `json:"doc_no"` // the approving document
}

// CanClearDuties reports whether the actor records clean-ups (and
// registers documents for any department): the approval office, county
// administrators, the system.
func CanClearDuties(a access.Actor) bool {
	return a.System || a.UnitCode == ApprovalOfficeCode || (a.Has(access.RoleAdmin) && a.CountyWide())
}

// RegisterDuty registers a duty document. A new one must name only
// matters the access list admits from its department, for every township
// it names: otherwise every refused pair is recorded as an access refusal
// and the document is refused (ErrForbidden citing the list) and not
// registered.
func (s *Service) RegisterDuty(ctx context.Context, actor access.Actor, in DutyInput) (DutyDocument, error) {
	if err := mustRead(actor); err != nil {
		return DutyDocument{}, err
	}
	in.Kind, in.Title, in.DocNo = strings.TrimSpace(in.Kind), strings.TrimSpace(in.Title), strings.TrimSpace(in.DocNo)
	if !slices.Contains(DutyKinds, in.Kind) {
		return DutyDocument{}, store.Invalid("请选择类别：责任状、分解下达指标、考核验收或一票否决")
	}
	if in.Title == "" {
		return DutyDocument{}, store.Invalid("请填写名称")
	}
	if utf8.RuneCountInString(in.Title) > 200 || utf8.RuneCountInString(in.DocNo) > 100 {
		return DutyDocument{}, store.Invalid("名称不能超过200字，文号不能超过100字")
	}
	if in.IssuedAt.IsZero() {
		return DutyDocument{}, store.Invalid("请填写印发日期")
	}
	if in.IssuedAt.After(s.now()) && in.Existing {
		return DutyDocument{}, store.Invalid("存量文件的印发日期不能晚于今天")
	}
	deptCode := strings.TrimSpace(in.DeptCode)
	if deptCode == "" {
		deptCode = actor.UnitCode
	}
	dept, err := s.unitByCode(ctx, s.db, deptCode)
	if err != nil {
		return DutyDocument{}, err
	}
	if dept.Kind != "department" {
		return DutyDocument{}, store.Invalidf("“%s”不是县直部门", dept.Name)
	}
	if !CanClearDuties(actor) && !(actor.UnitID == dept.ID && actor.Has(access.RoleDepartment)) {
		return DutyDocument{}, store.Forbiddenf("您不能为%s登记责任状等文件", dept.Name)
	}
	var towns []unitRef
	seen := map[string]bool{}
	for _, c := range in.Townships {
		if c = strings.TrimSpace(c); c == "" || seen[c] {
			continue
		}
		seen[c] = true
		u, err := s.unitByCode(ctx, s.db, c)
		if err != nil {
			return DutyDocument{}, err
		}
		if !IsTownshipLevel(u.Kind) {
			return DutyDocument{}, store.Invalidf("“%s”不是乡镇（街道）", u.Name)
		}
		towns = append(towns, u)
	}
	if len(towns) == 0 {
		return DutyDocument{}, store.Invalid("请选择至少一个乡镇（街道）")
	}
	var matters []Matter
	for _, c := range in.Matters {
		if c = strings.ToUpper(strings.TrimSpace(c)); c == "" || seen["m"+c] {
			continue
		}
		seen["m"+c] = true
		m, err := s.matterByCode(ctx, s.db, c)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return DutyDocument{}, store.Invalidf("事项编码“%s”不在事项目录中", c)
			}
			return DutyDocument{}, err
		}
		matters = append(matters, m)
	}
	if len(matters) == 0 && !in.Existing {
		return DutyDocument{}, store.Invalid("请填写文件涉及的事项（事项编码）：只有职责准入清单准入的事项才能向乡镇签订责任状或下达指标")
	}
	purpose := fmt.Sprintf("%s“%s”", dutyKindNames[in.Kind], in.Title)
	var id int64
	var refused []AccessRequest
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		refused = refused[:0]
		version, err := s.currentVersion(ctx, tx, AccessList)
		if err != nil {
			return err
		}
		var first error
		if !in.Existing {
			for _, t := range towns {
				for _, m := range matters {
					req := AccessRequest{Actor: actor, FromUnitID: dept.ID, ToUnitID: t.ID, MatterCode: m.Code, Purpose: purpose, Kind: AttemptDocument}
					d, err := s.decide(ctx, tx, req)
					if err != nil {
						return err
					}
					if !d.Allowed {
						refused = append(refused, req)
						if first == nil {
							first = store.Forbiddenf("根据职责准入清单，%s不得就“%s”事项向%s%s（清单第%d版）", dept.Name, m.Name, t.Name, dutyVerb(in.Kind), d.ListVersion)
						}
						continue
					}
					if err := s.CheckAccessTx(ctx, tx, req); err != nil {
						return err
					}
				}
			}
		}
		if first != nil {
			return first
		}
		status := DutyInForce
		if err := tx.QueryRow(ctx, `INSERT INTO duty_documents (kind, title, dept_unit_id, doc_no, issued_at, existing, status, list_version, created_by, created_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.Kind, in.Title, dept.ID, in.DocNo, store.Millis(in.IssuedAt), store.BoolInt(in.Existing), status,
			version, store.NullID(actor.UserID), actor.Recorded(), store.Millis(s.now())).Scan(&id); err != nil {
			return fmt.Errorf("register duty document: %w", err)
		}
		for _, t := range towns {
			if _, err := tx.Exec(ctx, `INSERT INTO duty_document_townships (document_id, unit_id) VALUES (?, ?)`, id, t.ID); err != nil {
				return fmt.Errorf("duty document township: %w", err)
			}
		}
		for _, m := range matters {
			if _, err := tx.Exec(ctx, `INSERT INTO duty_document_matters (document_id, matter_id) VALUES (?, ?)`, id, m.ID); err != nil {
				return fmt.Errorf("duty document matter: %w", err)
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "duty.register", Entity: "duty_document", EntityID: fmt.Sprint(id), After: in})
	})
	if len(refused) > 0 && errors.Is(err, store.ErrForbidden) {
		// The refused pairs stay on record after the rollback.
		for _, req := range refused {
			if rerr := s.CheckAccess(ctx, req); rerr != nil && !errors.Is(rerr, store.ErrForbidden) {
				return DutyDocument{}, rerr
			}
		}
	}
	if err != nil {
		return DutyDocument{}, err
	}
	return s.DutyDocument(ctx, access.System, id)
}

func dutyVerb(kind string) string {
	switch kind {
	case DutyLetter:
		return "签订责任状"
	case DutyQuota:
		return "分解下达指标"
	case DutyAcceptance:
		return "开展考核验收"
	}
	return "实行一票否决"
}

// ClearDuty records the clean-up of a document in force: abolished, or
// kept with the reason; both with the approving document.
func (s *Service) ClearDuty(ctx context.Context, actor access.Actor, id int64, in DutyCleanup) (DutyDocument, error) {
	if !CanClearDuties(actor) {
		return DutyDocument{}, store.Forbidden("只有县委编办（或县级系统管理员）可以记录责任状等文件的清理结果")
	}
	in.Result, in.Reason, in.DocNo = strings.TrimSpace(in.Result), strings.TrimSpace(in.Reason), strings.TrimSpace(in.DocNo)
	if in.Result != DutyAbolished && in.Result != DutyKept {
		return DutyDocument{}, store.Invalid("清理结果应为废止（abolished）或保留（kept）")
	}
	if in.Reason == "" {
		return DutyDocument{}, store.Invalid("请填写清理理由")
	}
	if in.DocNo == "" {
		return DutyDocument{}, store.Invalid("请填写批准清理结果的文件（文号）")
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE duty_documents SET status = ?, cleanup_reason = ?, cleanup_doc = ?, cleaned_by = ?, cleaned_name = ?, cleaned_at = ?
			WHERE id = ? AND status = 'in_force'`, in.Result, in.Reason, in.DocNo, store.NullID(actor.UserID), actor.Recorded(), store.Millis(s.now()), id)
		if err != nil {
			return fmt.Errorf("clear duty document: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var status string
			if err := tx.QueryRow(ctx, `SELECT status FROM duty_documents WHERE id = ?`, id).Scan(&status); err != nil {
				if isNotFound(err) {
					return store.NotFoundf("找不到编号为 %d 的文件", id)
				}
				return err
			}
			return store.Conflict("该文件已记录清理结果，不能再次清理")
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "duty.cleanup", Entity: "duty_document", EntityID: fmt.Sprint(id), After: in, Reason: in.Reason})
	})
	if err != nil {
		return DutyDocument{}, err
	}
	return s.DutyDocument(ctx, actor, id)
}

// DutyFilter narrows the register.
type DutyFilter struct {
	DeptCode string
	Status   string
}

const dutySelect = `SELECT d.id, d.kind, d.title, u.code, u.name, d.doc_no, d.issued_at, d.existing, d.status, d.cleanup_reason, d.cleanup_doc,
	d.cleaned_name, COALESCE(d.cleaned_at, 0), d.list_version, d.created_name, d.created_at
	FROM duty_documents d JOIN units u ON u.id = d.dept_unit_id`

func scanDuty(sc interface{ Scan(...any) error }) (DutyDocument, error) {
	var d DutyDocument
	var issued, cleaned, created int64
	var existing int
	err := sc.Scan(&d.ID, &d.Kind, &d.Title, &d.DeptCode, &d.DeptName, &d.DocNo, &issued, &existing, &d.Status, &d.CleanupReason, &d.CleanupDoc,
		&d.CleanedBy, &cleaned, &d.ListVersion, &d.CreatedBy, &created)
	d.IssuedAt, d.CleanedAt, d.CreatedAt, d.Existing = store.Time(issued), store.Time(cleaned), store.Time(created), existing == 1
	d.KindName = dutyKindNames[d.Kind]
	return d, err
}

// dutyScope: the county level, editors and supervisors see every
// document; a department its own; a township those naming it.
func dutyScope(a access.Actor) (string, []any) {
	if seesAllAttempts(a) || CanClearDuties(a) {
		return "1=1", nil
	}
	if a.UnitKind == "department" {
		return "d.dept_unit_id = ?", []any{a.UnitID}
	}
	cond, args := a.SubtreeFilter("t.path")
	return `EXISTS (SELECT 1 FROM duty_document_townships dt JOIN units t ON t.id = dt.unit_id WHERE dt.document_id = d.id AND ` + cond + `)`, args
}

// DutyDocuments lists the register, newest first.
func (s *Service) DutyDocuments(ctx context.Context, actor access.Actor, f DutyFilter) ([]DutyDocument, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	cond, args := dutyScope(actor)
	q := dutySelect + ` WHERE ` + cond
	if f.DeptCode != "" {
		q += ` AND u.code = ?`
		args = append(args, f.DeptCode)
	}
	if f.Status != "" {
		q += ` AND d.status = ?`
		args = append(args, f.Status)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY d.issued_at DESC, d.id DESC LIMIT 1000`, args...)
	out, err := store.Collect(rows, err, scanDuty)
	if err != nil {
		return nil, fmt.Errorf("list duty documents: %w", err)
	}
	for i := range out {
		if err := s.dutyParts(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DutyDocument returns one document the actor may see.
func (s *Service) DutyDocument(ctx context.Context, actor access.Actor, id int64) (DutyDocument, error) {
	if err := mustRead(actor); err != nil {
		return DutyDocument{}, err
	}
	cond, args := dutyScope(actor)
	d, err := scanDuty(s.db.QueryRow(ctx, dutySelect+` WHERE d.id = ? AND `+cond, append([]any{id}, args...)...))
	if err != nil {
		if isNotFound(err) {
			return d, store.NotFoundf("找不到编号为 %d 的文件", id)
		}
		return d, fmt.Errorf("read duty document %d: %w", id, err)
	}
	return d, s.dutyParts(ctx, &d)
}

func (s *Service) dutyParts(ctx context.Context, d *DutyDocument) error {
	rows, err := s.db.Query(ctx, `SELECT u.code, u.name FROM duty_document_townships dt JOIN units u ON u.id = dt.unit_id WHERE dt.document_id = ? ORDER BY u.code`, d.ID)
	d.Townships, err = store.Collect(rows, err, func(sc interface{ Scan(...any) error }) (UnitChoice, error) {
		var u UnitChoice
		return u, sc.Scan(&u.Code, &u.Name)
	})
	if err != nil {
		return fmt.Errorf("duty document townships: %w", err)
	}
	rows, err = s.db.Query(ctx, `SELECT m.id, m.code, m.type, m.name, m.basis_law, m.basis_article, m.demo, m.updated_at FROM duty_document_matters dm JOIN matters m ON m.id = dm.matter_id WHERE dm.document_id = ? ORDER BY m.code`, d.ID)
	d.Matters, err = store.Collect(rows, err, scanMatter)
	if err != nil {
		return fmt.Errorf("duty document matters: %w", err)
	}
	return nil
}

// DutySummary is what is left of one department's documents.
type DutySummary struct {
	DeptCode  string `json:"dept_code"`
	DeptName  string `json:"dept_name"`
	Total     int    `json:"total"`
	InForce   int    `json:"in_force"`
	Kept      int    `json:"kept"`
	Abolished int    `json:"abolished"`
}

// DutySummaries sums the register per department: what is still in force
// (not cleared), kept after the clean-up, abolished.
func (s *Service) DutySummaries(ctx context.Context, actor access.Actor) ([]DutySummary, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	cond, args := dutyScope(actor)
	rows, err := s.db.Query(ctx, `SELECT u.code, u.name, COUNT(*),
		SUM(CASE WHEN d.status = 'in_force' THEN 1 ELSE 0 END), SUM(CASE WHEN d.status = 'kept' THEN 1 ELSE 0 END),
		SUM(CASE WHEN d.status = 'abolished' THEN 1 ELSE 0 END)
		FROM duty_documents d JOIN units u ON u.id = d.dept_unit_id WHERE `+cond+` GROUP BY u.code, u.name ORDER BY u.code`, args...)
	out, err := store.Collect(rows, err, func(sc interface{ Scan(...any) error }) (DutySummary, error) {
		var x DutySummary
		return x, sc.Scan(&x.DeptCode, &x.DeptName, &x.Total, &x.InForce, &x.Kept, &x.Abolished)
	})
	if err != nil {
		return nil, fmt.Errorf("duty summaries: %w", err)
	}
	return out, nil
}
