// Package reqinfo carries what the access log and every log line of a
// request need to know about it: its id, and the user it turned out to act
// for. The server's outermost middleware puts an Info in the request's
// context (With); the log handler reads the id from there, and the
// authentication layer, which learns the user deep inside the handlers,
// records it with SetUser, for the access-log line written once the
// handler returns. It knows nothing of HTTP or logging itself.
package reqinfo

import (
	"context"
	"sync/atomic"
)

// Info is one request's: its id and the user id it acts for (0 while
// unknown or anonymous).
type Info struct {
	ID   string
	user atomic.Int64
}

// User returns the user id recorded by SetUser (0 if none).
func (i *Info) User() int64 { return i.user.Load() }

type ctxKey struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// From returns the request's Info, or nil outside a request.
func From(ctx context.Context) *Info {
	i, _ := ctx.Value(ctxKey{}).(*Info)
	return i
}

// ID returns the id of the request ctx belongs to ("" outside a request).
func ID(ctx context.Context) string {
	if i := From(ctx); i != nil {
		return i.ID
	}
	return ""
}

// SetUser records that the request acts for userID. Outside a request it
// does nothing.
func SetUser(ctx context.Context, userID int64) {
	if i := From(ctx); i != nil && userID != 0 {
		i.user.Store(userID)
	}
}
