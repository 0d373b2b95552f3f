package main

// The harness of the crash, multi-instance and soak tests: the real binary,
// built into a temporary folder, run as separate processes that the tests
// kill with SIGKILL, and driven over HTTP with API tokens made by the CLI.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// envInt reads a positive integer from the environment, or def.
func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil && n > 0 {
		return n
	}
	return def
}

// buildBinary builds grassroots into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("process tests skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "grassroots")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// syncBuffer collects a process's output for the failure message.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 1<<20 {
		s.b.Reset()
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// instance is one running `grassroots serve`.
type instance struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
	done chan struct{}
}

// deployment is what every instance of a test shares: the binary, the
// database, the key file and the environment.
type deployment struct {
	t       *testing.T
	bin     string
	dsn     string
	keyFile string
	env     []string
}

func newDeployment(t *testing.T, dsn string, env ...string) *deployment {
	t.Helper()
	dir := t.TempDir()
	return &deployment{t: t, bin: buildBinary(t), dsn: dsn, keyFile: filepath.Join(dir, "grassroots.key"),
		env: append([]string{"GRASSROOTS_ADMIN_PASSWORD=crash-admin-password", "GRASSROOTS_LOG_FORMAT=json", "GRASSROOTS_DATA_DIR=" + dir}, env...)}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// cli runs a subcommand against the deployment's database and returns its
// standard output.
func (d *deployment) cli(args ...string) (string, error) {
	args = append(args, "--db", d.dsn, "--key-file", d.keyFile)
	cmd := exec.Command(d.bin, args...)
	cmd.Env = append(os.Environ(), d.env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("grassroots %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String(), nil
}

// token creates an API token for username.
func (d *deployment) token(username string) string {
	d.t.Helper()
	out, err := d.cli("token", "create", "--user", username)
	if err != nil {
		d.t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "grt_") {
			return strings.TrimSpace(line)
		}
	}
	d.t.Fatalf("no token in %q", out)
	return ""
}

// start runs one instance and waits until it is ready.
func (d *deployment) start(extraEnv ...string) *instance {
	d.t.Helper()
	addr := freeAddr(d.t)
	cmd := exec.Command(d.bin, "serve", "--addr", addr, "--db", d.dsn, "--key-file", d.keyFile)
	cmd.Env = append(append(os.Environ(), d.env...), extraEnv...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	in := &instance{cmd: cmd, url: "http://" + addr, logs: logs, done: make(chan struct{})}
	go func() { cmd.Wait(); close(in.done) }()
	d.t.Cleanup(in.kill)
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(in.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return in
			}
		}
		select {
		case <-in.done:
			d.t.Fatalf("server exited before it was ready:\n%s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("server not ready after 60s:\n%s", logs.String())
		}
	}
}

// kill stops the instance with SIGKILL: no shutdown, no flush.
func (in *instance) kill() {
	select {
	case <-in.done:
		return
	default:
	}
	in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.done
}

// client is an API client with one user's token.
type client struct {
	http  *http.Client
	token string
}

func newClient(token string) *client {
	return &client{http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}, token: token}
}

// errNoAnswer means the request got no HTTP answer (refused, reset,
// timeout): it may or may not have been applied, and was not acknowledged.
var errNoAnswer = errors.New("no answer")

// do sends a JSON request and decodes a 2xx answer into out. It returns the
// status; err wraps errNoAnswer when there was no answer.
func (c *client) do(ctx context.Context, method, u string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errNoAnswer, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		// The status came but the body did not: not a complete answer.
		return 0, fmt.Errorf("%w: %v", errNoAnswer, err)
	}
	if res.StatusCode/100 == 2 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return 0, fmt.Errorf("%w: decode %s: %v", errNoAnswer, b, err)
		}
	}
	if res.StatusCode/100 != 2 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, u, res.StatusCode, b)
	}
	return res.StatusCode, nil
}

// ledger is what the server acknowledged: cases by external id, and the
// actions acknowledged on each case.
type ledger struct {
	mu      sync.Mutex
	cases   map[string]string   // external id -> case number
	actions map[string][]string // case number -> acknowledged actions, in order
	writes  int
	lost    int // requests that got no answer
}

func newLedger() *ledger {
	return &ledger{cases: map[string]string{}, actions: map[string][]string{}}
}

func (l *ledger) ackCase(ext, no string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cases[ext] = no
	l.writes++
}

func (l *ledger) ackAction(no, action string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.actions[no] = append(l.actions[no], action)
	l.writes++
}

func (l *ledger) noAnswer() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lost++
}

// caseAnswer is the part of the API's case answer the tests read.
type caseAnswer struct {
	Case struct {
		No     string `json:"no"`
		Status string `json:"status"`
	} `json:"case"`
}

// hotlineWorker drives one stream of hotline cases: intake (retried with the
// same external id until acknowledged, which also proves intake is
// idempotent), then sign and answer by the lead department. base returns the
// current server URL; it runs until ctx ends.
func hotlineWorker(ctx context.Context, base func() string, intake, dept *client, l *ledger, prefix string, dispatch string) {
	backoff := func() {
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(20+rand.IntN(30)) * time.Millisecond):
		}
	}
	for i := 0; ctx.Err() == nil; i++ {
		ext := fmt.Sprintf("%s-%d", prefix, i)
		body := map[string]any{"flow": "hotline", "request_type": "help", "title": "路灯不亮 " + ext, "body": "压力测试工单",
			"source": "crashtest", "external_id": ext, "reporter_phone": fmt.Sprintf("138%08d", rand.IntN(1e8)),
			"place_unit": "350722001000", "dispatch": dispatch}
		var no string
		for ctx.Err() == nil {
			var ans caseAnswer
			_, err := intake.do(ctx, "POST", base()+"/api/v1/cases", body, &ans)
			if err == nil {
				no = ans.Case.No
				l.ackCase(ext, no)
				break
			}
			if errors.Is(err, errNoAnswer) {
				l.noAnswer()
			}
			backoff()
		}
		for _, action := range []string{"sign", "answer"} {
			if no == "" {
				break
			}
			for ctx.Err() == nil {
				_, err := dept.do(ctx, "POST", base()+"/api/v1/cases/"+url.PathEscape(no)+"/actions/"+action, map[string]any{"note": "已处理完毕"}, nil)
				if err == nil {
					l.ackAction(no, action)
					break
				}
				if !errors.Is(err, errNoAnswer) {
					break // refused (e.g. it was applied but the answer was lost): move on
				}
				l.noAnswer()
				backoff()
			}
		}
	}
}
