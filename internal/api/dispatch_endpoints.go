package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/dispatch"
	"grassroots/internal/store"
)

// dispatchEndpoints registers smart dispatch (docs/DISPATCH.md): the
// suggestions for a resident's words, and the models administrators keep.
func (s *Server) dispatchEndpoints() {
	s.route("POST /api/v1/dispatch/suggestions", s.authed(s.dispatchSuggestions))
	s.route("GET /api/v1/dispatch/models", s.authed(s.dispatchModels))
	s.route("POST /api/v1/dispatch/models", s.authed(s.dispatchRetrain))
	s.route("POST /api/v1/dispatch/models/{id}/restore", s.authed(s.dispatchRestore))
}

// SuggestRequest is the resident's words, as said.
type SuggestRequest struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// SuggestionOut is one suggested category with the unit the lists route it
// to.
type SuggestionOut struct {
	Category   string  `json:"category"`
	Confidence float64 `json:"confidence"`
	Unit       string  `json:"unit,omitempty"`
	UnitName   string  `json:"unit_name,omitempty"`
}

// SuggestionsOut answers a suggestion request; ModelID is 0 and the list
// empty when no model is trained yet.
type SuggestionsOut struct {
	ModelID     int64           `json:"model_id"`
	Suggestions []SuggestionOut `json:"suggestions"`
}

func (s *Server) dispatcher() (*dispatch.Service, error) {
	if s.Dispatch == nil {
		return nil, store.NotFound("智能派单未启用")
	}
	return s.Dispatch, nil
}

func (s *Server) dispatchSuggestions(w http.ResponseWriter, r *http.Request, _ access.Actor) error {
	d, err := s.dispatcher()
	if err != nil {
		return err
	}
	var req SuggestRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Title == "" && req.Body == "" {
		return store.Invalid("请提供标题或内容")
	}
	route := func(ctx context.Context, category string) (string, string, error) {
		p, err := s.Cases.Propose(ctx, category)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			return "", "", nil
		}
		return p.Lead.Code, p.Lead.Name, err
	}
	routed, err := d.SuggestRouted(r.Context(), req.Title+"\n"+req.Body, 3, route)
	if err != nil {
		return err
	}
	_, id := d.Model()
	out := SuggestionsOut{ModelID: id, Suggestions: []SuggestionOut{}}
	for _, x := range routed {
		out.Suggestions = append(out.Suggestions, SuggestionOut{Category: x.Label, Confidence: x.Confidence, Unit: x.Unit, UnitName: x.UnitName})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) dispatchModels(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	d, err := s.dispatcher()
	if err != nil {
		return err
	}
	models, err := d.Models(r.Context(), actor)
	if err != nil {
		return err
	}
	if models == nil {
		models = []dispatch.Record{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"models": models, "training": d.Training()})
}

func (s *Server) dispatchRetrain(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	d, err := s.dispatcher()
	if err != nil {
		return err
	}
	started, err := d.RetrainInBackground(actor, actor.Username)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, map[string]any{"started": started, "training": true})
}

func (s *Server) dispatchRestore(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	d, err := s.dispatcher()
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.NotFound("找不到该派单模型")
	}
	rec, err := d.Restore(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}
