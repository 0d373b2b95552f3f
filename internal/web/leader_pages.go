package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"grassroots/internal/casework"
	"grassroots/internal/party"
	"grassroots/internal/store"
)

// A building or street leader's own page on the phone (/m/leader/<token>),
// reached by the personal link the grid's staff issue from the grid page:
// a form to report what they see in their building, and what they reported
// with what they were told. The rules are internal/party's (leaders.go) and
// casework.PersonReport's.

// LeaderPage is a leader's own page.
type LeaderPage struct {
	Page
	Token        string
	Leader       party.Member
	Reports      []casework.PersonReportRow
	RequestTypes []string
	Form         LeaderReportForm
	Idem         string
	Done         string
	Error        string
}

// LeaderReportForm is what the leader typed, kept on an error.
type LeaderReportForm struct {
	RequestType, Title, Body, Address string
}

func (s *Server) leaderRoutes() {
	s.mux.HandleFunc("GET /m/leader/{token}", s.h(s.leaderPage))
	s.mux.HandleFunc("POST /m/leader/{token}/report", s.h(s.leaderReport))
	s.mux.HandleFunc("POST /grids/{code}/leaders/{id}/link", s.staff(s.gridLeaderLink))
}

func (s *Server) leaderData(r *http.Request) (LeaderPage, error) {
	p := LeaderPage{Page: s.page(r, "leader.title", ""), Token: r.PathValue("token"), RequestTypes: casework.RequestTypes,
		Idem: newIdem(), Form: LeaderReportForm{RequestType: "help"}}
	if s.Party == nil || s.Cases == nil {
		return p, store.NotFound("工单功能未启用")
	}
	m, err := s.Party.LeaderByToken(r.Context(), p.Token)
	if err != nil {
		return p, err
	}
	p.Leader = m
	if p.Reports, err = s.Party.LeaderReports(r.Context(), m); err != nil {
		return p, err
	}
	if no := r.URL.Query().Get("no"); r.URL.Query().Get("done") == "report" && casework.LooksLikeCaseNo(no) {
		p.Done = no
	}
	return p, nil
}

func (s *Server) leaderPage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer") // the link is the leader's key
	w.Header().Set("Cache-Control", "no-store")
	p, err := s.leaderData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "leader_page", p)
}

// leaderReport opens a case about the leader's building by the leader
// channel; the page's id for the form makes a resend the same case.
func (s *Server) leaderReport(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	if err := parseUpload(r); err != nil {
		return err
	}
	p, err := s.leaderData(r)
	if err != nil {
		return err
	}
	f := LeaderReportForm{RequestType: r.PostFormValue("request_type"), Title: strings.TrimSpace(r.PostFormValue("title")),
		Body: strings.TrimSpace(r.PostFormValue("body")), Address: strings.TrimSpace(r.PostFormValue("address"))}
	c, err := func() (casework.Case, error) {
		photos, err := formPhotos(r, "photos", "before")
		if err != nil {
			return casework.Case{}, err
		}
		in := casework.NewCase{RequestType: f.RequestType, Title: titleFrom(f.Title, f.Body), Body: f.Body, Address: f.Address, Attachments: photos}
		c, _, err := s.Party.LeaderReport(r.Context(), p.Leader, formIdem(r), in)
		return c, err
	}()
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		p.Error, p.Form = msg, f
		if idem := formIdem(r); idem != "" {
			p.Idem = idem
		}
		s.renderStatus(w, r, Status(err), "leader_page", p)
		return nil
	}
	http.Redirect(w, r, "/m/leader/"+url.PathEscape(p.Token)+"?done=report&no="+url.QueryEscape(c.No), http.StatusSeeOther)
	return nil
}

// gridLeaderLink issues a building or street leader of the grid a new
// personal link and shows it once on the grid page.
func (s *Server) gridLeaderLink(w http.ResponseWriter, r *http.Request) error {
	if s.Party == nil {
		return store.NotFound("工单功能未启用")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到该人员")
	}
	p, err := s.gridPageData(r)
	if err != nil {
		return err
	}
	if !p.View.CanEditGroups {
		// The same people who keep the grid's front-line records.
		return store.Forbidden("只有网格员和社区、乡镇工作人员可以发放楼栋长、街巷长个人链接")
	}
	var name string
	for _, b := range p.View.Buildings {
		for _, l := range b.Leaders {
			if l.ID == id {
				name = l.Name
			}
		}
	}
	if name == "" {
		return store.NotFound("该网格没有这位楼栋长或街巷长")
	}
	token, err := s.Party.IssueLeaderLink(r.Context(), actorOf(r), id)
	if err != nil {
		return err
	}
	scheme := "http"
	if s.cookieSecure(r) { // TLS here or at a trusted proxy
		scheme = "https"
	}
	p.LeaderLink, p.LeaderLinkFor = scheme+"://"+r.Host+"/m/leader/"+token, name
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, "grid_page", p)
}
