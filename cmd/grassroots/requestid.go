package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"

	"grassroots/internal/clientaddr"
	"grassroots/internal/reqinfo"
)

// headerRequestID carries a request's id: kept from a trusted proxy,
// echoed in every answer.
const headerRequestID = "X-Request-Id"

// maxRequestIDLen bounds an id taken from a proxy (nginx's $request_id is
// 32 hex digits; a UUID is 36 characters).
const maxRequestIDLen = 128

// requestIDs gives every request an id, kept in its context (reqinfo) for
// the log lines written while it is handled and for the access log, and
// echoed in the answer's X-Request-Id. An X-Request-Id sent by a trusted
// proxy (--trusted-proxy) is kept, so one id follows the request through
// the proxy's log and ours; anybody else's is replaced: a client could
// otherwise put what it likes into our logs, or pass itself off as another
// request. It must run inside res.Middleware.
func requestIDs(res clientaddr.Resolver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := ""
		if in := r.Header.Get(headerRequestID); in != "" && validRequestID(in) && res.IsTrusted(clientaddr.FromRequest(r).Peer) {
			id = in
		}
		if id == "" {
			id = newRequestID()
		}
		w.Header().Set(headerRequestID, id)
		next.ServeHTTP(w, r.WithContext(reqinfo.With(r.Context(), &reqinfo.Info{ID: id})))
	})
}

// validRequestID accepts the ids proxies make (hex, UUIDs, base64-ish
// tokens): printable ASCII letters, digits and -_.:+/=, at most
// maxRequestIDLen of them. Anything else is replaced, so an id never
// carries spaces, quotes or control characters into a log.
func validRequestID(s string) bool {
	if len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '+', c == '/', c == '=':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex, the shape of nginx's
// $request_id.
func newRequestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// requestIDHandler adds request_id to every record logged with the context
// of a request (InfoContext, ErrorContext, ...), whatever package logs it.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := reqinfo.ID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
