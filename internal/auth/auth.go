// Package auth owns users, passwords, sessions, API tokens and login
// throttling, and turns a session or token into an access.Actor.
//
// Secrets are never stored: passwords are argon2id hashes, and session
// cookies and API tokens are kept only as their SHA-256. Every change to a
// user or their roles is written to the audit trail in the same transaction.
//
// To get a signed-in request in a test: create a user with CreateUser (actor
// access.System), call Login for a session token, put it in the
// "grassroots_session" cookie, and send the CSRF token Session returns in the
// X-CSRF-Token header (or the "csrf" form field) with unsafe methods.
package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"grassroots/internal/store"
)

// Session and throttling limits.
const (
	// SessionIdle ends a session nobody has used for this long.
	SessionIdle = 2 * time.Hour
	// SessionMax ends every session this long after sign-in.
	SessionMax = 12 * time.Hour
	// seenEvery is how often a used session's last_seen_at is written.
	seenEvery = time.Minute
	// ThrottleWindow is how far back failed logins count.
	ThrottleWindow = 15 * time.Minute
	// MaxPairFailures failed logins for one username from one client
	// address are free within the window; each further attempt from there
	// waits ThrottleBase, doubling with every failure, up to ThrottleCap.
	// Failures from other addresses do not slow the owner's own.
	MaxPairFailures = 5
	// MaxIPFailures failed logins from one address (any usernames) are free
	// within the window; further attempts from it wait as above.
	MaxIPFailures = 20
	// ThrottleBase is the first wait once the free failures are used up.
	ThrottleBase = time.Second
	// ThrottleCap is the longest wait between attempts.
	ThrottleCap = 5 * time.Minute
	// MinPasswordLen is the shortest password accepted, in characters.
	MinPasswordLen = 10
	// maxPasswordBytes bounds the work one login may ask of argon2.
	maxPasswordBytes = 256
	// TokenPrefix starts every API token, so leaked tokens are easy to spot.
	TokenPrefix = "grt_"
)

// Sentinel causes, wrapped inside the user-facing errors the Service returns.
var (
	// ErrBadCredentials is a wrong username or password.
	ErrBadCredentials = errors.New("auth: bad credentials")
	// ErrThrottled is a login refused because of too many recent failures.
	ErrThrottled = errors.New("auth: too many failed logins")
	// ErrInactive is a deactivated account.
	ErrInactive = errors.New("auth: account deactivated")
	// ErrNoSession is a session cookie that is unknown, expired or whose
	// user may no longer sign in.
	ErrNoSession = errors.New("auth: no valid session")
	// ErrBadToken is an API token that is malformed, unknown or revoked.
	ErrBadToken = errors.New("auth: invalid API token")
)

// Service is the accounts domain API.
type Service struct {
	db     *store.DB
	now    func() time.Time
	params HashParams

	dummyOnce sync.Once
	dummy     string // a hash to verify against for unknown usernames

	// One write of a session's or token's last use per minute.
	sessionSeen store.TouchGate[string]
	tokenUsed   store.TouchGate[int64]
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the Service read the time from now (tests move it on to
// check expiry and throttling).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithHashParams sets the argon2id cost of new password hashes (tests use
// FastHashParams).
func WithHashParams(p HashParams) Option { return func(s *Service) { s.params = p } }

// NewService returns the accounts service over db.
func NewService(db *store.DB, opts ...Option) *Service {
	s := &Service{db: db, now: time.Now, params: DefaultHashParams()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// dummyHash is verified against when a username does not exist, so that a
// login takes as long whether or not the account exists.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		s.dummy, _ = HashPassword(RandomPassword(), s.params)
	})
	return s.dummy
}

// hashSecret is how session tokens and API tokens are stored: hex SHA-256.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
