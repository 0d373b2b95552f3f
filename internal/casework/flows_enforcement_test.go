package casework

import (
	"context"
	"errors"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func evidence() []NewAttachment {
	return []NewAttachment{{Name: "现场照片.png", ContentType: "image/png", Data: pngBytes, Stage: "evidence"}}
}

func TestEnforcementTransfer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		ctx := context.Background()
		team := fx.actor(11, "350722101000", access.RoleTownship) // 富岭镇综合执法队
		zj := fx.actor(20, "350722D002", access.RoleDepartment)
		cg := fx.actor(21, "350722D003", access.RoleDepartment)
		street := fx.actor(10, "350722001000", access.RoleTownship)
		sup := fx.actor(50, "350722D000", access.RoleSupervisor)
		fx.createErr(fx.actor(30, "350722001001", access.RoleCommunity), NewCase{Flow: "enforcement", Matter: "CF00201000", Title: "x", PlaceUnit: "350722101200"}, store.ErrForbidden)
		fx.createErr(team, NewCase{Flow: "enforcement", Matter: "CF00201000", Kind: "other", Title: "x", PlaceUnit: "350722101200"}, store.ErrInvalid)

		c := fx.create(team, NewCase{Flow: "enforcement", Matter: "CF00201000", Title: "某村违法占用耕地建房", PlaceUnit: "350722101200"})
		if c.Status != "handling" {
			t.Fatalf("new enforcement case %s", c.Status)
		}
		basis := map[string]string{"basis": "《中华人民共和国土地管理法》第七十七条"}
		transfer := Action{Name: "transfer", UnitCode: "350722D003", Note: "超出乡镇执法权限", Fields: basis}
		noBasis := transfer
		noBasis.Fields = nil
		fx.refused(team, c.No, noBasis, store.ErrInvalid)
		fx.refused(team, c.No, transfer, store.ErrInvalid) // no evidence yet
		toVillage := transfer
		toVillage.UnitCode, toVillage.Attachments = "350722101200", evidence()
		fx.refused(team, c.No, toVillage, store.ErrInvalid) // only to a township or a department
		fx.refused(zj, c.No, transfer, store.ErrNotFound)
		withEvidence := transfer
		withEvidence.Attachments = evidence()
		if c = fx.do(team, c.No, withEvidence); c.Status != "transferring" {
			t.Fatalf("transferred case %s", c.Status)
		}
		lead := fx.lead(c.No)
		if lead.UnitCode != "350722D003" || lead.SignDueAt == nil || !lead.SignDueAt.Equal(cst("2026-12-01 09:00")) {
			t.Errorf("transfer to %s, accept by %v (3 working days)", lead.UnitCode, lead.SignDueAt)
		}
		d := fx.detail(c.No)
		ev := d.Events[len(d.Events)-1]
		if ev.Action != "transfer" || ev.Data["basis"] != basis["basis"] || len(d.Attachments) != 1 || d.Attachments[0].Stage != "evidence" {
			t.Errorf("transfer event %+v, attachments %+v", ev, d.Attachments)
		}
		// The receiver returns it with reasons; only the receiver may.
		fx.refused(team, c.No, Action{Name: "return_transfer", Note: "x"}, store.ErrForbidden)
		fx.refused(cg, c.No, Action{Name: "return_transfer"}, store.ErrInvalid)
		if c = fx.do(cg, c.No, Action{Name: "return_transfer", Note: "证据不足，缺少测绘报告"}); c.Status != "returned" {
			t.Fatalf("returned case %s", c.Status)
		}
		fx.refused(cg, c.No, Action{Name: "accept_transfer"}, store.ErrConflict)
		// Re-transfer with the missing evidence, then acceptance.
		again := transfer
		again.Note, again.Attachments = "补充测绘报告后再次移送", evidence()
		fx.do(team, c.No, again)
		if c = fx.do(cg, c.No, Action{Name: "accept_transfer"}); c.Status != "accepted" {
			t.Fatalf("accepted case %s", c.Status)
		}
		fx.refused(team, c.No, Action{Name: "conclude", Note: "x"}, store.ErrForbidden)
		if c = fx.do(cg, c.No, Action{Name: "conclude", Note: "已立案查处，责令拆除"}); c.Status != "closed" {
			t.Errorf("concluded case %s", c.Status)
		}

		// A disputed return is settled by the county.
		c2 := fx.create(cg, NewCase{Flow: "enforcement", Matter: "CF00201000", Title: "沿街店铺占道经营", PlaceUnit: "350722001001"})
		fx.do(cg, c2.No, Action{Name: "transfer", UnitCode: "350722001000", Note: "属街道综合执法队管辖", Fields: basis, Attachments: evidence()})
		fx.refused(street, c2.No, Action{Name: "dispute", Note: "x"}, store.ErrConflict)
		fx.do(street, c2.No, Action{Name: "return_transfer", Note: "涉及市容专业执法"})
		fx.refused(street, c2.No, Action{Name: "dispute", Note: "x"}, store.ErrForbidden)
		fx.refused(cg, c2.No, Action{Name: "dispute"}, store.ErrInvalid)
		if c2 = fx.do(cg, c2.No, Action{Name: "dispute", Note: "请县里裁决"}); c2.Status != "disputed" {
			t.Fatalf("disputed %s", c2.Status)
		}
		fx.refused(cg, c2.No, Action{Name: "settle", UnitCode: "350722001000", Note: "x"}, store.ErrForbidden)
		if c2 = fx.do(sup, c2.No, Action{Name: "settle", UnitCode: "350722001000", Note: "占道经营属街道管辖"}); c2.Status != "accepted" {
			t.Fatalf("settled %s", c2.Status)
		}
		if l := fx.lead(c2.No); l.UnitCode != "350722001000" || l.Status != "in_hand" || l.HandleDueAt == nil {
			t.Errorf("ruled part %s %s %v", l.UnitCode, l.Status, l.HandleDueAt)
		}
		if c2 = fx.do(street, c2.No, Action{Name: "conclude", Note: "已清理"}); c2.Status != "closed" {
			t.Errorf("concluded %s", c2.Status)
		}

		// A coordination request between enforcement units; the case the team closes itself.
		c3 := fx.create(team, NewCase{Flow: "enforcement", Matter: "CF00201000", Kind: EnforcementCoordination, Title: "请求联合执法：非法采砂", PlaceUnit: "350722101200"})
		fx.do(team, c3.No, Action{Name: "transfer", UnitCode: "350722D002", Note: "需要联合执法", Fields: basis, Attachments: evidence()})
		fx.do(zj, c3.No, Action{Name: "accept_transfer"})
		c4 := fx.create(team, NewCase{Flow: "enforcement", Matter: "CF00201000", Title: "乱倒垃圾", PlaceUnit: "350722101200"})
		if c4 = fx.do(team, c4.No, Action{Name: "close_own", Note: "已处罚"}); c4.Status != "closed" {
			t.Errorf("closed own %s", c4.Status)
		}
		c5 := fx.create(team, NewCase{Flow: "enforcement", Matter: "CF00201000", Title: "焚烧秸秆", PlaceUnit: "350722101200"})
		_ = c5

		zones, err := fx.s.EnforcementZones(ctx, sup)
		if err != nil {
			t.Fatal(err)
		}
		if len(zones) != 1 || zones[0].UnitCode != "350722101000" || zones[0].Open != 2 {
			t.Fatalf("zones %+v", zones)
		}
		mine, err := fx.s.EnforcementZones(ctx, street)
		if err != nil || len(mine) != 0 {
			t.Errorf("another township's zone view %+v %v", mine, err)
		}
		page, err := fx.s.CoordList(ctx, team, CoordFilter{Flow: "enforcement", Kind: EnforcementCoordination})
		if err != nil || len(page.Rows) != 1 || page.Rows[0].No != c3.No {
			t.Errorf("coordination requests %+v %v", page.Rows, err)
		}
	})
}

