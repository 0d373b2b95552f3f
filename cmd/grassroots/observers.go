package main

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"grassroots/internal/casework"
	"grassroots/internal/stats"
	"grassroots/internal/store"
	"grassroots/internal/timers"
	"grassroots/internal/webhook"
)

// observers are the business and background figures: what the domain
// packages report through their hooks (a case created, an action taken, a
// timer fired, a webhook attempt, a commit) and what is read from the
// database on a scrape (open and late parts by township, the backlogs).
// The domain packages know no Prometheus: they have small observer hooks
// (casework.OnChange, timers.Observer, webhook.WorkerConfig.Outcome,
// store.ObserveCommits) and read functions, and this is where they meet
// it. One set per app, made on first use (app.observers), whatever number
// of handlers is built.
type observers struct {
	casesCreated *prometheus.CounterVec
	actions      *prometheus.CounterVec
	timersFired  *prometheus.CounterVec
	timersFailed *prometheus.CounterVec
	lastSweep    prometheus.Gauge
	webhooks     *prometheus.CounterVec
	commitJobs   prometheus.Histogram
	commitTime   prometheus.Histogram
	commitErrors prometheus.Counter
	db           *dbCollector
	// flows are the case engine's flows, the bounded label set of flow.
	flows map[string]bool
}

// appObservers makes an app's observers once.
type appObservers struct {
	once sync.Once
	o    *observers
}

// knownChannels are the intake channels a label may name (the catalogue's
// caseui.channel.*); any other channel an API caller gives is "other", so
// that the series stay few.
var knownChannels = map[string]bool{"phone": true, "portal": true, "api": true, "grid": true, "window": true,
	"web": true, "open311": true, "province": true}

// observers returns the app's figures, registering the hooks that move
// them the first time: call it while wiring (app.handler does), before
// the case engine serves requests.
func (a *app) observers() *observers {
	a.obs.once.Do(func() { a.obs.o = newObservers(a) })
	return a.obs.o
}

func newObservers(a *app) *observers {
	o := &observers{
		casesCreated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grassroots_cases_created_total", Help: "Cases received, by flow and intake channel (other: a channel outside the known set).",
		}, []string{"flow", "channel"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grassroots_case_actions_total", Help: "Case actions committed, by flow and action.",
		}, []string{"flow", "action"}),
		timersFired: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grassroots_timers_fired_total", Help: "Deadline timers fired by this instance's sweeper, by kind.",
		}, []string{"kind"}),
		timersFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grassroots_timers_failed_total", Help: "Deadline timers whose handler failed (retried later), by kind.",
		}, []string{"kind"}),
		lastSweep: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "grassroots_timer_sweep_last_success_timestamp_seconds", Help: "When this instance's sweeper last completed a sweep without error (Unix time).",
		}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grassroots_webhook_deliveries_total", Help: "Webhook delivery attempts by target (endpoint or a named target) and outcome (delivered, retry, failed).",
		}, []string{"target", "outcome"}),
		commitJobs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "grassroots_db_commit_batch_size", Help: "Write transactions carried by one commit (group commit on SQLite; always 1 on PostgreSQL).",
			Buckets: []float64{1, 2, 4, 8, 16, 32},
		}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "grassroots_db_commit_duration_seconds", Help: "Time of one COMMIT of a write transaction.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "grassroots_db_commit_errors_total", Help: "Commits of write transactions that failed (nothing of them was kept).",
		}),
		db:    newDBCollector(a),
		flows: map[string]bool{},
	}
	if a.cases != nil {
		for _, f := range a.cases.Flows() {
			o.flows[f.Name] = true
		}
		a.cases.OnChange(o.caseChanged)
	}
	if a.sweeper != nil {
		a.sweeper.Observe(timers.Observer{
			Fired:  func(kind string) { o.timersFired.WithLabelValues(kind).Inc() },
			Failed: func(kind string) { o.timersFailed.WithLabelValues(kind).Inc() },
			Swept: func(at time.Time, err error) {
				if err == nil {
					o.lastSweep.Set(float64(at.UnixMilli()) / 1000)
				}
			},
		})
	}
	a.db.ObserveCommits(func(jobs int, took time.Duration, err error) {
		if err != nil {
			o.commitErrors.Inc()
			return
		}
		o.commitJobs.Observe(float64(jobs))
		o.commitTime.Observe(took.Seconds())
	})
	return o
}

// register adds the figures to a handler's registry.
func (o *observers) register(reg prometheus.Registerer) {
	reg.MustRegister(o.casesCreated, o.actions, o.timersFired, o.timersFailed, o.lastSweep, o.webhooks,
		o.commitJobs, o.commitTime, o.commitErrors, o.db)
}

// caseChanged counts a case change once its transaction has committed.
func (o *observers) caseChanged(_ context.Context, tx *store.Tx, ch casework.Change) error {
	flow := ch.Flow
	if !o.flows[flow] {
		flow = "other"
	}
	if ch.Created {
		channel := ch.Channel
		if !knownChannels[channel] {
			channel = "other"
		}
		tx.AfterCommit(func() { o.casesCreated.WithLabelValues(flow, channel).Inc() })
		return nil
	}
	action := ch.Action // a flow's action names: a bounded set
	tx.AfterCommit(func() { o.actions.WithLabelValues(flow, action).Inc() })
	return nil
}

// webhookOutcome counts a webhook attempt (webhook.WorkerConfig.Outcome).
func (o *observers) webhookOutcome(target, outcome string) {
	o.webhooks.WithLabelValues(target, outcome).Inc()
}

