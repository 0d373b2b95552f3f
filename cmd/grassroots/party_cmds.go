package main

import (
	"context"

	"grassroots/internal/party"
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
	a.cases.UseParty(a.party)
	return nil
}
