package web

// The register of responsibility letters, quotas, acceptance checks and
// one-vote vetoes (责任状、分解下达指标、考核验收、一票否决) county
// departments issue to townships, with their clean-up (issue 21 point 12).
// The rules are the catalogue's (catalog.RegisterDuty, ClearDuty); the
// pages read and post.

import (
	"net/http"
	"strconv"
	"strings"

	"grassroots/internal/catalog"
	"grassroots/internal/store"
)

func (s *Server) dutyRoutes() {
	s.mux.HandleFunc("GET /lists/duties", s.staff(s.listsDuties))
	s.mux.HandleFunc("POST /lists/duties", s.staff(s.listsDutyRegister))
	s.mux.HandleFunc("POST /lists/duties/{id}/cleanup", s.staff(s.listsDutyCleanup))
}

// ListsDutiesPage is the register, what is left per department, and the
// forms to register a document and record a clean-up.
type ListsDutiesPage struct {
	ListsPage
	Documents   []catalog.DutyDocument
	Summaries   []catalog.DutySummary
	Kinds       []string
	Departments []catalog.UnitRef
	Townships   []catalog.UnitRef
	Matters     []catalog.Matter
	// CanRegister: a department's staff (their own department) or the
	// approval office; CanClear: the approval office and county admins.
	CanRegister, CanClear bool
	Dept, Status          string
	Error                 string
}

func (s *Server) dutiesPage(r *http.Request) (ListsDutiesPage, error) {
	ctx := r.Context()
	p := ListsDutiesPage{ListsPage: s.listsPage(r, "duty.title", "duties"), Kinds: catalog.DutyKinds}
	p.CanClear = catalog.CanClearDuties(p.Actor)
	p.CanRegister = p.CanClear || p.Actor.UnitKind == "department"
	q := r.URL.Query()
	p.Dept, p.Status = q.Get("dept"), q.Get("status")
	var err error
	if p.Documents, err = s.Lists.DutyDocuments(ctx, p.Actor, catalog.DutyFilter{DeptCode: p.Dept, Status: p.Status}); err != nil {
		return p, err
	}
	if p.Summaries, err = s.Lists.DutySummaries(ctx, p.Actor); err != nil {
		return p, err
	}
	if p.Departments, err = s.Lists.Departments(ctx); err != nil {
		return p, err
	}
	if p.CanRegister {
		if p.Townships, err = s.Lists.Townships(ctx); err != nil {
			return p, err
		}
		if p.Matters, err = s.Lists.Matters(ctx, p.Actor, catalog.MatterFilter{}); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (s *Server) listsDuties(w http.ResponseWriter, r *http.Request) error {
	p, err := s.dutiesPage(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "lists_duties", p)
}

// dutyRefused shows the page again with the refusal.
func (s *Server) dutyRefused(w http.ResponseWriter, r *http.Request, err error) error {
	msg, ok := userMessage(r, err)
	if !ok || Status(err) >= 500 {
		return err
	}
	p, perr := s.dutiesPage(r)
	if perr != nil {
		return err
	}
	p.Error = msg
	s.renderStatus(w, r, Status(err), "lists_duties", p)
	return nil
}

func (s *Server) listsDutyRegister(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("提交的内容无法读取")
	}
	f := r.PostForm
	in := catalog.DutyInput{Kind: f.Get("kind"), Title: f.Get("title"), DeptCode: f.Get("dept"), DocNo: f.Get("doc_no"),
		Townships: f["townships"], Existing: f.Get("existing") == "1"}
	for _, v := range f["matters"] {
		in.Matters = append(in.Matters, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' })...)
	}
	if d := strings.TrimSpace(f.Get("issued_at")); d != "" {
		t, err := catalog.ParseDate(d)
		if err != nil {
			return s.dutyRefused(w, r, err)
		}
		in.IssuedAt = t
	}
	if _, err := s.Lists.RegisterDuty(r.Context(), actorOf(r), in); err != nil {
		return s.dutyRefused(w, r, err)
	}
	http.Redirect(w, r, "/lists/duties?ok=duty_registered", http.StatusSeeOther)
	return nil
}

func (s *Server) listsDutyCleanup(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到该文件")
	}
	if err := r.ParseForm(); err != nil {
		return store.Invalid("提交的内容无法读取")
	}
	in := catalog.DutyCleanup{Result: r.PostFormValue("result"), Reason: r.PostFormValue("reason"), DocNo: r.PostFormValue("doc_no")}
	if _, err := s.Lists.ClearDuty(r.Context(), actorOf(r), id, in); err != nil {
		return s.dutyRefused(w, r, err)
	}
	http.Redirect(w, r, "/lists/duties?ok=duty_cleaned", http.StatusSeeOther)
	return nil
}