// TestAccessListRefusesDepartmentToTownship: with the lists wired, a county
// department may not hand a township work that the access list does not
// admit, and the refused attempt stays on record.
func TestAccessListRefusesDepartmentToTownship(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		var inTx, recorded []AccessCheck
		admitted := map[string]bool{}
		fx.s.UseLists(ListRules{CheckAccess: func(ctx context.Context, tx *store.Tx, req AccessCheck) error {
			var kind string
			if err := db.QueryRow(ctx, `SELECT kind FROM units WHERE id = ?`, req.FromUnitID).Scan(&kind); err != nil {
				return err
			}
			if kind != "department" {
				return nil
			}
			if tx == nil {
				recorded = append(recorded, req)
			} else {
				inTx = append(inTx, req)
			}
			if !admitted[req.CategoryCode] {
				return store.Forbidden("根据职责准入清单，不得将该事项交由乡镇办理")
			}
			return nil
		}})
		cg := fx.actor(21, "350722D003", access.RoleDepartment)
		c := fx.create(cg, NewCase{Flow: "enforcement", Matter: "CF00201000", Category: "B01001", Title: "占道", PlaceUnit: "350722001001"})
		tr := Action{Name: "transfer", UnitCode: "350722001000", Note: "移送街道", Fields: map[string]string{"basis": "条例"}, Attachments: evidence()}
		fx.refused(cg, c.No, tr, store.ErrForbidden)
		if len(recorded) != 1 || recorded[0].ToUnitID != fx.units["350722001000"].ID {
			t.Errorf("refused attempt recorded %d times", len(recorded))
		}
		if d := fx.detail(c.No); d.Case.Status != "handling" || len(d.Assignments) != 0 {
			t.Errorf("refused transfer left %s with %d parts", d.Case.Status, len(d.Assignments))
		}
		// A whistle role too: a department's whistle cannot summon a township.
		fx.createErr(cg, NewCase{Flow: "whistle", Kind: WhistleStreet, Category: "B01001", Title: "部门吹哨", PlaceUnit: "350722001000", Summon: []string{"350722001000"}}, store.ErrForbidden)
		if len(recorded) != 2 {
			t.Errorf("whistle refusal not recorded (%d)", len(recorded))
		}
		admitted["B01001"] = true
		if c = fx.do(cg, c.No, tr); c.Status != "transferring" {
			t.Errorf("admitted transfer: %s", c.Status)
		}
		if len(recorded) != 2 || len(inTx) != 3 {
			t.Errorf("attempts: %d in the action, %d recorded after a refusal", len(inTx), len(recorded))
		}
		// Township → department is not the access list's business.
		team := fx.actor(11, "350722101000", access.RoleTownship)
		c2 := fx.create(team, NewCase{Flow: "enforcement", Matter: "CF00201000", Title: "x", PlaceUnit: "350722101200"})
		fx.do(team, c2.No, Action{Name: "transfer", UnitCode: "350722D003", Note: "移送", Fields: map[string]string{"basis": "法"}, Attachments: evidence()})
		if len(inTx) != 3 {
			t.Errorf("township transfer checked against the access list")
		}
	})
}

func TestProposeFromTerritorialList(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		ctx := context.Background()
		fx.s.UseLists(ListRules{Propose: func(_ context.Context, cat string) (string, []string, string, error) {
			if cat == "B01001" {
				return "350722D003", []string{"350722D002"}, "井盖管理", nil
			}
			return "", nil, "", store.NotFound("无")
		}})
		p, err := fx.s.Propose(ctx, "B01001")
		if err != nil || p.Source != "territorial_list" || p.Lead.Code != "350722D003" || len(p.Supporting) != 1 {
			t.Fatalf("proposal %+v %v", p, err)
		}
		street := fx.actor(10, "350722001000", access.RoleTownship)
		c := fx.create(street, NewCase{Flow: "township_call", Category: "B01001", Title: "井盖", PlaceUnit: "350722001000"})
		d := fx.detail(c.No)
		if l, _ := d.Lead(); l.UnitCode != "350722D003" || len(d.Assignments) != 2 || d.Assignments[1].UnitCode != "350722D002" {
			t.Errorf("call routed to %+v", d.Assignments)
		}
		if _, err := fx.s.Propose(ctx, "ZZZ"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("proposal for an unknown category: %v", err)
		}
	})
}
