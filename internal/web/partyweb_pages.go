package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/casework"
	"grassroots/internal/download"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/volunteer"
)

// The party registry's forms beyond the desk's first ones: the committee
// page (full and part-time members, meetings with the area's commitments on
// the agenda, follow-ups raised as cases), party-mass service centres,
// signing a co-building agreement, its progress and yearly evaluation,
// planning an activity, the good deeds pages and the case page's "mark as
// good deed" panel. Rules are internal/party's and internal/volunteer's.

func (s *Server) partyWebRoutes() {
	if s.Party == nil {
		return
	}
	s.mux.HandleFunc("GET /party/committees/{code}", s.staff(s.committeePage))
	s.mux.HandleFunc("POST /party/committees/{code}/members", s.staff(s.committeeAddMember))
	s.mux.HandleFunc("POST /party/committees/{code}/meetings", s.staff(s.committeeMeeting))
	s.mux.HandleFunc("POST /party/followups/{id}/case", s.staff(s.committeeFollowUp))
	s.mux.HandleFunc("POST /party/centres", s.staff(s.partyAddCentre))
	s.mux.HandleFunc("POST /party/agreements", s.staff(s.partySignAgreement))
	s.mux.HandleFunc("POST /party/commitments/{id}/progress", s.staff(s.partyProgress))
	s.mux.HandleFunc("POST /party/agreements/{id}/evaluate", s.staff(s.partyEvaluate))
	s.mux.HandleFunc("POST /party/activities", s.staff(s.partyPlanActivity))
	s.mux.HandleFunc("POST /party/activities/{id}/attendance", s.staff(s.partyAttendance))
	s.mux.HandleFunc("GET /deeds", s.staff(s.deedsPage))
	s.mux.HandleFunc("POST /deeds", s.staff(s.deedRecord))
	s.mux.HandleFunc("GET /deeds/{id}/photo", s.staff(s.deedPhoto))
	s.mux.HandleFunc("POST /cases/{no}/deed", s.staff(s.caseDeed))
}

// CommitteePage is a committee's page.
type CommitteePage struct {
	Page
	C     party.Committee
	Today string
	Error string
	Done  string
}

func (s *Server) committeeData(r *http.Request) (CommitteePage, error) {
	p := CommitteePage{Page: s.page(r, "", "party"), Done: r.URL.Query().Get("done"), Today: time.Now().In(shanghaiLoc).Format("2006-01-02")}
	c, err := s.Party.Committee(r.Context(), actorOf(r), r.PathValue("code"))
	if err != nil {
		return p, err
	}
	p.C, p.Title = c, c.Name
	return p, nil
}

func (s *Server) committeePage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.committeeData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "party_committee", p)
}

// committeeDone goes back to the committee page, or shows the error there.
func (s *Server) committeeDone(w http.ResponseWriter, r *http.Request, code, done string, err error) error {
	if err == nil {
		http.Redirect(w, r, "/party/committees/"+url.PathEscape(code)+"?done="+url.QueryEscape(done), http.StatusSeeOther)
		return nil
	}
	msg, ok := userMessage(r, err)
	if !ok {
		return err
	}
	r.SetPathValue("code", code)
	p, perr := s.committeeData(r)
	if perr != nil {
		return perr
	}
	p.Error = msg
	s.renderStatus(w, r, Status(err), "party_committee", p)
	return nil
}

func (s *Server) committeeAddMember(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	person, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("person_id")), 10, 64)
	_, err := s.Party.AddCommitteeMember(r.Context(), actorOf(r), code, party.CommitteeMemberInput{Name: r.PostFormValue("name"),
		Post: r.PostFormValue("post"), PartTime: r.PostFormValue("part_time") == "1", Unit: r.PostFormValue("from_unit"),
		TermFrom: r.PostFormValue("term_from"), TermTo: r.PostFormValue("term_to"), PersonID: person})
	return s.committeeDone(w, r, code, "member", err)
}

func formIDs(r *http.Request, name string) []int64 {
	var out []int64
	for _, v := range r.PostForm[name] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

func (s *Server) committeeMeeting(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单无法读取")
	}
	centre, _ := strconv.ParseInt(r.PostFormValue("centre"), 10, 64)
	_, err := s.Party.RecordMeeting(r.Context(), actorOf(r), code, party.MeetingInput{HeldOn: r.PostFormValue("held_on"),
		Title: r.PostFormValue("title"), CentreID: centre, Attendees: r.PostFormValue("attendees"), Decisions: r.PostFormValue("decisions"),
		Agenda: formIDs(r, "agenda"), FollowUps: strings.Split(r.PostFormValue("follow_ups"), "\n")})
	return s.committeeDone(w, r, code, "meeting", err)
}

