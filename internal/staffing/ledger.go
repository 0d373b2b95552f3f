package staffing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Move is an event that changes what is approved: an approval (From
// empty), a transfer, or a loan with its return day.
type Move struct {
	Kind            string `json:"kind"` // approve, transfer, loan
	FromCode        string `json:"from_unit"`
	FromInstitution string `json:"from_institution"`
	ToCode          string `json:"to_unit"`
	ToInstitution   string `json:"to_institution"`
	Type            string `json:"post_type"`
	Count           int    `json:"count"`
	DocNo           string `json:"doc_no"`
	DocDay          string `json:"doc_day"`
	ReturnDay       string `json:"return_day"`
	Note            string `json:"note"`
	Demo            bool   `json:"-"`
}

// Event is one line of the ledger's history.
type Event struct {
	ID        int64  `json:"id"`
	Kind      string `json:"kind"`
	Type      string `json:"post_type"`
	TypeName  string `json:"post_type_name"`
	Count     int    `json:"count"`
	From      *Body  `json:"from,omitempty"`
	To        Body   `json:"to"`
	DocNo     string `json:"doc_no"`
	DocDay    string `json:"doc_day"`
	ReturnDay string `json:"return_day,omitempty"`
	LoanID    int64  `json:"loan_id,omitempty"`
	Returned  bool   `json:"returned"`
	// Overdue marks a loan past its return day and not yet returned.
	Overdue bool   `json:"overdue"`
	Note    string `json:"note,omitempty"`
	Actor   string `json:"actor"`
}

// Record writes an approval, a transfer or a loan. A transfer or loan
// moves vacant posts only: the giving body must have that many approved
// and unfilled.
func (s *Service) Record(ctx context.Context, actor access.Actor, m Move) (int64, error) {
	if err := writeGuard(actor); err != nil {
		return 0, err
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.record(ctx, tx, actor, m)
		return err
	})
	return id, err
}

// record is Record inside tx (the Excel import records every row in one).
func (s *Service) record(ctx context.Context, tx *store.Tx, actor access.Actor, m Move) (int64, error) {
	m.Kind = strings.TrimSpace(m.Kind)
	if m.Kind == "" {
		m.Kind = KindTransfer
	}
	if !slices.Contains([]string{KindApprove, KindTransfer, KindLoan}, m.Kind) {
		return 0, store.Invalid("编制事项应为核定、划转或周转")
	}
	t, ok := ParseType(m.Type)
	if !ok {
		return 0, store.Invalid("请选择编制类型：行政编制、事业编制(公益一类/二类)、工勤编制或领导职数")
	}
	m.Type = t
	if m.Count <= 0 || m.Count > 10000 {
		return 0, store.Invalid("编制数应为正整数")
	}
	m.DocNo = strings.TrimSpace(m.DocNo)
	if m.DocNo == "" {
		return 0, store.Invalid("请填写批准文号")
	}
	if !worktime.ValidDay(m.DocDay) {
		return 0, store.Invalid("请填写批准日期（年-月-日）")
	}
	if m.Kind == KindLoan {
		if !worktime.ValidDay(m.ReturnDay) || m.ReturnDay <= m.DocDay {
			return 0, store.Invalid("周转编制须填写晚于批准日期的归还日期")
		}
	} else {
		m.ReturnDay = ""
	}
	to, err := body(ctx, tx, m.ToCode, m.ToInstitution)
	if err != nil {
		return 0, err
	}
	var from Body
	if m.Kind != KindApprove {
		if from, err = body(ctx, tx, m.FromCode, m.FromInstitution); err != nil {
			return 0, err
		}
		if from.UnitID == to.UnitID && from.InstitutionID == to.InstitutionID {
			return 0, store.Invalid("划出和划入不能是同一机构")
		}
		vacant, err := vacantOf(ctx, tx, from, m.Type)
		if err != nil {
			return 0, err
		}
		if vacant < m.Count {
			return 0, store.Invalidf("%s的%s空编只有%d名，不能划出%d名", from.Name(), TypeName(m.Type), vacant, m.Count)
		}
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO staffing_events (kind, post_type, count, from_unit_id, from_inst_id, to_unit_id, to_inst_id,
		doc_no, doc_day, return_day, note, demo, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.Kind, m.Type, m.Count, store.NullID(from.UnitID), store.NullID(from.InstitutionID), to.UnitID, store.NullID(to.InstitutionID),
		m.DocNo, m.DocDay, m.ReturnDay, strings.TrimSpace(m.Note), store.BoolInt(m.Demo), actor.Recorded(), store.Millis(s.now())).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("staffing event: %w", err)
	}
	if m.Demo {
		return id, nil
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "staffing." + m.Kind, Entity: "staffing_event", EntityID: fmt.Sprint(id),
		After: map[string]string{"from": from.Name(), "to": to.Name(), "type": m.Type, "count": fmt.Sprint(m.Count), "doc_no": m.DocNo}})
}

