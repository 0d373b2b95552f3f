package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/worktime"
	"grassroots/internal/xlsx/xlsxtest"
)

// fixture is a small county with the demo service catalogue and network:
//
//	350722000000 浦城县 ── D003 城管局, D007 人社局, D008 民政局, D012 公安局
//	├── 350722001000 南浦街道 (street) ── 350722001001 仙楼社区
//	└── 350722101000 富岭镇 (township) ── 350722101200 某村
type fixture struct {
	t     *testing.T
	db    *store.DB
	s     *Service
	now   time.Time
	units map[string]unitRef
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	fx := &fixture{t: t, db: db, units: map[string]unitRef{}, now: time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)}
	fx.addUnit("350722000000", "浦城县", "county", "")
	for _, d := range [][2]string{{"350722D003", "县城市管理和综合执法局"}, {"350722D007", "县人力资源和社会保障局"}, {"350722D008", "县民政局"}, {"350722D012", "县公安局"}} {
		fx.addUnit(d[0], d[1], "department", "350722000000")
	}
	fx.addUnit("350722001000", "南浦街道", "street", "350722000000")
	fx.addUnit("350722001001", "仙楼社区", "community", "350722001000")
	fx.addUnit("350722101000", "富岭镇", "township", "350722000000")
	fx.addUnit("350722101200", "某村", "village", "350722101000")
	catalogue := demoCatalogue(t)
	for _, m := range catalogue.ExtraMatters {
		if _, err := db.Exec(ctx, `INSERT INTO matters (code, type, name, created_at, updated_at) VALUES (?, ?, ?, 0, 0)`, m.Code, m.Code[:2], m.Name); err != nil {
			t.Fatal(err)
		}
	}
	for _, it := range catalogue.Items {
		if _, err := db.Exec(ctx, `INSERT INTO matters (code, type, name, created_at, updated_at) VALUES (?, ?, ?, 0, 0)`, it.Code, it.Code[:2], "事项"+it.Code); err != nil && !errors.Is(err, store.ErrConflict) {
			t.Fatal(err)
		}
	}
	work, err := worktime.NewService(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := pii.New(make([]byte, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases, err := casework.NewService(db, casework.Deps{
		Calendar:  func(context.Context) (casework.Calendar, error) { return work.Calendar(), nil },
		Sealer:    sealer,
		Log:       log,
		AttachDir: t.TempDir(),
		Now:       func() time.Time { return fx.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.s = New(db, cases, sealer, log)
	fx.s.SetClock(func() time.Time { return fx.now })
	// A centre with three windows at each township, a point with a proxy
	// window at each village (as internal/demo lays out the county).
	var sites []GeneratedSite
	for i, code := range []string{"350722001000", "350722001001", "350722101000", "350722101200"} {
		u := fx.units[code]
		site := GeneratedSite{UnitID: u.ID, Kind: SitePoint, Name: u.Name + "便民服务点", Phone: fmt.Sprintf("0599-28%05d", 10000+i),
			Windows: []GeneratedWindow{{No: "1", Name: "代办窗口", Kind: "proxy", Staff: fmt.Sprintf("代办员%d", i), Post: "代办员"}}}
		if u.Kind == "street" || u.Kind == "township" {
			site.Kind, site.Name = SiteCentre, u.Name+"综合便民服务中心"
			site.Windows = []GeneratedWindow{{No: "1", Name: "1号综合受理窗口", Kind: "universal", Staff: fmt.Sprintf("受理员%d", i), Post: "综合受理员"},
				{No: "2", Name: "2号综合受理窗口", Kind: "universal", Staff: fmt.Sprintf("受理员%d", i+10), Post: "综合受理员"},
				{No: "3", Name: "统一出件窗口", Kind: "delivery", Staff: fmt.Sprintf("出件员%d", i), Post: "出件员"}}
		}
		sites = append(sites, site)
	}
	loaded, err := fx.s.LoadGenerated(ctx, access.System, catalogue.Items, sites)
	if err != nil || !loaded {
		t.Fatalf("load the catalogue: %v %v", loaded, err)
	}
	if again, err := fx.s.LoadGenerated(ctx, access.System, catalogue.Items, sites); again || err != nil {
		t.Fatalf("loaded twice: %v %v", again, err)
	}
	return fx
}

// demoCatalogue reads internal/demo's service catalogue, the items these
// tests work on.
func demoCatalogue(t *testing.T) (c struct {
	ExtraMatters []catalog.MatterInput `json:"extra_matters"`
	Items        []ItemInput           `json:"items"`
}) {
	t.Helper()
	b, err := os.ReadFile("../demo/data/service-items.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (fx *fixture) addUnit(code, name, kind, parent string) {
	fx.t.Helper()
	ctx := context.Background()
	var parentID any
	path, depth := "/", 0
	if parent != "" {
		p := fx.units[parent]
		parentID, path, depth = p.ID, p.Path, len(p.Path)
	}
	var id int64
	if err := fx.db.QueryRow(ctx, `SELECT 0`).Scan(&id); err != nil {
		fx.t.Fatal(err)
	}
	err := fx.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, 0) RETURNING id`,
			code, name, kind, parentID, "tmp"+code, depth).Scan(&id); err != nil {
			return err
		}
		path += strconv.FormatInt(id, 10) + "/"
		_, err := tx.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, path, id)
		return err
	})
	if err != nil {
		fx.t.Fatal(err)
	}
	fx.units[code] = unitRef{ID: id, Code: code, Name: name, Kind: kind, Path: path}
}

func (fx *fixture) actor(uid int64, code string, roles ...access.Role) access.Actor {
	u := fx.units[code]
	return access.Actor{UserID: uid, Username: "u" + strconv.FormatInt(uid, 10), Name: "用户" + strconv.FormatInt(uid, 10),
		UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, UnitKind: u.Kind, UnitPath: u.Path, Roles: roles}
}

// materialIDs returns the ids of the named materials of item code.
func (fx *fixture) materialIDs(code string, names ...string) []int64 {
	fx.t.Helper()
	it, err := fx.s.Item(context.Background(), code)
	if err != nil {
		fx.t.Fatal(err)
	}
	var out []int64
	for _, n := range names {
		found := false
		for _, m := range it.Materials {
			if m.Name == n {
				out = append(out, m.ID)
				found = true
			}
		}
		if !found {
			fx.t.Fatalf("item %s has no material %s", code, n)
		}
	}
	return out
}

func wantKind(t *testing.T, err error, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %v", err, kind)
	}
}

func TestServiceWindowToFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		clerk := fx.actor(1, "350722001000", access.RoleTownship)       // 南浦街道 centre window
		other := fx.actor(2, "350722101000", access.RoleTownship)       // 富岭镇, not the back office here
		pointClerk := fx.actor(3, "350722101200", access.RoleCommunity) // 某村 service point
		county := fx.actor(4, "350722000000", access.RoleAdmin)

		items, err := fx.s.Items(ctx, ItemFilter{})
		if err != nil || len(items) != 20 {
			t.Fatalf("items = %d, %v; want 20", len(items), err)
		}
		counts, err := fx.s.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(NetworkCounts{Centres: 2, Points: 2, Windows: 8, Staff: 8}, counts); diff != "" {
			t.Errorf("network (-want +got):\n%s", diff)
		}

		// 1. First visit: the ID card only; the notice names both missing materials.
		const item = "JF00503000" // 临时救助: township, promised 5 working days
		id := fx.materialIDs(item, "申请人居民身份证")
		rest := fx.materialIDs(item, "临时救助申请书", "遭遇困难的相关证明")
		in := DeskInput{Item: item, ApplicantName: "王大妈", Phone: "13900001111", Present: id}
		_, err = fx.s.Accept(ctx, clerk, in)
		wantKind(t, err, store.ErrInvalid)
		n1, err := fx.s.IssueNotice(ctx, clerk, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(n1.Missing) != 2 || n1.Missing[0].Name != "临时救助申请书" {
			t.Fatalf("notice names %+v", n1.Missing)
		}
		// 2. Second visit: she forgot the ID card, which the first notice could
		// have named and did not: it may not be asked for now.
		in.Present = rest
		_, err = fx.s.IssueNotice(ctx, clerk, in)
		wantKind(t, err, store.ErrInvalid)
		chk, err := fx.s.Check(ctx, clerk, in)
		if err != nil || !chk.Complete() || len(chk.Waived) != 1 || len(chk.Prior) != 1 {
			t.Fatalf("check = %+v, %v", chk, err)
		}
		c, err := fx.s.Accept(ctx, clerk, in)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != "dispatched" || c.LeadUnitCode != "350722001000" || c.Kind != "promised" {
			t.Fatalf("accepted case = %s %s %s", c.Status, c.LeadUnitCode, c.Kind)
		}
		due := *c.HandleDueAt
		if want := time.Date(2026, 12, 3, 9, 0, 0, 0, shanghai); !due.Equal(want) && !due.After(fx.now.AddDate(0, 0, 6)) {
			t.Errorf("handle due %v, want five working days (about %v)", due, want)
		}

		// 3. Back office: another township may not touch it; the street signs,
		// asks for supplements (the clock stops), gets them, approves.
		_, err = fx.s.cases.Do(ctx, other, c.No, casework.Action{Name: "sign"})
		if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrForbidden) {
			t.Fatalf("other township signs: %v", err)
		}
		fx.now = fx.now.Add(time.Hour)
		if _, err := fx.s.cases.Do(ctx, clerk, c.No, casework.Action{Name: "sign"}); err != nil {
			t.Fatal(err)
		}
		fx.now = fx.now.Add(time.Hour)
		c, err = fx.s.cases.Do(ctx, clerk, c.No, casework.Action{Name: "ask_supplement", Note: "请补充户口簿复印件"})
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != "supplement" || c.HandleDueAt != nil {
			t.Fatalf("after ask: %s due %v", c.Status, c.HandleDueAt)
		}
		_, err = fx.s.cases.Do(ctx, clerk, c.No, casework.Action{Name: "approve", Note: "x"})
		wantKind(t, err, store.ErrConflict)
		fx.now = fx.now.AddDate(0, 0, 7) // a week waiting does not count
		c, err = fx.s.Supply(ctx, clerk, c.No, "", "window", nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != "in_hand" || c.HandleDueAt == nil || !c.HandleDueAt.After(fx.now) {
			t.Fatalf("after supply: %s due %v now %v", c.Status, c.HandleDueAt, fx.now)
		}
		_, err = fx.s.Deliver(ctx, clerk, c.No, DeliverWindow, "")
		wantKind(t, err, store.ErrConflict)
		fx.now = fx.now.Add(2 * time.Hour)
		if _, err := fx.s.cases.Do(ctx, clerk, c.No, casework.Action{Name: "approve", Note: "准予临时救助800元"}); err != nil {
			t.Fatal(err)
		}
		err = fx.s.RecordReview(ctx, clerk, c.No, 5, "")
		wantKind(t, err, store.ErrConflict)
		_, err = fx.s.Deliver(ctx, clerk, c.No, DeliverPost, "")
		wantKind(t, err, store.ErrInvalid)
		c, err = fx.s.Deliver(ctx, clerk, c.No, DeliverWindow, "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != "delivered" || c.ClosedAt == nil {
			t.Fatalf("after deliver: %s", c.Status)
		}
		if err := fx.s.RecordReview(ctx, clerk, c.No, 5, "服务很好"); err != nil {
			t.Fatal(err)
		}
		wantKind(t, fx.s.RecordReview(ctx, clerk, c.No, 1, "again"), store.ErrConflict)
		d, err := fx.s.Application(ctx, clerk, c.No)
		if err != nil {
			t.Fatal(err)
		}
		if d.Visits != 4 || d.OnTime == nil || !*d.OnTime || d.Decision != "approved" || d.Delivery != "window" || len(d.Notices) != 1 {
			t.Fatalf("application = visits %d on_time %v decision %s delivery %s notices %v", d.Visits, d.OnTime, d.Decision, d.Delivery, d.Notices)
		}

		// 4. An immediate item is finished and delivered at the window.
		ic, err := fx.s.Accept(ctx, clerk, DeskInput{Item: "GF01103000", ApplicantName: "李大爷", Phone: "13900002222",
			Present: fx.materialIDs("GF01103000", "申请人居民身份证", "近期一寸免冠照片")})
		if err != nil {
			t.Fatal(err)
		}
		if ic.Status != "delivered" || !ic.OnSpot {
			t.Fatalf("immediate: %s", ic.Status)
		}

		// 5. Online: every required material uploaded, to 富岭镇.
		oit, _ := fx.s.Item(ctx, "GF01106000")
		var files []casework.NewAttachment
		for _, m := range oit.Required() {
			files = append(files, MaterialFile(m.ID, "scan.png", "image/png", pngBytes))
		}
		_, err = fx.s.ApplyOnline(ctx, DeskInput{Item: "GF01106000", ApplicantName: "赵奶奶", Phone: "13900003333", Township: "350722101000", Files: files[:1]})
		wantKind(t, err, store.ErrInvalid)
		oc, err := fx.s.ApplyOnline(ctx, DeskInput{Item: "GF01106000", ApplicantName: "赵奶奶", Phone: "13900003333", Township: "350722101000", Files: files})
		if err != nil {
			t.Fatal(err)
		}
		if oc.Channel != "online" || oc.LeadUnitCode != "350722101000" {
			t.Fatalf("online: %s %s", oc.Channel, oc.LeadUnitCode)
		}
		if _, err := fx.s.PublicApplication(ctx, oc.No, "0000"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("wrong last four: %v", err)
		}

		// 6. Proxy at a village point: consent needed; the fee paid on the
		// resident's behalf is recorded.
		pin := DeskInput{Item: "ZS00401000", ApplicantName: "孙大叔", Phone: "13900004444", Present: fx.materialIDs("ZS00401000", "申请人居民身份证", "房屋产权或租赁证明")}
		_, err = fx.s.Accept(ctx, pointClerk, pin)
		wantKind(t, err, store.ErrInvalid)
		pin.Consent, pin.PaidByProxy, pin.PaymentRef = true, true, "FS2026112600001"
		pc, err := fx.s.Accept(ctx, pointClerk, pin)
		if err != nil {
			t.Fatal(err)
		}
		pd, err := fx.s.Application(ctx, pointClerk, pc.No)
		if err != nil {
			t.Fatal(err)
		}
		if pd.Channel != "proxy" || !pd.Consent || !pd.PaidByProxy || pd.Visits != 0 || pd.CentreName != "富岭镇综合便民服务中心" {
			t.Fatalf("proxy = %+v", pd.Application)
		}

		// 7. A service case without the service window is refused.
		_, _, err = fx.s.cases.Create(ctx, clerk, casework.NewCase{Flow: "service", Kind: "promised", Title: "x", ReporterPhone: "13900005555"})
		wantKind(t, err, store.ErrInvalid)

		// 8. The figures reflect all four.
		f, err := fx.s.Figures(ctx, county, FigureFilter{})
		if err != nil {
			t.Fatal(err)
		}
		all := f.All
		got := []int{all.Total, all.Window, all.Online, all.Proxy, all.Immediate, all.Promised, all.Decided, all.OnTime, all.Visits, all.TownshipLevel, all.Delivered, all.Reviews, all.Good, all.Bad}
		want := []int{4, 2, 1, 1, 2, 2, 3, 3, 5, 3, 3, 1, 1, 0}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("figures (-want +got):\n%s", diff)
		}
		// Thirteen moved down: four with their whole chain, one in part.
		if f.Items != 20 || f.DevolvedItems != 13 || f.WholeChainItems != 4 || f.PartialItems != 1 {
			t.Errorf("items %d devolved %d whole %d partial %d", f.Items, f.DevolvedItems, f.WholeChainItems, f.PartialItems)
		}
		// Handling time leaves out the week paused for supplements.
		if h := all.HandlingHours; h > 24 {
			t.Errorf("handling hours %.1f counts the pause", h)
		}
		var byCentre = map[string]int{}
		for _, r := range f.ByCentre {
			byCentre[r.Name] = r.Total
		}
		if diff := cmp.Diff(map[string]int{"南浦街道综合便民服务中心": 2, "富岭镇综合便民服务中心": 2}, byCentre); diff != "" {
			t.Errorf("by centre (-want +got):\n%s", diff)
		}
		// A township sees its own.
		ft, err := fx.s.Figures(ctx, other, FigureFilter{})
		if err != nil || ft.All.Total != 2 {
			t.Fatalf("富岭镇 figures: %d %v", ft.All.Total, err)
		}
		var buf bytes.Buffer
		if err := WriteFiguresXLSX(&buf, f); err != nil {
			t.Fatalf("xlsx: %v", err)
		}
		sh := xlsxtest.Read(t, buf.Bytes()).Sheet(t, "按服务中心")
		if len(sh.Rows) != 1+len(f.ByCentre) || sh.Rows[0][1].Raw != strconv.Itoa(f.All.Total) {
			t.Errorf("centre sheet %+v", sh.Rows)
		}
		if c := sh.Column(t, "按时办结率")[0]; !c.Number || !strings.HasSuffix(c.Value, "%") {
			t.Errorf("on-time rate %+v, want a percentage", c)
		}
	})
}

// pngBytes is a 1×1 PNG.
var pngBytes = []byte{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
	0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82}
