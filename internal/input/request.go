package input

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
)

// formMemory is how much of a multipart form is kept in memory; the rest of
// its files go to temporary files (the handlers' own value).
const formMemory = 32 << 20

// maxEncodedForm bounds an application/x-www-form-urlencoded body, as
// net/http does by default.
const maxEncodedForm = 10 << 20

// Guard refuses a request whose path, query (names and values) or form body
// (application/x-www-form-urlencoded or multipart/form-data: names, values
// and the names of uploaded files, not their contents) is not valid text,
// before next sees it. It parses a form body itself, bounded by
// maxBody(r) bytes (a body over it is refused with 413), so that the
// handlers find it parsed. refuse writes the refusal in the shape of the
// surface the request is for.
func Guard(next http.Handler, maxBody func(*http.Request) int64, refuse func(http.ResponseWriter, *http.Request, *Error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := CheckRequest(w, r, maxBody(r)); err != nil {
			refuse(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// CheckRequest checks r's path, query and form body as Guard does. w is the
// response the body's limit reports to (so that the server closes the
// connection after a refused oversize body).
func CheckRequest(w http.ResponseWriter, r *http.Request, maxBody int64) *Error {
	if !Valid(r.URL.Path) {
		return invalid("input.bad_path")
	}
	// Pairs that do not parse (a bad escape) are dropped by every reader
	// of the query, so only the ones that do are checked.
	q, _ := url.ParseQuery(r.URL.RawQuery)
	if err := checkValues(q); err != nil {
		return err
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data" {
		return nil
	}
	if mt != "multipart/form-data" {
		// ParseForm's own bound for encoded forms, which a MaxBytesReader
		// would lift.
		maxBody = min(maxBody, maxEncodedForm)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var err error
	if mt == "multipart/form-data" {
		err = r.ParseMultipartForm(formMemory)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return TooLarge(maxBody, err)
		}
		return &Error{Status: 400, Key: "input.form_unreadable", Cause: err}
	}
	if err := checkValues(r.PostForm); err != nil {
		return err
	}
	if r.MultipartForm != nil {
		for k, fhs := range r.MultipartForm.File {
			if !Valid(k) {
				return badField(k)
			}
			for _, fh := range fhs {
				if !Valid(fh.Filename) {
					return invalid("input.bad_file_name")
				}
			}
		}
	}
	return nil
}

func checkValues(vals url.Values) *Error {
	for k, vs := range vals {
		if !Valid(k) {
			return badField(k)
		}
		for _, v := range vs {
			if !Valid(v) {
				return badField(k)
			}
		}
	}
	return nil
}