func (s *Server) committeeFollowUp(w http.ResponseWriter, r *http.Request) error {
	var summon []string
	if u := strings.TrimSpace(r.PostFormValue("summon")); u != "" {
		summon = []string{u}
	}
	c, err := s.Party.RaiseFollowUp(r.Context(), actorOf(r), pathInt(r, "id"), summon)
	if err != nil {
		if code := r.PostFormValue("committee"); code != "" {
			return s.committeeDone(w, r, code, "", err)
		}
		return err
	}
	http.Redirect(w, r, "/cases/"+url.PathEscape(c.No)+"?created=1", http.StatusSeeOther)
	return nil
}

func (s *Server) partyAddCentre(w http.ResponseWriter, r *http.Request) error {
	unit := r.PostFormValue("unit")
	_, err := s.Party.AddCentre(r.Context(), actorOf(r), unit, r.PostFormValue("name"), r.PostFormValue("address"), false)
	if back := r.PostFormValue("committee"); back != "" {
		return s.committeeDone(w, r, back, "centre", err)
	}
	return s.partyDone(w, r, unit, err)
}

func (s *Server) partySignAgreement(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单无法读取")
	}
	in := party.AgreementInput{Community: r.PostFormValue("unit"), Unit: r.PostFormValue("partner"), TermFrom: r.PostFormValue("term_from"),
		TermTo: r.PostFormValue("term_to"), Liaison: r.PostFormValue("liaison"), LiaisonPhone: r.PostFormValue("liaison_phone"),
		Note: r.PostFormValue("note")}
	kinds, whats, targets := r.PostForm["c_kind"], r.PostForm["c_what"], r.PostForm["c_target"]
	for i := range whats {
		if strings.TrimSpace(whats[i]) == "" {
			continue
		}
		c := party.CommitmentInput{What: whats[i]}
		if i < len(kinds) {
			c.Kind = kinds[i]
		}
		if i < len(targets) {
			c.Target, _ = strconv.Atoi(strings.TrimSpace(targets[i]))
		}
		in.Commitments = append(in.Commitments, c)
	}
	_, err := s.Party.SignAgreement(r.Context(), actorOf(r), in)
	return s.partyDone(w, r, in.Community, err)
}

func (s *Server) partyProgress(w http.ResponseWriter, r *http.Request) error {
	done, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("done")))
	if err != nil {
		return s.partyDone(w, r, r.PostFormValue("unit"), store.Invalid("完成数量应为整数"))
	}
	_, err = s.Party.RecordProgress(r.Context(), actorOf(r), pathInt(r, "id"), done, r.PostFormValue("note"))
	return s.partyDone(w, r, r.PostFormValue("unit"), err)
}

func (s *Server) partyEvaluate(w http.ResponseWriter, r *http.Request) error {
	year, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("year")))
	if err != nil {
		return s.partyDone(w, r, r.PostFormValue("unit"), store.Invalid("请填写评议年度"))
	}
	_, err = s.Party.Evaluate(r.Context(), actorOf(r), pathInt(r, "id"), year, r.PostFormValue("grade"), r.PostFormValue("comment"))
	return s.partyDone(w, r, r.PostFormValue("unit"), err)
}

func (s *Server) partyPlanActivity(w http.ResponseWriter, r *http.Request) error {
	unit := r.PostFormValue("unit")
	start, ok1 := formTime(r.PostFormValue("starts_at"))
	end, ok2 := formTime(r.PostFormValue("ends_at"))
	if !ok1 || !ok2 {
		return s.partyDone(w, r, unit, store.Invalid("请填写活动的开始和结束时间，结束应晚于开始"))
	}
	item, _ := strconv.ParseInt(r.PostFormValue("item"), 10, 64)
	centre, _ := strconv.ParseInt(r.PostFormValue("centre"), 10, 64)
	_, err := s.Party.PlanActivity(r.Context(), actorOf(r), party.ActivityInput{Community: unit, ItemID: item, CentreID: centre,
		Organiser: r.PostFormValue("organiser"), Title: r.PostFormValue("title"), Content: r.PostFormValue("content"),
		Place: r.PostFormValue("place"), StartsAt: start, EndsAt: end})
	return s.partyDone(w, r, unit, err)
}

// partyAttendance records an attendee's times as the organiser (a member
// without a phone, or times to put right before the sign-off).
func (s *Server) partyAttendance(w http.ResponseWriter, r *http.Request) error {
	unit := r.PostFormValue("unit")
	in, ok1 := formTime(r.PostFormValue("in"))
	out, ok2 := formTime(r.PostFormValue("out"))
	if !ok1 || !ok2 {
		return s.partyDone(w, r, unit, store.Invalid("请填写签到和签退时间，签退应晚于签到"))
	}
	person, _ := strconv.ParseInt(r.PostFormValue("person"), 10, 64)
	_, err := s.Party.RecordAttendance(r.Context(), actorOf(r), pathInt(r, "id"), person, in, out)
	return s.partyDone(w, r, unit, err)
}

