// Package open311 serves Open311 GeoReport v2 at /open311/v2/, in XML and
// JSON: discovery, services (grassroots' leaf categories) and their
// definitions (a category's extra fields as attributes), service requests
// (hotline cases; POST files one through the case engine's intake), tokens
// and the request-updates feed. It also keeps the api_keys clients post with.
package open311

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/clientaddr"
	"grassroots/internal/httperr"
	"grassroots/internal/i18n"
	"grassroots/internal/store"
)

// Prefix is where the endpoint is mounted.
const Prefix = "/open311/v2/"

// SettingExpose names the setting that decides which cases GET requests
// shows: "open311" (default: only requests filed through Open311) or "all"
// (every hotline and grid event case with a category).
const SettingExpose = "open311.expose"

// Deps are what the endpoint needs.
type Deps struct {
	DB    *store.DB
	Cases *casework.Service
	// ActorFor returns the acting user of a key that names one (auth's
	// ActorForUser); keys without a user file requests as the system.
	ActorFor func(ctx context.Context, userID int64) (access.Actor, error)
	Log      *slog.Logger
	// Contact is discovery's contact line.
	Contact string
	// PostsPerMinute limits POSTs per client address and per key (default 30).
	PostsPerMinute int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Keys is the api_key store, shared with the keys' administration
	// (NewKeys(DB) when nil).
	Keys *Keys
}

// Handler serves GeoReport v2.
type Handler struct {
	db      *store.DB
	cases   *casework.Service
	keys    *Keys
	deps    Deps
	log     *slog.Logger
	limiter *limiter
}

// New returns the Open311 handler.
func New(d Deps) *Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.PostsPerMinute <= 0 {
		d.PostsPerMinute = 30
	}
	if d.Contact == "" {
		d.Contact = "12345政务服务便民热线 (grassroots)"
	}
	if d.Keys == nil {
		d.Keys = NewKeys(d.DB)
	}
	return &Handler{db: d.DB, cases: d.Cases, keys: d.Keys, deps: d, log: d.Log, limiter: newLimiter(d.PostsPerMinute, time.Minute)}
}

// Keys returns the handler's key store.
func (h *Handler) Keys() *Keys { return h.keys }

// format is the response format a path asks for.
type format string

const (
	formatXML  format = "xml"
	formatJSON format = "json"
)

// ServeHTTP routes /open311/v2/<resource>.<format>.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	if rest == r.URL.Path {
		h.fail(w, r, formatJSON, store.NotFound("not found"))
		return
	}
	dir, file := "", rest
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		dir, file = rest[:i], rest[i+1:]
	}
	name, ext, _ := cutLast(file, ".")
	f := format(ext)
	if f != formatXML && f != formatJSON {
		f = formatJSON
		if ext == "" {
			h.fail(w, r, f, store.NotFound("请在路径末尾注明格式 .xml 或 .json (add .xml or .json to the path)"))
		} else {
			h.fail(w, r, f, store.Invalidf("不支持的格式 %q (format must be xml or json)", ext))
		}
		return
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}
	var err error
	switch {
	case dir == "" && name == "discovery" && isGet(r):
		err = h.discovery(w, r, f)
	case dir == "" && name == "services" && isGet(r):
		err = h.listServices(w, r, f)
	case dir == "services" && isGet(r):
		err = h.serviceDefinition(w, r, f, name)
	case dir == "" && name == "requests" && isGet(r):
		err = h.listRequests(w, r, f)
	case dir == "" && name == "requests" && r.Method == http.MethodPost:
		err = h.postRequest(w, r, f)
	case dir == "requests" && isGet(r):
		err = h.getRequest(w, r, f, name)
	case dir == "tokens" && isGet(r):
		err = h.getToken(w, r, f, name)
	case dir == "" && name == "servicerequestupdates" && isGet(r):
		err = h.listUpdates(w, r, f)
	case dir == "" && (name == "requests" || name == "services" || name == "discovery" || name == "servicerequestupdates"):
		w.Header().Set("Allow", "GET, HEAD"+map[bool]string{true: ", POST"}[name == "requests"])
		err = &statusError{code: http.StatusMethodNotAllowed, msg: "不支持的请求方法 (method not allowed)"}
	default:
		err = store.NotFound("没有这个资源 (no such resource)")
	}
	if err != nil {
		h.fail(w, r, f, err)
	}
}

func isGet(r *http.Request) bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// statusError carries an HTTP status the store's kinds do not name.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

