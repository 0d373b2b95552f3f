package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"grassroots/internal/clientaddr"
)

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	rl := NewRateLimiter(RateLimit{Events: 3, Per: time.Hour})
	rl.now = func() time.Time { return clock }
	steps := []struct {
		name    string
		advance time.Duration
		key     string
		want    bool
	}{
		{"first", 0, "a", true},
		{"second", 0, "a", true},
		{"third", 0, "a", true},
		{"past the burst", 0, "a", false},
		{"another client is not affected", 0, "b", true},
		{"ten minutes later: not yet a token", 10 * time.Minute, "a", false},
		{"twenty minutes after the burst: one token", 10 * time.Minute, "a", true},
		{"and only one", 0, "a", false},
		{"an hour later: the bucket is full, not fuller", 2 * time.Hour, "a", true},
	}
	for _, s := range steps {
		clock = clock.Add(s.advance)
		ok, wait := rl.Allow(s.key)
		if ok != s.want {
			t.Fatalf("%s: Allow = %v, want %v", s.name, ok, s.want)
		}
		if !ok && wait <= 0 {
			t.Errorf("%s: refused without a wait", s.name)
		}
	}
	if got := rl.Remaining("a"); got != 2 {
		t.Errorf("Remaining = %d, want 2", got)
	}
	if got := rl.Remaining("new"); got != 3 {
		t.Errorf("Remaining of a new key = %d, want 3", got)
	}
}

func TestRateLimiterBoundsMemory(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	rl := NewRateLimiter(RateLimit{Events: 2, Per: time.Minute})
	rl.now = func() time.Time { return clock }
	for i := range maxBuckets + 100 {
		rl.Allow("k" + strconv.Itoa(i))
		if i == maxBuckets/2 {
			clock = clock.Add(time.Hour) // the first half refill completely
		}
	}
	if n := len(rl.buckets); n > maxBuckets {
		t.Errorf("%d buckets kept, want at most %d", n, maxBuckets)
	}
}

// TestClientKey: the key is the client clientaddr resolved: behind a trusted
// proxy the forwarded address, else the peer, whatever headers it sends.
func TestClientKey(t *testing.T) {
	t.Parallel()
	res := clientaddr.Resolver{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	tests := []struct {
		remote, header, value, want string
	}{
		{"192.0.2.10:5555", "", "", "192.0.2.10"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", "", "2001:db8:1:2::/64"},
		{"10.0.0.1:80", "X-Real-IP", "198.51.100.7", "198.51.100.7"},
		{"10.0.0.1:80", "X-Forwarded-For", "198.51.100.7, 10.0.0.1", "198.51.100.7"},
		{"10.0.0.1:80", "X-Forwarded-For", "203.0.113.1, 198.51.100.7", "198.51.100.7"}, // the leftmost is the client's own word
		{"10.0.0.1:80", "X-Forwarded-For", "2001:db8:1:2::9", "2001:db8:1:2::/64"},
		{"10.0.0.1:80", "X-Real-IP", "", "10.0.0.1"},
		{"192.0.2.10:5555", "X-Real-IP", "203.0.113.1", "192.0.2.10"},       // not a trusted proxy
		{"192.0.2.10:5555", "X-Forwarded-For", "203.0.113.1", "192.0.2.10"}, // not a trusted proxy
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/portal", nil)
		r.RemoteAddr = tt.remote
		if tt.value != "" {
			r.Header.Set(tt.header, tt.value)
		}
		var got string
		res.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = clientKey(r) })).ServeHTTP(httptest.NewRecorder(), r)
		if got != tt.want {
			t.Errorf("clientKey(%s, %s=%q) = %q, want %q", tt.remote, tt.header, tt.value, got, tt.want)
		}
	}
}
