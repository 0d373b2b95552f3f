// Package download sends a stored file (a case attachment, a deed's photo)
// to its reader with the headers every such answer needs: the type it was
// stored as and no sniffing, a sandbox so an uploaded file cannot run in the
// site's origin, its length and a private cache.
package download

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"
)

// File is what is known of a stored file.
type File struct {
	Type string // the content type it was stored as (sniffed at upload)
	Size int64
	// Name is offered as the file name; Inline shows it in the browser
	// (an image or a PDF) rather than saving it.
	Name     string
	Inline   bool
	Modified time.Time // zero: not sent
}

// Serve answers 200 with f's headers and body.
func Serve(w http.ResponseWriter, f File, body io.Reader) {
	h := w.Header()
	h.Set("Content-Type", f.Type)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	disposition := "attachment"
	if f.Inline {
		disposition = "inline"
	}
	if f.Name != "" {
		h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}))
	} else if f.Inline {
		h.Set("Content-Disposition", "inline")
	}
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	if !f.Modified.IsZero() {
		h.Set("Last-Modified", f.Modified.UTC().Format(http.TimeFormat))
	}
	h.Set("Cache-Control", "private, max-age=86400")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, body) // the status is sent; a broken connection has no one to tell
}
