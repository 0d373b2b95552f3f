package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/casework"
	"grassroots/internal/service"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// serviceArea is the navigation area of the service window's pages: the
// work area its flow declares.
var serviceArea = casework.ServiceFlow().Nav.ID

// The universal service window (便民服务) for staff: the front desk (find an
// item, check the materials, accept with a receipt or give a one-time
// notice), an application's page for the back office and delivery, the
// printable receipt and notice, the network, and the figures with their
// Excel export.

// ServiceDeskPage is the front desk: the item search, the clerk's site and
// the latest applications and notices.
type ServiceDeskPage struct {
	Page
	Q            string
	Transfer     string // the catalogue filter: whole, partial or "" for all
	Items        []service.Item
	Site         *service.Site
	Applications []service.Application
	Notices      []service.Notice
}

// ServiceItemPage is an item with the desk form.
type ServiceItemPage struct {
	Page
	Item    service.Item
	Site    *service.Site
	Form    ServiceDeskForm
	Check   *service.CheckResult
	Error   string
	IsProxy bool // the clerk works at a village service point (代办)
	// Residences are the county's places an applicant may live in;
	// Stations the online stations serving the clerk's village (proxy).
	Residences []service.Residence
	Stations   []service.Station
}

// ServiceDeskForm is what the clerk entered, kept when the form is shown
// again.
type ServiceDeskForm struct {
	ApplicantName, Phone, Note, ConsentNote, PaymentRef string
	Residence, ResidenceOther, Pickup                   string
	WindowID, Station                                   int64
	Present                                             []int64
	Consent, PaidByProxy                                bool
}

// Checked reports whether material id was checked.
func (f ServiceDeskForm) Checked(id int64) bool { return slices.Contains(f.Present, id) }

// ServiceApplicationPage is an application for the window and the back
// office, with the actions the user may take now.
type ServiceApplicationPage struct {
	Page
	D          service.ApplicationDetail
	Actions    []casework.ActionSpec
	Deliveries []string
	Ratings    []int
	CanRecord  bool // the window may record the review
	// Windows are the windows of the centre where the applicant collects
	// the result (the delivery form's choice).
	Windows []service.Window
}

// Can reports whether the user may take action name now.
func (p ServiceApplicationPage) Can(name string) bool {
	return slices.ContainsFunc(p.Actions, func(a casework.ActionSpec) bool { return a.Name == name })
}

// ServiceReceiptPage is the printable receipt (受理回执).
type ServiceReceiptPage struct {
	Page
	D    service.ApplicationDetail
	Item service.Item
}

// ServiceNoticePage is the printable one-time notice (一次性告知书).
type ServiceNoticePage struct {
	Page
	N    service.Notice
	Item service.Item
}

// ServiceNetworkPage lists the centres (with windows and staff) and, for
// one township, its service points.
type ServiceNetworkPage struct {
	Page
	Counts   service.NetworkCounts
	Centres  []service.Site
	Township string
	Points   []service.Site
}

// ServiceFiguresPage shows the figures.
type ServiceFiguresPage struct {
	Page
	F        service.Figures
	From, To string
}

