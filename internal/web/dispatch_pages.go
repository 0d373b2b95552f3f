package web

// Smart dispatch in the UI (docs/DISPATCH.md): the call-taker's form and
// the case page of a case waiting for dispatch show the model's three most
// probable categories, each with its confidence and the unit the lists
// route it to; a click or Alt+1/2/3 fills the form's category and unit.
// Administrators see the stored models, retrain and restore at
// /admin/dispatch.

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"grassroots/internal/dispatch"
	"grassroots/internal/store"
)

func (s *Server) dispatchRoutes() {
	s.mux.HandleFunc("GET /dispatch/suggest", s.staff(s.dispatchSuggest))
	s.mux.HandleFunc("GET /admin/dispatch", s.adminOnly(s.adminDispatch))
	s.mux.HandleFunc("POST /admin/dispatch/retrain", s.adminOnly(s.adminDispatchRetrain))
	s.mux.HandleFunc("POST /admin/dispatch/models/{id}/restore", s.adminOnly(s.adminDispatchRestore))
}

// SuggestBox is the list of suggestions a form shows; FillCategory and
// FillUnit are the selectors of the inputs a suggestion fills.
type SuggestBox struct {
	Items                  []SuggestionView
	FillCategory, FillUnit string
	// Title and None are the box's texts in the page's language.
	Title, None string
	// Asked is false before there is text to suggest from.
	Asked bool
}

// SuggestionView is one suggestion: its key (1–3), category, confidence in
// whole percent and routed unit.
type SuggestionView struct {
	N                    int
	Category, Name, Unit string
	UnitName             string
	Percent              int
}

// suggestions is the box for text, nil when smart dispatch has no model.
func (s *Server) suggestions(ctx context.Context, lang, text, fillCategory, fillUnit string) (*SuggestBox, error) {
	if s.Dispatch == nil || s.Cases == nil {
		return nil, nil
	}
	if m, _ := s.Dispatch.Model(); m == nil {
		return nil, nil
	}
	box := &SuggestBox{FillCategory: fillCategory, FillUnit: fillUnit, Title: s.Msgs.T(lang, "dispatch.suggest.title"), None: s.Msgs.T(lang, "dispatch.suggest.none")}
	if strings.TrimSpace(text) == "" {
		box.None = s.Msgs.T(lang, "dispatch.suggest.hint")
		return box, nil
	}
	box.Asked = true
	routed, err := s.Dispatch.SuggestRouted(ctx, text, 3, s.routeCategory)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	if s.Lists != nil {
		tree, err := s.Lists.Categories(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range categoryOptions(tree, "") {
			names[o.Value] = o.Label
		}
	}
	for i, r := range routed {
		name := names[r.Label]
		if name == "" {
			name = r.Label
		}
		box.Items = append(box.Items, SuggestionView{N: i + 1, Category: r.Label, Name: name, Unit: r.Unit, UnitName: r.UnitName,
			Percent: int(math.Floor(r.Confidence * 100))})
	}
	return box, nil
}

// routeCategory is the unit the lists route a category to.
func (s *Server) routeCategory(ctx context.Context, category string) (string, string, error) {
	p, err := s.Cases.Propose(ctx, category)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			return "", "", nil
		}
		return "", "", err
	}
	return p.Lead.Code, p.Lead.Name, nil
}

// DispatchSuggestPage is the fragment the call-taker's form fetches as the
// title and description are typed.
type DispatchSuggestPage struct {
	Page
	Box *SuggestBox
}

func (s *Server) dispatchSuggest(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := DispatchSuggestPage{Page: s.page(r, "dispatch.suggest.title", "cases")}
	box, err := s.suggestions(r.Context(), p.Lang, q.Get("title")+"\n"+q.Get("body"), fillSelector(q.Get("fill_category")), fillSelector(q.Get("fill_unit")))
	if err != nil {
		return err
	}
	p.Box = box
	return s.render(w, r, "dispatch_suggest", p)
}

// fillSelector admits an element id selector only (#f-category).
func fillSelector(v string) string {
	if len(v) < 2 || v[0] != '#' {
		return ""
	}
	for _, c := range v[1:] {
		if !(c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return v
}

// AdminDispatchPage lists the stored models.
type AdminDispatchPage struct {
	Page
	Models   []dispatch.Record
	Training bool
	Gate     float64
	Channels string
	Message  string
}

func (s *Server) adminDispatchPage(r *http.Request) (AdminDispatchPage, error) {
	p := AdminDispatchPage{Page: s.page(r, "dispatch.admin.title", "dispatch")}
	if s.Dispatch == nil {
		return p, nil
	}
	ctx := r.Context()
	models, err := s.Dispatch.Models(ctx, actorOf(r))
	if err != nil {
		return p, err
	}
	p.Models, p.Training = models, s.Dispatch.Training()
	if p.Gate, err = s.Dispatch.Gate(ctx, s.DB); err != nil {
		p.Message = err.Error()
	}
	p.Channels, _ = s.Dispatch.AutoChannelsSetting(ctx, s.DB)
	return p, nil
}

func (s *Server) adminDispatch(w http.ResponseWriter, r *http.Request) error {
	p, err := s.adminDispatchPage(r)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "retrain":
		p.Flash = p.T("dispatch.admin.retraining")
	case "restore":
		p.Flash = p.T("dispatch.admin.restored")
	}
	return s.render(w, r, "admin_dispatch", p)
}

func (s *Server) adminDispatchRetrain(w http.ResponseWriter, r *http.Request) error {
	if s.Dispatch == nil {
		return store.NotFound("智能派单未启用")
	}
	actor := actorOf(r)
	if _, err := s.Dispatch.RetrainInBackground(actor, actor.Username); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/dispatch?done=retrain", http.StatusSeeOther)
	return nil
}

func (s *Server) adminDispatchRestore(w http.ResponseWriter, r *http.Request) error {
	if s.Dispatch == nil {
		return store.NotFound("智能派单未启用")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.NotFound("找不到该派单模型")
	}
	if _, err := s.Dispatch.Restore(r.Context(), actorOf(r), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/dispatch?done=restore", http.StatusSeeOther)
	return nil
}
