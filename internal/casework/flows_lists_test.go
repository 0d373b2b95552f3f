package casework

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// listsStub plays the executable lists: the units of kind department are
// county departments; admitted are the access list's matters, empowered
// the matters townships may decide. It records every check, in the
// action's transaction or after its rollback (tx nil).
type listsStub struct {
	mu                 sync.Mutex
	db                 *store.DB
	admitted, empowers map[string]bool
	inTx, after        []AccessCheck
}

func (l *listsStub) kind(ctx context.Context, id int64) string {
	var k string
	_ = l.db.QueryRow(ctx, `SELECT kind FROM units WHERE id = ?`, id).Scan(&k)
	return k
}

func (l *listsStub) note(tx *store.Tx, req AccessCheck) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if tx == nil {
		l.after = append(l.after, req)
	} else {
		l.inTx = append(l.inTx, req)
	}
}

func (l *listsStub) rules() ListRules {
	return ListRules{
		CheckAccess: func(ctx context.Context, tx *store.Tx, req AccessCheck) error {
			if l.kind(ctx, req.FromUnitID) != "department" || l.kind(ctx, req.ToUnitID) == "department" {
				return nil
			}
			l.note(tx, req)
			if !l.admitted[req.MatterCode] {
				return store.Forbidden("根据职责准入清单，不得将该事项交由乡镇办理")
			}
			return nil
		},
		CheckDecision: func(ctx context.Context, tx *store.Tx, req AccessCheck) error {
			if k := l.kind(ctx, req.FromUnitID); k != "township" && k != "street" {
				return nil
			}
			l.note(tx, req)
			if !l.empowers[req.MatterCode] {
				return store.Forbidden("根据赋权清单，未获赋予该事项的处罚决定权，请将案件移送县级主管部门")
			}
			return nil
		},
		MatterName: func(_ context.Context, code string) (string, error) {
			if strings.HasPrefix(code, "CF") || strings.HasPrefix(code, "JF") {
				return "事项" + code, nil
			}
			return "", store.NotFound("不在目录中")
		},
	}
}

// TestTownshipPenaltyNeedsEmpowerment (issue 21 point 8): an enforcement
// case names its matter; a township's penalty decision on a matter its
// township is not empowered for is refused and recorded, the case stays
// open, and the township transfers it to the county department, whose
// decision the list does not limit.
func TestTownshipPenaltyNeedsEmpowerment(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		l := &listsStub{db: db, admitted: map[string]bool{}, empowers: map[string]bool{"CF00205000": true}}
		fx.s.UseLists(l.rules())
		team := fx.actor(11, "350722101000", access.RoleTownship)
		cg := fx.actor(21, "350722D003", access.RoleDepartment)
		fx.createErr(team, NewCase{Flow: "enforcement", Title: "无事项", PlaceUnit: "350722101200"}, store.ErrInvalid)
		fx.createErr(team, NewCase{Flow: "enforcement", Matter: "ZZ00000000", Title: "目录外", PlaceUnit: "350722101200"}, store.ErrInvalid)
		c := fx.create(team, NewCase{Flow: "enforcement", Matter: "CF00209000", Title: "擅自设置户外广告", PlaceUnit: "350722101200"})
		if c.MatterCode != "CF00209000" {
			t.Fatalf("case matter %q", c.MatterCode)
		}
		decide := Action{Name: "decide", Note: "罚款五千元", Fields: map[string]string{"decision_no": "富执罚〔2026〕1号"}}
		fx.refused(team, c.No, decide, store.ErrForbidden)
		if len(l.after) != 1 || !l.after[0].Decision || l.after[0].MatterCode != "CF00209000" || !strings.Contains(l.after[0].Purpose, c.No) {
			t.Fatalf("refused decision recorded as %+v", l.after)
		}
		if d := fx.detail(c.No); d.Case.Status != "handling" {
			t.Fatalf("refused decision left the case %s", d.Case.Status)
		}
		// The flow offers the transfer; the department decides.
		c = fx.do(team, c.No, Action{Name: "transfer", UnitCode: "350722D003", Note: "未获赋权，移送县城管局", Fields: map[string]string{"basis": "《城市市容和环境卫生管理条例》"}, Attachments: evidence()})
		fx.do(cg, c.No, Action{Name: "accept_transfer"})
		if c = fx.do(cg, c.No, Action{Name: "decide_accepted", Note: "罚款五千元", Fields: map[string]string{"decision_no": "浦城执罚〔2026〕9号"}}); c.Status != "closed" {
			t.Errorf("department decision: %s", c.Status)
		}
		// An empowered matter the township decides itself.
		c2 := fx.create(team, NewCase{Flow: "enforcement", Matter: "CF00205000", Title: "露天焚烧", PlaceUnit: "350722101200"})
		if c2 = fx.do(team, c2.No, decide); c2.Status != "closed" {
			t.Errorf("empowered decision: %s", c2.Status)
		}
	})
}

