package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"grassroots/internal/store"
)

// drainAfterLimit is how much more of an oversize body is read and thrown
// away before the refusal is written: a client still sending then reads
// the answer instead of a reset connection. net/http discards up to 256 KB
// more itself and closes the connection after that.
const drainAfterLimit = 4 << 20

// DecodeJSON reads r's body as one JSON value into v, refusing unknown
// fields: a Content-Type other than application/json (a missing one is
// taken as JSON) is 415, a body over limit bytes 413, and invalid JSON,
// trailing data after the value, invalid UTF-8 or an escaped control
// character (\u0000, which PostgreSQL cannot store; tab, line feed and
// carriage return pass) are 400. w, when not nil, is told of an oversize
// body so that the server closes the connection after the answer.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if err := CheckJSONType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	orig := r.Body
	r.Body = http.MaxBytesReader(w, orig, limit)
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			io.CopyN(io.Discard, orig, drainAfterLimit)
			return TooLarge(limit, err)
		}
		return &store.UserError{Kind: store.ErrInvalid, Message: "无法读取请求体：" + err.Error(), Cause: err}
	}
	if err := CheckJSONText(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := "请求体不是有效的JSON：" + err.Error()
		if strings.Contains(err.Error(), "unknown field") {
			msg = "请求体含有未知字段：" + strings.TrimPrefix(err.Error(), "json: unknown field ")
		}
		return &store.UserError{Kind: store.ErrInvalid, Message: msg, Cause: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &Error{Status: 400, Key: "input.json_trailing", Cause: err}
	}
	return nil
}

// CheckJSONType accepts an empty Content-Type, application/json and
// application/*+json, with no charset or UTF-8.
func CheckJSONType(ct string) *Error {
	if ct == "" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	ok := err == nil && (mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")))
	if cs, has := params["charset"]; ok && has && !strings.EqualFold(cs, "utf-8") {
		ok = false
	}
	if ok {
		return nil
	}
	if n := name(ct); n != "" {
		return &Error{Status: 415, Key: "input.json_media_type", Args: []any{n}, Cause: err}
	}
	return &Error{Status: 415, Key: "input.json_media_type_unnamed", Cause: err}
}

// CheckJSONText refuses a JSON text that is not valid UTF-8 (encoding/json
// would silently make each bad byte U+FFFD) or that escapes a control
// character Valid refuses (encoding/json decodes "\u0000" to a NUL byte).
// It does not check the syntax: the decoder does.
func CheckJSONText(raw []byte) *Error {
	if !utf8.Valid(raw) {
		return invalid("input.bad_json_text")
	}
	// A backslash is only valid inside a string, so every one starts an
	// escape; anything else is a syntax error the decoder reports.
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' || i+6 > len(raw) {
			i++
			continue
		}
		r, ok := hex4(raw[i+2 : i+6])
		if ok && !Valid(string(r)) {
			return invalid("input.bad_json_text")
		}
		i += 5
	}
	return nil
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
