package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/civility"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// civilityRoutes registers the civic behaviour records and points
// (internal/civility, docs/CIVILITY.md): the staff's entry forms, review
// queue and entry pages with the printable notice, a person's page
// (verified hours to collect, the points card, building/street leaders
// registered as volunteers), the store counter, the civilisation office's
// catalogue, incentives and figures; and the resident's portal page,
// opened with the points card and PIN.
func (s *Server) civilityRoutes() {
	s.mux.HandleFunc("GET /civility", s.staff(s.civilityHome))
	s.mux.HandleFunc("POST /civility/entries", s.staff(s.civilityRecord))
	s.mux.HandleFunc("GET /civility/entries.xlsx", s.staff(s.civilityExport))
	s.mux.HandleFunc("GET /civility/entries/{id}", s.staff(s.civilityEntry))
	s.mux.HandleFunc("GET /civility/entries/{id}/notice", s.staff(s.civilityNotice))
	s.mux.HandleFunc("GET /civility/people/{id}", s.staff(s.civilityPerson))
	s.mux.HandleFunc("POST /civility/people/{id}/collect", s.staff(s.civilityCollect))
	s.mux.HandleFunc("POST /civility/people/{id}/card", s.staff(s.civilityCard))
	s.mux.HandleFunc("POST /civility/people/{id}/volunteer", s.staff(s.civilityLeader))
	s.mux.HandleFunc("GET /civility/cases/{no}", s.staff(s.civilityCaseForm))
	s.mux.HandleFunc("POST /civility/cases/{no}", s.staff(s.civilityFromCase))
	s.mux.HandleFunc("GET /civility/counter", s.staff(s.civilityCounter))
	s.mux.HandleFunc("POST /civility/counter", s.staff(s.civilityRedeem))
	s.mux.HandleFunc("GET /civility/catalogue", s.staff(s.civilityCatalogue))
	s.mux.HandleFunc("POST /civility/catalogue", s.staff(s.civilitySaveItem))
	s.mux.HandleFunc("POST /civility/incentives", s.staff(s.civilityAddIncentive))
	s.mux.HandleFunc("GET /civility/figures", s.staff(s.civilityFigures))
	s.mux.HandleFunc("GET /portal/civility", s.h(s.portalCivilityForm))
	s.mux.HandleFunc("POST /portal/civility", s.h(s.portalCivility))
	s.mux.HandleFunc("POST /portal/civility/appeal", s.h(s.portalCivilityAppeal))
	// The forms of an entry's page: review, appeal at the counter, effect
	// after the window, repair.
	for _, f := range []struct {
		pattern, done string
		act           func(r *http.Request, id int64) (civility.Entry, error)
	}{
		{"POST /civility/entries/{id}/review", "reviewed", func(r *http.Request, id int64) (civility.Entry, error) {
			return s.Civility.Review(r.Context(), actorOf(r), id, r.PostFormValue("decision") == "approve", r.PostFormValue("note"))
		}},
		{"POST /civility/entries/{id}/appeal", "appealed", func(r *http.Request, id int64) (civility.Entry, error) {
			return s.Civility.Appeal(r.Context(), actorOf(r), id, r.PostFormValue("reason"))
		}},
		{"POST /civility/entries/{id}/effect", "effective", func(r *http.Request, id int64) (civility.Entry, error) {
			return s.Civility.MakeEffective(r.Context(), actorOf(r), id)
		}},
		{"POST /civility/entries/{id}/repair", "repaired", func(r *http.Request, id int64) (civility.Entry, error) {
			return s.Civility.Repair(r.Context(), actorOf(r), id, r.PostFormValue("note"))
		}},
	} {
		s.mux.HandleFunc(f.pattern, s.staff(s.civilityEntryForm(f.done, f.act)))
	}
}

// civilityRefusal is a civility page's refused form: the message shown above
// it (the pages embed it).
type civilityRefusal struct {
	Error string
}

func (c *civilityRefusal) refuse(msg string) { c.Error = msg }

// civilityPage is a civility page's data: drawn by its own template, and
// showing a refused form's message.
type civilityPage[P any] interface {
	*P
	draw(s *Server, w http.ResponseWriter, r *http.Request, status int)
	refuse(msg string)
}