// TestCountyToTownshipNamesTheMatter (point 9): a county department files
// an enforcement case for a township and hands it down; the access list is
// checked with the case's matter (or the one the transfer names); a
// supervisor's ruling to the township is checked on the opening
// department's list.
func TestCountyToTownshipNamesTheMatter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		l := &listsStub{db: db, admitted: map[string]bool{"CF00202000": true}, empowers: map[string]bool{}}
		fx.s.UseLists(l.rules())
		cg := fx.actor(21, "350722D003", access.RoleDepartment)
		team := fx.actor(11, "350722101000", access.RoleTownship)
		sup := fx.actor(50, "350722D000", access.RoleSupervisor)
		places, err := fx.s.PlaceChoices(context.Background(), cg)
		if err != nil || len(places) == 0 {
			t.Fatalf("a department's places: %v %v", places, err)
		}
		c := fx.create(cg, NewCase{Flow: "enforcement", Matter: "CF00201000", Title: "占道经营", PlaceUnit: "350722101000"})
		tr := Action{Name: "transfer", UnitCode: "350722101000", Note: "属地查处", Fields: map[string]string{"basis": "《城市道路管理条例》"}, Attachments: evidence()}
		fx.refused(cg, c.No, tr, store.ErrForbidden)
		if len(l.after) != 1 || l.after[0].MatterCode != "CF00201000" {
			t.Fatalf("refused hand-down recorded as %+v", l.after)
		}
		tr.Fields["matter"] = "CF00202000"
		if c = fx.do(cg, c.No, tr); c.Status != "transferring" || c.MatterCode != "CF00202000" {
			t.Fatalf("hand-down naming its matter: %s %s", c.Status, c.MatterCode)
		}
		fx.do(team, c.No, Action{Name: "return_transfer", Note: "不属乡镇职责"})
		fx.do(cg, c.No, Action{Name: "dispute", Note: "属地管理"})
		before := len(l.inTx)
		if c = fx.do(sup, c.No, Action{Name: "settle", UnitCode: "350722101000", Note: "由乡镇查处"}); c.Status != "accepted" {
			t.Fatalf("ruling to the township: %s", c.Status)
		}
		if len(l.inTx) != before+1 || l.inTx[before].FromUnitID != fx.units["350722D003"].ID {
			t.Errorf("ruling checked as %+v", l.inTx[before:])
		}
	})
}

// TestHandDownForm (points 10 and 13): a county department hands a township
// work through its own form — matter, place, time limit, basis — and the
// case goes to the township with that limit; a refused hand-down is
// recorded without the number it was given, which a later case takes.
func TestHandDownForm(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		l := &listsStub{db: db, admitted: map[string]bool{"JF00501000": true}, empowers: map[string]bool{}}
		fx.s.UseLists(l.rules())
		mz := fx.actor(22, "350722D002", access.RoleDepartment)
		team := fx.actor(11, "350722101000", access.RoleTownship)
		in := NewCase{Flow: "county_task", Matter: "JF00501000", Title: "低保对象入户核查", PlaceUnit: "350722101000", LimitDays: 5, Basis: "《社会救助暂行办法》第十一条"}
		fx.createErr(team, in, store.ErrForbidden)
		noBasis := in
		noBasis.Basis = ""
		fx.createErr(mz, noBasis, store.ErrInvalid)
		refused := in
		refused.Matter, refused.Title = "CF00202000", "代为清理占道"
		fx.createErr(mz, refused, store.ErrForbidden)
		if len(l.after) != 1 || strings.Contains(l.after[0].Purpose, "350722-") || !strings.Contains(l.after[0].Purpose, "代为清理占道") {
			t.Fatalf("refused hand-down recorded as %+v", l.after)
		}
		c := fx.create(mz, in)
		if c.Status != "dispatched" || c.LeadUnitCode != "350722101000" || c.MatterCode != "JF00501000" {
			t.Fatalf("hand-down %s to %s (%s)", c.Status, c.LeadUnitCode, c.MatterCode)
		}
		if !strings.Contains(c.DataJSON, "社会救助暂行办法") || !strings.Contains(c.DataJSON, `"5d"`) {
			t.Errorf("hand-down data %s", c.DataJSON)
		}
		c = fx.do(team, c.No, Action{Name: "sign"})
		// The form's 5 working days, not the flow's default 10 (at least
		// 14 calendar days).
		if lead := fx.lead(c.No); lead.HandleDueAt == nil || lead.SignedAt == nil || lead.HandleDueAt.Sub(*lead.SignedAt) > 9*24*time.Hour ||
			lead.HandleDueAt.Sub(*lead.SignedAt) < 4*24*time.Hour {
			t.Errorf("handle due %v after signing at %v, want 5 working days", lead.HandleDueAt, lead.SignedAt)
		}
	})
}
