// Package web serves the staff UI, the residents' portal and the static
// assets: server-rendered html/template pages with htmx for partial updates.
// Handlers are thin: they read the request, call a domain package with the
// acting user, and render a typed page.
package web

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"grassroots/internal/httperr"
	"grassroots/internal/i18n"
	"grassroots/internal/input"
	"grassroots/internal/wiring"
)

// Deps are the program's services the web UI serves (built once in main;
// New completes what a caller left out).
type Deps = wiring.Services

// Server is the web UI.
type Server struct {
	Deps
	pages map[string]*template.Template
	mux   *routeMux
	tiles string // tilesURL(TilesDir)
}

// New parses every page template and registers the routes.
func New(d Deps) (*Server, error) {
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	d.Complete()
	s := &Server{Deps: d, pages: pages, mux: newRouteMux(), tiles: tilesURL(d.TilesDir)}
	s.routes()
	return s, nil
}

// Handler returns the UI's handler, with the session and CSRF layers on.
func (s *Server) Handler() http.Handler { return noStore(s.withSession(s.mux)) }

// noStore sends every answer but the static assets with Cache-Control:
// no-store: staff pages and the portal's pages of a resident's own case
// carry personal data, which must not stay in a browser's or a proxy's
// cache. A handler that sets its own Cache-Control (the static assets'
// long caching) overrides it.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			w.Header().Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// handler is an HTTP handler that returns its error for one place to render.
type handler func(w http.ResponseWriter, r *http.Request) error

// h adapts a handler: errors become the error page with the right status.
func (s *Server) h(fn handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.renderError(w, r, err)
		}
	}
}

// staff wraps a handler that needs a signed-in user: anonymous visitors are
// sent to the login page.
func (s *Server) staff(fn handler) http.HandlerFunc {
	return s.h(func(w http.ResponseWriter, r *http.Request) error {
		if actorOf(r).Anonymous() {
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return nil
		}
		return fn(w, r)
	})
}

// Status maps an error kind to its HTTP status: httperr's table, the one
// the API and Open311 answer with too.
func Status(err error) int { return httperr.Status(err) }

// ErrorPage is the data of the error page.
type ErrorPage struct {
	Page
	Status  int
	Message string
}

// userMessage is the message of a user error in the request's language.
func userMessage(r *http.Request, err error) (string, bool) {
	return i18n.UserMessage(langOf(r), err)
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := Status(err)
	lang := langOf(r)
	msg, ok := userMessage(r, err)
	var ie *input.Error
	if !ok && errors.As(err, &ie) {
		msg, ok = ie.Message(s.Msgs, lang), true
	}
	if !ok {
		key := map[int]string{404: "error.not_found", 403: "error.forbidden", 400: "error.invalid", 409: "error.conflict"}[status]
		if key == "" {
			key = "error.internal"
		}
		msg = s.Msgs.T(lang, key)
	}
	if status >= 500 {
		s.Log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		s.Log.InfoContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	p := ErrorPage{Page: s.page(r, "error.title", ""), Status: status, Message: msg}
	s.renderStatus(w, r, status, "error", p)
}

// render writes page name with data and status 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data any) error {
	s.renderStatus(w, r, http.StatusOK, name, data)
	return nil
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := s.pages[name]
	if !ok {
		s.Log.Error("no such page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var b strings.Builder
	root := "layout"
	// htmx asks for the fragment only: the page's "content" block.
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Boosted") != "true" {
		root = "content"
	}
	if err := t.ExecuteTemplate(&b, root, data); err != nil {
		s.Log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}

// parsePages builds one template set per page: the layout, the shared
// partials and the page's own file, which defines "title" and "content".
func parsePages() (map[string]*template.Template, error) {
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || name == "layout.html" || !strings.HasSuffix(name, ".html") {
			continue
		}
		t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		pages[strings.TrimSuffix(name, ".html")] = t
	}
	return pages, nil
}

// PageNames lists every page template, for the test that renders them all.
func (s *Server) PageNames() []string {
	var out []string
	for n := range s.pages {
		out = append(out, n)
	}
	return out
}

// RenderPage renders a page to a string (for tests).
func (s *Server) RenderPage(name string, data any) (string, error) {
	t, ok := s.pages[name]
	if !ok {
		return "", fmt.Errorf("no page %q", name)
	}
	var b strings.Builder
	err := t.ExecuteTemplate(&b, "layout", data)
	return b.String(), err
}
