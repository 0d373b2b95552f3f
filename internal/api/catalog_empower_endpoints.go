package api

import (
	"net/http"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/store"
)

// MayDecideBody answers whether a township may decide a matter itself.
type MayDecideBody struct {
	Township   string    `json:"township"`
	MatterCode string    `json:"matter_code"`
	At         time.Time `json:"at"`
	MayDecide  bool      `json:"may_decide"`
}

func (s *Server) apiMayDecide(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if actor.Anonymous() {
		return errUnauthorized
	}
	q := r.URL.Query()
	out := MayDecideBody{Township: q.Get("township"), MatterCode: q.Get("matter"), At: time.Now()}
	if v := q.Get("at"); v != "" {
		t, err := parseWhen(v)
		if err != nil {
			return err
		}
		out.At = t
	}
	id, err := s.unitID(r, out.Township)
	if err != nil {
		return err
	}
	if out.MayDecide, err = s.Lists.MayDecide(r.Context(), id, out.MatterCode, out.At); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiBatches(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	bs, err := s.Lists.Batches(r.Context(), actor)
	if err != nil {
		return err
	}
	if bs == nil {
		bs = []catalog.Batch{}
	}
	return writeJSON(w, http.StatusOK, itemsBody[catalog.Batch]{Items: bs})
}

func (s *Server) apiBatchCreate(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in catalog.BatchInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	b, err := s.Lists.CreateBatch(r.Context(), actor, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, b)
}

func (s *Server) apiRequests(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	rs, err := s.Lists.Requests(r.Context(), actor, r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []catalog.Request{}
	}
	return writeJSON(w, http.StatusOK, itemsBody[catalog.Request]{Items: rs})
}

func (s *Server) apiRequestCreate(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in catalog.RequestInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	req, err := s.Lists.RequestEmpowerment(r.Context(), actor, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, req)
}

func (s *Server) apiRequestRefuse(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("没有这项申请")
	}
	var in ReasonBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Lists.Refuse(r.Context(), actor, id, in.Reason); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"refused": true})
}

// GrantBody grants pending requests in a batch.
type GrantBody struct {
	BatchNo    string  `json:"batch_no"`
	RequestIDs []int64 `json:"request_ids"`
	Note       string  `json:"note"`
	// Single grants each power to the requesting township alone (差别化赋权).
	Single bool `json:"single,omitempty"`
}

func (s *Server) apiGrant(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in GrantBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sum, err := s.Lists.GrantTo(r.Context(), actor, catalog.GrantInput{BatchNo: in.BatchNo, RequestIDs: in.RequestIDs, Note: in.Note, Single: in.Single})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sum)
}

// RevokeBody takes a power back from a township type.
type RevokeBody struct {
	TownshipType string `json:"township_type"`
	MatterCode   string `json:"matter_code"`
	Reason       string `json:"reason"`
}

func (s *Server) apiRevoke(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in RevokeBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sum, err := s.Lists.Revoke(r.Context(), actor, in.TownshipType, in.MatterCode, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sum)
}

// maxImportBody bounds an import's JSON body.
const maxImportBody = 64 << 20
