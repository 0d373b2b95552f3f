package web

import (
	"embed"
	"net/http"
)

//go:embed static
var staticFS embed.FS

// routes registers every page. Each area registers its own in its own file.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /static/", serveStatic) // static.go
	s.mapRoutes()                                 // maps.go
	s.mux.HandleFunc("GET /lang/{lang}", s.switchLang)
	s.homeRoutes()
	s.authRoutes()
	s.orgRoutes()
	s.partyRoutes()
	s.partyWebRoutes()
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
	s.volunteerRoutes()
	s.civilityRoutes()
	s.gridRoutes()
	s.dispatchRoutes()
	s.patrolRoutes()
	s.leaderRoutes()    // leader_pages.go
	s.householdRoutes() // household_pages.go
	s.orgLedgerRoutes()

	s.cockpitRoutes() // cockpit_pages.go
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
