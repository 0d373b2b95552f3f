package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSoakFlat runs a steady load for GRASSROOTS_SOAK_SECONDS (20 by
// default; an hour-scale run is documented in docs/RELIABILITY.md) and
// samples the server's resident memory (/proc/PID/status), goroutines and
// open database connections (/metrics) every second: after a warm-up memory
// and connections must stay flat, within a bounded growth. Goroutines come
// and go with the work in flight (the SQLite driver starts one per statement
// to watch its context, and a busy CI machine lets them pile up before they
// run to their end), so a leak is judged once the load has stopped: the
// count must come back to what the idle server had before it.
func TestSoakFlat(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc")
	}
	seconds := envInt("GRASSROOTS_SOAK_SECONDS", 20)
	d := newDeployment(t, t.TempDir()+"/soak.db")
	in := d.start()
	if _, err := d.cli("user", "add", "--username", "soak.dept", "--password", "soak-dept-password", "--name", "城管承办人",
		"--unit", "350722D003", "--role", "department"); err != nil {
		t.Fatal(err)
	}
	intake, dept := newClient(d.token("admin")), newClient(d.token("soak.dept"))
	idleGoroutines, _ := serverGauges(in.url)
	l := newLedger()
	ctx, stop := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second)
	defer stop()
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hotlineWorker(ctx, func() string { return in.url }, intake, dept, l, fmt.Sprintf("soak-%d", g), "350722D003")
		}()
	}
	// Readers too: the case list and the metrics page, as dashboards would.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			intake.do(ctx, "GET", in.url+"/api/v1/categories", nil, nil)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var samples []soakSample
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
			s := soakSample{rss: rssKB(t, in.cmd.Process.Pid)}
			s.goroutines, s.connections = serverGauges(in.url)
			samples = append(samples, s)
		}
	}
	wg.Wait()
	if len(samples) < 4 {
		t.Fatalf("only %d samples", len(samples))
	}
	warm := samples[len(samples)/4]
	var peak soakSample
	for _, s := range samples[len(samples)/4:] {
		peak.rss = max(peak.rss, s.rss)
		peak.goroutines = max(peak.goroutines, s.goroutines)
		peak.connections = max(peak.connections, s.connections)
	}
	last := samples[len(samples)-1]
	t.Logf("%ds soak: %d writes acknowledged; RSS %d kB after warm-up, peak %d kB, last %d kB; goroutines %.0f → peak %.0f; open connections %.0f → peak %.0f",
		seconds, l.writes, warm.rss, peak.rss, last.rss, warm.goroutines, peak.goroutines, warm.connections, peak.connections)
	if l.writes < seconds {
		t.Errorf("only %d writes in %ds: the load did not run", l.writes, seconds)
	}
	// Bounded growth: memory within 50% + 32 MB of the warm figure, goroutines
	// and connections within a small constant of it (pools are capped).
	if peak.rss > warm.rss*3/2+32*1024 {
		t.Errorf("resident memory grew from %d kB to %d kB", warm.rss, peak.rss)
	}
	// The load has stopped: the clients hang up, and within a few seconds the
	// server must be back to the goroutines it had idle (a small margin for
	// the metrics connection and a background job that may be running).
	intake.http.CloseIdleConnections()
	dept.http.CloseIdleConnections()
	settled, deadline := 0.0, time.Now().Add(15*time.Second)
	for {
		settled, _ = serverGauges(in.url)
		if settled <= idleGoroutines+10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("goroutines idle before the load %.0f, after it %.0f", idleGoroutines, settled)
	if settled > idleGoroutines+10 {
		t.Errorf("goroutines leaked: %.0f before the load, still %.0f 15 s after it", idleGoroutines, settled)
	}
	if peak.connections > warm.connections+5 || peak.connections > 25 {
		t.Errorf("open connections grew from %.0f to %.0f", warm.connections, peak.connections)
	}
}

// soakSample is one second of the soak.
type soakSample struct {
	rss         int64 // kB
	goroutines  float64
	connections float64
}

// rssKB reads VmRSS of a process, in kB.
func rssKB(t *testing.T, pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatalf("read server status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// serverGauges reads go_goroutines and the sum of go_sql_open_connections
// from the server's /metrics.
func serverGauges(base string) (goroutines, connections float64) {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, 0
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		switch {
		case name == "go_goroutines":
			goroutines = v
		case strings.HasPrefix(name, "go_sql_open_connections"):
			connections += v
		}
	}
	return goroutines, connections
}
