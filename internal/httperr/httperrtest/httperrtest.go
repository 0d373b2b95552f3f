// Package httperrtest holds the errors every surface's test sends through
// its error writer (the web's error page, the API's JSON error, Open311's
// error list), each with the status httperr's table gives it, so that one
// list proves the surfaces answer alike.
package httperrtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"grassroots/internal/httperr"
	"grassroots/internal/input"
	"grassroots/internal/store"
)

// Case is an error and the status every surface must answer it with.
type Case struct {
	Name   string
	Err    error
	Status int
}

// statusErr carries a status of its own (an httperr.Statuser).
type statusErr int

func (e statusErr) Error() string   { return http.StatusText(int(e)) }
func (e statusErr) HTTPStatus() int { return int(e) }

// Cases returns every kind bare, as a store.UserError, wrapped with %w, and
// input's refusals with their statuses.
func Cases() []Case {
	wrap := func(err error) error { return fmt.Errorf("load case 42: %w", err) }
	return []Case{
		{"not found", store.ErrNotFound, http.StatusNotFound},
		{"not found, user error", store.NotFound("找不到该工单"), http.StatusNotFound},
		{"not found, wrapped", wrap(store.NotFound("找不到该工单")), http.StatusNotFound},
		{"no rows, normalised", store.Normalize(sql.ErrNoRows), http.StatusNotFound},
		{"forbidden", store.ErrForbidden, http.StatusForbidden},
		{"forbidden, user error, wrapped", wrap(store.Forbidden("无权操作")), http.StatusForbidden},
		{"invalid", store.ErrInvalid, http.StatusBadRequest},
		{"invalid, user error", store.Invalid("请填写标题"), http.StatusBadRequest},
		{"invalid, user error with a cause", &store.UserError{Kind: store.ErrInvalid, Message: "日期有误", Cause: errors.New("parse")}, http.StatusBadRequest},
		{"conflict", store.ErrConflict, http.StatusConflict},
		{"conflict, user error, wrapped", wrap(store.Conflict("工单已被他人更新，请刷新后重试")), http.StatusConflict},
		{"unauthorized", httperr.ErrUnauthorized, http.StatusUnauthorized},
		{"unavailable", httperr.ErrUnavailable, http.StatusServiceUnavailable},
		{"input refused, 400", &input.Error{Status: 400, Key: "input.bad_name"}, http.StatusBadRequest},
		{"input too large, 413", input.TooLarge(1<<20, errors.New("http: request body too large")), http.StatusRequestEntityTooLarge},
		{"input too large, wrapped", wrap(input.TooLarge(1<<20, nil)), http.StatusRequestEntityTooLarge},
		{"input media type, 415", &input.Error{Status: 415, Key: "input.json_media_type_unnamed"}, http.StatusUnsupportedMediaType},
		{"client went away", wrap(context.Canceled), httperr.StatusClientClosed},
		{"own status 429", wrap(statusErr(http.StatusTooManyRequests)), http.StatusTooManyRequests},
		{"unknown", errors.New("disk on fire"), http.StatusInternalServerError},
		{"deadline", wrap(context.DeadlineExceeded), http.StatusInternalServerError},
	}
}
