package clientaddr

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestParseTrusted(t *testing.T) {
	got, err := ParseTrusted("127.0.0.1/32, 10.1.2.3/8 ::1\t192.0.2.5")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1/32", "10.0.0.0/8", "::1/128", "192.0.2.5/32"}
	if len(got) != len(want) {
		t.Fatalf("ParseTrusted = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("prefix %d = %s, want %s", i, got[i], want[i])
		}
	}
	if p, err := ParseTrusted(""); err != nil || len(p) != 0 {
		t.Errorf(`ParseTrusted("") = %v, %v`, p, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "nginx", "10.0.0"} {
		if _, err := ParseTrusted(bad); err == nil {
			t.Errorf("ParseTrusted(%q) accepted", bad)
		}
	}
}

func TestResolve(t *testing.T) {
	trusted, err := ParseTrusted("127.0.0.1/32, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	res := Resolver{Trusted: trusted}
	tests := []struct {
		name, remote string
		headers      map[string]string
		tls          bool
		want         string
		secure       bool
	}{
		{"direct client", "198.51.100.1:5555", nil, false, "198.51.100.1", false},
		{"untrusted peer's headers are ignored", "198.51.100.1:5555",
			map[string]string{"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9", "X-Forwarded-Proto": "https"}, false, "198.51.100.1", false},
		{"trusted proxy forwards the client", "127.0.0.1:40000",
			map[string]string{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}, false, "203.0.113.9", true},
		{"a spoofed leftmost entry is not believed", "127.0.0.1:40000",
			map[string]string{"X-Forwarded-For": "192.0.2.66, 203.0.113.9"}, false, "203.0.113.9", false},
		{"trusted hops are skipped right to left", "127.0.0.1:40000",
			map[string]string{"X-Forwarded-For": "192.0.2.66, 203.0.113.9, 10.1.1.1, 10.2.2.2"}, false, "203.0.113.9", false},
		{"all hops trusted: the leftmost", "127.0.0.1:40000",
			map[string]string{"X-Forwarded-For": "10.1.1.1, 10.2.2.2"}, false, "10.1.1.1", false},
		{"garbage stops the walk at the last good hop", "127.0.0.1:40000",
			map[string]string{"X-Forwarded-For": "unknown, 10.2.2.2"}, false, "10.2.2.2", false},
		{"hops with ports", "127.0.0.1:40000",
			map[string]string{"X-Forwarded-For": "[2001:db8::7]:443"}, false, "2001:db8::7", false},
		{"X-Real-IP from a trusted peer", "10.9.9.9:80",
			map[string]string{"X-Real-IP": "203.0.113.10"}, false, "203.0.113.10", false},
		{"X-Forwarded-Proto http", "127.0.0.1:40000",
			map[string]string{"X-Forwarded-Proto": "http"}, false, "127.0.0.1", false},
		{"TLS on the connection", "198.51.100.1:5555", nil, true, "198.51.100.1", true},
		{"IPv4-mapped peer", "[::ffff:127.0.0.1]:40000",
			map[string]string{"X-Forwarded-For": "203.0.113.9"}, false, "203.0.113.9", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			got := res.Resolve(r)
			if got.String() != tt.want || got.Secure != tt.secure {
				t.Errorf("Resolve = %s secure=%v, want %s secure=%v", got, got.Secure, tt.want, tt.secure)
			}
			if got.Forwarded != (tt.headers["X-Forwarded-For"] != "" || tt.headers["X-Real-IP"] != "") {
				t.Errorf("Forwarded = %v", got.Forwarded)
			}
		})
	}
}

func TestKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.10":             "192.0.2.10",
		"2001:db8:1:2:3:4:5:6":   "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::abc": "2001:db8:1:2::/64",
	} {
		if got := Key(netip.MustParseAddr(in)); got != want {
			t.Errorf("Key(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestMiddlewareAndFromRequest(t *testing.T) {
	res := Resolver{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	var got Info
	h := res.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = FromRequest(r) }))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:1234"
	r.Header.Set("X-Forwarded-For", "203.0.113.5")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got.String() != "203.0.113.5" || got.Peer.String() != "127.0.0.1" {
		t.Errorf("through the middleware: %+v", got)
	}
	// Without the middleware nobody is trusted.
	if info := FromRequest(r); info.String() != "127.0.0.1" {
		t.Errorf("FromRequest without the middleware = %s, want the peer", info)
	}
}

func TestLocal(t *testing.T) {
	res := Resolver{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	for addr, want := range map[string]bool{"127.0.0.1": true, "::1": true, "10.3.3.3": true, "192.0.2.1": false, "::ffff:127.0.0.1": true} {
		if got := res.IsLocal(netip.MustParseAddr(addr)); got != want {
			t.Errorf("IsLocal(%s) = %v, want %v", addr, got, want)
		}
	}
	if res.IsLocal(netip.Addr{}) {
		t.Error("an unknown address is local")
	}
}
