package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
	"grassroots/internal/xlsx"
)

// The party registry's pages (internal/party): /party is the community
// party committee's and the organisation department's desk (a unit's
// figures; for a community its agreements, registrations to accept, needs
// and activities to sign off); /party/letter is a work unit's quarterly
// feedback letter (A4, and Excel); the member's own phone page
// (/m/member/<token>) gains registration, needs to claim and sign-in.

// partyRoutes registers the party registry's pages.
func (s *Server) partyRoutes() {
	if s.Party == nil {
		return
	}
	s.mux.HandleFunc("GET /party", s.staff(s.partyDesk))
	s.mux.HandleFunc("POST /party/registrations/{id}/accept", s.staff(s.partyAccept))
	s.mux.HandleFunc("POST /party/needs", s.staff(s.partyPublishNeed))
	s.mux.HandleFunc("POST /party/activities/{id}/signoff", s.staff(s.partySignOff))
	s.mux.HandleFunc("GET /party/letter", s.staff(s.partyLetter))
	s.mux.HandleFunc("GET /party/letter.xlsx", s.staff(s.partyLetterXLSX))
	s.mux.HandleFunc("POST /m/member/{token}/register", s.h(s.memberRegister))
	s.mux.HandleFunc("POST /m/member/{token}/reconfirm", s.h(s.memberReconfirm))
	s.mux.HandleFunc("POST /m/member/{token}/needs/{id}/claim", s.h(s.memberClaim))
	s.mux.HandleFunc("POST /m/member/{token}/activities/{id}/{dir}", s.h(s.memberSignIn))
}

// PartyDeskPage is a unit's party registry desk.
type PartyDeskPage struct {
	Page
	Unit        org.Unit
	From, To    time.Time
	Figures     party.Figures
	Community   bool
	Agreements  []party.Agreement
	Pending     []party.Registration
	Grids       []org.Unit
	Needs       []party.Item
	Activities  []party.Activity
	Error       string
	Year, Qtr   int
	LetterQuery string
	// Committees are the unit's committees (街道党工委、社区党委) with
	// their pages; Centres the party-mass service centres activities may
	// name; Grades an evaluation's choices; Today the forms' default day.
	Committees []org.PartyOrg
	Centres    []party.Centre
	Grades     []string
	Today      string
}

func (s *Server) partyDeskData(r *http.Request, code string) (PartyDeskPage, error) {
	ctx, actor := r.Context(), actorOf(r)
	p := PartyDeskPage{Page: s.page(r, "party.desk.title", "party")}
	if code == "" {
		code = actor.UnitCode
	}
	u, err := s.Org.UnitByCode(ctx, actor, code)
	if err != nil {
		return p, err
	}
	p.Unit = u
	if orgs, err := s.Org.PartyOrgsOfUnit(ctx, actor, u.ID); err == nil {
		for _, o := range orgs {
			if party.IsCommittee(o.Kind) {
				p.Committees = append(p.Committees, o)
			}
		}
	}
	p.Grades = party.Grades
	now := time.Now().In(shanghaiLoc)
	p.Today = now.Format("2006-01-02")
	p.To = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, shanghaiLoc).AddDate(0, 0, 1)
	p.From = p.To.AddDate(-1, 0, 0)
	if p.Figures, err = s.Party.Figures(ctx, actor, u.Code, p.From, p.To); err != nil {
		return p, err
	}
	p.Year, p.Qtr = now.Year(), (int(now.Month())-1)/3+1
	p.LetterQuery = "unit=" + url.QueryEscape(u.Code) + "&year=" + strconv.Itoa(p.Year) + "&q=" + strconv.Itoa(p.Qtr)
	if u.Kind != org.KindCommunity && u.Kind != org.KindVillage {
		return p, nil
	}
	p.Community = true
	if p.Centres, err = s.Party.Centres(ctx, actor, u.Code); err != nil {
		return p, err
	}
	if p.Agreements, err = s.Party.Agreements(ctx, actor, party.AgreementFilter{Community: u.Code}); err != nil {
		return p, err
	}
	if p.Pending, err = s.Party.Registrations(ctx, actor, party.RegistrationFilter{Community: u.Code, Status: party.RegPending}); err != nil {
		return p, err
	}
	children, err := s.Org.Children(ctx, actor, u.ID)
	if err != nil {
		return p, err
	}
	for _, c := range children {
		if c.Kind == org.KindGrid {
			p.Grids = append(p.Grids, c)
		}
	}
	if p.Needs, err = s.Party.Items(ctx, actor, party.ItemFilter{Community: u.Code, Kind: party.ItemNeed}); err != nil {
		return p, err
	}
	if len(p.Needs) > 30 {
		p.Needs = p.Needs[:30]
	}
	if p.Activities, err = s.Party.Activities(ctx, actor, party.ActivityFilter{Community: u.Code, Status: party.ActivityPlanned}); err != nil {
		return p, err
	}
	// The first planned activities with their rosters, for the organiser's attendance form.
	for i := range p.Activities {
		if i == 30 {
			break
		}
		a, err := s.Party.Activity(ctx, actor, p.Activities[i].ID)
		if err != nil {
			return p, err
		}
		p.Activities[i].Roster = a.Roster
	}
	return p, nil
}

