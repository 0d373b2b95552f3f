package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"grassroots/internal/civility"
)

// civilitySettleInterval is how often noticed entries whose appeal window
// closed take effect and entries past their validity expire.
const civilitySettleInterval = 10 * time.Minute

// wireCivility builds the civic behaviour records over the case engine
// (the appeals are its cases; the service registers its change hook here,
// before any request).
func wireCivility(_ context.Context, a *app) error {
	if a.cases == nil {
		return nil
	}
	a.civility = civility.New(a.db, a.cases)
	return nil
}

// civilityJobs settles the entries now and then.
func (a *app) civilityJobs() []func(ctx context.Context) {
	if a.civility == nil {
		return nil
	}
	return []func(ctx context.Context){a.every(civilitySettleInterval, "settle civility entries", func(ctx context.Context) error {
		_, _, err := a.civility.Settle(ctx)
		return err
	})}
}

// seedCivility loads, with --demo, the demo catalogue (marked as a demo),
// incentives, a store per urban community and a few entries; once.
func seedCivility(ctx context.Context, a *app, out io.Writer) error {
	if a.civility == nil || a.cfg == nil || !a.cfg.Demo {
		return nil
	}
	started := time.Now()
	res, err := a.civility.SeedDemo(ctx, a.volunteer, time.Now())
	if err != nil {
		return fmt.Errorf("demo civility: %w", err)
	}
	if res.Items > 0 {
		fmt.Fprintf(out, "%s (%v)\n", res, time.Since(started).Round(time.Millisecond))
	}
	return nil
}
