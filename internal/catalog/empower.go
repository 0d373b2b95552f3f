package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// shanghai is the zone dates are entered and shown in.
var shanghai = worktime.Location()

// Batch is a batch of powers handed down (成熟一批、下放一批): a number, the
// document that grants it and the day it takes effect.
type Batch struct {
	ID          int64     `json:"-"`
	BatchNo     string    `json:"batch_no"`
	DocNo       string    `json:"doc_no"`
	EffectiveAt time.Time `json:"effective_at"`
	Note        string    `json:"note,omitempty"`
	Demo        bool      `json:"demo"`
}

// InEffect reports whether the batch has taken effect at t.
func (b Batch) InEffect(t time.Time) bool { return !b.EffectiveAt.After(t) }

// BatchInput is a new batch.
type BatchInput struct {
	BatchNo     string    `json:"batch_no"`
	DocNo       string    `json:"doc_no"`
	EffectiveAt time.Time `json:"effective_at"`
	Note        string    `json:"note"`
}

func (in *BatchInput) normalise() error {
	in.BatchNo, in.DocNo, in.Note = strings.TrimSpace(in.BatchNo), strings.TrimSpace(in.DocNo), strings.TrimSpace(in.Note)
	if in.BatchNo == "" {
		return store.Invalid("批次号不能为空")
	}
	if in.DocNo == "" {
		return store.Invalid("赋权文号不能为空（如 浦委编〔2026〕1号）")
	}
	if in.EffectiveAt.IsZero() {
		return store.Invalid("生效日期不能为空")
	}
	return nil
}

// ParseDate reads a date as clerks type it (2026-03-01, 2026/3/1,
// 2026年3月1日) as the start of that day in Asia/Shanghai.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "2006/1/2", "2006-1-2", "2006年1月2日", "2006.1.2", "20060102"} {
		if t, err := time.ParseInLocation(layout, s, shanghai); err == nil {
			return t, nil
		}
	}
	return time.Time{}, store.Invalidf("日期“%s”格式不正确：请写成 2026-03-01", s)
}

const batchCols = `id, batch_no, doc_no, effective_at, note, demo`

func scanBatch(sc interface{ Scan(...any) error }) (Batch, error) {
	var b Batch
	var eff int64
	var demo int
	err := sc.Scan(&b.ID, &b.BatchNo, &b.DocNo, &eff, &b.Note, &demo)
	b.EffectiveAt, b.Demo = store.Time(eff), demo == 1
	return b, err
}

// Batches lists the empowerment batches, newest first.
func (s *Service) Batches(ctx context.Context, actor access.Actor) ([]Batch, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+batchCols+` FROM empowerment_batches ORDER BY effective_at DESC, id DESC`)
	out, err := store.Collect(rows, err, scanBatch)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	return out, nil
}

// CreateBatch registers a new empowerment batch.
func (s *Service) CreateBatch(ctx context.Context, actor access.Actor, in BatchInput) (Batch, error) {
	if err := mustEdit(actor); err != nil {
		return Batch{}, err
	}
	if err := in.normalise(); err != nil {
		return Batch{}, err
	}
	var b Batch
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		b, err = s.createBatchTx(ctx, tx, actor, in, false)
		return err
	})
	return b, err
}