// Pct shows a ratio as a percentage.
func (ServiceFiguresPage) Pct(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

// Num shows a number with one decimal.
func (ServiceFiguresPage) Num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// serviceRoutes registers the service window's staff pages and the
// residents' online pages.
func (s *Server) serviceRoutes() {
	if s.Service == nil {
		return
	}
	s.mux.HandleFunc("GET /service", s.staff(s.serviceDesk))
	s.mux.HandleFunc("GET /service/items/{code}", s.staff(s.serviceItem))
	s.mux.HandleFunc("POST /service/items/{code}", s.staff(s.serviceItemPost))
	s.mux.HandleFunc("GET /service/applications/{no}", s.staff(s.serviceApplication))
	s.mux.HandleFunc("POST /service/applications/{no}/{action}", s.staff(s.serviceApplicationPost))
	s.mux.HandleFunc("GET /service/applications/{no}/receipt", s.staff(s.serviceReceipt))
	s.mux.HandleFunc("GET /service/notices/{no}", s.staff(s.serviceNotice))
	s.mux.HandleFunc("GET /service/network", s.staff(s.serviceNetwork))
	s.mux.HandleFunc("GET /service/figures", s.staff(s.serviceFigures))
	s.mux.HandleFunc("GET /service/figures.xlsx", s.staff(s.serviceFiguresXLSX))
	s.serviceWindowRoutes()
	s.servicePortalRoutes()
	s.serviceItemAdminRoutes()
}

func (s *Server) serviceDesk(w http.ResponseWriter, r *http.Request) error {
	ctx, actor := r.Context(), actorOf(r)
	pg := ServiceDeskPage{Page: s.page(r, "service.desk.title", serviceArea), Q: strings.TrimSpace(r.URL.Query().Get("q")),
		Transfer: r.URL.Query().Get("transfer")}
	if pg.Transfer != "" && !slices.Contains(service.Transfers, pg.Transfer) {
		return store.Invalid("下放方式应为全链条划转(whole)或部分下放(partial)")
	}
	items, err := s.Service.Items(ctx, service.ItemFilter{Q: pg.Q, Transfer: pg.Transfer})
	if err != nil {
		return err
	}
	pg.Items = items
	if site, ok, err := s.Service.SiteOf(ctx, actor); err != nil {
		return err
	} else if ok {
		pg.Site = &site
	}
	if pg.Applications, err = s.Service.Applications(ctx, actor, 20); err != nil && !errors.Is(err, store.ErrForbidden) {
		return err
	}
	if pg.Notices, err = s.Service.RecentNotices(ctx, actor, 10); err != nil && !errors.Is(err, store.ErrForbidden) {
		return err
	}
	if len(pg.Items) == 1 && pg.Q != "" && strings.EqualFold(pg.Items[0].Code, pg.Q) {
		http.Redirect(w, r, "/service/items/"+pg.Items[0].Code, http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, "service_desk", pg)
}

func (s *Server) serviceItemPage(r *http.Request, code string) (ServiceItemPage, error) {
	pg := ServiceItemPage{Page: s.page(r, "", serviceArea)}
	it, err := s.Service.Item(r.Context(), code)
	if err != nil {
		return pg, err
	}
	pg.Item, pg.Title = it, it.Name
	site, ok, err := s.Service.SiteOf(r.Context(), actorOf(r))
	if err != nil {
		return pg, err
	}
	if ok {
		pg.Site, pg.IsProxy = &site, site.Kind == service.SitePoint
		if pg.Residences, err = s.Service.Residences(r.Context()); err != nil {
			return pg, err
		}
		if pg.IsProxy {
			if pg.Stations, err = s.Service.StationsFor(r.Context(), site); err != nil {
				return pg, err
			}
		}
	}
	return pg, nil
}

func (s *Server) serviceItem(w http.ResponseWriter, r *http.Request) error {
	pg, err := s.serviceItemPage(r, r.PathValue("code"))
	if err != nil {
		return err
	}
	return s.render(w, r, "service_item", pg)
}

func deskForm(r *http.Request) (ServiceDeskForm, service.DeskInput) {
	f := ServiceDeskForm{ApplicantName: r.PostFormValue("applicant_name"), Phone: r.PostFormValue("phone"), Note: r.PostFormValue("note"),
		ConsentNote: r.PostFormValue("consent_note"), PaymentRef: r.PostFormValue("payment_ref"),
		Consent: r.PostFormValue("consent") == "1", PaidByProxy: r.PostFormValue("paid_by_proxy") == "1",
		Residence: r.PostFormValue("residence"), ResidenceOther: r.PostFormValue("residence_other"), Pickup: r.PostFormValue("pickup")}
	f.WindowID, _ = strconv.ParseInt(r.PostFormValue("window_id"), 10, 64)
	f.Station, _ = strconv.ParseInt(r.PostFormValue("station"), 10, 64)
	for _, v := range r.PostForm["material"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			f.Present = append(f.Present, id)
		}
	}
	return f, service.DeskInput{ApplicantName: f.ApplicantName, Phone: f.Phone, Present: f.Present, WindowID: f.WindowID, Note: f.Note,
		Consent: f.Consent, ConsentNote: f.ConsentNote, PaidByProxy: f.PaidByProxy, PaymentRef: f.PaymentRef,
		Residence: f.Residence, ResidenceOther: f.ResidenceOther, Pickup: f.Pickup, Station: f.Station}
}

// serviceItemPost checks the materials, then accepts (receipt) or gives a
// one-time notice (decision=accept|notice|check).
func (s *Server) serviceItemPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单内容有误")
	}
	ctx, actor := r.Context(), actorOf(r)
	f, in := deskForm(r)
	in.Item = r.PathValue("code")
	show := func(err error) error {
		pg, perr := s.serviceItemPage(r, in.Item)
		if perr != nil {
			return perr
		}
		pg.Form = f
		if err != nil {
			msg, ok := userMessage(r, err)
			if !ok {
				return err
			}
			pg.Error = msg
		}
		if chk, cerr := s.Service.Check(ctx, actor, in); cerr == nil {
			pg.Check = &chk
		}
		status := http.StatusOK
		if err != nil {
			status = Status(err)
		}
		s.renderStatus(w, r, status, "service_item", pg)
		return nil
	}
	switch r.PostFormValue("decision") {
	case "accept":
		c, err := s.Service.Accept(ctx, actor, in)
		if err != nil {
			return show(err)
		}
		http.Redirect(w, r, "/service/applications/"+url.PathEscape(c.No)+"/receipt", http.StatusSeeOther)
		return nil
	case "notice":
		n, err := s.Service.IssueNotice(ctx, actor, in)
		if err != nil {
			return show(err)
		}
		http.Redirect(w, r, "/service/notices/"+url.PathEscape(n.No), http.StatusSeeOther)
		return nil
	}
	return show(nil)
}