// civilityShow is the handler of a page that only shows its data (load).
func civilityShow[P any, PP civilityPage[P]](s *Server, load func(*http.Request) (P, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := load(r)
		if err != nil {
			return err
		}
		PP(&p).draw(s, w, r, http.StatusOK)
		return nil
	}
}

// civilityRefused answers a refused civility form: the page again (load)
// with the refusal's message and status, where the form was; an error that
// is no refusal is returned as it is.
func civilityRefused[P any, PP civilityPage[P]](s *Server, w http.ResponseWriter, r *http.Request, err error, load func(*http.Request) (P, error)) error {
	msg, ok := userMessage(r, err)
	if !ok {
		return err
	}
	p, perr := load(r)
	if perr != nil {
		return perr
	}
	PP(&p).refuse(msg)
	PP(&p).draw(s, w, r, Status(err))
	return nil
}

// civilityAfter answers a civility form: refused, as civilityRefused;
// done, a redirect to next (which says what was done).
func civilityAfter[P any, PP civilityPage[P]](s *Server, w http.ResponseWriter, r *http.Request, err error, load func(*http.Request) (P, error), next string) error {
	if err != nil {
		return civilityRefused[P, PP](s, w, r, err, load)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// softRefusal keeps a page whose section was refused to the user (the
// section stays empty, or shows the message); any other error stops it.
func softRefusal(r *http.Request, err error) (string, error) {
	if err == nil {
		return "", nil
	}
	if msg, ok := userMessage(r, err); ok {
		return msg, nil
	}
	return "", err
}

// CivilityHomePage is the staff's desk: the entry form, the review queue
// and the entries of the area, filtered.
type CivilityHomePage struct {
	Page
	Items   []civility.Item
	Queue   []civility.Entry
	Entries []civility.Entry
	People  []civility.Resident
	Filter  civility.Filter
	Q       string
	// AppealsHref is the appeal inbox (the case list of the appeal flow).
	AppealsHref string
	Export      string
	Done        string
	Now         string
	Statuses    []string
	// Reviewer: community and township staff, who open a person's page
	// (grid workers record, they do not collect or issue cards).
	Reviewer bool
	civilityRefusal
}

func (p CivilityHomePage) draw(s *Server, w http.ResponseWriter, r *http.Request, status int) {
	s.renderStatus(w, r, status, "civility_home", p)
}

func (s *Server) civilityFilter(r *http.Request) civility.Filter {
	q := r.URL.Query()
	return civility.Filter{Status: q.Get("status"), Kind: q.Get("kind"), ItemCode: q.Get("item")}
}

func (s *Server) civilityHomeData(r *http.Request) (CivilityHomePage, error) {
	ctx, actor := r.Context(), actorOf(r)
	p := CivilityHomePage{Page: s.page(r, "civility.title", "civility"), Filter: s.civilityFilter(r), Q: r.URL.Query().Get("q"),
		AppealsHref: "/cases?flow=" + civility.AppealFlow, Done: r.URL.Query().Get("done"),
		Now: time.Now().In(shanghaiZone).Format("2006-01-02T15:04"), Statuses: civility.Statuses,
		Reviewer: actor.HasAny(access.RoleCommunity, access.RoleTownship)}
	p.Export = "/civility/entries.xlsx?" + r.URL.Query().Encode()
	var err error
	if p.Items, err = s.Civility.Items(ctx); err != nil {
		return p, err
	}
	// Grid workers see no queue and county users no people: those
	// sections stay empty; the entries say why.
	p.People, err = s.Civility.People(ctx, actor, p.Q)
	if _, err = softRefusal(r, err); err != nil {
		return p, err
	}
	p.Queue, err = s.Civility.Entries(ctx, actor, civility.Filter{Queue: true, Limit: 100})
	if _, err = softRefusal(r, err); err != nil {
		return p, err
	}
	f := p.Filter
	f.Limit = 200
	p.Entries, err = s.Civility.Entries(ctx, actor, f)
	p.Error, err = softRefusal(r, err)
	return p, err
}

func (s *Server) civilityHome(w http.ResponseWriter, r *http.Request) error {
	return civilityShow(s, s.civilityHomeData)(w, r)
}

func civilityID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.NotFound("没有这条文明行为记录")
	}
	return id, nil
}

