package xlsx

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ContentType is the media type of an .xlsx workbook.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// FileName names an export by what it holds, what was filtered and when:
// FileName(day, "工单", "南浦街道", "超期") is "工单-南浦街道-超期-20261203.xlsx".
// Empty parts are left out; characters a file system refuses become "_".
// A zero day leaves the date out.
func FileName(day time.Time, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = cleanPart(p); p != "" {
			kept = append(kept, p)
		}
	}
	if !day.IsZero() {
		kept = append(kept, day.In(shanghai).Format("20060102"))
	}
	if len(kept) == 0 {
		kept = []string{"export"}
	}
	return strings.Join(kept, "-") + ".xlsx"
}

// Period is the part of a file name for a period of days "2026-11-01" to
// "2026-11-30": "20261101至20261130", or one day "20261101".
func Period(fromDay, toDay string) string {
	f, t := strings.ReplaceAll(fromDay, "-", ""), strings.ReplaceAll(toDay, "-", "")
	if f == t || t == "" {
		return f
	}
	return f + "至" + t
}

func cleanPart(p string) string {
	p = strings.TrimSpace(p)
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f:
			return -1
		case strings.ContainsRune(`/\:*?"<>|`, r):
			return '_'
		}
		return r
	}, p)
}

// ContentDisposition is the Content-Disposition of a download named name:
// the UTF-8 name in filename* (RFC 5987, RFC 6266), and an ASCII fallback
// in filename for old clients (the name's ASCII letters, digits and
// punctuation: "20261203.xlsx" for "工单-南浦街道-超期-20261203.xlsx").
func ContentDisposition(name string) string {
	return `attachment; filename="` + asciiName(name) + `"; filename*=UTF-8''` + url.PathEscape(name)
}

func asciiName(name string) string {
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		name, ext = name[:i], name[i:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r > 0x20 && r < 0x7f && r != '"' && r != '\\' && r != '%':
			if r == '-' && (b.Len() == 0 || strings.HasSuffix(b.String(), "-")) {
				continue
			}
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	stem := strings.Trim(b.String(), "-")
	if stem == "" {
		stem = "export"
	}
	return stem + asciiExt(ext)
}

func asciiExt(ext string) string {
	for _, r := range ext {
		if r <= 0x20 || r >= 0x7f || r == '"' || r == '\\' {
			return ".xlsx"
		}
	}
	return ext
}

// Serve sends a finished workbook as a download named name.
func Serve(w http.ResponseWriter, name string, data []byte) {
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Disposition", ContentDisposition(name))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
}

// Stream returns a writer that sends a workbook as a download named name
// while it is written, without holding it in memory: the headers go out
// with the first byte, so a handler that fails before writing can still
// answer with its error.
func Stream(w http.ResponseWriter, name string) io.Writer {
	return &streamWriter{w: w, name: name}
}

type streamWriter struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (s *streamWriter) Write(p []byte) (int, error) {
	if !s.started {
		s.started = true
		s.w.Header().Set("Content-Type", ContentType)
		s.w.Header().Set("Content-Disposition", ContentDisposition(s.name))
		s.w.Header().Set("X-Content-Type-Options", "nosniff")
	}
	return s.w.Write(p)
}
