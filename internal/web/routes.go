package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var staticFS embed.FS

// routes registers every page. Each area registers its own in its own file.
func (s *Server) routes() {
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(static)))
	s.mux.HandleFunc("GET /lang/{lang}", s.switchLang)
	s.homeRoutes()
	s.authRoutes()
	s.orgRoutes()
	s.calendarRoutes()
	s.caseRoutes()
	s.catalogRoutes()
	s.statsRoutes()
	s.portalRoutes()
	s.mobileRoutes()
	s.integrationRoutes()
	s.serviceRoutes()
	s.coordRoutes()
	s.trustRoutes()
	s.categoryRoutes()
}

// staticHandler serves embedded assets with long caching; asset URLs carry
// the build's version so a new build is fetched anew.
func staticHandler(fsys fs.FS) http.Handler {
	fileServer := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fileServer.ServeHTTP(w, r)
	})
}

// switchLang sets the language cookie and goes back where the user was.
func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if lang != "en" {
		lang = "zh"
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cookieSecure(r)})
	back := r.URL.Query().Get("next")
	if back == "" || back[0] != '/' || (len(back) > 1 && (back[1] == '/' || back[1] == '\\')) {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
