package main

import (
	"fmt"
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// compressedTypes are the answers gzip is worth its CPU on: text. Excel
// workbooks, images, ZIP files and the like are compressed already and go
// as they are.
var compressedTypes = []string{
	"text/html", "text/plain", "text/css", "text/javascript", "text/xml", "text/csv",
	"application/json", "application/xml", "application/javascript",
	"application/problem+json", "application/geo+json", "image/svg+xml",
}

// compressMinSize is the smallest body worth compressing: below it the
// gzip frame costs more than it saves.
const compressMinSize = 1024

// compress gzips the answers of every surface (pages, the API's JSON,
// Open311's XML and JSON, the CSS and JS) for a client that accepts gzip
// (gzhttp). It leaves alone a body under compressMinSize, a type not in
// compressedTypes, an answer that set its own Content-Encoding (/metrics:
// promhttp compresses itself) and a range answer; Flush goes through.
//
// Pages that carry a secret next to reflected input are what BREACH reads
// through compression; the one such secret, the CSRF token, is masked
// afresh in every page (internal/web maskCSRF), and the session cookies are
// SameSite=Lax, so another site cannot have a signed-in browser fetch a
// page for it to measure.
func compress(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.MinSize(compressMinSize),
		gzhttp.ContentTypes(compressedTypes),
		gzhttp.EnableZstd(false), // gzip is what every client and proxy knows
	)
	if err != nil {
		panic(fmt.Sprintf("compression options: %v", err)) // fixed options above
	}
	gz := wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" { // compressed by promhttp itself
			next.ServeHTTP(w, r)
			return
		}
		gz.ServeHTTP(w, r)
	})
}
