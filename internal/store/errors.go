package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The error kinds every domain package deals in. Driver errors are turned into
// these at the store boundary, so no caller inspects a driver's codes.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrInvalid marks input that breaks a rule (a check or foreign-key
	// constraint, or a domain validation).
	ErrInvalid = errors.New("invalid")
	// ErrForbidden marks an action the actor may not take.
	ErrForbidden = errors.New("forbidden")
)

// Normalize maps driver errors to ErrNotFound, ErrConflict or ErrInvalid,
// keeping the original in the chain for logs. Other errors pass unchanged,
// and so do errors already of one of the kinds (Normalize is idempotent).
// The store's own Exec, Query, QueryRow's Scan and Collect call it, so
// callers only need it for errors from the bare database/sql handles.
func Normalize(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrForbidden) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case "23503", "23514", "23502", "22001", "22P02":
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return err
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	return err
}

// UserError is an error with a message a clerk can read and act on (Chinese by
// default), apart from the cause that goes to the log. Kind is one of the
// Err* kinds above and decides the HTTP status.
//
// The Chinese text is also the message id of the English catalogue
// (internal/i18n): Format is the id when the message was built from a
// format and Args, so a translation can be formatted with the same Args;
// when Format is empty, Message itself is the id.
type UserError struct {
	Kind    error
	Message string
	Format  string
	Args    []any
	Cause   error
}

func (e *UserError) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

// Unwrap lets errors.Is see both the kind and the cause.
func (e *UserError) Unwrap() []error { return []error{e.Kind, e.Cause} }

// MsgID is the catalogue id of the message: its format, else its text.
func (e *UserError) MsgID() string {
	if e.Format != "" {
		return e.Format
	}
	return e.Message
}

// Invalid returns an ErrInvalid carrying a message for the user.
func Invalid(msg string) error { return &UserError{Kind: ErrInvalid, Message: msg} }

// Forbidden returns an ErrForbidden carrying a message for the user.
func Forbidden(msg string) error { return &UserError{Kind: ErrForbidden, Message: msg} }

// NotFound returns an ErrNotFound carrying a message for the user.
func NotFound(msg string) error { return &UserError{Kind: ErrNotFound, Message: msg} }

// Conflict returns an ErrConflict carrying a message for the user.
func Conflict(msg string) error { return &UserError{Kind: ErrConflict, Message: msg} }

// Invalidf is Invalid with a formatted message whose format stays the
// catalogue id.
func Invalidf(format string, args ...any) error { return userf(ErrInvalid, format, args) }

// Forbiddenf is Forbidden with a formatted message.
func Forbiddenf(format string, args ...any) error { return userf(ErrForbidden, format, args) }

// NotFoundf is NotFound with a formatted message.
func NotFoundf(format string, args ...any) error { return userf(ErrNotFound, format, args) }

// Conflictf is Conflict with a formatted message.
func Conflictf(format string, args ...any) error { return userf(ErrConflict, format, args) }

func userf(kind error, format string, args []any) error {
	return &UserError{Kind: kind, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// UserMessage returns the message meant for the user, if err carries one.
func UserMessage(err error) (string, bool) {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue.Message, true
	}
	return "", false
}
