package web_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/org"
	"grassroots/internal/service"
	"grassroots/internal/web"
)

// TestServicePagesRender renders every page of the service window, staff
// and residents', in both languages, with sample data.
func TestServicePagesRender(t *testing.T) {
	t.Parallel()
	s, err := web.New(web.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	clerk := access.Actor{UserID: 3, Username: "demo_township", Name: "演示街道人员", UnitCode: "350722001000", UnitName: "南浦街道", UnitKind: "street",
		UnitPath: "/1/2/", Roles: []access.Role{access.RoleTownship}}
	at := time.Date(2026, 11, 26, 6, 30, 0, 0, time.UTC)
	due := at.AddDate(0, 0, 7)
	it := service.Item{Code: "JF00503000", Name: "临时救助", Kind: "promised", Level: "township", Office: "社会事务办公室", LegalDays: 10, PromisedDays: 5,
		OneVisit: true, Proxy: true, Devolved: true, FeeCents: 3600, Materials: []service.Material{
			{ID: 11, Name: "临时救助申请书", Form: "original", Copies: 1, Required: true},
			{ID: 12, Name: "申请人居民身份证", Form: "original_copy", Copies: 1, Required: true, Sample: "核验原件"},
			{ID: 13, Name: "遭遇困难的相关证明", Form: "copy", Copies: 1}}}
	site := service.Site{ID: 1, UnitCode: "350722001000", Name: "南浦街道综合便民服务中心", Kind: "centre", Windows: []service.Window{{ID: 4, No: "1", Name: "1号综合受理窗口", Kind: "universal"}},
		Staff: []service.Staff{{Name: "林晓燕", Post: "综合受理员"}}}
	point := service.Site{ID: 2, UnitCode: "350722101200", Name: "某村便民服务点", Kind: "point", Windows: []service.Window{{ID: 5, No: "1", Name: "代办窗口", Kind: "proxy"}}}
	notice := service.Notice{No: "GZ20261126000001", ItemCode: it.Code, ItemName: it.Name, SiteName: site.Name, WindowName: "1号综合受理窗口", ApplicantName: "王大妈",
		Missing: it.Materials[:2], IssuerName: "林晓燕", IssuedAt: at}
	app := service.Application{No: "350722-20261126-00001", Status: "in_hand", ItemCode: it.Code, ItemName: it.Name, Kind: "promised", Channel: "window",
		SiteName: site.Name, WindowName: "1号综合受理窗口", HandlingUnitName: "南浦街道", Office: "社会事务办公室", ApplicantName: "王大妈", AcceptedAt: at, HandleDueAt: &due,
		Materials: []service.AppMaterial{{ID: 11, Name: "临时救助申请书", Status: "present"}, {ID: 12, Name: "申请人居民身份证", Status: "waived"}}, Visits: 2, Notices: []string{notice.No}}
	delivered := app
	delivered.Status, delivered.DeliveredAt, delivered.Delivery, delivered.Decision, delivered.Answer = "delivered", &due, "window", "approved", "准予临时救助800元"
	detail := service.ApplicationDetail{Application: app, Case: casework.CaseDetail{Case: casework.Case{No: app.No, PhoneMasked: "*******1111"},
		Events: []casework.Event{{Action: "receive", At: at, ActorName: "林晓燕"}, {Action: "ask_supplement", At: at, ActorName: "张三", Note: "请补充证明"}}}}
	ddone := detail
	ddone.Application = delivered
	actions := []casework.ActionSpec{{Name: "ask_supplement"}, {Name: "approve"}, {Name: "refuse"}, {Name: "return"}}
	row := service.FigureRow{Key: "1", Name: "南浦街道综合便民服务中心", Total: 4, Window: 2, Online: 1, Proxy: 1, Decided: 3, OnTime: 3, Visits: 5, Good: 1, Reviews: 1, HandlingHours: 6}
	fig := service.Figures{All: row, ByCentre: []service.FigureRow{row}, ByOffice: []service.FigureRow{}, ByItem: []service.FigureRow{row}, Items: 20, DevolvedItems: 12}
	pub := service.PublicApplication{Application: delivered, View: casework.PublicView{No: app.No, Events: []casework.PublicEvent{{At: at, Text: "已受理"}}}}
	supp := service.PublicApplication{Application: app, View: pub.View}
	supp.Status = "supplement"
	chk := service.CheckResult{Item: it, Prior: []service.Notice{notice}, Waived: it.Materials[1:2]}
	for _, lang := range []string{"zh", "en"} {
		p := s.TestPage(lang, clerk)
		anon := s.TestPage(lang, access.Actor{})
		pages := []struct {
			name string
			data any
			want []string
		}{
			{"service_desk", web.ServiceDeskPage{Page: p, Q: "救助", Items: []service.Item{it}, Site: &site, Applications: []service.Application{app}, Notices: []service.Notice{notice}},
				[]string{`href="/service/items/JF00503000"`, `href="/service/applications/350722-20261126-00001"`, `href="/service/notices/GZ20261126000001"`, `href="/portal/service"`}},
			{"service_item", web.ServiceItemPage{Page: p, Item: it, Site: &site, Form: web.ServiceDeskForm{ApplicantName: "王大妈", Present: []int64{11}}, Check: &chk, Error: "缺少材料"},
				[]string{`name="material" value="11" checked`, `name="material" value="12">`, `value="accept"`, `value="notice"`, "缺少材料", `name="csrf" value="test-csrf"`}},
			{"service_item", web.ServiceItemPage{Page: p, Item: it, Site: &point, IsProxy: true}, []string{`name="consent"`, `name="paid_by_proxy"`, `name="payment_ref"`}},
			{"service_item", web.ServiceItemPage{Page: p, Item: it}, []string{"临时救助申请书"}},
			{"service_application", web.ServiceApplicationPage{Page: p, D: detail, Actions: actions, Deliveries: service.Deliveries, Ratings: service.Ratings},
				[]string{`action="/service/applications/350722-20261126-00001/ask_supplement"`, `/approve"`, `/refuse"`, `/return"`, "请补充证明", `class="svc-visits">2<`}},
			{"service_application", web.ServiceApplicationPage{Page: p, D: ddone, Actions: []casework.ActionSpec{{Name: "deliver"}}, Deliveries: service.Deliveries, Ratings: service.Ratings, CanRecord: true},
				[]string{`name="method"`, `value="post"`, `name="rating" value="5"`, "准予临时救助800元"}},
			{"service_receipt", web.ServiceReceiptPage{Page: p, D: detail, Item: it}, []string{`class="svc-receipt-no">350722-20261126-00001<`, "data-print", "申请人居民身份证"}},
			{"service_notice", web.ServiceNoticePage{Page: p, N: notice, Item: it}, []string{`class="svc-notice-no">GZ20261126000001<`, "临时救助申请书", "data-print"}},
			{"service_network", web.ServiceNetworkPage{Page: p, Counts: service.NetworkCounts{Centres: 19, Points: 300, Windows: 357, Staff: 357}, Centres: []service.Site{site},
				Township: "350722101000", Points: []service.Site{point}}, []string{"南浦街道综合便民服务中心", "林晓燕", "某村便民服务点", "19"}},
			{"service_figures", web.ServiceFiguresPage{Page: p, F: fig, From: "2026-11-01", To: "2026-11-30"},
				[]string{`href="/service/figures.xlsx?from=2026-11-01&amp;to=2026-11-30"`, `class="svc-total">4<`, "100.0%"}},
			{"service_portal_items", web.ServicePortalItemsPage{Page: anon, Items: []service.Item{it}}, []string{`href="/portal/service/items/JF00503000"`}},
			{"service_portal_apply", web.ServicePortalApplyPage{Page: anon, Item: it, Townships: []org.Unit{{Code: "350722001000", Name: "南浦街道"}}, Township: "350722001000", Error: "请上传材料"},
				[]string{`enctype="multipart/form-data"`, `name="material_11"`, `value="350722001000" selected`, "请上传材料"}},
			{"service_portal_done", web.ServicePortalDonePage{Page: anon, No: app.No}, []string{`href="/portal/service/track?no=350722-20261126-00001"`}},
			{"service_portal_track", web.ServicePortalTrackPage{Page: anon}, []string{`action="/portal/service/track"`, `name="last4"`}},
			{"service_portal_track", web.ServicePortalTrackPage{Page: anon, No: app.No, Last4: "1111", App: &supp, Ratings: service.Ratings}, []string{`action="/portal/service/supply"`}},
			{"service_portal_track", web.ServicePortalTrackPage{Page: anon, No: app.No, Last4: "1111", App: &pub, Ratings: service.Ratings},
				[]string{`action="/portal/service/review"`, "准予临时救助800元", `name="rating" value="1"`}},
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
			if strings.Contains(out, "service.") && strings.Contains(out, ">service.") {
				t.Errorf("%s %s: untranslated key in %s", lang, pg.name, out[strings.Index(out, ">service."):][:60])
			}
		}
	}
}