// Return ends a loan (周转): the posts go back to the body that lent them,
// under the returning document.
func (s *Service) Return(ctx context.Context, actor access.Actor, loanID int64, docNo, day string) (int64, error) {
	if err := writeGuard(actor); err != nil {
		return 0, err
	}
	docNo = strings.TrimSpace(docNo)
	if docNo == "" {
		return 0, store.Invalid("请填写批准文号")
	}
	if day == "" {
		day = s.today()
	}
	if !worktime.ValidDay(day) {
		return 0, store.Invalid("请填写批准日期（年-月-日）")
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var kind, typ string
		var count int
		var fromU, fromI, toU, toI int64
		err := tx.QueryRow(ctx, `SELECT kind, post_type, count, COALESCE(from_unit_id, 0), COALESCE(from_inst_id, 0), to_unit_id, COALESCE(to_inst_id, 0)
			FROM staffing_events WHERE id = ?`, loanID).Scan(&kind, &typ, &count, &fromU, &fromI, &toU, &toI)
		if errors.Is(err, store.ErrNotFound) || (err == nil && kind != KindLoan) {
			return store.NotFound("没有这笔周转编制")
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM staffing_events WHERE loan_id = ?`, loanID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Conflict("这笔周转编制已经归还")
		}
		holder, err := bodyByID(ctx, tx, toU, toI)
		if err != nil {
			return err
		}
		vacant, err := vacantOf(ctx, tx, holder, typ)
		if err != nil {
			return err
		}
		if vacant < count {
			return store.Invalidf("%s的%s空编只有%d名，归还前须先腾出编制", holder.Name(), TypeName(typ), vacant)
		}
		err = tx.QueryRow(ctx, `INSERT INTO staffing_events (kind, post_type, count, from_unit_id, from_inst_id, to_unit_id, to_inst_id,
			doc_no, doc_day, loan_id, actor, created_at) VALUES ('return', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			typ, count, toU, store.NullID(toI), fromU, store.NullID(fromI), docNo, day, loanID, actor.Recorded(), store.Millis(s.now())).Scan(&id)
		if err != nil {
			return fmt.Errorf("staffing return: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "staffing.return", Entity: "staffing_event", EntityID: fmt.Sprint(id),
			After: map[string]string{"loan": fmt.Sprint(loanID), "doc_no": docNo}})
	})
	return id, err
}

func bodyByID(ctx context.Context, q querier, unitID, instID int64) (Body, error) {
	b := Body{UnitID: unitID, InstitutionID: instID}
	err := q.QueryRow(ctx, `SELECT code, name, kind, path FROM units WHERE id = ?`, unitID).Scan(&b.UnitCode, &b.UnitName, &b.UnitKind, &b.UnitPath)
	if err != nil {
		return b, fmt.Errorf("unit %d: %w", unitID, err)
	}
	if instID != 0 {
		err = q.QueryRow(ctx, `SELECT i.name, COALESCE(m.name, '') FROM institutions i LEFT JOIN unit_modules m ON m.id = i.module_id WHERE i.id = ?`, instID).
			Scan(&b.InstitutionName, &b.Module)
		if err != nil {
			return b, fmt.Errorf("institution %d: %w", instID, err)
		}
	}
	return b, nil
}

