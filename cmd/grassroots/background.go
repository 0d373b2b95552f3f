package main

import (
	"context"
	"os"
	"strconv"
	"time"

	"grassroots/internal/stats"
)

// The intervals of the background jobs.
const (
	defaultSweepInterval = 15 * time.Second
	// calendarWatchInterval is how soon an instance sees a calendar change
	// made through another instance.
	calendarWatchInterval = 30 * time.Second
	// statisticsInterval is how often the SQLite planner's statistics are
	// refreshed (cheap; they change slowly as cases accumulate).
	statisticsInterval = 6 * time.Hour
	// foldInterval is how often the changes to cases' counts are folded
	// into the daily sums (readers add what is not folded yet, so this
	// only keeps the change table short).
	foldInterval = time.Second
)

// backgroundJobs lists the jobs that run while the server serves; each runs
// until ctx ends. Areas add theirs here.
func (a *app) backgroundJobs() []func(ctx context.Context) {
	var jobs []func(ctx context.Context)
	if a.sweeper != nil {
		interval := sweepInterval(a)
		jobs = append(jobs, func(ctx context.Context) { a.sweeper.Run(ctx, interval) })
	}
	if a.work != nil {
		jobs = append(jobs, func(ctx context.Context) { a.work.Watch(ctx, a.log, calendarWatchInterval) })
	}
	if a.cases != nil {
		jobs = append(jobs, a.runDailySummaries)
	}
	jobs = append(jobs, a.integrationJobs()...)
	// The planner's statistics: at start (a database that grew while the
	// server was down), then now and then. The changes to cases' counts
	// folded into the daily sums the rates read.
	jobs = append(jobs,
		a.every(statisticsInterval, "refresh planner statistics", a.db.Optimize),
		a.every(foldInterval, "fold figures", func(ctx context.Context) error {
			_, err := stats.Fold(ctx, a.db)
			return err
		}))
	return jobs
}

// every runs fn at start and then every interval until ctx ends, logging
// its failures as what.
func (a *app) every(interval time.Duration, what string, fn func(ctx context.Context) error) func(ctx context.Context) {
	return func(ctx context.Context) {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn(what, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}
}

// sweepInterval reads GRASSROOTS_SWEEP_INTERVAL: a Go duration ("15s",
// "1m") or a number of seconds; 15 s when unset or unreadable.
func sweepInterval(a *app) time.Duration {
	return envDuration(a, "GRASSROOTS_SWEEP_INTERVAL", defaultSweepInterval)
}

// envDuration reads the setting key: a Go duration ("15s", "1m") or a
// number of seconds; def when unset or unreadable.
func envDuration(a *app, key string, def time.Duration) time.Duration {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		if secs, err2 := strconv.ParseFloat(v, 64); err2 == nil {
			d, err = time.Duration(secs*float64(time.Second)), nil
		}
	}
	if err != nil || d <= 0 {
		a.log.Warn(key+" is not a positive duration; using the default", "value", v, "default", def.String())
		return def
	}
	return d
}