func (s *Server) serviceApplication(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Service.Application(r.Context(), actorOf(r), r.PathValue("no"))
	if err != nil {
		return err
	}
	pg := ServiceApplicationPage{Page: s.page(r, "", serviceArea), D: d, Actions: s.Cases.AllowedActions(actorOf(r), d.Case),
		Deliveries: service.Deliveries, Ratings: service.Ratings}
	pg.Title = d.ItemName + " " + d.No
	pg.CanRecord = d.CanReview()
	// The window roles narrow what the flow allows (the back office of the
	// item's office handles, the pickup centre delivers).
	names := make([]string, len(pg.Actions))
	for i, a := range pg.Actions {
		names[i] = a.Name
	}
	if names, err = s.Service.Allowed(r.Context(), actorOf(r), d.Application, names); err != nil {
		return err
	}
	pg.Actions = slices.DeleteFunc(pg.Actions, func(a casework.ActionSpec) bool { return !slices.Contains(names, a.Name) })
	if d.PickupSiteID != 0 && pg.Can("deliver") {
		site, err := s.Service.Site(r.Context(), d.PickupSiteID)
		if err != nil {
			return err
		}
		pg.Windows = site.Windows
	}
	if done := r.URL.Query().Get("done"); done != "" {
		pg.Flash = pg.T("service.flash.done", pg.T("service.action."+done))
	}
	return s.render(w, r, "service_application", pg)
}

// serviceApplicationPost takes one step on an application: a case action of
// the flow, the supplement, the delivery, or the review recorded at the
// window.
func (s *Server) serviceApplicationPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseMultipartForm(32 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return store.Invalid("上传的内容过大或不完整")
	}
	ctx, actor, no, action := r.Context(), actorOf(r), r.PathValue("no"), r.PathValue("action")
	note := r.PostFormValue("note")
	var err error
	switch action {
	case "give_supplement":
		files, ferr := formFiles(r, "files", "material")
		if ferr != nil {
			return ferr
		}
		_, err = s.Service.Supply(ctx, actor, no, note, r.PostFormValue("via"), files)
	case "deliver":
		win, _ := strconv.ParseInt(r.PostFormValue("window_id"), 10, 64)
		_, err = s.Service.DeliverAt(ctx, actor, no, r.PostFormValue("method"), r.PostFormValue("ref"), win)
	case "approve", "refuse":
		// The decision may carry the result document (a licence, a
		// decision in PDF) the resident downloads.
		files, ferr := formFiles(r, "files", service.ResultStage)
		if ferr != nil {
			return ferr
		}
		_, err = s.Cases.Do(ctx, actor, no, casework.Action{Name: action, Note: note, Attachments: files})
	case "review":
		rating, _ := strconv.Atoi(r.PostFormValue("rating"))
		err = s.Service.RecordReview(ctx, actor, no, rating, note)
	case "sign", "ask_supplement", "return", "withdraw", "comment", "supervise":
		_, err = s.Cases.Do(ctx, actor, no, casework.Action{Name: action, Note: note})
	default:
		return store.NotFound("没有这个操作")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/service/applications/"+url.PathEscape(no)+"?done="+url.QueryEscape(action), http.StatusSeeOther)
	return nil
}

