package main

import (
	"context"
	"time"

	"grassroots/internal/cockpit"
)

// wireCockpit builds the county cockpit over the registries wired before
// it (party and volunteer, the service window, the lists); civility and
// pairing are not built yet, so their panels say so.
func wireCockpit(_ context.Context, a *app) error {
	a.cockpit = cockpit.New(a.db, cockpit.Pillars(cockpit.Sources{Party: a.party, Volunteer: a.volunteer, Service: a.service, Lists: a.lists,
		Civility: cockpit.CivilityPillar(a.civility), Pairing: cockpit.PairingPillar(a.pairing)})...)
	return nil
}

// runMonthlyReports writes last month's cockpit reports (county and every
// township) at start and then at every dailyCheckInterval until they are
// written, once across all instances (cockpit.RunMonthly), until ctx ends.
func (a *app) runMonthlyReports(ctx context.Context) {
	tick := time.NewTicker(dailyCheckInterval)
	defer tick.Stop()
	for {
		month, n, err := a.cockpit.RunMonthly(ctx)
		switch {
		case err != nil:
			a.log.ErrorContext(ctx, "monthly reports failed", "month", month, "err", err)
		case n > 0:
			a.log.InfoContext(ctx, "monthly reports written", "month", month, "reports", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