func (s *Service) createBatchTx(ctx context.Context, tx *store.Tx, actor access.Actor, in BatchInput, demo bool) (Batch, error) {
	b := Batch{BatchNo: in.BatchNo, DocNo: in.DocNo, EffectiveAt: in.EffectiveAt, Note: in.Note, Demo: demo}
	err := tx.QueryRow(ctx, `INSERT INTO empowerment_batches (batch_no, doc_no, effective_at, note, demo, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.BatchNo, in.DocNo, store.Millis(in.EffectiveAt), in.Note, store.BoolInt(demo),
		store.NullID(actor.UserID), store.Millis(s.now())).Scan(&b.ID)
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return b, store.Conflictf("批次号“%s”已存在", in.BatchNo)
		}
		return b, fmt.Errorf("create batch: %w", err)
	}
	if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "empowerment.batch.create", Entity: "empowerment_batch", EntityID: in.BatchNo, After: in}); err != nil {
		return b, err
	}
	return b, nil
}

// Request is a township's request for a power (基层点单).
type Request struct {
	ID           int64     `json:"id"`
	TownshipCode string    `json:"township_code"`
	TownshipName string    `json:"township_name"`
	TownshipType string    `json:"township_type"`
	Matter       Matter    `json:"matter"`
	Reason       string    `json:"reason"`
	Status       string    `json:"status"` // pending, granted, refused
	RequestedBy  string    `json:"requested_by"`
	RequestedAt  time.Time `json:"requested_at"`
	ReviewedBy   string    `json:"reviewed_by,omitempty"`
	ReviewedAt   time.Time `json:"reviewed_at,omitzero"`
	ReviewNote   string    `json:"review_note,omitempty"`
	BatchNo      string    `json:"batch_no,omitempty"`
}

// RequestInput is a township's request.
type RequestInput struct {
	TownshipCode string `json:"township_code"` // "" for the actor's own township
	MatterCode   string `json:"matter_code"`
	Reason       string `json:"reason"`
}

// RequestEmpowerment records a township's request for a power.
func (s *Service) RequestEmpowerment(ctx context.Context, actor access.Actor, in RequestInput) (Request, error) {
	if err := mustRead(actor); err != nil {
		return Request{}, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" {
		return Request{}, store.Invalid("请填写申请理由（基层为什么需要这项权力）")
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		code := in.TownshipCode
		if code == "" {
			code = actor.UnitCode
		}
		u, err := s.unitByCode(ctx, tx, code)
		if err != nil {
			return err
		}
		if !IsTownshipLevel(u.Kind) {
			return store.Invalidf("“%s”不是乡镇（街道），只有乡镇（街道）可以申请赋权", u.Name)
		}
		if !actor.SeesPath(u.Path) && !CanEdit(actor) {
			return store.Forbiddenf("您不能代“%s”申请赋权", u.Name)
		}
		if u.TownshipType == "" {
			return store.Invalidf("“%s”尚未设置乡镇类型，请先在组织网络中设置", u.Name)
		}
		m, err := s.matterByCode(ctx, tx, in.MatterCode)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM list_items WHERE list = 'empowerment' AND v_to IS NULL AND item_key = ?`,
			itemKey(EmpowermentList, u.TownshipType, 0, m.ID)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Conflictf("“%s”已在%s的赋权清单中，无需再申请", m.Name, u.TownshipType)
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM empowerment_requests WHERE township_unit_id = ? AND matter_id = ? AND status = 'pending'`,
			u.ID, m.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Conflictf("%s已申请“%s”，正在审核中", u.Name, m.Name)
		}
		name := actor.Name
		if name == "" {
			name = actor.Username
		}
		if err := tx.QueryRow(ctx, `INSERT INTO empowerment_requests (township_unit_id, matter_id, reason, status, requested_by, requested_name, requested_at)
			VALUES (?, ?, ?, 'pending', ?, ?, ?) RETURNING id`, u.ID, m.ID, in.Reason, store.NullID(actor.UserID), name, store.Millis(s.now())).Scan(&id); err != nil {
			return fmt.Errorf("record request: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "empowerment.request", Entity: "empowerment_request",
			EntityID: fmt.Sprint(id), After: in})
	})
	if err != nil {
		return Request{}, err
	}
	return s.request(ctx, s.db, id)
}

const requestSelect = `SELECT r.id, u.code, u.name, u.township_type, m.id, m.code, m.type, m.name, m.basis_law, m.basis_article, m.demo, m.updated_at,
	r.reason, r.status, r.requested_name, r.requested_at, r.reviewed_name, COALESCE(r.reviewed_at, 0), r.review_note, COALESCE(b.batch_no, '')
	FROM empowerment_requests r JOIN units u ON u.id = r.township_unit_id JOIN matters m ON m.id = r.matter_id
	LEFT JOIN empowerment_batches b ON b.id = r.batch_id`

func scanRequest(sc interface{ Scan(...any) error }) (Request, error) {
	var r Request
	var at, rev, mupd int64
	var mdemo int
	err := sc.Scan(&r.ID, &r.TownshipCode, &r.TownshipName, &r.TownshipType, &r.Matter.ID, &r.Matter.Code, &r.Matter.Type, &r.Matter.Name,
		&r.Matter.BasisLaw, &r.Matter.BasisArticle, &mdemo, &mupd, &r.Reason, &r.Status, &r.RequestedBy, &at, &r.ReviewedBy, &rev, &r.ReviewNote, &r.BatchNo)
	r.RequestedAt, r.ReviewedAt = store.Time(at), store.Time(rev)
	r.Matter.TypeName, r.Matter.Demo, r.Matter.UpdatedAt = TypeName(r.Matter.Type), mdemo == 1, store.Time(mupd)
	return r, err
}

func (s *Service) request(ctx context.Context, q querier, id int64) (Request, error) {
	r, err := scanRequest(q.QueryRow(ctx, requestSelect+` WHERE r.id = ?`, id))
	if err != nil {
		if isNotFound(err) {
			return r, store.NotFoundf("找不到编号为 %d 的赋权申请", id)
		}
		return r, fmt.Errorf("read request %d: %w", id, err)
	}
	return r, nil
}

// Requests lists empowerment requests with status ("" for all), newest
// first: all of them for the county level and the editors, a township's own
// for a township.
func (s *Service) Requests(ctx context.Context, actor access.Actor, status string) ([]Request, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	q := requestSelect + ` WHERE 1=1`
	var args []any
	if status != "" {
		q += ` AND r.status = ?`
		args = append(args, status)
	}
	if !CanEdit(actor) && actor.UnitKind != "department" {
		cond, cargs := actor.SubtreeFilter("u.path")
		q += ` AND ` + cond
		args = append(args, cargs...)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY r.requested_at DESC, r.id DESC`, args...)
	out, err := store.Collect(rows, err, scanRequest)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return out, nil
}

