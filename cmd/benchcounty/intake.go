package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/store"
)

// server is a grassroots binary serving the benchmark database on a
// loopback port.
type server struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	done chan error
}

// startServer runs `grassroots serve` on dsn at a free loopback port and
// waits until it answers /healthz. Its log goes to logFile.
func startServer(ctx context.Context, bin, dsn, dataDir, logFile string) (*server, error) {
	lf, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--db", dsn, "--addr", "127.0.0.1:0", "--log-format", "json",
		"--key-file", filepath.Join(dataDir, "grassroots.key"))
	cmd.Env = append(os.Environ(), "GRASSROOTS_DATA_DIR="+dataDir, "GRASSROOTS_DEMO=")
	cmd.Stderr = lf
	out, err := cmd.StdoutPipe()
	if err != nil {
		lf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(lf, line)
			if _, rest, ok := strings.Cut(line, "listening on http://"); ok {
				a, _, _ := strings.Cut(rest, " ")
				select {
				case addr <- a:
				default:
				}
			}
		}
	}()
	go func() { s.done <- cmd.Wait(); lf.Close() }()
	select {
	case a := <-addr:
		s.base = "http://" + a
	case err := <-s.done:
		return nil, fmt.Errorf("server exited before listening (%v): see %s", err, logFile)
	case <-time.After(2 * time.Minute):
		s.stop()
		return nil, fmt.Errorf("server did not start within 2 minutes: see %s", logFile)
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	for range 100 {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("server at %s never became ready: see %s", s.base, logFile)
}

// stop ends the server with SIGINT (a graceful shutdown) and waits for it.
func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// apiToken makes (once) a county-level administrator for the benchmark and
// returns a fresh API token acting as it, as `grassroots token create` does.
func apiToken(ctx context.Context, db *store.DB, countyCode string) (string, error) {
	a := auth.NewService(db)
	const name = "bench_api"
	ok, err := a.UserExists(ctx, name)
	if err != nil {
		return "", err
	}
	if !ok {
		if _, err := a.CreateUser(ctx, access.System, auth.NewUser{Username: name, Password: auth.RandomPassword(),
			Name: "基准测试接口", UnitCode: countyCode, Roles: []string{string(access.RoleAdmin)}}); err != nil {
			return "", fmt.Errorf("benchmark user: %w", err)
		}
	}
	return a.CreateToken(ctx, access.System, name, "benchcounty")
}

// intakeResult is what the load generator saw.
type intakeResult struct {
	Target   float64       // requests per second asked for
	Duration time.Duration // of the schedule
	Sent     int
	Created  int            // 201 answers
	Failed   map[string]int // by status or error
	Achieved float64        // created per second, first send to last answer
	P50, P90 time.Duration
	P99, Max time.Duration
	// ServerCPU is the server process's CPU time (user + system) per
	// created case, read from /proc; zero where that cannot be read.
	ServerCPU time.Duration
}

// cpuTime returns a process's CPU time so far (user + system) from
// /proc/PID/stat, or zero where there is no /proc.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start at state;
	// utime and stime are the 14th and 15th fields, in clock ticks (100/s
	// on Linux).
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// runIntake posts new cases to POST /api/v1/cases at rate per second for d,
// open loop: each request starts at its scheduled time whatever the earlier
// ones are doing, and its latency is counted from that time, so a slow
// server cannot hide its stalls by slowing the generator down.
func runIntake(ctx context.Context, base, token string, c *county, rate float64, d time.Duration, runID string) (intakeResult, error) {
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	n := int(rate * d.Seconds())
	bodies := make([][]byte, n)
	for i := range bodies {
		g := c.grids[rng.IntN(len(c.grids))]
		p1, p2 := phrases[rng.IntN(len(phrases))], phrases[rng.IntN(len(phrases))]
		lng, lat := g.lng+(rng.Float64()-0.5)*0.0005, g.lat+(rng.Float64()-0.5)*0.0005
		body := map[string]any{
			"flow":           "hotline",
			"request_type":   "complaint",
			"category":       c.leafCodes[rng.IntN(len(c.leafCodes))],
			"title":          p1,
			"body":           fmt.Sprintf("来电人反映%s，另外%s，请尽快处理。", p1, p2),
			"address":        g.code + "附近",
			"lng":            lng,
			"lat":            lat,
			"reporter_name":  "张某某",
			"reporter_phone": fmt.Sprintf("139%08d", rng.IntN(100_000_000)),
			"source":         "bench",
			"external_id":    fmt.Sprintf("%s-%d", runID, i),
			"dispatch":       g.community.code, // the call-taker dispatches at intake
		}
		bodies[i], _ = json.Marshal(body)
	}
	res := intakeResult{Target: rate, Duration: d, Failed: map[string]int{}}
	lat := make([]time.Duration, n)
	ok := make([]bool, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	const maxInFlight = 4000
	sem := make(chan struct{}, maxInFlight)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	var last time.Time
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if w := time.Until(at); w > 0 {
			select {
			case <-time.After(w):
			case <-ctx.Done():
				return res, ctx.Err()
			}
		}
		select {
		case sem <- struct{}{}:
		default:
			mu.Lock()
			res.Failed["client: too many in flight"]++
			mu.Unlock()
			continue
		}
		res.Sent++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/cases", bytes.NewReader(bodies[i]))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			end := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if end.After(last) {
				last = end
			}
			if err != nil {
				res.Failed["client: "+shortErr(err)]++
				return
			}
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				key := resp.Status
				if len(res.Failed) < 5 {
					key += " " + strings.TrimSpace(string(msg))
				}
				res.Failed[key]++
				return
			}
			lat[i], ok[i] = end.Sub(at), true
		}()
	}
	wg.Wait()
	var got []time.Duration
	for i := range n {
		if ok[i] {
			got = append(got, lat[i])
		}
	}
	res.Created = len(got)
	if len(got) == 0 {
		return res, errors.New("no case was created: " + fmt.Sprint(res.Failed))
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	res.P50, res.P90, res.P99, res.Max = pct(got, 50), pct(got, 90), pct(got, 99), got[len(got)-1]
	res.Achieved = float64(res.Created) / last.Sub(start).Seconds()
	return res, nil
}

func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}