// civilityNewEntry reads an entry form (the desk's and a case's): the
// person, item, source, place, time and evidence.
func civilityNewEntry(r *http.Request) (civility.NewEntry, error) {
	person, _ := strconv.ParseInt(r.PostFormValue("person"), 10, 64)
	at, ok := formTime(r.PostFormValue("occurred_at"))
	if !ok {
		return civility.NewEntry{}, store.Invalid("请填写行为发生的时间")
	}
	return civility.NewEntry{ItemCode: r.PostFormValue("item"), PersonID: person, Source: r.PostFormValue("source"),
		Place: r.PostFormValue("place"), OccurredAt: at, Evidence: r.PostFormValue("evidence")}, nil
}

// civilityRecorded answers an entry form: the new entry's page, or the
// form's page (tmpl, load) again with the refusal.
func civilityRecorded[P any, PP civilityPage[P]](s *Server, w http.ResponseWriter, r *http.Request, load func(*http.Request) (P, error),
	record func(civility.NewEntry) (civility.Entry, error)) error {
	in, err := civilityNewEntry(r)
	var e civility.Entry
	if err == nil {
		e, err = record(in)
	}
	return civilityAfter[P, PP](s, w, r, err, load, "/civility/entries/"+strconv.FormatInt(e.ID, 10)+"?done=recorded")
}

func (s *Server) civilityRecord(w http.ResponseWriter, r *http.Request) error {
	return civilityRecorded(s, w, r, s.civilityHomeData, func(in civility.NewEntry) (civility.Entry, error) {
		return s.Civility.Record(r.Context(), actorOf(r), in)
	})
}

func (s *Server) civilityExport(w http.ResponseWriter, r *http.Request) error {
	f := s.civilityFilter(r)
	f.Limit = 1000
	entries, err := s.Civility.Entries(r.Context(), actorOf(r), f)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := civility.WriteEntriesXLSX(&b, entries); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(time.Now(), "文明行为记录", civility.StatusText(f.Status), f.ItemCode), b.Bytes())
	return nil
}

// CivilityEntryPage is an entry with its reviews, notice, appeal and
// history, and the forms its state allows.
type CivilityEntryPage struct {
	Page
	E    civility.Entry
	Done string
	civilityRefusal
}

func (p CivilityEntryPage) draw(s *Server, w http.ResponseWriter, r *http.Request, status int) {
	s.renderStatus(w, r, status, "civility_entry", p)
}

func (s *Server) civilityEntryData(r *http.Request) (CivilityEntryPage, error) {
	p := CivilityEntryPage{Page: s.page(r, "civility.entry.title", "civility"), Done: r.URL.Query().Get("done")}
	id, err := civilityID(r)
	if err != nil {
		return p, err
	}
	p.E, err = s.Civility.Entry(r.Context(), actorOf(r), id)
	return p, err
}

func (s *Server) civilityEntry(w http.ResponseWriter, r *http.Request) error {
	return civilityShow(s, s.civilityEntryData)(w, r)
}

func (s *Server) civilityNotice(w http.ResponseWriter, r *http.Request) error {
	p, err := s.civilityEntryData(r)
	if err != nil {
		return err
	}
	if p.E.NoticeNo == "" {
		return store.Conflict("该记录尚未出具告知书")
	}
	return s.render(w, r, "civility_notice", p)
}

// civilityEntryAfter renders the entry with a refused form's message, or
// goes back to it saying what was done.
func (s *Server) civilityEntryAfter(w http.ResponseWriter, r *http.Request, err error, done string) error {
	return civilityAfter(s, w, r, err, s.civilityEntryData, "/civility/entries/"+r.PathValue("id")+"?done="+url.QueryEscape(done))
}

// civilityEntryForm is the handler of a form on an entry's page: act on
// the entry the path names, then back to it saying done.
func (s *Server) civilityEntryForm(done string, act func(r *http.Request, id int64) (civility.Entry, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := civilityID(r)
		if err != nil {
			return err
		}
		_, err = act(r, id)
		return s.civilityEntryAfter(w, r, err, done)
	}
}

// CivilityPersonPage is a person as the community sees them here: their
// entries, the verified volunteer hours not yet collected, the points
// card, and (for building and street leaders) the one-step volunteer
// registration.
type CivilityPersonPage struct {
	Page
	Person  civility.Resident
	Entries []civility.Entry
	Served  []civility.Served
	Account *civility.Account
	Leader  bool
	CardNo  string
	Done    string
	civilityRefusal
}

