package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"grassroots/internal/web"
)

// lockedBuffer is an io.Writer safe for the server goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// selfSigned writes a certificate for 127.0.0.1 and its key to dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "grassroots test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLSAndMetricsAddr: serve --tls-cert --tls-key answers HTTPS with
// Secure cookies, and --metrics-addr moves /metrics to its own listener.
func TestServeTLSAndMetricsAddr(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, nil, []string{"--db", filepath.Join(dir, "g.db"), "--key-file", filepath.Join(dir, "k.key"), "--log-format", "json",
			"--addr", addr, "--tls-cert", certFile, "--tls-key", keyFile, "--metrics-addr", metricsAddr, "--trusted-proxy", "10.0.0.0/8"}, out)
	}()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var res *http.Response
	for deadline := time.Now().Add(60 * time.Second); ; {
		var err error
		if res, err = client.Get("https://" + addr + "/login"); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HTTPS answer: %v\n%s", err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	res.Body.Close()
	var csrf *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == web.CSRFCookie {
			csrf = c
		}
	}
	if res.StatusCode != http.StatusOK || csrf == nil || !csrf.Secure {
		t.Errorf("GET /login over TLS = %d, CSRF cookie %+v, want Secure", res.StatusCode, csrf)
	}
	if !strings.Contains(out.String(), "listening on https://"+addr) {
		t.Errorf("serve did not say it serves HTTPS:\n%s", out.String())
	}
	// Plain HTTP to the TLS port is not served.
	if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(body), "ok") {
			t.Error("plain HTTP was served on the TLS address")
		}
	}
	// /metrics lives on its own address, and not on the main one.
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "grassroots_http_requests_total") {
		t.Errorf("GET /metrics on --metrics-addr = %d %q", res.StatusCode, truncate(string(body)))
	}
	if res, err := client.Get("https://" + addr + "/metrics"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the main address with --metrics-addr = %v %v, want 404", res.StatusCode, err)
	} else {
		res.Body.Close()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeFlagErrors(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"bad trusted proxy": {"--trusted-proxy", "nginx"},
		"cert without key":  {"--tls-cert", filepath.Join(dir, "cert.pem")},
		"unreadable pair":   {"--tls-cert", filepath.Join(dir, "none.pem"), "--tls-key", filepath.Join(dir, "none.key")},
	} {
		args = append([]string{"--db", filepath.Join(dir, "g.db"), "--addr", "127.0.0.1:0"}, args...)
		if err := runServe(context.Background(), nil, args, io.Discard); err == nil {
			t.Errorf("%s: serve started", name)
		}
	}
}

// TestMetricsOnMainListener: /metrics answers a loopback or trusted-proxy
// peer, never another, and forwarding headers can only refuse it.
func TestMetricsOnMainListener(t *testing.T) {
	a, _ := newTestApp(t, filepath.Join(t.TempDir(), "g.db"), false)
	a.cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	h, err := a.handler()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer, xff string
		want            int
	}{
		{"loopback", "127.0.0.1:4000", "", 200},
		{"loopback IPv6", "[::1]:4000", "", 200},
		{"trusted proxy itself", "10.1.1.1:4000", "", 200},
		{"another address", "198.51.100.1:4000", "", 404},
		{"another address claiming loopback", "198.51.100.1:4000", "127.0.0.1", 404},
		{"trusted proxy forwarding a stranger", "10.1.1.1:4000", "198.51.100.1", 404},
		{"trusted proxy forwarding a spoofed loopback", "10.1.1.1:4000", "127.0.0.1, 198.51.100.1", 404},
		{"trusted proxy forwarding loopback", "10.1.1.1:4000", "127.0.0.1", 200},
		{"untrusted local proxy forwarding a stranger", "127.0.0.1:4000", "198.51.100.1", 404},
	} {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s: GET /metrics = %d, want %d", tc.name, w.Code, tc.want)
		}
	}
}

// TestRateLimitsPerRealClient: behind a trusted proxy the portal's and
// Open311's limits and the login throttle count the client the proxy
// forwarded, so one client's excess does not stop another; without
// --trusted-proxy the same header is ignored.
func TestRateLimitsPerRealClient(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		a, _ := newTestApp(t, dsn, false)
		a.cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		h, err := a.handler()
		if err != nil {
			t.Fatal(err)
		}
		send := func(method, path, client string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
			var body io.Reader
			if form != nil {
				body = strings.NewReader(form.Encode())
			}
			r := httptest.NewRequest(method, path, body)
			r.RemoteAddr = "127.0.0.1:40000" // the proxy
			r.Header.Set("X-Forwarded-For", client)
			r.Header.Set("X-Forwarded-Proto", "https")
			if form != nil {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for _, c := range cookies {
				r.AddCookie(c)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}
		var csrf *http.Cookie
		for _, c := range send("GET", "/portal", "203.0.113.7", nil).Result().Cookies() {
			if c.Name == web.CSRFCookie {
				csrf = c
			}
		}
		if csrf == nil || !csrf.Secure {
			t.Fatalf("portal CSRF cookie behind the TLS proxy = %+v, want Secure", csrf)
		}

		// The portal: 10 reports an hour per client.
		report := url.Values{"csrf": {csrf.Value}, "title": {"x"}}
		for i := range 10 {
			if w := send("POST", "/portal/report", "203.0.113.7", report, csrf); w.Code == http.StatusTooManyRequests {
				t.Fatalf("report %d refused early", i+1)
			}
		}
		if w := send("POST", "/portal/report", "203.0.113.7", report, csrf); w.Code != http.StatusTooManyRequests {
			t.Errorf("11th report from one client = %d, want 429", w.Code)
		}
		if w := send("POST", "/portal/report", "203.0.113.8", report, csrf); w.Code == http.StatusTooManyRequests {
			t.Error("another client behind the same proxy was refused")
		}

		// Open311: 30 POSTs a minute per client.
		post := url.Values{"api_key": {"nope"}, "service_code": {"x"}, "description": {"x"}}
		for i := range 30 {
			if w := send("POST", "/open311/v2/requests.json", "203.0.113.7", post); w.Code == http.StatusTooManyRequests {
				t.Fatalf("Open311 POST %d refused early", i+1)
			}
		}
		if w := send("POST", "/open311/v2/requests.json", "203.0.113.7", post); w.Code != http.StatusTooManyRequests {
			t.Errorf("31st Open311 POST from one client = %d, want 429", w.Code)
		}
		if w := send("POST", "/open311/v2/requests.json", "203.0.113.8", post); w.Code == http.StatusTooManyRequests {
			t.Error("another Open311 client behind the same proxy was refused")
		}

		// The login throttle.
		bad := url.Values{"csrf": {csrf.Value}, "username": {"admin"}, "password": {"wrong password"}}
		for range 5 {
			send("POST", "/login", "203.0.113.7", bad, csrf)
		}
		if w := send("POST", "/login", "203.0.113.7", bad, csrf); w.Code != http.StatusTooManyRequests {
			t.Errorf("login after 5 failures from one client = %d, want 429", w.Code)
		}
		if w := send("POST", "/login", "203.0.113.8", bad, csrf); w.Code != http.StatusUnauthorized {
			t.Errorf("login from another client behind the proxy = %d, want 401 (password checked)", w.Code)
		}
	})
}
