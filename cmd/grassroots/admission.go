package main

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"grassroots/internal/api"
	"grassroots/internal/open311"
)

// The default admission limits: how many writes the server works on at
// once (--max-writes), and how long a write waits for its turn before it is
// refused (--write-queue).
const (
	defaultMaxWrites  = 32
	defaultWriteQueue = time.Second
)

// admission bounds the writes (every method but GET, HEAD and OPTIONS) in
// flight. Beyond what the database can commit, more concurrent writes only
// queue inside the server: latency grows without bound until clients time
// out and every request fails (PostgreSQL intake collapsed from 130/s to
// 22/s at 150/s offered, docs/PERFORMANCE.md). With a limit, a write that
// cannot start within the queue wait is refused at once with 503 and
// Retry-After, and those admitted keep their latency. Reads are never
// limited here.
type admission struct {
	slots chan struct{}
	wait  time.Duration
	shed  prometheus.Counter
	// waiting counts the writes queued for a slot (for the metrics).
	waiting atomic.Int64
	// queued times the wait of the writes that had to queue.
	queued prometheus.Histogram
}

func newAdmission(maxWrites int, wait time.Duration, reg prometheus.Registerer) *admission {
	a := &admission{
		slots: make(chan struct{}, maxWrites),
		wait:  wait,
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "grassroots_http_writes_shed_total",
			Help: "Writes refused with 503 because the server had as many in flight as it admits.",
		}),
	}
	a.queued = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "grassroots_http_write_queue_wait_seconds",
		Help:    "How long the writes that found every slot taken waited for one (admitted or refused).",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	})
	if reg != nil {
		reg.MustRegister(a.shed, a.queued,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "grassroots_http_writes_in_flight", Help: "Writes admitted and being handled.",
			}, func() float64 { return float64(len(a.slots)) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "grassroots_http_writes_waiting", Help: "Writes queued for a slot (refused after --write-queue).",
			}, func() float64 { return float64(a.waiting.Load()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "grassroots_http_writes_max", Help: "Writes admitted at once (--max-writes).",
			}, func() float64 { return float64(cap(a.slots)) }))
	}
	return a
}

func (a *admission) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		select {
		case a.slots <- struct{}{}:
		default:
			a.waiting.Add(1)
			start := time.Now()
			t := time.NewTimer(a.wait)
			select {
			case a.slots <- struct{}{}:
				t.Stop()
				a.waiting.Add(-1)
				a.queued.Observe(time.Since(start).Seconds())
			case <-t.C:
				a.waiting.Add(-1)
				a.queued.Observe(time.Since(start).Seconds())
				a.shed.Inc()
				writeBusy(w, r)
				return
			case <-r.Context().Done():
				t.Stop()
				a.waiting.Add(-1)
				return
			}
		}
		defer func() { <-a.slots }()
		next.ServeHTTP(w, r)
	})
}

// retryAfter is when a refused writer is told to try again.
const retryAfter = time.Second

// busyMessage is what a refused writer reads: nothing was done, try again.
const busyMessage = "系统繁忙，本次提交未处理，请稍后重试 (server busy: nothing was saved, retry shortly)"

// writeBusy answers 503 in the shape the caller expects: the API's JSON
// error, Open311's error list (XML or JSON), or a plain page for a form.
func writeBusy(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/api/"):
		api.WriteUnavailable(w, retryAfter, busyMessage)
	case strings.HasPrefix(p, open311.Prefix):
		open311.WriteUnavailable(w, r, retryAfter, busyMessage)
	default:
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter.Seconds())))
		http.Error(w, busyMessage, http.StatusServiceUnavailable)
	}
}