func (p CivilityPersonPage) draw(s *Server, w http.ResponseWriter, r *http.Request, status int) {
	s.renderStatus(w, r, status, "civility_person", p)
}

func (s *Server) civilityPersonData(r *http.Request) (CivilityPersonPage, error) {
	ctx, actor := r.Context(), actorOf(r)
	p := CivilityPersonPage{Page: s.page(r, "civility.person.title", "civility"), Done: r.URL.Query().Get("done"), CardNo: r.URL.Query().Get("card")}
	id, err := civilityID(r)
	if err != nil {
		return p, err
	}
	if p.Served, err = s.Civility.Uncollected(ctx, actor, id); err != nil {
		return p, err
	}
	people, err := s.Civility.People(ctx, actor, "")
	if err != nil {
		return p, err
	}
	for _, x := range people {
		if x.ID == id {
			p.Person = x
		}
	}
	if p.Person.ID == 0 {
		// Beyond the first fifty: the name is looked up directly.
		if err := s.DB.QueryRow(ctx, `SELECT p.id, p.name, p.role, u.name FROM people p JOIN units u ON u.id = p.unit_id WHERE p.id = ?`, id).
			Scan(&p.Person.ID, &p.Person.Name, &p.Person.Role, &p.Person.UnitName); err != nil {
			return p, store.NotFound("没有这个人员")
		}
	}
	p.Leader = p.Person.Role == "building_leader" || p.Person.Role == "street_leader"
	if p.Entries, err = s.Civility.Entries(ctx, actor, civility.Filter{PersonID: id}); err != nil {
		return p, err
	}
	return p, nil
}

func (s *Server) civilityPerson(w http.ResponseWriter, r *http.Request) error {
	return civilityShow(s, s.civilityPersonData)(w, r)
}

func (s *Server) civilityPersonAfter(w http.ResponseWriter, r *http.Request, err error, done, card string) error {
	q := "?done=" + url.QueryEscape(done)
	if card != "" {
		q += "&card=" + url.QueryEscape(card)
	}
	return civilityAfter(s, w, r, err, s.civilityPersonData, "/civility/people/"+r.PathValue("id")+q)
}

func (s *Server) civilityCollect(w http.ResponseWriter, r *http.Request) error {
	ve, _ := strconv.ParseInt(r.PostFormValue("volunteer_entry"), 10, 64)
	_, err := s.Civility.FromVolunteerEntry(r.Context(), actorOf(r), ve, r.PostFormValue("item"))
	return s.civilityPersonAfter(w, r, err, "collected", "")
}

func (s *Server) civilityCard(w http.ResponseWriter, r *http.Request) error {
	id, err := civilityID(r)
	if err != nil {
		return err
	}
	no, err := s.Civility.IssueCard(r.Context(), actorOf(r), id, r.PostFormValue("pin"), r.PostFormValue("consent") == "1")
	return s.civilityPersonAfter(w, r, err, "card", no)
}

func (s *Server) civilityLeader(w http.ResponseWriter, r *http.Request) error {
	id, err := civilityID(r)
	if err != nil {
		return err
	}
	// The page is the person's civility page: who may not read it may not
	// act from it.
	if _, err := s.civilityPersonData(r); err != nil {
		return err
	}
	_, err = s.Volunteer.RegisterLeader(r.Context(), actorOf(r), id)
	return s.civilityPersonAfter(w, r, err, "volunteer", "")
}

// CivilityCasePage records the uncivil behaviour a resolved case's
// handling found.
type CivilityCasePage struct {
	Page
	No     string
	Items  []civility.Item
	People []civility.Resident
	Now    string
	civilityRefusal
}

func (p CivilityCasePage) draw(s *Server, w http.ResponseWriter, r *http.Request, status int) {
	s.renderStatus(w, r, status, "civility_case", p)
}

func (s *Server) civilityCaseData(r *http.Request) (CivilityCasePage, error) {
	p := CivilityCasePage{Page: s.page(r, "civility.case.title", "civility"), No: r.PathValue("no"),
		Now: time.Now().In(shanghaiZone).Format("2006-01-02T15:04")}
	var err error
	if p.Items, err = s.Civility.Items(r.Context()); err != nil {
		return p, err
	}
	p.People, err = s.Civility.People(r.Context(), actorOf(r), r.URL.Query().Get("q"))
	return p, err
}

