package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/clientaddr"
	"grassroots/internal/store"
)

// LoginPage is the sign-in form.
type LoginPage struct {
	Page
	Username string
	Next     string
	Error    string
}

// NewUserForm is what the create-user form holds, kept when it is shown again
// with an error.
type NewUserForm struct {
	Username string
	Name     string
	UnitCode string
	Roles    []string
}

// Checked reports whether role r is ticked.
func (f NewUserForm) Checked(r access.Role) bool { return slices.Contains(f.Roles, string(r)) }

// AdminUsersPage lists the users an administrator manages, with filters and
// the create-user form.
type AdminUsersPage struct {
	Page
	Users       []auth.User
	Filter      auth.UserFilter
	FilterError string
	Roles       []access.Role
	Form        NewUserForm
	FormError   string
}

// AdminUserPage is one user: roles, activation, password reset, sign-out.
type AdminUserPage struct {
	Page
	User   auth.User
	Roles  []access.Role
	Tokens []auth.Token
	Self   bool
}

// HasRole reports whether the user holds role r.
func (p AdminUserPage) HasRole(r access.Role) bool { return slices.Contains(p.User.Roles, r) }

// AdminPasswordPage shows a new password once, after a reset.
type AdminPasswordPage struct {
	Page
	User     auth.User
	Password string
}

// authRoutes registers login, logout and user administration.
func (s *Server) authRoutes() {
	s.mux.HandleFunc("GET /login", s.h(s.loginForm))
	s.mux.HandleFunc("POST /login", s.h(s.login))
	s.mux.HandleFunc("POST /logout", s.h(s.logout))
	s.mux.HandleFunc("GET /admin/users", s.adminOnly(s.adminUsers))
	s.mux.HandleFunc("POST /admin/users", s.adminOnly(s.adminUserCreate))
	s.mux.HandleFunc("GET /admin/users/{id}", s.adminOnly(s.adminUser))
	s.mux.HandleFunc("POST /admin/users/{id}/roles", s.adminOnly(s.adminUserRoles))
	s.mux.HandleFunc("POST /admin/users/{id}/active", s.adminOnly(s.adminUserActive))
	s.mux.HandleFunc("POST /admin/users/{id}/password", s.adminOnly(s.adminUserPassword))
	s.mux.HandleFunc("POST /admin/users/{id}/logout", s.adminOnly(s.adminUserLogout))
}

// adminOnly wraps a handler for administrators only. The domain checks scope
// again; this only turns others away early.
func (s *Server) adminOnly(fn handler) http.HandlerFunc {
	return s.staff(func(w http.ResponseWriter, r *http.Request) error {
		if !actorOf(r).Has(access.RoleAdmin) {
			return store.Forbidden(s.Msgs.T(langOf(r), "auth.admin_only"))
		}
		return fn(w, r)
	})
}

// loginNext returns next if it is a path on this site, else "/".
func loginNext(next string) string {
	if next == "" || next[0] != '/' || (len(next) > 1 && (next[1] == '/' || next[1] == '\\')) {
		return "/"
	}
	return next
}

// clientIP is the request's client address: behind a trusted proxy, the
// address the proxy forwarded (see internal/clientaddr).
func clientIP(r *http.Request) string {
	if ip := clientaddr.FromRequest(r).String(); ip != "" {
		return ip
	}
	return r.RemoteAddr
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	next := loginNext(r.URL.Query().Get("next"))
	if !actorOf(r).Anonymous() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, "login", LoginPage{Page: s.page(r, "auth.login.title", ""), Next: next})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if s.Auth == nil {
		return errors.New("login: no accounts service")
	}
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	next := loginNext(r.PostFormValue("next"))
	token, err := s.Auth.Login(r.Context(), username, password, clientIP(r))
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		status := http.StatusUnauthorized
		var throttled *auth.ThrottleError
		switch {
		case errors.As(err, &throttled):
			status = http.StatusTooManyRequests
			secs := auth.WaitSeconds(throttled.Wait)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			if secs < 120 {
				msg = s.Msgs.T(langOf(r), "proxy.login.wait_seconds", secs)
			} else {
				msg = s.Msgs.T(langOf(r), "proxy.login.wait_minutes", (secs+59)/60)
			}
		case errors.Is(err, auth.ErrInactive):
			status = http.StatusForbidden
		}
		s.Log.InfoContext(r.Context(), "login refused", "username", auth.NormalizeUsername(username), "ip", clientIP(r), "status", status)
		s.renderStatus(w, r, status, "login", LoginPage{Page: s.page(r, "auth.login.title", ""), Username: username, Next: next, Error: msg})
		return nil
	}
	if old := stateOf(r).SessionID; old != "" {
		if err := s.Auth.Logout(r.Context(), old); err != nil {
			s.Log.WarnContext(r.Context(), "end previous session", "err", err)
		}
	}
	s.setSessionCookie(w, r, token)
	s.Log.InfoContext(r.Context(), "login", "username", auth.NormalizeUsername(username), "ip", clientIP(r))
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if id := stateOf(r).SessionID; id != "" && s.Auth != nil {
		if err := s.Auth.Logout(r.Context(), id); err != nil {
			return err
		}
	}
	s.clearCookie(w, r, SessionCookie)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request) error {
	return s.renderAdminUsers(w, r, http.StatusOK, NewUserForm{UnitCode: actorOf(r).UnitCode}, "")
}

