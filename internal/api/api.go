// Package api serves the JSON API under /api/v1/ (with its OpenAPI 3
// document), and later Open311 and webhooks. Handlers are thin: decode,
// call a domain package with the token's actor, encode.
package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"

	"grassroots/internal/httperr"
	"grassroots/internal/i18n"
	"grassroots/internal/input"
	"grassroots/internal/store"
	"grassroots/internal/wiring"
)

// Deps are the program's services the API serves (built once in main;
// New completes what a caller left out).
type Deps = wiring.Services

// Server is the JSON API.
type Server struct {
	Deps
	mux      *http.ServeMux
	patterns []string
}

// New registers every endpoint.
func New(d Deps) *Server {
	d.Complete()
	s := &Server{Deps: d, mux: http.NewServeMux()}
	s.route("GET /api/v1/openapi.json", s.openAPI)
	// Anything else under /api/ is a JSON 405 when the path has endpoints
	// for other methods, else a JSON 404, not the web UI's HTML one.
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if allow := s.allowedMethods(r); allow != "" {
			w.Header().Set("Allow", allow)
			writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{Error: ErrorDetail{Code: "method_not_allowed",
				Message: "不支持的请求方法 " + r.Method + "（method not allowed），此接口允许：" + allow}})
			return
		}
		s.writeError(w, r, store.NotFound("没有这个接口："+r.Method+" "+r.URL.Path))
	})
	s.authEndpoints()
	s.orgEndpoints()
	s.calendarEndpoints()
	s.caseEndpoints()
	s.viewEndpoints()
	s.catalogEndpoints()
	s.serviceEndpoints()
	s.coordEndpoints()
	s.partyEndpoints()
	s.committeeEndpoints()
	s.trustEndpoints()
	s.integrationEndpoints()
	s.volunteerEndpoints()
	s.deedEndpoints()
	s.dispatchEndpoints()
	s.orgLedgerEndpoints()

	s.cockpitEndpoints()

	s.civilityEndpoints()
	return s
}

// Handler returns the API's handler.
func (s *Server) Handler() http.Handler { return handlerWrap(s.mux) }

// handlerWrap is the identity; the package's tests make it check every
// request and answer against the OpenAPI document (openapi_live_test.go).
var handlerWrap = func(h http.Handler) http.Handler { return h }

// Patterns lists every registered route ("GET /api/v1/units/{code}"), for
// the test that checks the OpenAPI document covers them all.
func (s *Server) Patterns() []string {
	out := append([]string(nil), s.patterns...)
	sort.Strings(out)
	return out
}

// handler is an API handler that returns its error for one place to encode.
type handler func(w http.ResponseWriter, r *http.Request) error

// route registers a handler; every route goes through here so that Patterns
// knows it.
func (s *Server) route(pattern string, fn handler) {
	s.patterns = append(s.patterns, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			if errors.Is(err, errUnauthorized) {
				w.Header().Set("WWW-Authenticate", bearerChallenge(r))
			}
			s.writeError(w, r, err)
		}
	})
}

// bearerChallenge is the WWW-Authenticate of a 401 (RFC 6750): the realm,
// and invalid_token when a token was sent but is not valid.
func bearerChallenge(r *http.Request) string {
	if r.Header.Get("Authorization") != "" {
		return `Bearer realm="grassroots", error="invalid_token"`
	}
	return `Bearer realm="grassroots"`
}

// allowedMethods lists the methods that have an endpoint at r's path
// ("GET, HEAD, POST"), for the Allow header of a 405; "" when none has.
func (s *Server) allowedMethods(r *http.Request) string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/api/" {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	return strings.Join(allow, ", ")
}

// authed wraps a handler that needs a bearer token; it passes the token's
// actor on.
func (s *Server) authed(fn func(w http.ResponseWriter, r *http.Request, actor access.Actor) error) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, err := s.actor(r)
		if err != nil {
			return err
		}
		// Authenticated answers carry personal data: no cache keeps them
		// (a handler may set its own, as attachments do).
		w.Header().Set("Cache-Control", "no-store")
		return fn(w, r, actor)
	}
}

// errUnauthorized is a missing or bad token.
var errUnauthorized = httperr.ErrUnauthorized

// ErrorBody is the JSON shape of every error.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the code and the human message of an error.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// RefuseInput writes a refused input (input.Guard's) in the API's error
// shape, in the request's language.
func (s *Server) RefuseInput(w http.ResponseWriter, r *http.Request, e *input.Error) {
	s.writeError(w, r, e)
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	// The status and the code are httperr's table, the web's and Open311's.
	status, code := httperr.Status(err), httperr.Code(err)
	// A client asks for English with Accept-Language; Chinese otherwise.
	lang := i18n.Lang(r.Header.Get("Accept-Language"))
	msg, ok := i18n.UserMessage(lang, err)
	var ie *input.Error
	if !ok && errors.As(err, &ie) {
		msg, ok = ie.Message(s.Msgs, lang), true
	}
	if !ok {
		msg = map[string]string{
			"unauthorized": "需要有效的API令牌（Authorization: Bearer ...）",
			"not_found":    "找不到该资源",
			"forbidden":    "无权访问该资源",
			"invalid":      "请求内容有误",
			"conflict":     "资源已存在或已被修改",
			"busy":         "系统繁忙，请稍后重试",
			"internal":     "服务器内部错误",
		}[code]
		if msg == "" {
			msg = "服务器内部错误"
		}
	}
	if status >= 500 {
		s.Log.ErrorContext(r.Context(), "api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

// WriteUnavailable answers 503 with the error code "busy", msg and
// Retry-After, in the API's error shape: for the server's admission limit,
// which refuses a write before any handler runs.
func WriteUnavailable(w http.ResponseWriter, retryAfter time.Duration, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter.Seconds())))
	busy := httperr.ErrUnavailable
	writeJSON(w, httperr.Status(busy), ErrorBody{Error: ErrorDetail{Code: httperr.Code(busy), Message: msg}})
}

// writeJSON encodes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// maxJSONBody bounds a JSON request body but an import's.
const maxJSONBody = 1 << 20

// decodeJSON reads a JSON body of at most 1 MiB into v, refusing unknown
// fields, with a message a clerk can act on (input.DecodeJSON: one value,
// valid text, Content-Type application/json; 413 over the limit).
func decodeJSON(r *http.Request, v any) error {
	return decodeJSONBody(nil, r, maxJSONBody, v)
}

// decodeJSONBody is decodeJSON with a limit of its own; w, when known, is
// told of an oversize body so that the server closes the connection.
func decodeJSONBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	return input.DecodeJSON(w, r, limit, v)
}
