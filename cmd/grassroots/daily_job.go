package main

import (
	"context"
	"time"

	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/timers"
)

// The daily summary (每日一收集、每日一反馈) is written once a day, at or after
// the hour --daily-hour (GRASSROOTS_DAILY_HOUR; Asia/Shanghai, 0–23, default 20), by
// whichever instance gets there first; the check runs every dailyCheckInterval.
const (
	defaultDailyHour   = 20
	dailyCheckInterval = 5 * time.Minute
)

// runDailySummaries writes each day's summaries once across all instances,
// until ctx ends.
func (a *app) runDailySummaries(ctx context.Context) {
	hour := a.cfg.dailyHour()
	zone := time.FixedZone("CST", 8*3600)
	tick := time.NewTicker(dailyCheckInterval)
	defer tick.Stop()
	for {
		now := time.Now().In(zone)
		if now.Hour() >= hour {
			day := casework.Today(now)
			ran, err := timers.RunOnce(ctx, a.db, "daily_summaries", day, func(ctx context.Context, tx *store.Tx) error {
				_, err := a.reports.WriteDailySummaries(ctx, tx, day)
				return err
			})
			switch {
			case err != nil:
				a.log.ErrorContext(ctx, "daily summaries failed", "day", day, "err", err)
			case ran:
				a.log.InfoContext(ctx, "daily summaries written", "day", day)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