func (s *Server) civilityCaseForm(w http.ResponseWriter, r *http.Request) error {
	return civilityShow(s, s.civilityCaseData)(w, r)
}

func (s *Server) civilityFromCase(w http.ResponseWriter, r *http.Request) error {
	return civilityRecorded(s, w, r, s.civilityCaseData, func(in civility.NewEntry) (civility.Entry, error) {
		return s.Civility.FromCase(r.Context(), actorOf(r), r.PathValue("no"), in)
	})
}

// CivilityCounterPage is a store's counter: the card looked up, the goods,
// the month's summaries.
type CivilityCounterPage struct {
	Page
	Stores  []civility.Store
	StoreID int64
	CardNo  string
	Account *civility.Account
	Months  []civility.MonthSummary
	Done    *civility.Redemption
	civilityRefusal
}

func (p CivilityCounterPage) draw(s *Server, w http.ResponseWriter, r *http.Request, status int) {
	s.renderStatus(w, r, status, "civility_counter", p)
}

func (s *Server) civilityCounterData(r *http.Request, storeID int64, card string) (CivilityCounterPage, error) {
	ctx, actor := r.Context(), actorOf(r)
	p := CivilityCounterPage{Page: s.page(r, "civility.counter.title", "civility"), StoreID: storeID, CardNo: card}
	var err error
	if p.Stores, err = s.Civility.Stores(ctx, actor); err != nil {
		return p, err
	}
	if p.StoreID == 0 && len(p.Stores) > 0 {
		p.StoreID = p.Stores[0].ID
	}
	if p.Months, err = s.Civility.Monthly(ctx, actor); err != nil {
		return p, err
	}
	if card != "" {
		a, err := s.Civility.AccountByCard(ctx, actor, card)
		if err == nil {
			p.Account = &a
		}
		if p.Error, err = softRefusal(r, err); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Store is the chosen store.
func (p CivilityCounterPage) Store() *civility.Store {
	for i := range p.Stores {
		if p.Stores[i].ID == p.StoreID {
			return &p.Stores[i]
		}
	}
	return nil
}

func (s *Server) civilityCounter(w http.ResponseWriter, r *http.Request) error {
	storeID, _ := strconv.ParseInt(r.URL.Query().Get("store"), 10, 64)
	p, err := s.civilityCounterData(r, storeID, r.URL.Query().Get("card"))
	if err != nil {
		return err
	}
	return s.render(w, r, "civility_counter", p)
}

func (s *Server) civilityRedeem(w http.ResponseWriter, r *http.Request) error {
	storeID, _ := strconv.ParseInt(r.PostFormValue("store"), 10, 64)
	goods, _ := strconv.ParseInt(r.PostFormValue("goods"), 10, 64)
	qty, err := strconv.Atoi(r.PostFormValue("quantity"))
	if err != nil {
		qty = 1
	}
	card := r.PostFormValue("card")
	load := func(r *http.Request) (CivilityCounterPage, error) { return s.civilityCounterData(r, storeID, card) }
	red, err := s.Civility.Redeem(r.Context(), actorOf(r), storeID, goods, card, qty)
	if err != nil {
		return civilityRefused(s, w, r, err, load)
	}
	p, err := load(r)
	if err != nil {
		return err
	}
	p.Done = &red
	p.draw(s, w, r, http.StatusOK)
	return nil
}

// CivilityCataloguePage is the civilisation office's catalogue and
// incentives.
type CivilityCataloguePage struct {
	Page
	Items      []civility.Item
	Incentives []civility.Incentive
	BasisKinds []string
	Done       string
	civilityRefusal
}

func (p CivilityCataloguePage) draw(s *Server, w http.ResponseWriter, r *http.Request, status int) {
	s.renderStatus(w, r, status, "civility_catalogue", p)
}

func (s *Server) civilityCatalogueData(r *http.Request) (CivilityCataloguePage, error) {
	p := CivilityCataloguePage{Page: s.page(r, "civility.catalogue.title", "civility"), BasisKinds: civility.BasisKinds, Done: r.URL.Query().Get("done")}
	var err error
	if p.Items, err = s.Civility.Items(r.Context()); err != nil {
		return p, err
	}
	p.Incentives, err = s.Civility.Incentives(r.Context())
	return p, err
}

func (s *Server) civilityCatalogue(w http.ResponseWriter, r *http.Request) error {
	return civilityShow(s, s.civilityCatalogueData)(w, r)
}

func (s *Server) civilityCatalogueAfter(w http.ResponseWriter, r *http.Request, err error, done string) error {
	return civilityAfter(s, w, r, err, s.civilityCatalogueData, "/civility/catalogue?done="+done)
}

func (s *Server) civilitySaveItem(w http.ResponseWriter, r *http.Request) error {
	points, _ := strconv.Atoi(r.PostFormValue("points"))
	days, _ := strconv.Atoi(r.PostFormValue("validity_days"))
	_, err := s.Civility.SaveItem(r.Context(), actorOf(r), civility.Item{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"),
		Kind: r.PostFormValue("kind"), Points: points, ValidityDays: days, Evidence: r.PostFormValue("evidence"),
		BasisKind: r.PostFormValue("basis_kind"), Basis: r.PostFormValue("basis"), AssemblyDate: r.PostFormValue("assembly_date")})
	return s.civilityCatalogueAfter(w, r, err, "item")
}

func (s *Server) civilityAddIncentive(w http.ResponseWriter, r *http.Request) error {
	threshold, _ := strconv.Atoi(r.PostFormValue("threshold"))
	_, err := s.Civility.AddIncentive(r.Context(), actorOf(r), civility.Incentive{Basis: r.PostFormValue("basis"), Threshold: threshold,
		Benefit: r.PostFormValue("benefit"), Provider: r.PostFormValue("provider")})
	return s.civilityCatalogueAfter(w, r, err, "incentive")
}

// CivilityFiguresPage is the figures: aggregates by place, never by
// person.
type CivilityFiguresPage struct {
	Page
	F      civility.Figures
	Levels []string
}

func (s *Server) civilityFigures(w http.ResponseWriter, r *http.Request) error {
	p := CivilityFiguresPage{Page: s.page(r, "civility.figures.title", "civility"), Levels: civility.Levels}
	var err error
	if p.F, err = s.Civility.Figures(r.Context(), actorOf(r), r.URL.Query().Get("level")); err != nil {
		return err
	}
	return s.render(w, r, "civility_figures", p)
}

// PortalCivilityPage is the resident's own page, opened with the points
// card and PIN: balance, entries with their notices, appeals, incentives.
type PortalCivilityPage struct {
	Page
	CardNo  string
	Account *civility.Account
	Done    bool
	civilityRefusal
}

func (p PortalCivilityPage) draw(s *Server, w http.ResponseWriter, r *http.Request, status int) {
	s.renderStatus(w, r, status, "portal_civility", p)
}

func (s *Server) portalCivilityForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, "portal_civility", PortalCivilityPage{Page: s.page(r, "civility.portal.title", "")})
}

