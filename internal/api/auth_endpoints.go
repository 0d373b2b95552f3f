package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/store"
)

// authEndpoints registers the API's account endpoints.
func (s *Server) authEndpoints() {
	s.route("GET /api/v1/me", s.authed(s.authMe))
	s.route("GET /api/v1/users", s.authed(s.authListUsers))
	s.route("POST /api/v1/users", s.authed(s.authCreateUser))
}

// actor resolves the request's bearer token to its user. A missing,
// malformed, unknown or revoked token, or one whose user is deactivated, is
// errUnauthorized.
func (s *Server) actor(r *http.Request) (access.Actor, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || s.Auth == nil {
		return access.Actor{}, errUnauthorized
	}
	actor, err := s.Auth.TokenActor(r.Context(), strings.TrimSpace(token))
	if errors.Is(err, auth.ErrBadToken) {
		return access.Actor{}, errUnauthorized
	}
	if err != nil {
		return access.Actor{}, err
	}
	return actor, nil
}

// AuthUnit is a unit as the account endpoints show it.
type AuthUnit struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// AuthMe is the signed-in user of a token.
type AuthMe struct {
	ID       int64    `json:"id"`
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Unit     AuthUnit `json:"unit"`
	Roles    []string `json:"roles"`
}

// AuthUser is an account.
type AuthUser struct {
	ID          int64      `json:"id"`
	Username    string     `json:"username"`
	Name        string     `json:"name"`
	Unit        AuthUnit   `json:"unit"`
	Roles       []string   `json:"roles"`
	Active      bool       `json:"active"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
}

// AuthUserList is the answer of GET /api/v1/users.
type AuthUserList struct {
	Users []AuthUser `json:"users"`
}

// AuthNewUser is the body of POST /api/v1/users.
type AuthNewUser struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	Name     string   `json:"name"`
	UnitCode string   `json:"unit_code"`
	Roles    []string `json:"roles"`
}

func authRoleNames(rs []access.Role) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, string(r))
	}
	return out
}

func authUserJSON(u auth.User) AuthUser {
	out := AuthUser{ID: u.ID, Username: u.Username, Name: u.Name, Unit: AuthUnit{Code: u.UnitCode, Name: u.UnitName, Kind: u.UnitKind},
		Roles: authRoleNames(u.Roles), Active: u.Active, CreatedAt: u.CreatedAt.UTC()}
	if !u.LastLoginAt.IsZero() {
		t := u.LastLoginAt.UTC()
		out.LastLoginAt = &t
	}
	return out
}

func (s *Server) authMe(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	return writeJSON(w, http.StatusOK, AuthMe{ID: actor.UserID, Username: actor.Username, Name: actor.Name,
		Unit: AuthUnit{Code: actor.UnitCode, Name: actor.UnitName, Kind: actor.UnitKind}, Roles: authRoleNames(actor.Roles)})
}

func (s *Server) authListUsers(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	f := auth.UserFilter{UnitCode: q.Get("unit"), Role: q.Get("role"), Query: q.Get("q")}
	if l := q.Get("limit"); l != "" {
		n, err := authLimit(l)
		if err != nil {
			return err
		}
		f.Limit = n
	}
	users, err := s.Auth.ListUsers(r.Context(), actor, f)
	if err != nil {
		return err
	}
	out := AuthUserList{Users: make([]AuthUser, 0, len(users))}
	for _, u := range users {
		out.Users = append(out.Users, authUserJSON(u))
	}
	return writeJSON(w, http.StatusOK, out)
}

// authLimit reads a limit of 1 to 1000.
func authLimit(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 0, store.Invalid("limit 须为1至1000之间的整数")
	}
	return n, nil
}

func (s *Server) authCreateUser(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in AuthNewUser
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u, err := s.Auth.CreateUser(r.Context(), actor, auth.NewUser{Username: in.Username, Password: in.Password, Name: in.Name,
		UnitCode: in.UnitCode, Roles: in.Roles})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, authUserJSON(u))
}
