package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"grassroots/internal/demo"
	"grassroots/internal/pairing"
	"grassroots/internal/staffing"
	"grassroots/internal/taskforce"
)

// wireOrgLedgers builds the county's organisational ledgers: pairings and
// field visits, task forces and the staffing ledger. Findings and a task
// force's work items become cases on the engine.
func wireOrgLedgers(_ context.Context, a *app) error {
	if a.cases != nil {
		a.pairing = pairing.New(a.db, a.cases)
		a.taskforce = taskforce.New(a.db, a.cases)
	} else {
		a.pairing = pairing.New(a.db, nil)
		a.taskforce = taskforce.New(a.db, nil)
	}
	a.staffing = staffing.New(a.db)
	return nil
}

// seedOrgLedgers loads the ledgers' demo data at the seed's scale (223
// paired cadres, 468 visits, 190 projects, 5,000,000+ yuan; 38 freed posts
// moved two to each township) when the server runs with --demo and the demo
// organisation is loaded; once.
func seedOrgLedgers(ctx context.Context, a *app, out io.Writer) error {
	if a.cfg == nil || !a.cfg.Demo || a.org == nil || a.pairing == nil {
		return nil
	}
	has, err := demo.HasOrg(ctx, a.org)
	if err != nil || !has {
		return err
	}
	started := time.Now()
	res, err := demo.OrgLedgers(ctx, a.db, a.org, a.pairing, a.taskforce, a.staffing, time.Now())
	if err != nil {
		return fmt.Errorf("demo org ledgers: %w", err)
	}
	if res.Pairings > 0 {
		fmt.Fprintf(out, "%s (%v)\n", res, time.Since(started).Round(time.Millisecond))
	}
	return nil
}
