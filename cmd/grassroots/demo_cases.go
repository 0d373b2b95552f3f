package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"grassroots/internal/demo"
)

// seedCases plays the demo cases (about 300 fictitious cases of the last 30
// days: 12345 calls, grid events, whistles, township calls, enforcement
// transfers, in every state) through the case engine when the server runs
// with --demo, the demo organisation data is loaded and the database holds
// no case yet. It is idempotent across restarts. A demo case whose script
// fails is reported and the server starts all the same.
func seedCases(ctx context.Context, a *app, out io.Writer) error {
	if a.cfg == nil || !a.cfg.Demo || a.cases == nil || a.org == nil {
		return nil
	}
	var n int
	if err := a.db.QueryRow(ctx, `SELECT COUNT(*) FROM cases`).Scan(&n); err != nil {
		return fmt.Errorf("count cases: %w", err)
	}
	if n > 0 {
		return nil
	}
	has, err := demo.HasOrg(ctx, a.org)
	if err != nil || !has {
		return err
	}
	res, err := demo.Cases(ctx, a.db, a.cases, a.org, demo.CaseOptions{Summaries: true, Log: a.log})
	if err != nil && res.Created == 0 {
		return fmt.Errorf("demo cases: %w", err)
	}
	fmt.Fprintln(out, res.String())
	if err != nil {
		fmt.Fprintf(out, "警告 warning: %d demo cases stopped short: %v\n", res.Failed, err)
		a.log.ErrorContext(ctx, "demo cases stopped short", "failed", res.Failed, "err", err)
	}
	return nil
}

// seedVolunteer adds, with --demo, the good deeds the party registry's
// activities did not record and a few volunteers' certificates (after the
// party registry's demo, whose sign-offs go to the volunteer records).
func seedVolunteer(ctx context.Context, a *app, out io.Writer) error {
	if a.cfg == nil || !a.cfg.Demo || a.cases == nil || a.org == nil {
		return nil
	}
	vres, err := demo.Volunteer(ctx, a.db, time.Now())
	if err != nil {
		return fmt.Errorf("demo volunteer service: %w", err)
	}
	if vres.Deeds > 0 || vres.Entries > 0 {
		fmt.Fprintln(out, vres.String())
	}
	return nil
}
