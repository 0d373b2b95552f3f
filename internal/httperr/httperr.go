// Package httperr is the one table from error kinds to HTTP statuses, used by
// every surface (the web's error page, the API's JSON error, Open311's error
// list), so that the same error answers the same status everywhere. Each
// surface keeps its own body shape and messages; only the status (and the
// API's error code, which names the kind) comes from here.
package httperr

import (
	"context"
	"errors"
	"net/http"

	"grassroots/internal/input"
	"grassroots/internal/store"
)

// ErrUnauthorized marks a request without valid credentials (the API's
// missing or bad bearer token).
var ErrUnauthorized = errors.New("unauthorized")

// ErrUnavailable marks a request refused because the server is busy (the
// admission limit on writes): nothing was done, the client may retry.
var ErrUnavailable = errors.New("unavailable")

// StatusClientClosed is the status logged when the client went away before
// the answer (nginx's 499); the client never reads it.
const StatusClientClosed = 499

// Kind is one row of the table: an error kind, its status and the API's
// error code for it.
type Kind struct {
	Err    error
	Status int
	Code   string
}

// Kinds is the table, first match wins. An error matches a row when
// errors.Is(err, row.Err): a store.UserError by its Kind, an input.Error by
// its status (400 is store.ErrInvalid, 413 input.ErrTooLarge, 415
// input.ErrMediaType), a driver error once store.Normalize has named it,
// and any of these wrapped with fmt.Errorf("...: %w").
var Kinds = []Kind{
	{ErrUnauthorized, http.StatusUnauthorized, "unauthorized"},
	{store.ErrNotFound, http.StatusNotFound, "not_found"},
	{store.ErrForbidden, http.StatusForbidden, "forbidden"},
	{store.ErrInvalid, http.StatusBadRequest, "invalid"},
	{store.ErrConflict, http.StatusConflict, "conflict"},
	{input.ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large"},
	{input.ErrMediaType, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	{ErrUnavailable, http.StatusServiceUnavailable, "busy"},
	{context.Canceled, StatusClientClosed, "canceled"},
}

// Statuser is an error that carries a status no kind names (Open311's 405
// and 429). It is asked before the table.
type Statuser interface {
	error
	HTTPStatus() int
}

// Status returns the HTTP status of err: its own (Statuser), else its kind's,
// else 500. A nil error is 200.
func Status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var s Statuser
	if errors.As(err, &s) {
		return s.HTTPStatus()
	}
	if k, ok := kindOf(err); ok {
		return k.Status
	}
	return http.StatusInternalServerError
}

// Code returns the API's error code of err: its kind's, else "internal"
// (an error with only a status of its own, a Statuser, has no code: the API
// raises none).
func Code(err error) string {
	if k, ok := kindOf(err); ok {
		return k.Code
	}
	return "internal"
}

func kindOf(err error) (Kind, bool) {
	if err == nil {
		return Kind{}, false
	}
	for _, k := range Kinds {
		if errors.Is(err, k.Err) {
			return k, true
		}
	}
	return Kind{}, false
}
