package open311

import (
	"net/http"
	"strings"
)

// MaxPostBody bounds a POST body, for the server's input guard, which reads
// form bodies before the handler does.
const MaxPostBody = maxPostBody

// WriteRefusal writes status and msg in the specification's error format,
// the one the path asks for (.xml, else JSON): for the server's input
// guard, which refuses invalid text before any handler runs.
func WriteRefusal(w http.ResponseWriter, r *http.Request, status int, msg string) {
	f := formatJSON
	if strings.HasSuffix(r.URL.Path, ".xml") {
		f = formatXML
	}
	errs := []Error{{Code: status, Description: msg}}
	writeFormat(w, f, status, errs, xmlErrors{Errors: errs})
}