// approvedOf is what the events approve for body b and type t.
func approvedOf(ctx context.Context, q querier, b Body, t string) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT
		COALESCE((SELECT SUM(count) FROM staffing_events WHERE to_unit_id = ? AND COALESCE(to_inst_id, 0) = ? AND post_type = ?), 0) -
		COALESCE((SELECT SUM(count) FROM staffing_events WHERE from_unit_id = ? AND COALESCE(from_inst_id, 0) = ? AND post_type = ?), 0)`,
		b.UnitID, b.InstitutionID, t, b.UnitID, b.InstitutionID, t).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("approved posts of %s: %w", b.Name(), err)
	}
	return n, nil
}

// filledOf counts the filled posts of body b and type t (leaders for
// Leader).
func filledOf(ctx context.Context, q querier, b Body, t string) (int, error) {
	query := `SELECT COUNT(*) FROM staffing_posts WHERE unit_id = ? AND COALESCE(institution_id, 0) = ? AND ended_on = '' AND post_type = ?`
	args := []any{b.UnitID, b.InstitutionID, t}
	if t == Leader {
		query = `SELECT COUNT(*) FROM staffing_posts WHERE unit_id = ? AND COALESCE(institution_id, 0) = ? AND ended_on = '' AND leader = 1`
		args = args[:2]
	}
	var n int
	if err := q.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("filled posts of %s: %w", b.Name(), err)
	}
	return n, nil
}

func vacantOf(ctx context.Context, q querier, b Body, t string) (int, error) {
	a, err := approvedOf(ctx, q, b, t)
	if err != nil {
		return 0, err
	}
	f, err := filledOf(ctx, q, b, t)
	if err != nil {
		return 0, err
	}
	return a - f, nil
}

// History lists the events that touched the unit with code (all events
// when code is empty), newest first.
func (s *Service) History(ctx context.Context, actor access.Actor, code string, limit int) ([]Event, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	where, args := "1=1", []any{}
	if code = strings.TrimSpace(code); code != "" {
		var id int64
		var path string
		if err := s.db.QueryRow(ctx, `SELECT id, path FROM units WHERE code = ?`, code).Scan(&id, &path); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, store.NotFoundf("找不到单位 %s", code)
			}
			return nil, err
		}
		if !canRead(actor, path) {
			return nil, store.Forbidden("无权查看该单位的编制")
		}
		where, args = "(e.to_unit_id = ? OR e.from_unit_id = ?)", []any{id, id}
	}
	rows, err := s.db.Query(ctx, `SELECT e.id, e.kind, e.post_type, e.count, COALESCE(e.from_unit_id, 0), COALESCE(e.from_inst_id, 0),
		e.to_unit_id, COALESCE(e.to_inst_id, 0), e.doc_no, e.doc_day, e.return_day, COALESCE(e.loan_id, 0), e.note, e.actor,
		(SELECT COUNT(*) FROM staffing_events r WHERE r.loan_id = e.id)
		FROM staffing_events e WHERE `+where+` ORDER BY e.doc_day DESC, e.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("staffing history: %w", err)
	}
	type raw struct {
		e                  Event
		fu, fi, tu, ti, rn int64
	}
	var raws []raw
	for rows.Next() {
		var r raw
		if err := rows.Scan(&r.e.ID, &r.e.Kind, &r.e.Type, &r.e.Count, &r.fu, &r.fi, &r.tu, &r.ti, &r.e.DocNo, &r.e.DocDay, &r.e.ReturnDay,
			&r.e.LoanID, &r.e.Note, &r.e.Actor, &r.rn); err != nil {
			rows.Close()
			return nil, err
		}
		raws = append(raws, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cache := map[[2]int64]Body{}
	get := func(u, i int64) (Body, error) {
		if b, ok := cache[[2]int64{u, i}]; ok {
			return b, nil
		}
		b, err := bodyByID(ctx, s.db, u, i)
		cache[[2]int64{u, i}] = b
		return b, err
	}
	today := s.today()
	out := make([]Event, 0, len(raws))
	for _, r := range raws {
		e := r.e
		e.TypeName = TypeName(e.Type)
		var err error
		if e.To, err = get(r.tu, r.ti); err != nil {
			return nil, err
		}
		if r.fu != 0 {
			f, err := get(r.fu, r.fi)
			if err != nil {
				return nil, err
			}
			e.From = &f
		}
		e.Returned = r.rn > 0
		e.Overdue = e.Kind == KindLoan && !e.Returned && e.ReturnDay != "" && e.ReturnDay < today
		out = append(out, e)
	}
	return out, nil
}
