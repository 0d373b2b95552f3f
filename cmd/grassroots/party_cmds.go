package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"grassroots/internal/demo"
	"grassroots/internal/party"
	"grassroots/internal/volunteer"
)

// wireParty builds the party registry (members' links, dual registration,
// co-building agreements, volunteer service) over the case engine and makes
// the engine ask it whom a community whistle may summon and what a
// member's part earns.
func wireParty(_ context.Context, a *app) error {
	if a.cases == nil {
		return nil
	}
	a.party = party.New(a.db, a.cases)
	if a.org != nil {
		a.party.UseSealer(a.org.Sealer())
	}
	a.volunteer = volunteer.New(a.db)
	a.party.UseLedger(party.VolunteerLedger(a.volunteer))
	a.cases.UseParty(a.party)
	return nil
}

// seedParty loads the party registry's demo data (agreements, serving
// members' registrations, the three lists, a year of activities at the
// seed's scale) when the server runs with --demo and the demo organisation
// is loaded; once. The activities' sign-offs go to the volunteer ledger
// when one is wired.
func seedParty(ctx context.Context, a *app, out io.Writer) error {
	if a.cfg == nil || !a.cfg.Demo || a.party == nil || a.org == nil {
		return nil
	}
	has, err := demo.HasOrg(ctx, a.org)
	if err != nil || !has {
		return err
	}
	if _, err := demo.OrgDepartment(ctx, a.db, a.org, "350722000000"); err != nil {
		return err
	}
	started := time.Now()
	res, err := demo.Party(ctx, a.org, a.party, time.Now())
	if err != nil {
		return fmt.Errorf("demo party data: %w", err)
	}
	if res.Members > 0 {
		fmt.Fprintf(out, "演示党建数据 demo party data: %d agreements, %d registered serving members, %d activities, %d person-times (%v)\n",
			res.Agreements, res.Registered, res.Activities, res.PersonTimes, time.Since(started).Round(time.Millisecond))
	}
	started = time.Now()
	centres, err := demo.PartyCommittees(ctx, a.org, a.party, time.Now())
	if err != nil {
		return fmt.Errorf("demo party committees: %w", err)
	}
	if centres > 0 {
		fmt.Fprintf(out, "演示党群服务中心和大工委 demo service centres and committees: %d centres (%v)\n", centres, time.Since(started).Round(time.Millisecond))
	}
	return nil
}
