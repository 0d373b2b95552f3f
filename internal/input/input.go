// Package input checks what clients send before it reaches a handler or the
// database, the same way on both engines: text must be valid UTF-8 without
// control characters other than tab, line feed and carriage return
// (PostgreSQL refuses a NUL byte and invalid UTF-8 where SQLite would store
// them as sent), JSON bodies are one value of a bounded size sent as
// application/json, and coordinates are finite degrees. Refusals are *Error
// values naming a message of the catalogue (area "input"), so that each
// surface (API, Open311, web) writes them in its own shape and language.
package input

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"grassroots/internal/i18n"
	"grassroots/internal/store"
)

// ErrTooLarge marks a request body over its limit (413).
var ErrTooLarge = errors.New("request body too large")

// ErrMediaType marks a body of a type the endpoint does not take (415).
var ErrMediaType = errors.New("unsupported media type")

// Error is a refused input: the HTTP status, the catalogue key of the
// message and its arguments. It unwraps to store.ErrInvalid (400),
// ErrTooLarge (413) or ErrMediaType (415), and to its cause; the surfaces
// answer the status (and the API's code) of that kind from httperr's table.
type Error struct {
	Status int
	Key    string
	Args   []any
	Cause  error
}

func (e *Error) Error() string {
	msg := e.Key
	if len(e.Args) > 0 {
		msg += fmt.Sprintf(" %v", e.Args)
	}
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap lets errors.Is see the kind and the cause.
func (e *Error) Unwrap() []error {
	kind := store.ErrInvalid
	switch e.Status {
	case 413:
		kind = ErrTooLarge
	case 415:
		kind = ErrMediaType
	}
	return []error{kind, e.Cause}
}

// Message returns the message in lang from the catalogue.
func (e *Error) Message(msgs *i18n.Catalog, lang string) string {
	return msgs.T(lang, e.Key, e.Args...)
}

func invalid(key string, args ...any) *Error { return &Error{Status: 400, Key: key, Args: args} }

// TooLarge is the refusal of a body over limit bytes.
func TooLarge(limit int64, cause error) *Error {
	return &Error{Status: 413, Key: "input.too_large", Args: []any{Size(limit)}, Cause: cause}
}

// Size writes a byte count for people: 64 KB, 1 MB, 11 MB.
func Size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// Valid reports whether s is text grassroots stores: valid UTF-8 without
// control characters (C0, DEL, C1) other than tab, line feed and carriage
// return (browsers send a textarea's line breaks as CRLF).
func Valid(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || (r >= 0x80 && r <= 0x9f) {
			return false
		}
		i += size
	}
	return true
}

// name returns a field name fit to quote in a message, or "" when the name
// itself is not valid text or too long to quote.
func name(k string) string {
	if !Valid(k) || utf8.RuneCountInString(k) > 40 {
		return ""
	}
	return k
}

// badField is the refusal of a field (query parameter or form field) named
// k whose name or value is not valid text.
func badField(k string) *Error {
	if n := name(k); n != "" {
		return invalid("input.bad_field", n)
	}
	return invalid("input.bad_name")
}
