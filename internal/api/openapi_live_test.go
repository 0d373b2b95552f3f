package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Every exchange the package's tests make through Server.Handler (this
// package's and api_test's: one test binary) is checked against the OpenAPI
// document: the answer always, its status included; the request when the
// server took it (a 2xx or 3xx), since a request the server accepts and the
// document refuses is the document's mistake (a field required that has a
// default). Requests the server refused are the tests' deliberate bad input.
// A mismatch fails the run in TestMain, with the exchange named.
func init() { handlerWrap = liveChecked }

var live struct {
	once     sync.Once
	router   routers.Router
	loadErr  error
	mu       sync.Mutex
	failures map[string]int // message -> times seen
	ops      map[string]int // operationId -> exchanges checked
}

func TestMain(m *testing.M) {
	code := m.Run()
	live.mu.Lock()
	defer live.mu.Unlock()
	if live.loadErr != nil {
		fmt.Fprintf(os.Stderr, "openapi live check: %v\n", live.loadErr)
		code = 1
	}
	if len(live.failures) > 0 {
		msgs := make([]string, 0, len(live.failures))
		for msg, n := range live.failures {
			msgs = append(msgs, fmt.Sprintf("%s (%d×)", msg, n))
		}
		sort.Strings(msgs)
		fmt.Fprintf(os.Stderr, "openapi live check: %d exchanges disagree with the OpenAPI document:\n  %s\n",
			len(msgs), strings.Join(msgs, "\n  "))
		code = 1
	}
	if testing.Verbose() {
		fmt.Printf("openapi live check: %d operations exercised\n", len(live.ops))
	}
	os.Exit(code)
}

// liveRouter builds the router of the served document once.
func liveRouter() (routers.Router, error) {
	live.once.Do(func() {
		doc, err := Document()
		if err != nil {
			live.loadErr = err
			return
		}
		b, err := json.Marshal(doc)
		if err != nil {
			live.loadErr = err
			return
		}
		t, err := openapi3.NewLoader().LoadFromData(b)
		if err != nil {
			live.loadErr = fmt.Errorf("load the document: %w", err)
			return
		}
		t.Servers = nil // tests' requests name any host; paths are absolute
		if live.router, err = legacy.NewRouter(t); err != nil {
			live.loadErr = fmt.Errorf("the document: %w", err)
		}
	})
	return live.router, live.loadErr
}

// liveChecked wraps the API's handler with the check.
func liveChecked(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		router, err := liveRouter()
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		// The copy is taken before the handler runs: the mux sets path
		// values on r, and a handler may change its header.
		req := r.Clone(context.WithoutCancel(r.Context()))
		rec := &liveRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		req.Body = io.NopCloser(bytes.NewReader(body))
		if len(body) > 0 && req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/json") // as input.DecodeJSON takes it
		}
		liveCheck(router, req, rec)
	})
}

func liveCheck(router routers.Router, req *http.Request, rec *liveRecorder) {
	route, params, err := router.FindRoute(req)
	if err != nil {
		return // not an operation (the JSON 404 and 405 of /api/); TestEveryRouteDocumented covers routes
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	where := fmt.Sprintf("%s %s (%s) → %d", req.Method, req.URL.Path, route.Operation.OperationID, status)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true, MultiError: true}}
	var failures []string
	if status < 400 {
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			failures = append(failures, where+": the server took a request the document refuses: "+liveErr(err))
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: rec.Header(),
		Body:    io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		failures = append(failures, where+": the answer disagrees with the document: "+liveErr(err))
	}
	live.mu.Lock()
	defer live.mu.Unlock()
	if live.ops == nil {
		live.ops, live.failures = map[string]int{}, map[string]int{}
	}
	live.ops[route.Operation.OperationID]++
	for _, f := range failures {
		live.failures[f]++
	}
}

// liveErr is err on one line, short enough to read in a list.
func liveErr(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

// liveRecorder passes the answer on and keeps a copy.
type liveRecorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *liveRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *liveRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (flushes, deadlines).
func (r *liveRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
