package web_test

import (
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
	"grassroots/internal/service"
	"grassroots/internal/web"
)

// TestWindowPagesRender renders the pages of issue 21's service window
// (the back office queue, window roles, online stations, the desk's reach
// fields, delivery at a window, result documents, kept uploads) and the
// small defects fixed, in both languages.
func TestWindowPagesRender(t *testing.T) {
	t.Parallel()
	s, err := web.New(web.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	clerk := access.Actor{UserID: 3, Username: "demo_township", Name: "演示街道人员", UnitCode: "350722001000", UnitName: "南浦街道", UnitKind: "street",
		UnitPath: "/1/2/", Roles: []access.Role{access.RoleTownship}}
	at := time.Date(2026, 11, 26, 6, 30, 0, 0, time.UTC)
	it := service.Item{Code: "JF00503000", Name: "临时救助", Kind: "promised", Level: "township", Office: "社会事务办公室", PromisedDays: 5, CrossRegion: true,
		Devolved: true, Transfer: service.TransferWhole, Materials: []service.Material{{ID: 11, Name: "临时救助申请书", Form: "original", Copies: 1, Required: true}}}
	part := service.Item{Code: "XK00103000", Name: "户外广告审批", Kind: "promised", Level: "county", DeptName: "县城市管理和综合执法局", Devolved: true,
		Transfer: service.TransferPartial, CountySteps: []string{service.StepDecide}}
	site := service.Site{ID: 1, UnitCode: "350722001000", Name: "南浦街道综合便民服务中心", Kind: "centre",
		Windows: []service.Window{{ID: 4, No: "1", Name: "1号综合受理窗口", Kind: "universal"}, {ID: 6, No: "3", Name: "统一出件窗口", Kind: "delivery"}},
		Staff:   []service.Staff{{ID: 9, Name: "社会事务办小王", Role: service.RoleBack, Office: "社会事务办公室"}, {ID: 10, Name: "林晓燕"}}}
	point := service.Site{ID: 2, UnitCode: "350722101201", Name: "上桥村便民服务点", Kind: "point"}
	station := service.Station{ID: 3, UnitCode: "350722101201", UnitName: "上桥村委会", Name: "上桥村网上服务站", Helper: "老周",
		Villages: []org.Ref{{Code: "350722101201", Name: "上桥村委会"}, {Code: "350722101202", Name: "圳边村委会"}}}
	res := []service.Residence{{Code: "350722101000", Name: "富岭镇"}, {Code: "350722101201", Name: "上桥村委会", Township: "富岭镇"}}
	app := service.Application{No: "350722-20261126-00001", Status: "approved", ItemCode: it.Code, ItemName: it.Name, Kind: "promised", Channel: "window",
		SiteName: site.Name, HandlingUnitName: "富岭镇", Office: "社会事务办公室", ApplicantName: "王大妈", AcceptedAt: at,
		ResidenceCode: "350722101201", ResidenceName: "上桥村委会", Reach: service.ReachCounty, Forwarded: true, PickupName: site.Name, PickupSiteID: 1}
	detail := service.ApplicationDetail{Application: app}
	supp := detail
	supp.Status = "supplement"
	delivered := detail
	delivered.Status, delivered.DeliveredAt, delivered.Delivery, delivered.DeliveredWindow, delivered.DeliveredBy = "delivered", &at, "window", "统一出件窗口", "出件员小赵"
	county := detail
	county.HandlingUnitName, county.Office = "县民政局", "县民政局"
	pub := service.PublicApplication{Application: app, View: casework.PublicView{No: app.No}, Results: []casework.Attachment{{ID: 77, Name: "决定书.pdf", ContentType: "application/pdf"}}}
	pub.Answer = "准予"
	fig := service.Figures{All: service.FigureRow{Key: "all", Name: "合计", Total: 3, Nearby: 1, Elsewhere: 1, Cross: 1}, WholeChainItems: 4, PartialItems: 1}
	for _, lang := range []string{"zh", "en"} {
		p := s.TestPage(lang, clerk)
		anon := s.TestPage(lang, access.Actor{})
		pages := []struct {
			name    string
			data    any
			want    []string
			notWant []string
		}{
			{"service_queue", web.ServiceQueuePage{Page: p, Apps: []service.Application{app}, Roles: map[string][]string{"back": {"社会事务办公室"}}},
				[]string{`href="/service/applications/350722-20261126-00001"`, "社会事务办公室", `class="tag svc-forwarded"`}, nil},
			{"service_staff", web.ServiceStaffPage{Page: p, Site: &site, CanAssign: true, Roles: service.WindowRoles},
				[]string{"社会事务办小王", `action="/service/staff"`, `name="role"`, `value="delivery"`, `action="/service/staff/9/remove"`}, []string{`action="/service/staff/10/remove"`}},
			{"service_stations", web.ServiceStationsPage{Page: p, Stations: []service.Station{station}, Residences: res, CanRecord: true},
				[]string{"上桥村网上服务站", "上桥村委会、圳边村委会", `name="villages"`, `value="350722101201"`}, nil},
			{"service_desk", web.ServiceDeskPage{Page: p, Items: []service.Item{it, part}, Transfer: "whole", Site: &site},
				[]string{`name="transfer"`, `value="whole" selected`, `href="/service/queue"`, `href="/service/stations"`, `class="tag svc-transfer"`}, nil},
			{"service_item", web.ServiceItemPage{Page: p, Item: it, Site: &site, Residences: res, Form: web.ServiceDeskForm{Residence: "350722101201", Pickup: "home"}},
				[]string{`name="residence"`, `value="350722101201" selected`, `name="residence_other"`, `name="pickup" value="home" checked`}, nil},
			{"service_item", web.ServiceItemPage{Page: p, Item: it, Site: &point, IsProxy: true, Stations: []service.Station{station}},
				[]string{`name="station"`, "上桥村网上服务站"}, nil},
			{"service_application", web.ServiceApplicationPage{Page: p, D: detail, Actions: []casework.ActionSpec{{Name: "deliver"}}, Deliveries: service.Deliveries, Windows: site.Windows},
				[]string{`class="svc-reach"`, `name="window_id"`, `<option value="6" selected>统一出件窗口`, "上桥村委会"}, nil},
			{"service_application", web.ServiceApplicationPage{Page: p, D: supp, Actions: []casework.ActionSpec{{Name: "give_supplement"}, {Name: "approve"}}},
				[]string{`name="via"`, `enctype="multipart/form-data" action="/service/applications/350722-20261126-00001/approve"`, `id="approve-files"`},
				[]string{"<option value=\"window\">窗口领取", "<option value=\"post\">邮寄送达"}},
			{"service_application", web.ServiceApplicationPage{Page: p, D: delivered}, []string{"统一出件窗口", "出件员小赵"}, nil},
			{"service_receipt", web.ServiceReceiptPage{Page: p, D: county, Item: it}, []string{`class="svc-handling">县民政局<`}, []string{"县民政局 县民政局"}},
			{"service_figures", web.ServiceFiguresPage{Page: p, F: fig}, []string{`class="svc-nearby">1<`, `class="svc-elsewhere">1<`, `class="svc-cross">1<`}, nil},
			{"service_portal_apply", web.ServicePortalApplyPage{Page: anon, Item: it, Kept: "tok123", KeptFiles: map[int64]string{11: "申请书.pdf"}, Error: "请填写申请人姓名"},
				[]string{`name="kept" value="tok123"`, "申请书.pdf"}, []string{`name="material_11" accept="image/*,application/pdf" required`}},
			{"service_portal_track", web.ServicePortalTrackPage{Page: anon, No: app.No, Last4: "1111", App: &pub},
				[]string{`action="/portal/service/result"`, `name="file" value="77"`, "决定书.pdf"}, nil},
			{"portal_track", web.PortalTrackPage{Page: anon, No: app.No, Last4: "1111", View: &casework.PublicView{No: app.No, ReviewHref: "/portal/service/track"}, OwnReview: "非常满意"},
				[]string{"非常满意", `class="own-review"`}, []string{`action="/portal/track/rate"`}},
			{"lists_attempts", web.ListsAttemptsPage{ListsPage: web.ListsPage{Page: p}, Exceptions: []catalog.Exception{{FromName: "县城管局", Matter: catalog.Matter{Name: "x"},
				ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))}}},
				[]string{"2026年12月31日"}, []string{"2027年1月1日"}},
			{"lists_import", web.ListsImportPage{ListsPage: web.ListsPage{Page: p}, List: catalog.PowerList, Job: catalog.ImportJob{Phase: "writing", Total: 1, Rows: 11}},
				[]string{"11"}, []string{"共 1 行"}},
			{"coord_list", web.CoordListPage{Page: p, Base: "/enforcement", Units: []web.CoordOption{{Value: "350722D003", Label: "县城市管理和综合执法局", Selected: true}}},
				[]string{`<option value="350722D003" selected>县城市管理和综合执法局</option>`}, []string{`placeholder="350722D002"`}},
		}
		for _, pg := range pages {
			out, err := s.RenderPage(pg.name, pg.data)
			if err != nil {
				t.Fatalf("%s %s: %v", lang, pg.name, err)
			}
			for _, w := range pg.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s %s: missing %q", lang, pg.name, w)
				}
			}
			for _, w := range pg.notWant {
				if strings.Contains(out, w) {
					t.Errorf("%s %s: has %q", lang, pg.name, w)
				}
			}
			if m := regexp.MustCompile(`>(window|service|case|coord)\.[a-z_.]+<`).FindString(out); m != "" {
				t.Errorf("%s %s: untranslated key %s", lang, pg.name, m)
			}
		}
	}
}

// The 核对材料 button (button.link) is not white on transparent: the
// buttons' white text does not reach it.
func TestLinkButtonVisible(t *testing.T) {
	css, err := os.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^button\.link \{[^}]*\}`).Find(css)
	if m == nil || !strings.Contains(string(m), "color:") {
		t.Fatalf("button.link sets no colour of its own: %s", m)
	}
}