func (s *Server) portalCivilityShow(w http.ResponseWriter, r *http.Request, p PortalCivilityPage, err error) error {
	card, pin := r.PostFormValue("card"), r.PostFormValue("pin")
	p.CardNo = card
	if err == nil {
		var a civility.Account
		a, err = s.Civility.Portal(r.Context(), card, pin)
		if err == nil {
			p.Account = &a
		}
	}
	if err != nil {
		return civilityRefused(s, w, r, err, func(*http.Request) (PortalCivilityPage, error) { return p, nil })
	}
	return s.render(w, r, "portal_civility", p)
}

func (s *Server) portalCivility(w http.ResponseWriter, r *http.Request) error {
	return s.portalCivilityShow(w, r, PortalCivilityPage{Page: s.page(r, "civility.portal.title", "")}, nil)
}

func (s *Server) portalCivilityAppeal(w http.ResponseWriter, r *http.Request) error {
	entry, _ := strconv.ParseInt(r.PostFormValue("entry"), 10, 64)
	_, err := s.Civility.AppealByCard(r.Context(), r.PostFormValue("card"), r.PostFormValue("pin"), entry, r.PostFormValue("reason"))
	p := PortalCivilityPage{Page: s.page(r, "civility.portal.title", ""), Done: err == nil}
	return s.portalCivilityShow(w, r, p, err)
}