// Grant grants pending requests in a batch (赋权下单): each request's matter
// goes on the empowerment list for the requesting township's type, as one
// new version of the list. A matter already on the list for that type stays
// in the batch that first granted it.
func (s *Service) Grant(ctx context.Context, actor access.Actor, batchNo string, requestIDs []int64, note string) (Summary, error) {
	return s.GrantTo(ctx, actor, GrantInput{BatchNo: batchNo, RequestIDs: requestIDs, Note: note})
}

// GrantInput is a grant of requests in a batch. Single grants each power
// to the requesting township alone, not to every township of its type
// (差别化赋权).
type GrantInput struct {
	BatchNo    string  `json:"batch_no"`
	RequestIDs []int64 `json:"request_ids"`
	Note       string  `json:"note"`
	Single     bool    `json:"single"`
}

// GrantTo is Grant naming the scope: the township type, or with Single the
// requesting township only.
func (s *Service) GrantTo(ctx context.Context, actor access.Actor, in GrantInput) (Summary, error) {
	batchNo, requestIDs, note := in.BatchNo, in.RequestIDs, in.Note
	if err := mustEdit(actor); err != nil {
		return Summary{}, err
	}
	if len(requestIDs) == 0 {
		return Summary{}, store.Invalid("请至少选择一项赋权申请")
	}
	var sum Summary
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		r, err := s.newResolver(ctx, tx, EmpowermentList)
		if err != nil {
			return err
		}
		b, ok := r.batches[strings.TrimSpace(batchNo)]
		if !ok {
			return store.Invalidf("赋权批次“%s”不存在，请先登记批次", batchNo)
		}
		current, err := s.items(ctx, tx, EmpowermentList, 0, Filter{})
		if err != nil {
			return err
		}
		onList := map[string]bool{}
		for _, it := range current {
			onList[it.Key] = true
		}
		var put []Item
		for _, id := range requestIDs {
			req, err := s.request(ctx, tx, id)
			if err != nil {
				return err
			}
			if req.Status != "pending" {
				return store.Conflictf("%s申请的“%s”已审核，不能再次审核", req.TownshipName, req.Matter.Name)
			}
			if req.TownshipType == "" {
				return store.Invalidf("“%s”尚未设置乡镇类型", req.TownshipName)
			}
			var unitID int64
			if in.Single {
				t, err := s.unitByCode(ctx, tx, req.TownshipCode)
				if err != nil {
					return err
				}
				unitID = t.ID
			}
			key := itemKey(EmpowermentList, req.TownshipType, unitID, req.Matter.ID)
			if !onList[key] && !onList[itemKey(EmpowermentList, req.TownshipType, 0, req.Matter.ID)] {
				onList[key] = true
				bb := b
				it := Item{List: EmpowermentList, TownshipType: req.TownshipType, Matter: req.Matter, batchID: b.ID, Batch: &bb,
					Note: "基层点单：" + req.TownshipName}
				if in.Single {
					it.unitID, it.UnitCode, it.UnitName = unitID, req.TownshipCode, req.TownshipName
					it.Note = "差别化赋权，仅限" + req.TownshipName
				}
				put = append(put, it)
			}
			if _, err := tx.Exec(ctx, `UPDATE empowerment_requests SET status = 'granted', reviewed_by = ?, reviewed_name = ?, reviewed_at = ?, review_note = ?, batch_id = ? WHERE id = ?`,
				store.NullID(actor.UserID), actor.Recorded(), store.Millis(s.now()), strings.TrimSpace(note), b.ID, id); err != nil {
				return fmt.Errorf("grant request %d: %w", id, err)
			}
		}
		reason := fmt.Sprintf("赋权下单：%s（%s）", b.BatchNo, b.DocNo)
		if in.Single {
			reason += "，差别化赋权（仅限申请的乡镇）"
		}
		if note = strings.TrimSpace(note); note != "" {
			reason += "；" + note
		}
		sum, err = s.apply(ctx, tx, actor, change{list: EmpowermentList, put: put, reason: reason})
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "empowerment.grant", Entity: "empowerment_batch", EntityID: b.BatchNo,
			After: map[string]any{"requests": requestIDs, "version": sum.Version, "single": in.Single}, Reason: note})
	})
	return sum, err
}

