package main

import (
	"context"
	"os"
	"strconv"
	"time"

	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/timers"
)

// The daily summary (每日一收集、每日一反馈) is written once a day, at or after
// the hour GRASSROOTS_DAILY_HOUR (Asia/Shanghai, 0–23, default 20), by
// whichever instance gets there first; the check runs every dailyCheckInterval.
const (
	defaultDailyHour   = 20
	dailyCheckInterval = 5 * time.Minute
)

// dailyHour reads GRASSROOTS_DAILY_HOUR, falling back to the default.
func dailyHour(a *app) int {
	v := os.Getenv("GRASSROOTS_DAILY_HOUR")
	if v == "" {
		return defaultDailyHour
	}
	h, err := strconv.Atoi(v)
	if err != nil || h < 0 || h > 23 {
		a.log.Warn("GRASSROOTS_DAILY_HOUR is not an hour from 0 to 23; using the default", "value", v, "default", defaultDailyHour)
		return defaultDailyHour
	}
	return h
}

// runDailySummaries writes each day's summaries once across all instances,
// until ctx ends.
func (a *app) runDailySummaries(ctx context.Context) {
	hour := dailyHour(a)
	zone := time.FixedZone("CST", 8*3600)
	tick := time.NewTicker(dailyCheckInterval)
	defer tick.Stop()
	for {
		now := time.Now().In(zone)
		if now.Hour() >= hour {
			day := casework.Today(now)
			ran, err := timers.RunOnce(ctx, a.db, "daily_summaries", day, func(ctx context.Context, tx *store.Tx) error {
				_, err := a.cases.WriteDailySummaries(ctx, tx, day)
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
