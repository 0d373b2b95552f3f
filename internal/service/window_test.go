package service

import (
	"context"
	"errors"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// user adds a user of unit code and returns them as an actor.
func (fx *fixture) user(username, name, code string, roles ...access.Role) access.Actor {
	fx.t.Helper()
	ctx := context.Background()
	u := fx.units[code]
	var id int64
	if err := fx.db.QueryRow(ctx, `INSERT INTO users (username, name, unit_id, password_hash, created_at, updated_at) VALUES (?, ?, ?, '', 0, 0) RETURNING id`,
		username, name, u.ID).Scan(&id); err != nil {
		fx.t.Fatal(err)
	}
	return access.Actor{UserID: id, Username: username, Name: name, UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, UnitKind: u.Kind, UnitPath: u.Path, Roles: roles}
}

func (fx *fixture) siteOf(a access.Actor) Site {
	fx.t.Helper()
	site, ok, err := fx.s.SiteOf(context.Background(), a)
	if err != nil || !ok {
		fx.t.Fatalf("site of %s: %v %v", a.Username, ok, err)
	}
	return site
}

func (fx *fixture) accept(a access.Actor, in DeskInput) casework.Case {
	fx.t.Helper()
	c, err := fx.s.Accept(context.Background(), a, in)
	if err != nil {
		fx.t.Fatalf("accept %s: %v", in.Item, err)
	}
	return c
}

func (fx *fixture) do(a access.Actor, no, action, note string) {
	fx.t.Helper()
	if _, err := fx.s.cases.Do(context.Background(), a, no, casework.Action{Name: action, Note: note}); err != nil {
		fx.t.Fatalf("%s %s: %v", action, no, err)
	}
}

const relief = "JF00503000" // 临时救助: township, 社会事务办公室, nearby and city-wide

func reliefInput(fx *fixture) DeskInput {
	return DeskInput{Item: relief, ApplicantName: "王大妈", Phone: "13900001111",
		Present: fx.materialIDs(relief, "临时救助申请书", "申请人居民身份证", "遭遇困难的相关证明")}
}

// Issue 21 point 1: front desk, back office of an office and delivery are
// roles; the back office works from its queue; delivery is at the
// accepting centre, recorded with window and clerk.
func TestWindowRolesQueueAndDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		head := fx.user("nanpu-head", "南浦主任", "350722001000", access.RoleTownship)
		front := fx.user("nanpu-front", "前台小李", "350722001000", access.RoleTownship)
		social := fx.user("nanpu-social", "社会事务办小王", "350722001000", access.RoleTownship)
		general := fx.user("nanpu-general", "综合办小张", "350722001000", access.RoleTownship)
		out := fx.user("nanpu-out", "出件员小赵", "350722001000", access.RoleTownship)
		dept := fx.user("d008", "民政局小钱", "350722D008", access.RoleDepartment)
		fuling := fx.user("fuling", "富岭小孙", "350722101000", access.RoleTownship)
		site := fx.siteOf(head)

		_, err := fx.s.AssignRole(ctx, dept, StaffInput{SiteID: site.ID, Username: "nanpu-front", Role: RoleFront})
		wantKind(t, err, store.ErrForbidden)
		_, err = fx.s.AssignRole(ctx, fuling, StaffInput{SiteID: site.ID, Username: "nanpu-front", Role: RoleFront})
		wantKind(t, err, store.ErrForbidden)
		_, err = fx.s.AssignRole(ctx, head, StaffInput{SiteID: site.ID, Username: "fuling", Role: RoleFront})
		wantKind(t, err, store.ErrInvalid) // not of this centre
		_, err = fx.s.AssignRole(ctx, head, StaffInput{SiteID: site.ID, Username: "nanpu-front", Role: RoleFront, Office: "社会事务办公室"})
		wantKind(t, err, store.ErrInvalid)
		for _, in := range []StaffInput{{Username: "nanpu-front", Role: RoleFront}, {Username: "nanpu-social", Role: RoleBack, Office: "社会事务办公室"},
			{Username: "nanpu-general", Role: RoleBack, Office: "综合便民服务中心"}, {Username: "nanpu-out", Role: RoleDelivery}} {
			in.SiteID = site.ID
			if _, err := fx.s.AssignRole(ctx, head, in); err != nil {
				t.Fatalf("assign %+v: %v", in, err)
			}
		}
		_, err = fx.s.AssignRole(ctx, head, StaffInput{SiteID: site.ID, Username: "nanpu-out", Role: RoleDelivery})
		wantKind(t, err, store.ErrConflict)

		c := fx.accept(front, reliefInput(fx))
		// The back office of the office the item names sees it in its queue;
		// another office's does not, nor may it handle it; the front desk
		// does not handle.
		q, err := fx.s.Queue(ctx, social)
		if err != nil || len(q) != 1 || q[0].No != c.No || q[0].Office != "社会事务办公室" {
			t.Fatalf("social queue = %+v, %v", q, err)
		}
		if q, err := fx.s.Queue(ctx, general); err != nil || len(q) != 0 {
			t.Fatalf("general office queue = %d, %v", len(q), err)
		}
		for _, a := range []access.Actor{front, general, out} {
			_, err := fx.s.cases.Do(ctx, a, c.No, casework.Action{Name: "sign"})
			wantKind(t, err, store.ErrForbidden)
		}
		fx.do(social, c.No, "sign", "")
		fx.do(social, c.No, "approve", "准予临时救助800元")

		// Delivery: not by a county department, not by another township,
		// not by the back office; at a window of this centre only.
		for _, a := range []access.Actor{dept, fuling, social} {
			_, err := fx.s.Deliver(ctx, a, c.No, DeliverWindow, "")
			if !errors.Is(err, store.ErrForbidden) && !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s delivers: %v", a.Username, err)
			}
		}
		// A county department that handled an application (its own back
		// office) still cannot deliver it at the township's window.
		cd := fx.accept(front, DeskInput{Item: "GF01105000", ApplicantName: "残疾人", Phone: "13900009999",
			Present: fx.materialIDs("GF01105000", "残疾人证申请表", "申请人居民身份证", "居民户口簿", "近期二寸免冠照片", "残疾评定表")})
		if cd.LeadUnitCode != "350722D008" {
			t.Fatalf("county item handled by %s", cd.LeadUnitCode)
		}
		fx.do(dept, cd.No, "sign", "")
		fx.do(dept, cd.No, "approve", "准予办理残疾人证")
		_, err = fx.s.Deliver(ctx, dept, cd.No, DeliverWindow, "")
		wantKind(t, err, store.ErrForbidden)
		if _, err := fx.s.Deliver(ctx, out, cd.No, DeliverWindow, ""); err != nil {
			t.Fatal(err)
		}
		other := fx.siteOf(fuling)
		_, err = fx.s.DeliverAt(ctx, out, c.No, DeliverWindow, "", other.Windows[0].ID)
		wantKind(t, err, store.ErrInvalid)
		if _, err := fx.s.Deliver(ctx, out, c.No, DeliverWindow, ""); err != nil {
			t.Fatal(err)
		}
		d, err := fx.s.Application(ctx, head, c.No)
		if err != nil {
			t.Fatal(err)
		}
		if d.DeliveredWindow != "统一出件窗口" || d.DeliveredBy != "出件员小赵" || d.Status != "delivered" {
			t.Fatalf("delivered at %q by %q (%s)", d.DeliveredWindow, d.DeliveredBy, d.Status)
		}
		roles, err := fx.s.Roles(ctx, social)
		if err != nil || len(roles[RoleBack]) != 1 || roles[RoleBack][0] != "社会事务办公室" {
			t.Fatalf("roles = %v, %v", roles, err)
		}
		site = fx.siteOf(head)
		var n int
		for _, st := range site.Staff {
			if st.Role != "" {
				n++
			}
		}
		if n != 4 {
			t.Fatalf("staff with roles = %d, want 4", n)
		}
	})
}

