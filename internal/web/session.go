package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"grassroots/internal/auth"
	"grassroots/internal/clientaddr"
	"grassroots/internal/store"
)

// The cookies of the session layer.
//
// To sign a request in, in a test of any area: create a user with
// s.Auth.CreateUser(ctx, access.System, auth.NewUser{...}), get a token from
// s.Auth.Login(ctx, username, password, ip), add the cookie
// &http.Cookie{Name: web.SessionCookie, Value: token}, and send the CSRF token
// from s.Auth.Session(ctx, token) as the X-CSRF-Token header (or the "csrf"
// form field) with every POST, PUT, PATCH or DELETE.
const (
	// SessionCookie holds a signed-in user's session token.
	SessionCookie = "grassroots_session"
	// CSRFCookie holds an anonymous visitor's CSRF token (double submit).
	CSRFCookie = "grassroots_csrf"
	// maxMultipart caps a multipart body the CSRF check must parse.
	maxMultipart = 64 << 20
)

// withSession loads the session cookie into the request state and checks the
// CSRF token on every unsafe method. Signed-in users carry their session's
// CSRF token; anonymous visitors (the login page, the residents' portal) get
// one in the grassroots_csrf cookie, which their forms must echo.
func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var st requestState
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" && s.Auth != nil {
			actor, csrf, err := s.Auth.Session(r.Context(), c.Value)
			switch {
			case err == nil:
				st.Actor, st.CSRF, st.SessionID = actor, csrf, c.Value
			case errors.Is(err, auth.ErrNoSession):
				s.clearCookie(w, r, SessionCookie)
			default:
				s.Log.ErrorContext(r.Context(), "read session", "err", err)
			}
		}
		if st.CSRF == "" {
			if c, err := r.Cookie(CSRFCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
				st.CSRF = c.Value
			} else {
				st.CSRF = newCSRFToken()
				http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: st.CSRF, Path: "/", HttpOnly: true,
					SameSite: http.SameSiteLaxMode, Secure: s.cookieSecure(r)})
			}
		}
		orig := r
		r = withState(r, st)
		// The mux records the matched pattern on the request it is given; hand
		// it back to the caller's request so the metrics label by route.
		defer func() { orig.Pattern = r.Pattern }()
		if unsafeMethod(r.Method) && !validCSRF(w, r, st.CSRF) {
			s.Log.InfoContext(r.Context(), "csrf refused", "method", r.Method, "path", r.URL.Path)
			err := &store.UserError{Kind: store.ErrForbidden, Message: s.Msgs.T(langOf(r), "error.csrf")}
			s.renderError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// validCSRF compares the X-CSRF-Token header, or else the "csrf" form field,
// with want in constant time. The token may come masked, as the pages
// carry it (maskCSRF), or as it is (the anonymous visitor's cookie value,
// the session's token for a client that reads it from the server side).
func validCSRF(w http.ResponseWriter, r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			r.Body = http.MaxBytesReader(w, r.Body, maxMultipart)
			if err := r.ParseMultipartForm(32 << 20); err != nil {
				return false
			}
		}
		got = r.PostFormValue("csrf")
	}
	if want == "" || got == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 {
		return true
	}
	plain, ok := unmaskCSRF(got)
	return ok && subtle.ConstantTimeCompare([]byte(plain), []byte(want)) == 1
}

// maskCSRF is the token as a page carries it (the csrf-token meta tag, the
// forms' hidden "csrf" fields): base64url(pad || token XOR pad) with a
// fresh random pad each time, so that no two answers carry the same bytes
// and a compressed page's length tells nothing of the token (BREACH: the
// token sits next to reflected input, such as a search term).
func maskCSRF(token string) string {
	if token == "" {
		return ""
	}
	n := len(token)
	b := make([]byte, 2*n)
	rand.Read(b[:n]) // never fails
	for i := range n {
		b[n+i] = b[i] ^ token[i]
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// unmaskCSRF undoes maskCSRF; ok is false when s is not a masked token.
func unmaskCSRF(s string) (token string, ok bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) == 0 || len(b)%2 != 0 {
		return "", false
	}
	n := len(b) / 2
	for i := range n {
		b[n+i] ^= b[i]
	}
	return string(b[n:]), true
}

func newCSRFToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics itself on a broken platform)
	return base64.RawURLEncoding.EncodeToString(b)
}

// cookieSecure reports whether cookies must carry Secure: when the request
// came over TLS, on the connection or to a trusted proxy that says so
// (X-Forwarded-Proto: https; see internal/clientaddr), or when configured.
func (s *Server) cookieSecure(r *http.Request) bool {
	return s.Secure || r.TLS != nil || clientaddr.FromRequest(r).Secure
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cookieSecure(r)})
}

// setSessionCookie hands the browser a new session token; it lasts no longer
// than the session itself.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", MaxAge: int(auth.SessionMax.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cookieSecure(r)})
}
