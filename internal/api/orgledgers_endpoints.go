package api

import (
	"net/http"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/pairing"
	"grassroots/internal/staffing"
	"grassroots/internal/store"
	"grassroots/internal/taskforce"
)

// orgLedgerEndpoints registers the county's organisational ledgers (issue
// 17): pairings and their chain, task forces and their inbox, the staffing
// ledger, and a person's posts and task forces. Every list carries its
// figures per pairing, township and county.
func (s *Server) orgLedgerEndpoints() {
	s.route("GET /api/v1/pairings", s.authed(s.pairingsList))
	s.route("GET /api/v1/pairings/{id}", s.authed(s.pairingChain))
	s.route("POST /api/v1/pairings/{id}/visits", s.authed(s.pairingVisit))
	s.route("POST /api/v1/pairings/{id}/projects", s.authed(s.pairingProject))
	s.route("POST /api/v1/pairing-projects/{id}/funds", s.authed(s.pairingFund))
	s.route("POST /api/v1/pairing-funds/{id}/advance", s.authed(s.pairingAdvance))
	s.route("POST /api/v1/villages/{code}/income", s.authed(s.villageIncome))
	s.route("GET /api/v1/taskforces", s.authed(s.taskforcesList))
	s.route("POST /api/v1/taskforces", s.authed(s.taskforceCreate))
	s.route("GET /api/v1/taskforces/{id}", s.authed(s.taskforceGet))
	s.route("POST /api/v1/taskforces/{id}/members", s.authed(s.taskforceMember))
	s.route("POST /api/v1/taskforces/{id}/cases", s.authed(s.taskforceCase))
	s.route("GET /api/v1/staffing", s.authed(s.staffingLedger))
	s.route("GET /api/v1/staffing/history", s.authed(s.staffingHistory))
	s.route("POST /api/v1/staffing/moves", s.authed(s.staffingMove))
	s.route("POST /api/v1/staffing/posts", s.authed(s.staffingFill))
	s.route("GET /api/v1/people/{id}/posts", s.authed(s.personPosts))
	s.orgLedgerExcelEndpoints()
}

func idParam(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.NotFoundf("没有这个%s", what)
	}
	return id, nil
}

// Created is the id of what a POST made.
type Created struct {
	ID int64 `json:"id"`
}

// PairingList is the pairings with their figures.
type PairingList struct {
	Pairings []pairing.Row `json:"pairings"`
	Figures  pairing.Area  `json:"figures"`
}

func (s *Server) pairingsList(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	rows, err := s.Pairing.List(r.Context(), actor)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []pairing.Row{}
	}
	return writeJSON(w, http.StatusOK, PairingList{Pairings: rows, Figures: pairing.FiguresOf(rows)})
}