// Issue 21 point 2: nearby, elsewhere in the county, across counties.
func TestReachForwardingAndExchange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		nanpu := fx.user("nanpu", "南浦受理员", "350722001000", access.RoleTownship)
		fuling := fx.user("fuling", "富岭办理员", "350722101000", access.RoleTownship)
		county := fx.user("county", "县管理员", "350722000000", access.RoleAdmin)

		// A resident of 某村 (富岭镇) applies at 南浦街道: forwarded to 富岭镇,
		// delivered back at 南浦 where she chose to collect it.
		in := reliefInput(fx)
		in.Residence = "350722101200"
		c := fx.accept(nanpu, in)
		if c.LeadUnitCode != "350722101000" {
			t.Fatalf("forwarded to %s, want 富岭镇", c.LeadUnitCode)
		}
		d, err := fx.s.Application(ctx, county, c.No)
		if err != nil {
			t.Fatal(err)
		}
		if d.Reach != ReachCounty || !d.Forwarded || d.ResidenceName != "某村" || d.PickupName != "南浦街道综合便民服务中心" {
			t.Fatalf("application = reach %s forwarded %v residence %s pickup %s", d.Reach, d.Forwarded, d.ResidenceName, d.PickupName)
		}
		fx.do(fuling, c.No, "sign", "")
		fx.do(fuling, c.No, "approve", "准予")
		_, err = fx.s.Deliver(ctx, fuling, c.No, DeliverWindow, "")
		wantKind(t, err, store.ErrForbidden)
		if _, err := fx.s.Deliver(ctx, nanpu, c.No, DeliverWindow, ""); err != nil {
			t.Fatal(err)
		}
		// Or collected at home: 富岭镇's centre delivers.
		in.Pickup, in.Phone = PickupHome, "13900001112"
		c2 := fx.accept(nanpu, in)
		fx.do(fuling, c2.No, "sign", "")
		fx.do(fuling, c2.No, "approve", "准予")
		_, err = fx.s.Deliver(ctx, nanpu, c2.No, DeliverWindow, "")
		wantKind(t, err, store.ErrForbidden)
		if _, err := fx.s.Deliver(ctx, fuling, c2.No, DeliverWindow, ""); err != nil {
			t.Fatal(err)
		}

		// An item only for nearby handling is refused away from home.
		low := DeskInput{Item: "JF00502000", ApplicantName: "李四", Phone: "13900002222", Residence: "350722101200",
			Present: fx.materialIDs("JF00502000", "特困人员救助供养申请书", "申请人居民身份证", "居民户口簿", "收入和财产状况声明")}
		_, err = fx.s.Accept(ctx, nanpu, low)
		wantKind(t, err, store.ErrInvalid)
		low.Residence = "350722001001" // 仙楼社区, 南浦街道 itself: nearby
		if c := fx.accept(nanpu, low); c.LeadUnitCode != "350722001000" {
			t.Fatalf("nearby handled by %s", c.LeadUnitCode)
		}

		// Across counties: only for an item that allows it; sent through
		// the provincial exchange, its answer comes back.
		cross := DeskInput{Item: "JF00502000", ApplicantName: "外县人", Phone: "13900003333", ResidenceOther: "建阳区", Present: low.Present}
		_, err = fx.s.Accept(ctx, nanpu, cross)
		wantKind(t, err, store.ErrInvalid)
		cross.Item, cross.Present = "GF01103000", fx.materialIDs("GF01103000", "申请人居民身份证", "近期一寸免冠照片")
		cc := fx.accept(nanpu, cross)
		if cc.Status != "dispatched" || cc.LeadUnitCode != "350722001000" {
			t.Fatalf("cross-county case %s at %s", cc.Status, cc.LeadUnitCode)
		}
		var payload string
		if err := db.QueryRow(ctx, `SELECT payload FROM webhook_deliveries WHERE target = 'province' AND event = ? AND case_id = ?`, ExchangeEvent, cc.ID).Scan(&payload); err != nil {
			t.Fatalf("outbox: %v", err)
		}
		if !strings.Contains(payload, cc.No) || !strings.Contains(payload, "建阳区") {
			t.Fatalf("payload = %s", payload)
		}
		_, err = fx.s.ExchangeStatus(ctx, nanpu, cc.No, ExchangeApproved, "")
		wantKind(t, err, store.ErrForbidden)
		_, err = fx.s.ExchangeStatus(ctx, county, c.No, ExchangeApproved, "")
		wantKind(t, err, store.ErrConflict)
		if _, err := fx.s.ExchangeStatus(ctx, county, cc.No, ExchangeAccepted, ""); err != nil {
			t.Fatal(err)
		}
		a, err := fx.s.ExchangeStatus(ctx, county, cc.No, ExchangeApproved, "建阳区已办结")
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != "approved" || a.ExchangeStatus != ExchangeApproved || a.Reach != ReachCross || a.ResidenceOther != "建阳区" {
			t.Fatalf("after exchange: %s %s %s", a.Status, a.ExchangeStatus, a.Reach)
		}

		f, err := fx.s.Figures(ctx, county, FigureFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if f.All.Nearby != 1 || f.All.Elsewhere != 2 || f.All.Cross != 1 {
			t.Fatalf("figures nearby %d elsewhere %d cross %d", f.All.Nearby, f.All.Elsewhere, f.All.Cross)
		}
	})
}

