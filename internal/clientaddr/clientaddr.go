// Package clientaddr decides, once per request, who the client is and whether
// the request came over TLS. Behind a reverse proxy the connection's peer is
// the proxy; the client's address and scheme are then taken from the
// proxy's X-Forwarded-For, X-Real-IP and X-Forwarded-Proto headers, but only
// when the peer is a proxy the operator said to trust (--trusted-proxy).
// Everyone else's headers are ignored: anybody can send them.
//
// Rate limits, the login throttle and the access log all read the address
// from here, so one setting makes them all count real clients.
package clientaddr

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver knows which peers are trusted proxies.
type Resolver struct {
	// Trusted are the proxies whose forwarding headers are believed.
	Trusted []netip.Prefix
}

// Info is what a request says about its client.
type Info struct {
	// Addr is the client's address: the connection's peer, or, when the peer
	// is a trusted proxy, the address it forwarded. Invalid only when the
	// peer address cannot be read (a test's bare request).
	Addr netip.Addr
	// Peer is the connection's remote address, never taken from a header.
	Peer netip.Addr
	// Secure is true when the request came over TLS: on this connection, or
	// to a trusted proxy that says so with X-Forwarded-Proto: https.
	Secure bool
	// Forwarded is true when the request carries any forwarding header
	// (X-Forwarded-For, X-Real-IP or Forwarded), trusted or not.
	Forwarded bool
}

// String is the client address for logs and rate-limit keys ("" if unknown).
func (i Info) String() string {
	if !i.Addr.IsValid() {
		return ""
	}
	return i.Addr.String()
}

// Key is the client's rate-limit key: its address, with IPv6 addresses cut
// to their /64 (one household or phone gets a whole /64).
func (i Info) Key() string { return Key(i.Addr) }

// Key is the rate-limit key of addr: IPv4 as is, IPv6 cut to its /64.
func Key(addr netip.Addr) string {
	if !addr.IsValid() {
		return ""
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// ParseTrusted reads a comma- or space-separated list of CIDRs or single
// addresses ("127.0.0.1/32, 10.0.0.0/8, ::1").
func ParseTrusted(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: give an address or a CIDR such as 10.0.0.0/8", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: give an address or a CIDR such as 10.0.0.0/8", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// IsTrusted reports whether addr is one of the trusted proxies.
func (res Resolver) IsTrusted(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	for _, p := range res.Trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// IsLocal reports whether addr is a loopback address or a trusted proxy.
func (res Resolver) IsLocal(addr netip.Addr) bool {
	return addr.IsValid() && (addr.Unmap().IsLoopback() || res.IsTrusted(addr))
}

// Resolve works out the client of r. X-Forwarded-For is read right to left,
// skipping trusted proxies: the rightmost address that is not a trusted
// proxy is the client (entries to its left were written by the client or
// by proxies nobody vouches for). X-Real-IP is used, from a trusted peer,
// only when there is no X-Forwarded-For.
func (res Resolver) Resolve(r *http.Request) Info {
	info := Info{Peer: peerAddr(r.RemoteAddr), Secure: r.TLS != nil}
	info.Addr = info.Peer
	h := r.Header
	info.Forwarded = len(h.Values("X-Forwarded-For")) > 0 || h.Get("X-Real-IP") != "" || h.Get("Forwarded") != ""
	if !res.IsTrusted(info.Peer) {
		return info
	}
	if proto := firstValue(h.Get("X-Forwarded-Proto")); strings.EqualFold(proto, "https") {
		info.Secure = true
	}
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		hops := strings.Split(strings.Join(xff, ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, ok := parseHop(hops[i])
			if !ok {
				// Trusted proxies write addresses; what is not one was
				// written by someone else: the last hop read stands.
				break
			}
			info.Addr = a
			if !res.IsTrusted(a) {
				break
			}
		}
		return info
	}
	if a, ok := parseHop(h.Get("X-Real-IP")); ok {
		info.Addr = a
	}
	return info
}

// firstValue is the first of a comma-separated header's values, trimmed.
func firstValue(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}

// parseHop reads one X-Forwarded-For entry: an address, perhaps with a port
// ("192.0.2.1:4711", "[2001:db8::1]:443").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

// peerAddr reads a connection's remote address ("ip:port").
func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, _ := parseHop(host)
	return a
}

type ctxKey struct{}

// Middleware resolves every request's client once and keeps it in the
// request's context for FromRequest.
func (res Resolver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := res.Resolve(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, info)))
	})
}

// FromRequest returns the client the middleware resolved. A request that
// did not pass through it (a handler under test) trusts no proxy: its
// client is its peer.
func FromRequest(r *http.Request) Info {
	if info, ok := r.Context().Value(ctxKey{}).(Info); ok {
		return info
	}
	return Resolver{}.Resolve(r)
}