func (s *Server) renderAdminUsers(w http.ResponseWriter, r *http.Request, status int, form NewUserForm, formErr string) error {
	q := r.URL.Query()
	p := AdminUsersPage{
		Page:      s.page(r, "auth.users.title", "admin"),
		Filter:    auth.UserFilter{UnitCode: q.Get("unit"), Role: q.Get("role"), Query: q.Get("q")},
		Roles:     access.Roles,
		Form:      form,
		FormError: formErr,
	}
	users, err := s.Auth.ListUsers(r.Context(), actorOf(r), p.Filter)
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		p.FilterError = msg
	}
	p.Users = users
	s.renderStatus(w, r, status, "admin_users", p)
	return nil
}

func (s *Server) adminUserCreate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid(s.Msgs.T(langOf(r), "error.invalid"))
	}
	form := NewUserForm{
		Username: r.PostForm.Get("username"),
		Name:     r.PostForm.Get("name"),
		UnitCode: r.PostForm.Get("unit"),
		Roles:    r.PostForm["role"],
	}
	u, err := s.Auth.CreateUser(r.Context(), actorOf(r), auth.NewUser{
		Username: form.Username, Password: r.PostForm.Get("password"), Name: form.Name, UnitCode: form.UnitCode, Roles: form.Roles,
	})
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		return s.renderAdminUsers(w, r, Status(err), form, msg)
	}
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?done=created", http.StatusSeeOther)
	return nil
}

// pathUserID reads the {id} of the path.
func pathUserID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.NotFound("找不到该用户")
	}
	return id, nil
}

// userDoneFlash are the outcomes a redirect may announce.
var userDoneFlash = []string{"created", "roles", "activated", "deactivated", "logout"}

func (s *Server) adminUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUserID(r)
	if err != nil {
		return err
	}
	actor := actorOf(r)
	u, err := s.Auth.GetUser(r.Context(), actor, id)
	if err != nil {
		return err
	}
	tokens, err := s.Auth.ListTokens(r.Context(), actor, id)
	if err != nil {
		return err
	}
	p := AdminUserPage{Page: s.page(r, "auth.user.title", "admin"), User: u, Roles: access.Roles, Tokens: tokens, Self: actor.UserID == id}
	p.Title = u.Name + " (" + u.Username + ")"
	if done := r.URL.Query().Get("done"); slices.Contains(userDoneFlash, done) {
		p.Flash = s.Msgs.T(p.Lang, "auth.flash."+done)
	}
	return s.render(w, r, "admin_users_edit", p)
}

// afterUserChange redirects back to the user's page announcing what was done.
func afterUserChange(w http.ResponseWriter, r *http.Request, id int64, done string) error {
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(id, 10)+"?done="+done, http.StatusSeeOther)
	return nil
}

func (s *Server) adminUserRoles(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUserID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return store.Invalid(s.Msgs.T(langOf(r), "error.invalid"))
	}
	if err := s.Auth.SetRoles(r.Context(), actorOf(r), id, r.PostForm["role"]); err != nil {
		return err
	}
	return afterUserChange(w, r, id, "roles")
}

func (s *Server) adminUserActive(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUserID(r)
	if err != nil {
		return err
	}
	active := r.PostFormValue("active") == "1"
	if err := s.Auth.SetActive(r.Context(), actorOf(r), id, active); err != nil {
		return err
	}
	if active {
		return afterUserChange(w, r, id, "activated")
	}
	return afterUserChange(w, r, id, "deactivated")
}

func (s *Server) adminUserPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUserID(r)
	if err != nil {
		return err
	}
	actor := actorOf(r)
	pw, err := s.Auth.ResetPassword(r.Context(), actor, id)
	if err != nil {
		return err
	}
	u, err := s.Auth.GetUser(r.Context(), actor, id)
	if err != nil {
		return err
	}
	// The password is shown this once: never cached, never in a URL.
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, "admin_users_password", AdminPasswordPage{Page: s.page(r, "auth.password.title", "admin"), User: u, Password: pw})
}

func (s *Server) adminUserLogout(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUserID(r)
	if err != nil {
		return err
	}
	if err := s.Auth.LogoutEverywhere(r.Context(), actorOf(r), id); err != nil {
		return err
	}
	if id == actorOf(r).UserID {
		s.clearCookie(w, r, SessionCookie)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	return afterUserChange(w, r, id, "logout")
}
