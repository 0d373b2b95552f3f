package web

import (
	"errors"
	"net/http"
	"strings"

	"grassroots/internal/catalog"
	"grassroots/internal/store"
)

// ListsMattersPage is the catalogue of matters with its forms.
type ListsMattersPage struct {
	ListsPage
	Matters    []catalog.Matter
	Types      []catalog.MatterType
	Filter     catalog.MatterFilter
	Form       catalog.MatterInput
	Reason     string // kept when the form is refused
	Error      string
	Categories []catalog.CategoryMatter
}

func (s *Server) listsMatters(w http.ResponseWriter, r *http.Request) error {
	p := ListsMattersPage{ListsPage: s.listsPage(r, "lists.matters.title", "matters")}
	p.Filter = catalog.MatterFilter{Type: r.URL.Query().Get("type"), Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	if code := r.URL.Query().Get("edit"); code != "" {
		m, err := s.Lists.Matter(r.Context(), code)
		if err != nil {
			return err
		}
		p.Form = catalog.MatterInput{Code: m.Code, Name: m.Name, BasisLaw: m.BasisLaw, BasisArticle: m.BasisArticle}
	}
	return s.renderMatters(w, r, http.StatusOK, p)
}

func (s *Server) renderMatters(w http.ResponseWriter, r *http.Request, status int, p ListsMattersPage) error {
	var err error
	p.Types = catalog.MatterTypes
	if p.Matters, err = s.Lists.Matters(r.Context(), p.Actor, p.Filter); err != nil {
		return err
	}
	if p.Categories, err = s.Lists.CategoryMatters(r.Context(), p.Actor); err != nil {
		return err
	}
	s.renderStatus(w, r, status, "lists_matters", p)
	return nil
}

func (s *Server) listsMatterSave(w http.ResponseWriter, r *http.Request) error {
	p := ListsMattersPage{ListsPage: s.listsPage(r, "lists.matters.title", "matters")}
	p.Form = catalog.MatterInput{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"), BasisLaw: r.PostFormValue("basis_law"), BasisArticle: r.PostFormValue("basis_article")}
	p.Reason = r.PostFormValue("reason")
	if _, _, err := s.Lists.SaveMatter(r.Context(), p.Actor, p.Form, p.Reason); err != nil {
		msg, ok := userMessage(r, err)
		if !ok || errors.Is(err, store.ErrForbidden) {
			return err
		}
		p.Error = msg
		return s.renderMatters(w, r, Status(err), p)
	}
	http.Redirect(w, r, "/lists/matters?ok=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) listsCategorySave(w http.ResponseWriter, r *http.Request) error {
	if err := s.Lists.SetCategoryMatter(r.Context(), actorOf(r), r.PostFormValue("category"), r.PostFormValue("matter")); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/matters?ok=saved", http.StatusSeeOther)
	return nil
}
