package web

import (
	"net/http"
	"strconv"
	"time"

	"grassroots/internal/catalog"
	"grassroots/internal/store"
)

// ListsAttemptsPage is the access attempts report and the exceptions.
type ListsAttemptsPage struct {
	ListsPage
	From, To     string
	Department   string
	Report       []catalog.DepartmentAttempts
	Attempts     []catalog.Attempt
	Exceptions   []catalog.Exception
	CanGrant     bool
	Departments  []catalog.UnitRef
	Townships    []catalog.UnitRef
	Matters      []catalog.Matter
	TotalRefused int
}

func (s *Server) listsAttempts(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := ListsAttemptsPage{ListsPage: s.listsPage(r, "lists.attempts.title", "attempts")}
	p.CanGrant = catalog.CanGrantExceptions(p.Actor)
	q := r.URL.Query()
	now := time.Now()
	from := now.AddDate(0, -3, 0)
	to := now
	p.From, p.To, p.Department = q.Get("from"), q.Get("to"), q.Get("unit")
	if p.From != "" {
		t, err := catalog.ParseDate(p.From)
		if err != nil {
			return err
		}
		from = t
	}
	if p.To != "" {
		t, err := catalog.ParseDate(p.To)
		if err != nil {
			return err
		}
		to = t
	}
	to = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, to.Location()).AddDate(0, 0, 1)
	p.From, p.To = from.Format("2006-01-02"), to.AddDate(0, 0, -1).Format("2006-01-02")
	var err error
	if p.Report, err = s.Lists.AttemptsReport(ctx, p.Actor, from, to); err != nil {
		return err
	}
	for _, d := range p.Report {
		p.TotalRefused += d.Refused
	}
	if p.Attempts, err = s.Lists.Attempts(ctx, p.Actor, from, to, p.Department, 200); err != nil {
		return err
	}
	if p.Exceptions, err = s.Lists.Exceptions(ctx, p.Actor); err != nil {
		return err
	}
	if p.Departments, err = s.Lists.Departments(ctx); err != nil {
		return err
	}
	if p.CanGrant {
		if p.Townships, err = s.Lists.Townships(ctx); err != nil {
			return err
		}
		if p.Matters, err = s.Lists.Matters(ctx, p.Actor, catalog.MatterFilter{}); err != nil {
			return err
		}
	}
	return s.render(w, r, "lists_attempts", p)
}

func (s *Server) listsExceptionGrant(w http.ResponseWriter, r *http.Request) error {
	in := catalog.ExceptionInput{FromCode: r.PostFormValue("from"), ToCode: r.PostFormValue("to"), MatterCode: r.PostFormValue("matter"), Reason: r.PostFormValue("reason")}
	if v := r.PostFormValue("expires"); v != "" {
		t, err := catalog.ParseDate(v)
		if err != nil {
			return err
		}
		in.ExpiresAt = t.AddDate(0, 0, 1)
	}
	if _, err := s.Lists.GrantException(r.Context(), actorOf(r), in); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/attempts?ok=exception", http.StatusSeeOther)
	return nil
}

func (s *Server) listsExceptionRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("没有这项例外")
	}
	if err := s.Lists.RevokeException(r.Context(), actorOf(r), id, r.PostFormValue("reason")); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/attempts?ok=revoked", http.StatusSeeOther)
	return nil
}

// ListsRequestsPage is the empowerment workflow: townships ask (基层点单),
// the approval office grants in a batch (赋权下单) or refuses.
type ListsRequestsPage struct {
	ListsPage
	Requests    []catalog.Request
	Batches     []catalog.Batch
	Matters     []catalog.Matter
	CanRequest  bool
	Status      string
	PendingSeen int
}

func (s *Server) listsRequests(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := ListsRequestsPage{ListsPage: s.listsPage(r, "lists.requests.title", "requests"), Status: r.URL.Query().Get("status")}
	p.CanRequest = catalog.IsTownshipLevel(p.Actor.UnitKind)
	var err error
	if p.Requests, err = s.Lists.Requests(ctx, p.Actor, p.Status); err != nil {
		return err
	}
	for _, q := range p.Requests {
		if q.Status == "pending" {
			p.PendingSeen++
		}
	}
	if p.Batches, err = s.Lists.Batches(ctx, p.Actor); err != nil {
		return err
	}
	if p.Matters, err = s.Lists.Matters(ctx, p.Actor, catalog.MatterFilter{}); err != nil {
		return err
	}
	return s.render(w, r, "lists_requests", p)
}

func (s *Server) listsRequestCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Lists.RequestEmpowerment(r.Context(), actorOf(r), catalog.RequestInput{MatterCode: r.PostFormValue("matter"), Reason: r.PostFormValue("reason")}); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/requests?ok=requested", http.StatusSeeOther)
	return nil
}

func (s *Server) listsRequestsGrant(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单有误")
	}
	var ids []int64
	for _, v := range r.PostForm["request"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return store.Invalid("表单有误")
		}
		ids = append(ids, id)
	}
	in := catalog.GrantInput{BatchNo: r.PostFormValue("batch"), RequestIDs: ids, Note: r.PostFormValue("note"), Single: r.PostFormValue("scope") == "single"}
	if _, err := s.Lists.GrantTo(r.Context(), actorOf(r), in); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/requests?ok=granted", http.StatusSeeOther)
	return nil
}

func (s *Server) listsRequestRefuse(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("没有这项申请")
	}
	if err := s.Lists.Refuse(r.Context(), actorOf(r), id, r.PostFormValue("note")); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/requests?ok=refused", http.StatusSeeOther)
	return nil
}

func (s *Server) listsBatchCreate(w http.ResponseWriter, r *http.Request) error {
	in := catalog.BatchInput{BatchNo: r.PostFormValue("batch_no"), DocNo: r.PostFormValue("doc_no"), Note: r.PostFormValue("note")}
	if v := r.PostFormValue("effective"); v != "" {
		t, err := catalog.ParseDate(v)
		if err != nil {
			return err
		}
		in.EffectiveAt = t
	}
	if _, err := s.Lists.CreateBatch(r.Context(), actorOf(r), in); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/requests?ok=batch", http.StatusSeeOther)
	return nil
}