func (s *Server) serviceReceipt(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Service.Application(r.Context(), actorOf(r), r.PathValue("no"))
	if err != nil {
		return err
	}
	it, err := s.Service.Item(r.Context(), d.ItemCode)
	if err != nil {
		return err
	}
	pg := ServiceReceiptPage{Page: s.page(r, "service.receipt.title", serviceArea), D: d, Item: it}
	return s.render(w, r, "service_receipt", pg)
}

func (s *Server) serviceNotice(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Service.Notice(r.Context(), actorOf(r), r.PathValue("no"))
	if err != nil {
		return err
	}
	it, err := s.Service.Item(r.Context(), n.ItemCode)
	if err != nil {
		return err
	}
	return s.render(w, r, "service_notice", ServiceNoticePage{Page: s.page(r, "service.notice.title", serviceArea), N: n, Item: it})
}

func (s *Server) serviceNetwork(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pg := ServiceNetworkPage{Page: s.page(r, "service.network.title", serviceArea), Township: r.URL.Query().Get("township")}
	var err error
	if pg.Counts, err = s.Service.Counts(ctx); err != nil {
		return err
	}
	if pg.Centres, err = s.Service.Centres(ctx); err != nil {
		return err
	}
	if pg.Township != "" {
		if pg.Points, err = s.Service.Points(ctx, pg.Township); err != nil {
			return err
		}
	}
	return s.render(w, r, "service_network", pg)
}

func figureFilter(r *http.Request) (service.FigureFilter, string, string, error) {
	var f service.FigureFilter
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	if from != "" {
		t, err := time.ParseInLocation("2006-01-02", from, shanghai)
		if err != nil {
			return f, from, to, store.Invalid("开始日期格式应为 2026-11-01")
		}
		f.From = t
	}
	if to != "" {
		t, err := time.ParseInLocation("2006-01-02", to, shanghai)
		if err != nil {
			return f, from, to, store.Invalid("结束日期格式应为 2026-11-30")
		}
		f.To = t.AddDate(0, 0, 1)
	}
	return f, from, to, nil
}

func (s *Server) serviceFigures(w http.ResponseWriter, r *http.Request) error {
	f, from, to, err := figureFilter(r)
	if err != nil {
		return err
	}
	fig, err := s.Service.Figures(r.Context(), actorOf(r), f)
	if err != nil {
		return err
	}
	return s.render(w, r, "service_figures", ServiceFiguresPage{Page: s.page(r, "service.figures.title", serviceArea), F: fig, From: from, To: to})
}

func (s *Server) serviceFiguresXLSX(w http.ResponseWriter, r *http.Request) error {
	f, from, to, err := figureFilter(r)
	if err != nil {
		return err
	}
	fig, err := s.Service.Figures(r.Context(), actorOf(r), f)
	if err != nil {
		return err
	}
	// Built in memory first, so that an error becomes an error page and not
	// half a file.
	var b bytes.Buffer
	if err := service.WriteFiguresXLSX(&b, fig); err != nil {
		return err
	}
	// 便民服务统计-20261101至20261130-20261203.xlsx: the period, and the day
	// of the export (an open period runs to it).
	xlsx.Serve(w, xlsx.FileName(time.Now(), "便民服务统计", xlsx.Period(from, to)), b.Bytes())
	return nil
}

// ServiceFlags names the item's ways of being handled (全程网办, 最多跑一次,
// 代办, 就近办, 同城通办, 异地可办) in the page's language.
func (p Page) ServiceFlags(it service.Item) []string {
	var out []string
	for _, f := range []struct {
		on  bool
		key string
	}{{it.Online, "online"}, {it.OneVisit, "one_visit"}, {it.Proxy, "proxy"}, {it.Nearby, "nearby"}, {it.Citywide, "citywide"}, {it.CrossRegion, "cross_region"}} {
		if f.on {
			out = append(out, p.T("service.flag."+f.key))
		}
	}
	return out
}

// FigureTable is one table of the figures page.
type FigureTable struct {
	P     ServiceFiguresPage
	Title string
	Rows  []service.FigureRow
}

// Table builds a figures table: rows, or the one row all when rows is nil.
func (p ServiceFiguresPage) Table(title string, all service.FigureRow, rows []service.FigureRow) FigureTable {
	if rows == nil {
		rows = []service.FigureRow{all}
	}
	return FigureTable{P: p, Title: title, Rows: rows}
}
