package main

import (
	"log/slog"
	"net/http"
	"time"

	"grassroots/internal/clientaddr"
	"grassroots/internal/reqinfo"
)

// accessLog writes one structured line per request once it is answered:
// method, route pattern, status, bytes, duration, user id, client address
// and the request id (added by requestIDHandler from the context). Never
// personal data: the route is the pattern ("GET /cases/{no}"), not the
// path, and no query string is logged, so neither a case number, a phone
// number nor a search term reaches the log. It must run inside requestIDs.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", routeOf(r)),
			slog.Int("status", status),
			slog.Int64("bytes", rec.bytes),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("client", clientaddr.FromRequest(r).String()),
		}
		if info := reqinfo.From(r.Context()); info != nil && info.User() != 0 {
			attrs = append(attrs, slog.Int64("user_id", info.User()))
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// routeOf is the pattern the request was routed by, or "unmatched": never
// the path, which would carry case numbers and names.
func routeOf(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}