// Issue 21 point 3: whole-chain transfer keeps everything at the township;
// a partial one says what the county kept.
func TestWholeChainTransfer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		admin := fx.user("admin", "县管理员", "350722000000", access.RoleAdmin)
		nanpu := fx.user("nanpu", "南浦受理员", "350722001000", access.RoleTownship)
		whole, err := fx.s.Items(ctx, ItemFilter{Transfer: TransferWhole})
		if err != nil || len(whole) != 4 {
			t.Fatalf("whole-chain items = %d, %v", len(whole), err)
		}
		part, err := fx.s.Items(ctx, ItemFilter{Transfer: TransferPartial})
		if err != nil || len(part) != 1 || part[0].Code != "XK00103000" || !part[0].CountyKeeps(StepDecide) || part[0].CountyKeeps(StepAccept) {
			t.Fatalf("partial items = %+v, %v", part, err)
		}
		it, err := fx.s.Item(ctx, "XK00102000") // a county item of 城管局
		if err != nil {
			t.Fatal(err)
		}
		in := ItemInput{Code: it.Code, Kind: it.Kind, Level: it.Level, DeptCode: it.DeptCode, LegalDays: it.LegalDays, PromisedDays: it.PromisedDays,
			OneVisit: true, Transfer: TransferPartial}
		for _, m := range it.Materials {
			in.Materials = append(in.Materials, MaterialInput{Name: m.Name, Form: m.Form, Copies: m.Copies, Required: m.Required})
		}
		_, err = fx.s.SaveItem(ctx, admin, in)
		wantKind(t, err, store.ErrInvalid) // no steps named
		in.CountySteps = []string{StepHandle, StepDecide, StepAccept}
		_, err = fx.s.SaveItem(ctx, admin, in)
		wantKind(t, err, store.ErrInvalid) // nothing moved down
		in.Transfer, in.CountySteps = TransferWhole, nil
		saved, err := fx.s.SaveItem(ctx, admin, in)
		if err != nil || !saved.WholeChain() || !saved.Devolved {
			t.Fatalf("saved = %+v, %v", saved, err)
		}
		var present []int64
		for _, m := range saved.Required() {
			present = append(present, m.ID)
		}
		c := fx.accept(nanpu, DeskInput{Item: saved.Code, ApplicantName: "商户", Phone: "13900004444", Present: present})
		if c.LeadUnitCode != "350722001000" {
			t.Fatalf("whole-chain item handled by %s, want the street", c.LeadUnitCode)
		}
	})
}