// Local formats t for a datetime-local field, in China Standard Time.
func (PartyDeskPage) Local(t time.Time) string { return t.In(shanghaiLoc).Format("2006-01-02T15:04") }

var shanghaiLoc = worktime.Location()

func (s *Server) partyDesk(w http.ResponseWriter, r *http.Request) error {
	p, err := s.partyDeskData(r, strings.TrimSpace(r.URL.Query().Get("unit")))
	if err != nil {
		return err
	}
	if r.URL.Query().Get("saved") != "" {
		p.Flash = p.T("partyweb.saved")
	}
	return s.render(w, r, "party_desk", p)
}

// partyDone re-renders the desk with the error of a write, or goes back to it.
func (s *Server) partyDone(w http.ResponseWriter, r *http.Request, code string, err error) error {
	if err == nil {
		http.Redirect(w, r, "/party?unit="+url.QueryEscape(code)+"&saved=1", http.StatusSeeOther)
		return nil
	}
	msg, ok := userMessage(r, err)
	if !ok {
		return err
	}
	p, perr := s.partyDeskData(r, code)
	if perr != nil {
		return perr
	}
	p.Error = msg
	s.renderStatus(w, r, Status(err), "party_desk", p)
	return nil
}

func pathInt(r *http.Request, name string) int64 {
	id, _ := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id
}

func (s *Server) partyAccept(w http.ResponseWriter, r *http.Request) error {
	_, err := s.Party.Accept(r.Context(), actorOf(r), pathInt(r, "id"), r.PostFormValue("grid"))
	return s.partyDone(w, r, r.PostFormValue("unit"), err)
}

func (s *Server) partyPublishNeed(w http.ResponseWriter, r *http.Request) error {
	n, _ := strconv.Atoi(r.PostFormValue("headcount"))
	in := party.ItemInput{Kind: party.ItemNeed, Community: r.PostFormValue("unit"), Grid: r.PostFormValue("grid"), Title: r.PostFormValue("title"),
		Skills: r.PostFormValue("skills"), Headcount: n}
	if v := strings.TrimSpace(r.PostFormValue("starts_at")); v != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, shanghaiLoc)
		if err != nil {
			return s.partyDone(w, r, in.Community, store.Invalid("时间的格式应为 2026-12-01T09:00"))
		}
		in.StartsAt = &t
	}
	_, err := s.Party.PublishItem(r.Context(), actorOf(r), in)
	return s.partyDone(w, r, in.Community, err)
}

func (s *Server) partySignOff(w http.ResponseWriter, r *http.Request) error {
	_, err := s.Party.SignOff(r.Context(), actorOf(r), pathInt(r, "id"), party.SignOffInput{ResidentName: r.PostFormValue("resident_name"),
		Problem: r.PostFormValue("problem")})
	return s.partyDone(w, r, r.PostFormValue("unit"), err)
}

// PartyLetterPage is a work unit's quarterly feedback letter (A4).
type PartyLetterPage struct {
	Page
	Letter party.Letter
	Query  string
}