// Refuse turns a pending request down with a note saying why.
func (s *Service) Refuse(ctx context.Context, actor access.Actor, requestID int64, note string) error {
	if err := mustEdit(actor); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return store.Invalid("请填写不予赋权的理由")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		req, err := s.request(ctx, tx, requestID)
		if err != nil {
			return err
		}
		if req.Status != "pending" {
			return store.Conflict("该申请已审核，不能再次审核")
		}
		if _, err := tx.Exec(ctx, `UPDATE empowerment_requests SET status = 'refused', reviewed_by = ?, reviewed_name = ?, reviewed_at = ?, review_note = ? WHERE id = ?`,
			store.NullID(actor.UserID), actor.Recorded(), store.Millis(s.now()), note, requestID); err != nil {
			return fmt.Errorf("refuse request %d: %w", requestID, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "empowerment.refuse", Entity: "empowerment_request", EntityID: fmt.Sprint(requestID), Reason: note})
	})
}

// Revoke takes a granted power off the empowerment list for a township type.
func (s *Service) Revoke(ctx context.Context, actor access.Actor, townshipType, matterCode, reason string) (Summary, error) {
	m, err := s.matterByCode(ctx, s.db, matterCode)
	if err != nil {
		return Summary{}, err
	}
	return s.RemoveItem(ctx, actor, EmpowermentList, itemKey(EmpowermentList, townshipType, 0, m.ID), "收回赋权："+strings.TrimSpace(reason))
}

// MayDecide reports whether a township-level unit (or the township a unit
// lies in) may decide a matter itself at time at: the matter was on the
// empowerment list for the township's type, or for that township alone
// (差别化赋权), at that time, in a batch that had taken effect.
func (s *Service) MayDecide(ctx context.Context, townshipID int64, matterCode string, at time.Time) (bool, error) {
	u, err := s.unitByID(ctx, s.db, townshipID)
	if err != nil {
		return false, err
	}
	t, ok, err := s.townshipOf(ctx, s.db, u)
	if err != nil || !ok {
		return false, err
	}
	m, err := s.matterByCode(ctx, s.db, matterCode)
	if err != nil {
		return false, err
	}
	return s.mayDecide(ctx, s.db, t, m, at)
}