// Issue 21 point 4: online stations serve villages; proxy handling starts
// from one.
func TestOnlineStations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		fuling := fx.user("fuling", "富岭办理员", "350722101000", access.RoleTownship)
		nanpu := fx.user("nanpu", "南浦受理员", "350722001000", access.RoleTownship)
		point := fx.user("point", "某村代办员", "350722101200", access.RoleCommunity)
		in := StationInput{Unit: "350722101200", Name: "某村网上服务站", Helper: "帮办员老周", Villages: []string{"350722101200"}}
		_, err := fx.s.SaveStation(ctx, nanpu, in)
		wantKind(t, err, store.ErrForbidden)
		_, err = fx.s.SaveStation(ctx, fuling, StationInput{Unit: "350722101200", Name: "x", Villages: []string{"350722001001"}})
		wantKind(t, err, store.ErrInvalid)
		st, err := fx.s.SaveStation(ctx, fuling, in)
		if err != nil || len(st.Villages) != 1 || st.Villages[0].Name != "某村" {
			t.Fatalf("station = %+v, %v", st, err)
		}
		list, err := fx.s.Stations(ctx, "350722101000")
		if err != nil || len(list) != 1 {
			t.Fatalf("stations = %d, %v", len(list), err)
		}
		if l, _ := fx.s.Stations(ctx, "350722001000"); len(l) != 0 {
			t.Fatalf("南浦 stations = %d", len(l))
		}
		site := fx.siteOf(point)
		if got, err := fx.s.StationsFor(ctx, site); err != nil || len(got) != 1 {
			t.Fatalf("stations for the point = %d, %v", len(got), err)
		}
		pin := DeskInput{Item: "ZS00401000", ApplicantName: "孙大叔", Phone: "13900004444", Consent: true, Station: st.ID,
			Present: fx.materialIDs("ZS00401000", "申请人居民身份证", "房屋产权或租赁证明")}
		c := fx.accept(point, pin)
		d, err := fx.s.Application(ctx, point, c.No)
		if err != nil || d.StationName != "某村网上服务站" || d.Channel != ChannelProxy {
			t.Fatalf("proxy from station = %q %s, %v", d.StationName, d.Channel, err)
		}
		pin.Station, pin.Phone = st.ID+100, "13900004445"
		_, err = fx.s.Accept(ctx, point, pin)
		wantKind(t, err, store.ErrInvalid)
	})
}