// HTTPStatus is the error's own status, for httperr.
func (e *statusError) HTTPStatus() int { return e.code }

// fail writes err in the specification's error format, with the status of
// httperr's table (the web's and the API's).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, f format, err error) {
	code := httperr.Status(err)
	var se *statusError
	// The descriptions are bilingual already where written so; a client
	// that asks for English (Accept-Language) reads the English catalogue.
	msg, ok := i18n.UserMessage(i18n.Lang(r.Header.Get("Accept-Language")), err)
	switch {
	case errors.As(err, &se):
		msg = se.msg
	case !ok && code >= http.StatusInternalServerError:
		msg = "服务器内部错误 (internal error)"
		h.log.ErrorContext(r.Context(), "open311 request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case !ok:
		msg = err.Error()
	}
	writeFormat(w, f, code, []Error{{Code: code, Description: msg}}, xmlErrors{Errors: []Error{{Code: code, Description: msg}}})
}

// WriteUnavailable answers 503 with msg in the specification's error
// format, the one the path asks for (.xml, else JSON), and Retry-After:
// for the server's admission limit, which refuses a write before any
// handler runs.
func WriteUnavailable(w http.ResponseWriter, r *http.Request, retryAfter time.Duration, msg string) {
	f := formatJSON
	if strings.HasSuffix(r.URL.Path, ".xml") {
		f = formatXML
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter.Seconds())))
	status := httperr.Status(httperr.ErrUnavailable)
	errs := []Error{{Code: status, Description: msg}}
	writeFormat(w, f, status, errs, xmlErrors{Errors: errs})
}

// writeFormat encodes the JSON or the XML value with status.
func writeFormat(w http.ResponseWriter, f format, status int, js, x any) error {
	var body []byte
	var err error
	if f == formatXML {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		body, err = xml.Marshal(x)
		if err == nil {
			body = append([]byte(xml.Header), body...)
		}
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		err = enc.Encode(js)
		body = []byte(b.String())
	}
	if err != nil {
		return fmt.Errorf("encode %s: %w", f, err)
	}
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

func (h *Handler) discovery(w http.ResponseWriter, r *http.Request, f format) error {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	changeset := "2026-01-01T00:00:00+08:00"
	d := Discovery{Changeset: changeset, Contact: h.deps.Contact,
		KeyService: "api_key 由县级系统管理员签发（grassroots apikey create）。Keys are issued by the county's administrators.",
		Endpoints: []DiscoveryEndpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: scheme + "://" + r.Host + strings.TrimSuffix(Prefix, "/"),
			Changeset: changeset, Type: "production", Formats: []string{"text/xml", "application/json"}}}}
	return writeFormat(w, f, http.StatusOK, d, discoveryXML(d))
}

func (h *Handler) listServices(w http.ResponseWriter, r *http.Request, f format) error {
	ss, err := h.services(r.Context(), "")
	if err != nil {
		return err
	}
	out := make([]Service, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.toWire())
	}
	return writeFormat(w, f, http.StatusOK, out, servicesXML(out))
}

func (h *Handler) serviceDefinition(w http.ResponseWriter, r *http.Request, f format, code string) error {
	_, fields, err := h.service(r.Context(), code)
	if err != nil {
		return err
	}
	def := definitionOf(code, fields)
	return writeFormat(w, f, http.StatusOK, def, definitionXML(def))
}

// limiter counts events per key in fixed windows; it belongs to one
// Handler (one instance), which is what a per-client POST limit needs.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	seen   map[string]*windowCount
}

type windowCount struct {
	start time.Time
	n     int
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, seen: map[string]*windowCount{}}
}

// allow counts one event for key and reports whether it is within the limit.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > 10000 {
		for k, c := range l.seen {
			if now.Sub(c.start) >= l.window {
				delete(l.seen, k)
			}
		}
	}
	c, ok := l.seen[key]
	if !ok || now.Sub(c.start) >= l.window {
		l.seen[key] = &windowCount{start: now, n: 1}
		return true
	}
	c.n++
	return c.n <= l.max
}

// clientIP is the POST limit's key for the request's client: behind a
// trusted proxy the address it forwarded (see internal/clientaddr), IPv6 by
// its /64.
func clientIP(r *http.Request) string {
	if k := clientaddr.FromRequest(r).Key(); k != "" {
		return k
	}
	return r.RemoteAddr
}
