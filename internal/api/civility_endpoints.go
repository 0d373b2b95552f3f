package api

import (
	"net/http"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/civility"
	"grassroots/internal/store"
)

// civilityEndpoints registers the civic behaviour records and points
// (internal/civility, docs/CIVILITY.md): the catalogue, entries and their
// reviews, appeals, the counter's card look-up and redemptions, and the
// figures (aggregates by place only).
func (s *Server) civilityEndpoints() {
	s.route("GET /api/v1/civility/items", s.authed(s.civilityItems))
	s.route("POST /api/v1/civility/items", s.authed(s.civilitySaveItem))
	s.route("GET /api/v1/civility/entries", s.authed(s.civilityEntries))
	s.route("POST /api/v1/civility/entries", s.authed(s.civilityRecord))
	s.route("POST /api/v1/civility/entries/{id}/review", s.authed(s.civilityReview))
	s.route("POST /api/v1/civility/appeals", s.authed(s.civilityAppeal))
	s.route("GET /api/v1/civility/accounts/{card}", s.authed(s.civilityAccount))
	s.route("POST /api/v1/civility/redemptions", s.authed(s.civilityRedeem))
	s.route("GET /api/v1/civility/figures", s.authed(s.civilityFigures))
}

func (s *Server) civilityItems(w http.ResponseWriter, r *http.Request, _ access.Actor) error {
	items, err := s.Civility.Items(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) civilitySaveItem(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var it civility.Item
	if err := decodeJSON(r, &it); err != nil {
		return err
	}
	saved, err := s.Civility.SaveItem(r.Context(), actor, it)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, saved)
}

func (s *Server) civilityEntries(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	f := civility.Filter{Status: q.Get("status"), Kind: q.Get("kind"), ItemCode: q.Get("item"), Queue: q.Get("queue") == "1"}
	if p := q.Get("person_id"); p != "" {
		f.PersonID, _ = strconv.ParseInt(p, 10, 64)
	}
	out, err := s.Civility.Entries(r.Context(), actor, f)
	if err != nil {
		return err
	}
	if out == nil {
		out = []civility.Entry{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}

// CivilityEntryRequest records an entry: from a verified volunteer service
// entry (volunteer_entry_id), a good deed (deed_id), a closed case
// (case_no, with item, person, evidence), or directly (a patrol report or
// a nomination).
type CivilityEntryRequest struct {
	civility.NewEntry
	OccurredAt       string `json:"occurred_at"`
	VolunteerEntryID int64  `json:"volunteer_entry_id,omitempty"`
	DeedID           int64  `json:"deed_id,omitempty"`
	CaseNo           string `json:"case_no,omitempty"`
}

func (s *Server) civilityRecord(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var req CivilityEntryRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	var e civility.Entry
	var err error
	switch {
	case req.VolunteerEntryID != 0:
		e, err = s.Civility.FromVolunteerEntry(ctx, actor, req.VolunteerEntryID, req.ItemCode)
	case req.DeedID != 0:
		e, err = s.Civility.FromGoodDeed(ctx, actor, req.DeedID, req.ItemCode)
	default:
		if req.OccurredAt != "" {
			t, perr := time.Parse(time.RFC3339, req.OccurredAt)
			if perr != nil {
				return store.Invalid("发生时间应为RFC 3339格式，如2026-11-26T09:00:00+08:00")
			}
			req.NewEntry.OccurredAt = t
		}
		if req.CaseNo != "" {
			e, err = s.Civility.FromCase(ctx, actor, req.CaseNo, req.NewEntry)
		} else {
			e, err = s.Civility.Record(ctx, actor, req.NewEntry)
		}
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, e)
}

// CivilityReviewRequest is a reviewer's decision.
type CivilityReviewRequest struct {
	Approve bool   `json:"approve"`
	Note    string `json:"note"`
}

func (s *Server) civilityReview(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.NotFound("没有这条文明行为记录")
	}
	var req CivilityReviewRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	e, err := s.Civility.Review(r.Context(), actor, id, req.Approve, req.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

// CivilityAppealRequest is an appeal received at the counter.
type CivilityAppealRequest struct {
	EntryID int64  `json:"entry_id"`
	Reason  string `json:"reason"`
}

func (s *Server) civilityAppeal(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var req CivilityAppealRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	e, err := s.Civility.Appeal(r.Context(), actor, req.EntryID, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, e)
}

func (s *Server) civilityAccount(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	a, err := s.Civility.AccountByCard(r.Context(), actor, r.PathValue("card"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// CivilityRedemptionRequest is a redemption at a store's counter.
type CivilityRedemptionRequest struct {
	StoreID  int64  `json:"store_id"`
	GoodsID  int64  `json:"goods_id"`
	CardNo   string `json:"card_no"`
	Quantity int    `json:"quantity"`
}

func (s *Server) civilityRedeem(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var req CivilityRedemptionRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Quantity == 0 {
		req.Quantity = 1
	}
	red, err := s.Civility.Redeem(r.Context(), actor, req.StoreID, req.GoodsID, req.CardNo, req.Quantity)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, red)
}

func (s *Server) civilityFigures(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	f, err := s.Civility.Figures(r.Context(), actor, r.URL.Query().Get("level"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}