// Issue 21 points 5 and 6: one rating per application, on one scale; a
// result document the resident downloads.
func TestOneRatingAndResultDocument(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		nanpu := fx.user("nanpu", "南浦受理员", "350722001000", access.RoleTownship)
		c := fx.accept(nanpu, reliefInput(fx))
		fx.do(nanpu, c.No, "sign", "")
		pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
		if _, err := fx.s.cases.Do(ctx, nanpu, c.No, casework.Action{Name: "approve", Note: "准予",
			Attachments: []casework.NewAttachment{{Name: "决定书.pdf", ContentType: "application/pdf", Data: pdf, Stage: ResultStage}}}); err != nil {
			t.Fatal(err)
		}
		p, err := fx.s.PublicApplication(ctx, c.No, "1111")
		if err != nil || len(p.Results) != 1 || p.Results[0].ContentType != "application/pdf" {
			t.Fatalf("results = %+v, %v", p.Results, err)
		}
		_, _, err = fx.s.ResultFile(ctx, c.No, "0000", p.Results[0].ID)
		wantKind(t, err, store.ErrNotFound)
		f, rc, err := fx.s.ResultFile(ctx, c.No, "1111", p.Results[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if f.Name != "决定书.pdf" {
			t.Fatalf("file = %s", f.Name)
		}
		if _, err := fx.s.Deliver(ctx, nanpu, c.No, DeliverOnline, ""); err != nil {
			t.Fatal(err)
		}
		// The 12345 tracking page offers no rating of its own and takes none.
		v, err := fx.s.cases.Track(ctx, c.No, "1111")
		if err != nil || v.CanRate || v.ReviewHref == "" {
			t.Fatalf("track = can rate %v review %q, %v", v.CanRate, v.ReviewHref, err)
		}
		err = fx.s.cases.Rate(ctx, c.No, "1111", casework.Unsatisfied, "")
		wantKind(t, err, store.ErrConflict)
		if err := fx.s.ReviewOnline(ctx, c.No, "1111", 5, ""); err != nil {
			t.Fatal(err)
		}
		wantKind(t, fx.s.ReviewOnline(ctx, c.No, "1111", 1, "again"), store.ErrConflict)
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM cases WHERE no = ? AND resident_rated_at IS NOT NULL`, c.No).Scan(&n); err != nil || n != 0 {
			t.Fatalf("12345 rating rows = %d, %v", n, err)
		}
	})
}

// The pages offer only what the window roles allow.
func TestAllowedByRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		head := fx.user("head", "主任", "350722001000", access.RoleTownship)
		front := fx.user("front", "前台", "350722001000", access.RoleTownship)
		dept := fx.user("d008", "民政局", "350722D008", access.RoleDepartment)
		site := fx.siteOf(head)
		if _, err := fx.s.AssignRole(ctx, head, StaffInput{SiteID: site.ID, Username: "front", Role: RoleFront}); err != nil {
			t.Fatal(err)
		}
		c := fx.accept(front, reliefInput(fx))
		a, err := fx.s.Application(ctx, head, c.No)
		if err != nil {
			t.Fatal(err)
		}
		all := []string{"sign", "approve", "deliver", "comment"}
		got, err := fx.s.Allowed(ctx, front, a.Application, all)
		if err != nil || strings.Join(got, ",") != "deliver,comment" {
			t.Fatalf("front desk may %v, %v", got, err)
		}
		if got, _ := fx.s.Allowed(ctx, dept, a.Application, all); strings.Join(got, ",") != "sign,approve,comment" {
			t.Fatalf("department may %v", got)
		}
		if got, _ := fx.s.Allowed(ctx, head, a.Application, all); len(got) != 4 {
			t.Fatalf("unassigned staff may %v", got)
		}
	})
}

// TestWindowAuthorisationTable walks docs/AUTHORIZATION.md's table of the
// service window's roles: each row against a user of the record's own unit
// (南浦街道), a unit below it (仙楼社区), another township (富岭镇), a
// county department, the supervision office and a county administrator.
func TestWindowAuthorisationTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		fx.user("staff", "某工作人员", "350722001000", access.RoleTownship)
		who := []struct {
			name  string
			actor access.Actor
		}{
			{"own unit", fx.user("own", "南浦", "350722001000", access.RoleTownship)},
			{"a unit below", fx.user("below", "仙楼", "350722001001", access.RoleCommunity)},
			{"another township", fx.user("other", "富岭", "350722101000", access.RoleTownship)},
			{"department", fx.user("dept", "民政局", "350722D008", access.RoleDepartment)},
			{"supervisor", fx.user("sup", "督查", "350722000000", access.RoleSupervisor)},
			{"county admin", fx.user("admin", "县管理员", "350722000000", access.RoleAdmin)},
		}
		clerk := fx.user("clerk", "受理员", "350722001000", access.RoleTownship)
		site := fx.siteOf(clerk)
		approved := func() string {
			c := fx.accept(clerk, reliefInput(fx))
			fx.do(clerk, c.No, "sign", "")
			fx.do(clerk, c.No, "approve", "准予")
			return c.No
		}
		rows := []struct {
			name string
			want []bool // in the order of who
			do   func(a access.Actor, i int) error
		}{
			{"assign a window role", []bool{true, false, false, false, false, true}, func(a access.Actor, i int) error {
				_, err := fx.s.AssignRole(ctx, a, StaffInput{SiteID: site.ID, Username: "staff", Role: WindowRoles[i%3], Office: ""})
				return err
			}},
			{"record an online station", []bool{true, false, false, false, false, true}, func(a access.Actor, i int) error {
				_, err := fx.s.SaveStation(ctx, a, StationInput{Unit: "350722001001", Name: "站" + a.Username, Villages: []string{"350722001001"}})
				return err
			}},
			{"deliver at the centre's window", []bool{true, false, false, false, false, true}, func(a access.Actor, i int) error {
				_, err := fx.s.Deliver(ctx, a, approved(), DeliverWindow, "")
				return err
			}},
			{"answer for the provincial exchange", []bool{false, false, false, false, true, true}, func(a access.Actor, i int) error {
				in := reliefInput(fx)
				in.Item, in.ResidenceOther, in.Present = "GF01103000", "建阳区", fx.materialIDs("GF01103000", "申请人居民身份证", "近期一寸免冠照片")
				c := fx.accept(clerk, in)
				_, err := fx.s.ExchangeStatus(ctx, a, c.No, ExchangeAccepted, "")
				return err
			}},
			{"see it in the back office queue", []bool{true, false, false, false, false, true}, func(a access.Actor, i int) error {
				c := fx.accept(clerk, reliefInput(fx))
				q, err := fx.s.Queue(ctx, a)
				if err != nil {
					return err
				}
				for _, x := range q {
					if x.No == c.No {
						return nil
					}
				}
				return store.Forbidden("not in the queue")
			}},
		}
		for _, row := range rows {
			for i, w := range who {
				err := row.do(w.actor, i)
				if got := err == nil; got != row.want[i] {
					t.Errorf("%s as %s: allowed %v (%v), want %v", row.name, w.name, got, err, row.want[i])
				}
				if err != nil && !errors.Is(err, store.ErrForbidden) && !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s as %s: %v, want forbidden or not found", row.name, w.name, err)
				}
			}
		}
	})
}