func (s *Service) mayDecide(ctx context.Context, q querier, t unitRef, m Matter, at time.Time) (bool, error) {
	ms := store.Millis(at)
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM list_items li
		JOIN empowerment_batches b ON b.id = li.batch_id
		JOIN list_versions vf ON vf.list = li.list AND vf.no = li.v_from
		LEFT JOIN list_versions vt ON vt.list = li.list AND vt.no = li.v_to
		WHERE li.list = 'empowerment' AND li.item_key IN (?, ?) AND b.effective_at <= ? AND vf.at <= ? AND (li.v_to IS NULL OR vt.at > ?)`,
		itemKey(EmpowermentList, t.TownshipType, 0, m.ID), itemKey(EmpowermentList, t.TownshipType, t.ID, m.ID), ms, ms, ms).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("may %s decide %s: %w", t.Code, m.Code, err)
	}
	return n > 0, nil
}

// DecisionRequest is a decision a unit is about to take on a matter: a
// penalty decision (处罚决定) of an enforcement case.
type DecisionRequest struct {
	Actor      access.Actor
	UnitID     int64 // the deciding unit
	MatterCode string
	Purpose    string // what is decided, e.g. "执法案件 350722-20261126-00042 作出处罚决定"
}

// CheckDecisionTx enforces the empowerment list on a decision inside the
// caller's transaction: a township-level unit (or a unit inside one) may
// decide only a matter the empowerment list grants to its township type or
// to it alone; county units decide anything. A refusal is recorded in
// access_attempts (kind "decision") and returned as an ErrForbidden that
// cites the rule and says where the case goes instead; a decision naming no
// matter is refused and recorded too. Decisions the rule does not apply to
// return nil and are not recorded.
func (s *Service) CheckDecisionTx(ctx context.Context, tx *store.Tx, req DecisionRequest) error {
	u, err := s.unitByID(ctx, tx, req.UnitID)
	if err != nil {
		return err
	}
	t, ok, err := s.townshipOf(ctx, tx, u)
	if err != nil || !ok {
		return err
	}
	version, err := s.currentVersion(ctx, tx, EmpowermentList)
	if err != nil {
		return err
	}
	a := attempt{actor: req.Actor, from: t.ID, to: t.ID, version: version, purpose: req.Purpose, kind: AttemptDecision, allowed: true}
	code := strings.ToUpper(strings.TrimSpace(req.MatterCode))
	if code == "" {
		a.allowed = false
		a.message = fmt.Sprintf("根据赋权清单，%s作出决定须说明案件的事项：未说明事项不能作出处罚决定（清单第%d版）", t.Name, version)
	} else {
		m, err := s.matterByCode(ctx, tx, code)
		if err != nil {
			return err
		}
		a.matterID, a.matterCode = m.ID, m.Code
		if a.allowed, err = s.mayDecide(ctx, tx, t, m, s.now()); err != nil {
			return err
		}
		if !a.allowed {
			to := "县级主管部门"
			if r, err := s.routeMatter(ctx, tx, m.ID); err == nil && r != "" {
				to = r
			}
			a.message = fmt.Sprintf("根据赋权清单，%s（%s）未获赋予“%s”（%s）的处罚决定权，请将案件移送%s（清单第%d版）",
				t.Name, t.TownshipType, m.Name, m.Code, to, version)
		}
	}
	if err := s.recordAttempt(ctx, tx, a); err != nil {
		return err
	}
	if !a.allowed {
		return store.Forbidden(a.message)
	}
	return nil
}

// CheckDecision is CheckDecisionTx in a transaction of its own: a refused
// decision stays on record after the caller's transaction rolled back.
func (s *Service) CheckDecision(ctx context.Context, req DecisionRequest) error {
	return s.recordRefusal(ctx, func(tx *store.Tx) error { return s.CheckDecisionTx(ctx, tx, req) })
}

// routeMatter names the county department with primary responsibility for
// a matter on the territorial list ("" when it names none).
func (s *Service) routeMatter(ctx context.Context, q querier, matterID int64) (string, error) {
	var name string
	err := q.QueryRow(ctx, `SELECT u.name FROM list_items li JOIN units u ON u.id = li.unit_id
		WHERE li.list = 'territorial' AND li.v_to IS NULL AND li.matter_id = ?`, matterID).Scan(&name)
	if isNotFound(err) {
		return "", nil
	}
	return name, err
}