func (s *Server) letterOf(r *http.Request) (party.Letter, error) {
	q := r.URL.Query()
	year, err1 := strconv.Atoi(q.Get("year"))
	qtr, err2 := strconv.Atoi(q.Get("q"))
	if err1 != nil || err2 != nil {
		return party.Letter{}, store.Invalid("请选择年份和季度")
	}
	unit := strings.TrimSpace(q.Get("unit"))
	if unit == "" {
		unit = actorOf(r).UnitCode
	}
	return s.Party.FeedbackLetter(r.Context(), actorOf(r), unit, year, qtr)
}

func (s *Server) partyLetter(w http.ResponseWriter, r *http.Request) error {
	l, err := s.letterOf(r)
	if err != nil {
		return err
	}
	p := PartyLetterPage{Page: s.page(r, "party.letter.title", "party"), Letter: l, Query: r.URL.RawQuery}
	return s.render(w, r, "party_letter", p)
}

func (s *Server) partyLetterXLSX(w http.ResponseWriter, r *http.Request) error {
	l, err := s.letterOf(r)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := party.WriteLetter(l, &b); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(time.Time{}, "报到反馈", l.Figures.UnitName, strconv.Itoa(l.Year)+"Q"+strconv.Itoa(l.Quarter)), b.Bytes())
	return nil
}

// memberParty fills the member page's party part: registration, needs of
// the home community to claim, activities to sign in to.
func (s *Server) memberParty(r *http.Request, p *MemberPage) error {
	ctx := r.Context()
	regs, err := s.Party.Registrations(ctx, access.System, party.RegistrationFilter{PersonID: p.Member.PersonID})
	if err != nil {
		return err
	}
	if len(regs) > 0 {
		p.Registration = &regs[0]
	}
	if p.Member.HomeCode != "" {
		if p.Needs, err = s.Party.Items(ctx, access.System, party.ItemFilter{Community: p.Member.HomeCode, Kind: party.ItemNeed}); err != nil {
			return err
		}
		var open []party.Item
		for _, it := range p.Needs {
			if it.Status != party.ItemDone && len(open) < 10 {
				open = append(open, it)
			}
		}
		p.Needs = open
	}
	p.Activities, err = s.Party.MemberActivities(ctx, p.Member.PersonID)
	return err
}

// memberDone goes back to the member's page, or shows the error there.
func (s *Server) memberDone(w http.ResponseWriter, r *http.Request, p MemberPage, done string, err error) error {
	if err == nil {
		http.Redirect(w, r, "/m/member/"+url.PathEscape(p.Token)+"?done="+url.QueryEscape(done), http.StatusSeeOther)
		return nil
	}
	msg, ok := userMessage(r, err)
	if !ok {
		return err
	}
	p.Error = msg
	if ferr := s.memberParty(r, &p); ferr != nil {
		return ferr
	}
	s.renderStatus(w, r, Status(err), "whistle_member", p)
	return nil
}

func (s *Server) memberRegister(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	p, err := s.memberData(r)
	if err != nil {
		return err
	}
	_, err = s.Party.RegisterSelf(r.Context(), p.Member, r.PostFormValue("community"), r.PostFormValue("note"))
	return s.memberDone(w, r, p, "party_register", err)
}

func (s *Server) memberReconfirm(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	p, err := s.memberData(r)
	if err != nil {
		return err
	}
	_, err = s.Party.Reconfirm(r.Context(), p.Member)
	return s.memberDone(w, r, p, "party_reconfirm", err)
}

func (s *Server) memberClaim(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	p, err := s.memberData(r)
	if err != nil {
		return err
	}
	_, err = s.Party.ClaimAsMember(r.Context(), p.Member, pathInt(r, "id"))
	return s.memberDone(w, r, p, "party_claim", err)
}

func (s *Server) memberSignIn(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	p, err := s.memberData(r)
	if err != nil {
		return err
	}
	dir := r.PathValue("dir")
	if dir != "in" && dir != "out" {
		return store.NotFound("找不到该页面")
	}
	_, err = s.Party.SignIn(r.Context(), p.Member, pathInt(r, "id"), dir == "in")
	return s.memberDone(w, r, p, "party_sign_"+dir, err)
}