func (s *Server) pairingChain(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := idParam(r, "结对")
	if err != nil {
		return err
	}
	c, err := s.Pairing.Chain(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// VisitRequest is a field visit.
type VisitRequest struct {
	Day      string `json:"day"`
	Visitors string `json:"visitors"`
	Finding  string `json:"finding"`
	Photo    string `json:"photo"`
}

func (s *Server) pairingVisit(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := idParam(r, "结对")
	if err != nil {
		return err
	}
	var req VisitRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	vid, err := s.Pairing.Visit(r.Context(), actor, id, pairing.VisitInput{Day: req.Day, Visitors: req.Visitors, Finding: req.Finding, Photo: req.Photo})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, Created{ID: vid})
}

// ProjectRequest is a new industry project.
type ProjectRequest struct {
	VisitID     int64  `json:"visit_id"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	PartnerKind string `json:"partner_kind"`
	PartnerName string `json:"partner_name"`
	CadreID     int64  `json:"cadre_person_id"`
	Stage       string `json:"stage"`
}

func (s *Server) pairingProject(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := idParam(r, "结对")
	if err != nil {
		return err
	}
	var req ProjectRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	pid, err := s.Pairing.AddProject(r.Context(), actor, id, pairing.ProjectInput{VisitID: req.VisitID, Kind: req.Kind, Name: req.Name,
		PartnerKind: req.PartnerKind, PartnerName: req.PartnerName, CadreID: req.CadreID, Stage: req.Stage})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, Created{ID: pid})
}

// FundRequest is a fund line sought.
type FundRequest struct {
	Source string `json:"source"`
	Amount int64  `json:"amount"`
	Day    string `json:"day"`
}

func (s *Server) pairingFund(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := idParam(r, "项目")
	if err != nil {
		return err
	}
	var req FundRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	fid, err := s.Pairing.AddFund(r.Context(), actor, id, pairing.FundInput{Source: req.Source, Amount: req.Amount, Day: req.Day})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, Created{ID: fid})
}

// DayRequest carries the day a step was taken (today when empty).
type DayRequest struct {
	Day string `json:"day"`
}

// FundStatus is a fund line's status after a step.
type FundStatus struct {
	Status string `json:"status"`
}

func (s *Server) pairingAdvance(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := idParam(r, "资金")
	if err != nil {
		return err
	}
	var req DayRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	st, err := s.Pairing.AdvanceFund(r.Context(), actor, id, req.Day)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, FundStatus{Status: st})
}

// IncomeRequest is a year's collective operating income.
type IncomeRequest struct {
	Year   int   `json:"year"`
	Amount int64 `json:"amount"`
}

func (s *Server) villageIncome(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var req IncomeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := s.Pairing.RecordIncome(r.Context(), actor, r.PathValue("code"), req.Year, req.Amount); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// TaskForceList is the task forces with their figures.
type TaskForceList struct {
	TaskForces []taskforce.TaskForce `json:"taskforces"`
	Figures    taskforce.Figures     `json:"figures"`
}

func (s *Server) taskforcesList(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	list, err := s.TaskForce.List(r.Context(), actor)
	if err != nil {
		return err
	}
	if list == nil {
		list = []taskforce.TaskForce{}
	}
	return writeJSON(w, http.StatusOK, TaskForceList{TaskForces: list, Figures: taskforce.FiguresOf(list)})
}

// TaskForceRequest is a new task force.
type TaskForceRequest struct {
	UnitCode  string `json:"unit_code"`
	Name      string `json:"name"`
	Task      string `json:"task"`
	LeadID    int64  `json:"lead_person_id"`
	DeputyID  int64  `json:"deputy_person_id"`
	StartDay  string `json:"start_day"`
	TargetDay string `json:"target_day"`
	EndDay    string `json:"end_day"`
}

func (s *Server) taskforceCreate(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var req TaskForceRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id, err := s.TaskForce.Create(r.Context(), actor, taskforce.Input{UnitCode: req.UnitCode, Name: req.Name, Task: req.Task, LeadID: req.LeadID,
		DeputyID: req.DeputyID, StartDay: req.StartDay, TargetDay: req.TargetDay, EndDay: req.EndDay})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, Created{ID: id})
}

func (s *Server) taskforceGet(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := idParam(r, "专班")
	if err != nil {
		return err
	}
	d, err := s.TaskForce.Get(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

// MemberRequest adds a member to a task force.
type MemberRequest struct {
	PersonID      int64 `json:"person_id"`
	FullTime      bool  `json:"full_time"`
	InstitutionID int64 `json:"institution_id"`
	Share         int   `json:"share"`
}

func (s *Server) taskforceMember(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := idParam(r, "专班")
	if err != nil {
		return err
	}
	var req MemberRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := s.TaskForce.AddMember(r.Context(), actor, id, taskforce.MemberInput{PersonID: req.PersonID, FullTime: req.FullTime,
		InstitutionID: req.InstitutionID, Share: req.Share}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// WorkItemRequest gives a task force a case.
type WorkItemRequest struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// WorkItem is the case a task force was given.
type WorkItem struct {
	CaseNo string `json:"case_no"`
}

func (s *Server) taskforceCase(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := idParam(r, "专班")
	if err != nil {
		return err
	}
	var req WorkItemRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	no, err := s.TaskForce.GiveCase(r.Context(), actor, id, req.Title, req.Body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, WorkItem{CaseNo: no})
}

func (s *Server) staffingLedger(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	l, err := s.Staffing.Ledger(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

// StaffingHistory is the ledger's events.
type StaffingHistory struct {
	Events []staffing.Event `json:"events"`
}

func (s *Server) staffingHistory(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	ev, err := s.Staffing.History(r.Context(), actor, r.URL.Query().Get("unit"), 1000)
	if err != nil {
		return err
	}
	if ev == nil {
		ev = []staffing.Event{}
	}
	return writeJSON(w, http.StatusOK, StaffingHistory{Events: ev})
}

// MoveRequest is an approval, transfer or loan of posts.
type MoveRequest struct {
	Kind            string `json:"kind"`
	FromCode        string `json:"from_unit"`
	FromInstitution string `json:"from_institution"`
	ToCode          string `json:"to_unit"`
	ToInstitution   string `json:"to_institution"`
	Type            string `json:"post_type"`
	Count           int    `json:"count"`
	DocNo           string `json:"doc_no"`
	DocDay          string `json:"doc_day"`
	ReturnDay       string `json:"return_day"`
	Note            string `json:"note"`
}

func (s *Server) staffingMove(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var req MoveRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id, err := s.Staffing.Record(r.Context(), actor, staffing.Move{Kind: req.Kind, FromCode: req.FromCode, FromInstitution: req.FromInstitution,
		ToCode: req.ToCode, ToInstitution: req.ToInstitution, Type: req.Type, Count: req.Count, DocNo: req.DocNo, DocDay: req.DocDay,
		ReturnDay: req.ReturnDay, Note: req.Note})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, Created{ID: id})
}

// PostRequest fills a post with a named person.
type PostRequest struct {
	UnitCode    string `json:"unit_code"`
	Institution string `json:"institution"`
	Type        string `json:"post_type"`
	Leader      bool   `json:"leader"`
	Title       string `json:"title"`
	PersonID    int64  `json:"person_id"`
	Since       string `json:"since"`
}

func (s *Server) staffingFill(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var req PostRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id, err := s.Staffing.Fill(r.Context(), actor, staffing.PostInput{UnitCode: req.UnitCode, Institution: req.Institution, Type: req.Type,
		Leader: req.Leader, Title: req.Title, PersonID: req.PersonID, Since: req.Since})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, Created{ID: id})
}

// PersonPosts is a person's posts, modules and task forces.
type PersonPosts struct {
	Person     staffing.Person        `json:"person"`
	Posts      []staffing.Post        `json:"posts"`
	TaskForces []taskforce.Membership `json:"taskforces"`
}

func (s *Server) personPosts(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := idParam(r, "人员")
	if err != nil {
		return err
	}
	p := PersonPosts{Posts: []staffing.Post{}, TaskForces: []taskforce.Membership{}}
	if p.Person, err = s.Staffing.Person(r.Context(), actor, id); err != nil {
		return err
	}
	posts, err := s.Staffing.Posts(r.Context(), actor, "", id)
	if err != nil {
		return err
	}
	tfs, err := s.TaskForce.OfPerson(r.Context(), actor, id)
	if err != nil {
		return err
	}
	p.Posts = append(p.Posts, posts...)
	p.TaskForces = append(p.TaskForces, tfs...)
	return writeJSON(w, http.StatusOK, p)
}