// dbCollectEvery is how long the figures read from the database are reused:
// scrapes (every 15-60 s, from one Prometheus or two) cost at most a few
// small grouped reads in that time, whatever the load.
const dbCollectEvery = 15 * time.Second

// dbCollector reads the figures that live in the database on a scrape,
// with a short cache: the open and late parts by township (some twenty
// townships and one row for the county's own units), the timers due and
// the sweeper's lag, the webhook outbox's backlog, the figures' fold
// backlog, and (SQLite) the checkpointer's log length. Every instance
// reports the same database figures; aggregate them with max, not sum.
type dbCollector struct {
	a *app

	openParts, lateParts         *prometheus.Desc
	timersDue, sweepLag          *prometheus.Desc
	outboxPending, outboxAge     *prometheus.Desc
	foldBacklog                  *prometheus.Desc
	walFrames, ckpts, ckptErrors *prometheus.Desc
	up                           *prometheus.Desc

	mu   sync.Mutex
	at   time.Time
	last []prometheus.Metric
}

func newDBCollector(a *app) *dbCollector {
	township := []string{"township", "township_name"}
	return &dbCollector{a: a,
		openParts:     prometheus.NewDesc("grassroots_open_parts", "Open parts (assignments still to be done) by township; township \"county\" counts the county-level units'.", township, nil),
		lateParts:     prometheus.NewDesc("grassroots_overdue_parts", "Open parts that are late (超期, as the inbox counts them) by township.", township, nil),
		timersDue:     prometheus.NewDesc("grassroots_timers_due", "Deadline timers due and not fired yet (waiting for a sweep or a retry).", nil, nil),
		sweepLag:      prometheus.NewDesc("grassroots_timer_sweep_lag_seconds", "How long the oldest due timer has waited to be fired (0 when none is due).", nil, nil),
		outboxPending: prometheus.NewDesc("grassroots_webhook_outbox_pending", "Webhook deliveries still to be sent (due, waiting for a retry, or being sent).", nil, nil),
		outboxAge:     prometheus.NewDesc("grassroots_webhook_outbox_oldest_age_seconds", "Age of the oldest delivery still to be sent (0 when none).", nil, nil),
		foldBacklog:   prometheus.NewDesc("grassroots_figures_fold_backlog", "Changes to the cases' counts not yet folded into the daily sums.", nil, nil),
		walFrames:     prometheus.NewDesc("grassroots_sqlite_wal_frames", "Length of SQLite's write-ahead log in frames (pages) after the last checkpoint round.", nil, nil),
		ckpts:         prometheus.NewDesc("grassroots_sqlite_checkpoints_total", "Checkpoint rounds that copied the log into the database.", nil, nil),
		ckptErrors:    prometheus.NewDesc("grassroots_sqlite_checkpoint_errors_total", "Checkpoint rounds that failed.", nil, nil),
		up:            prometheus.NewDesc("grassroots_db_figures_up", "1 when the figures read from the database were read at the last try, 0 when a read failed (the failed ones are left out).", nil, nil),
	}
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.openParts, c.lateParts, c.timersDue, c.sweepLag, c.outboxPending, c.outboxAge,
		c.foldBacklog, c.walFrames, c.ckpts, c.ckptErrors, c.up} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	if c.last == nil || time.Since(c.at) >= dbCollectEvery {
		c.last, c.at = c.read(), time.Now()
	}
	ms := c.last
	c.mu.Unlock()
	for _, m := range ms {
		ch <- m
	}
	// The log's figures are the process's own, read afresh.
	if s, ok := c.a.db.LogStats(); ok {
		ch <- prometheus.MustNewConstMetric(c.walFrames, prometheus.GaugeValue, float64(s.Frames))
		ch <- prometheus.MustNewConstMetric(c.ckpts, prometheus.CounterValue, float64(s.Checkpoints))
		ch <- prometheus.MustNewConstMetric(c.ckptErrors, prometheus.CounterValue, float64(s.Errors))
	}
}

// read reads the database figures; a read that fails leaves its series out
// and sets grassroots_db_figures_up to 0.
func (c *dbCollector) read() []prometheus.Metric {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, now := c.a, time.Now()
	var out []prometheus.Metric
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		out = append(out, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	age := func(t time.Time) float64 {
		if t.IsZero() || t.After(now) {
			return 0
		}
		return now.Sub(t).Seconds()
	}
	up := 1.0
	fail := func(what string, err error) {
		up = 0
		a.log.Warn("metrics: read "+what, "err", err)
	}
	if a.cases != nil {
		parts, err := a.cases.OpenPartsByTownship(ctx, now)
		if err != nil {
			fail("open parts", err)
		}
		for _, p := range parts {
			code, name := p.Code, p.Name
			if code == "" {
				code, name = "county", "县级"
			}
			gauge(c.openParts, float64(p.Open), code, name)
			gauge(c.lateParts, float64(p.Late), code, name)
		}
	}
	if due, oldest, err := timers.Backlog(ctx, a.db, now); err != nil {
		fail("timer backlog", err)
	} else {
		gauge(c.timersDue, float64(due))
		gauge(c.sweepLag, age(oldest))
	}
	if n, oldest, err := webhook.Backlog(ctx, a.db); err != nil {
		fail("outbox backlog", err)
	} else {
		gauge(c.outboxPending, float64(n))
		gauge(c.outboxAge, age(oldest))
	}
	if n, err := stats.FoldBacklog(ctx, a.db); err != nil {
		fail("fold backlog", err)
	} else {
		gauge(c.foldBacklog, float64(n))
	}
	gauge(c.up, up)
	return out
}