// DeedsPage lists the good deeds of the user's subtree, counted per
// community, with the form to record one.
type DeedsPage struct {
	Page
	From, To    time.Time
	Deeds       []volunteer.Deed
	ByCommunity []volunteer.DeedCount
	Total       int
	Error, Done string
}

func (s *Server) deedsData(r *http.Request) (DeedsPage, error) {
	p := DeedsPage{Page: s.page(r, "deeds.title", "party"), Done: r.URL.Query().Get("done")}
	now := time.Now().In(shanghaiLoc)
	p.To = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, shanghaiLoc).AddDate(0, 0, 1)
	p.From = p.To.AddDate(-1, 0, 0)
	q := r.URL.Query()
	if v := q.Get("from"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, shanghaiLoc)
		if err != nil {
			return p, store.Invalid("日期的格式应为 2026-01-01")
		}
		p.From = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, shanghaiLoc)
		if err != nil {
			return p, store.Invalid("日期的格式应为 2026-01-01")
		}
		p.To = t.AddDate(0, 0, 1)
	}
	ctx, actor := r.Context(), actorOf(r)
	var err error
	if p.ByCommunity, err = s.Volunteer.DeedsByCommunity(ctx, actor, p.From, p.To); err != nil {
		return p, err
	}
	for _, c := range p.ByCommunity {
		p.Total += c.Deeds
	}
	p.Deeds, err = s.Volunteer.Deeds(ctx, actor, p.From, p.To, 200)
	return p, err
}

// ToDay is the last day of the page's period.
func (p DeedsPage) ToDay() time.Time { return p.To.AddDate(0, 0, -1) }

func (s *Server) deedsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.deedsData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "party_deeds", p)
}

// deedRecord records a good deed done by a co-building unit (by code) or a
// member (by person id) in a community, confirmed by the user or by the
// resident.
func (s *Server) deedRecord(w http.ResponseWriter, r *http.Request) error {
	err := s.recordDeedForm(w, r)
	if err == nil {
		http.Redirect(w, r, "/deeds?done=recorded", http.StatusSeeOther)
		return nil
	}
	msg, ok := userMessage(r, err)
	if !ok {
		return err
	}
	p, perr := s.deedsData(r)
	if perr != nil {
		return perr
	}
	p.Error = msg
	s.renderStatus(w, r, Status(err), "party_deeds", p)
	return nil
}

// recordDeedForm reads the form (URL encoded, or multipart with the
// optional evidence photo in the field photo) and records the deed.
func (s *Server) recordDeedForm(w http.ResponseWriter, r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") && r.MultipartForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, casework.MaxAttachment+1<<20)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return store.Invalid("上传的内容过大或不完整，请减少照片后重试")
		}
	}
	photo, err := formFiles(r, "photo", "")
	if err != nil {
		return err
	}
	in := volunteer.DeedInput{Community: r.PostFormValue("community"), DoerUnit: r.PostFormValue("doer_unit"),
		Beneficiary: r.PostFormValue("beneficiary"), Problem: r.PostFormValue("problem"),
		ConfirmedAs: r.PostFormValue("confirmed_as"), ConfirmedBy: r.PostFormValue("confirmed_by"), DoneOn: r.PostFormValue("done_on")}
	in.DoerPersonID, _ = strconv.ParseInt(strings.TrimSpace(r.PostFormValue("doer_person")), 10, 64)
	if len(photo) > 0 {
		in.PhotoName, in.Photo = photo[0].Name, photo[0].Data
	}
	_, err = s.Volunteer.RecordDeedInput(r.Context(), actorOf(r), in)
	return err
}

// deedPhoto shows a good deed's evidence photo to those who may read the
// deed (Volunteer.DeedPhoto).
func (s *Server) deedPhoto(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到该照片")
	}
	rc, ct, size, err := s.Volunteer.DeedPhoto(r.Context(), actorOf(r), id)
	if err != nil {
		return err
	}
	defer rc.Close()
	download.Serve(w, download.File{Type: ct, Size: size, Inline: true}, rc)
	return nil
}

// caseDeed marks a resolved case as a good deed from its page's panel.
func (s *Server) caseDeed(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	no := r.PathValue("no")
	d, err := s.Cases.Get(r.Context(), actorOf(r), no)
	if err != nil {
		return err
	}
	_, err = s.Party.MarkCaseDeed(r.Context(), actorOf(r), d, party.CaseDeedInput{Doer: r.PostFormValue("doer"),
		Beneficiary: r.PostFormValue("beneficiary"), Problem: r.PostFormValue("problem")})
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		p, perr := s.caseViewPage(r, no)
		if perr != nil {
			return perr
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "case_view", p)
		return nil
	}
	http.Redirect(w, r, "/cases/"+url.PathEscape(no)+"?deed=1", http.StatusSeeOther)
	return nil
}
