package api

import (
	"net/http"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// AccessCheck asks whether a department may hand a matter to a unit; the
// attempt is recorded.
type AccessCheck struct {
	FromCode     string `json:"from_code"`
	ToCode       string `json:"to_code"`
	MatterCode   string `json:"matter_code"`
	CategoryCode string `json:"category_code"`
	Purpose      string `json:"purpose"`
}

// AccessAllowed is the answer of an admitted check.
type AccessAllowed struct {
	Allowed bool `json:"allowed"`
}

func (s *Server) apiAccessCheck(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if actor.Anonymous() {
		return errUnauthorized
	}
	var in AccessCheck
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.FromCode == "" {
		in.FromCode = actor.UnitCode
	}
	if in.FromCode != actor.UnitCode && !catalog.CanEdit(actor) {
		return store.Forbidden("只能以本单位名义交办工作")
	}
	from, err := s.unitID(r, in.FromCode)
	if err != nil {
		return err
	}
	to, err := s.unitID(r, in.ToCode)
	if err != nil {
		return err
	}
	if err := s.Lists.CheckAccess(r.Context(), catalog.AccessRequest{Actor: actor, FromUnitID: from, ToUnitID: to,
		MatterCode: in.MatterCode, CategoryCode: in.CategoryCode, Purpose: in.Purpose}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, AccessAllowed{Allowed: true})
}

func (s *Server) unitID(r *http.Request, code string) (int64, error) {
	u, err := org.RefByCode(r.Context(), s.DB, code)
	if err != nil {
		return 0, store.NotFound("找不到单位“" + code + "”")
	}
	return u.ID, nil
}

// AttemptsBody is the attempts report and the latest attempts.
type AttemptsBody struct {
	From     time.Time                    `json:"from"`
	To       time.Time                    `json:"to"`
	Report   []catalog.DepartmentAttempts `json:"report"`
	Attempts []catalog.Attempt            `json:"attempts"`
}

func (s *Server) apiAccessAttempts(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	out := AttemptsBody{From: time.Now().AddDate(0, -3, 0), To: time.Now().Add(time.Minute)}
	var err error
	if v := q.Get("from"); v != "" {
		if out.From, err = catalog.ParseDate(v); err != nil {
			return err
		}
	}
	if v := q.Get("to"); v != "" {
		if out.To, err = parseWhen(v); err != nil {
			return err
		}
	}
	if out.Report, err = s.Lists.AttemptsReport(r.Context(), actor, out.From, out.To); err != nil {
		return err
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	if out.Attempts, err = s.Lists.Attempts(r.Context(), actor, out.From, out.To, q.Get("unit"), limit); err != nil {
		return err
	}
	if out.Report == nil {
		out.Report = []catalog.DepartmentAttempts{}
	}
	if out.Attempts == nil {
		out.Attempts = []catalog.Attempt{}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiExceptions(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	es, err := s.Lists.Exceptions(r.Context(), actor)
	if err != nil {
		return err
	}
	if es == nil {
		es = []catalog.Exception{}
	}
	return writeJSON(w, http.StatusOK, itemsBody[catalog.Exception]{Items: es})
}

func (s *Server) apiExceptionGrant(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in catalog.ExceptionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	e, err := s.Lists.GrantException(r.Context(), actor, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, e)
}

// ReasonBody carries a reason or a note.
type ReasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) apiExceptionRevoke(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("没有这项例外")
	}
	var in ReasonBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Lists.RevokeException(r.Context(), actor, id, in.Reason); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"revoked": true})
}
