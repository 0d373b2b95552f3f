package web

import (
	"net/http"
	"sync"
	"time"

	"grassroots/internal/clientaddr"
	"grassroots/internal/wiring"
)

// RateLimit and PortalLimits are the portal's limits, set in the program's
// wiring (wiring.Services.Portal).
type (
	RateLimit    = wiring.RateLimit
	PortalLimits = wiring.PortalLimits
)

// DefaultPortalLimits are the limits used for zero fields of PortalLimits.
func DefaultPortalLimits() PortalLimits { return wiring.DefaultPortalLimits() }

// maxBuckets bounds the memory of a limiter: past it, buckets that have
// refilled completely (which behave like new ones) are dropped.
const maxBuckets = 10000

// RateLimiter keeps one token bucket per key (a client address). It lives in
// one process: with several instances each counts its own share.
type RateLimiter struct {
	limit RateLimit
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewRateLimiter returns a limiter allowing l.Events per l.Per for each key.
func NewRateLimiter(l RateLimit) *RateLimiter {
	return &RateLimiter{limit: l, now: time.Now, buckets: map[string]*bucket{}}
}

// rate is the refill in tokens per second.
func (rl *RateLimiter) rate() float64 { return float64(rl.limit.Events) / rl.limit.Per.Seconds() }

// refill brings b up to date at now.
func (rl *RateLimiter) refill(b *bucket, now time.Time) {
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = min(float64(rl.limit.Events), b.tokens+el*rl.rate())
	}
	b.at = now
}

// Allow takes one token from key's bucket. When the bucket is empty it
// reports false and how long until the next token.
func (rl *RateLimiter) Allow(key string) (bool, time.Duration) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	now := rl.now()
	b, ok := rl.buckets[key]
	if !ok {
		if len(rl.buckets) >= maxBuckets {
			rl.sweep(now)
		}
		b = &bucket{tokens: float64(rl.limit.Events), at: now}
		rl.buckets[key] = b
	}
	rl.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / rl.rate() * float64(time.Second))
	return false, max(wait, time.Second)
}

// Remaining reports how many whole tokens key has left now.
func (rl *RateLimiter) Remaining(key string) int {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	b, ok := rl.buckets[key]
	if !ok {
		return rl.limit.Events
	}
	rl.refill(b, rl.now())
	return int(b.tokens)
}

// sweep drops the buckets that are full again; if every bucket is in use
// it drops them all rather than grow without bound.
func (rl *RateLimiter) sweep(now time.Time) {
	for k, b := range rl.buckets {
		rl.refill(b, now)
		if b.tokens >= float64(rl.limit.Events) {
			delete(rl.buckets, k)
		}
	}
	if len(rl.buckets) >= maxBuckets {
		clear(rl.buckets)
	}
}

// clientKey is the rate-limit key of a request: the client's address as
// clientaddr resolved it (behind a trusted proxy, the address it forwarded),
// with IPv6 addresses cut to their /64 (one household or phone gets a whole
// /64).
func clientKey(r *http.Request) string {
	info := clientaddr.FromRequest(r)
	if k := info.Key(); k != "" {
		return k
	}
	return r.RemoteAddr
}
