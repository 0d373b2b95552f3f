package main

import (
	"context"
	"time"

	"grassroots/internal/stats"
)

// The intervals of the background jobs.
const (
	// defaultSweepInterval is how often the deadline sweeper runs
	// (--sweep-interval).
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
		interval := a.cfg.sweepInterval()
		jobs = append(jobs, func(ctx context.Context) { a.sweeper.Run(ctx, interval) })
	}
	if a.work != nil {
		jobs = append(jobs, func(ctx context.Context) { a.work.Watch(ctx, a.log, calendarWatchInterval) })
	}
	if a.cases != nil {
		jobs = append(jobs, a.runDailySummaries)
	}
	if a.cockpit != nil {
		jobs = append(jobs, a.runMonthlyReports)
	}
	if a.dispatch != nil {
		jobs = append(jobs, a.runDispatchModel)
	}
	jobs = append(jobs, a.integrationJobs()...)
	jobs = append(jobs, a.civilityJobs()...)
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
