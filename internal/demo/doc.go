// Package demo generates the Pucheng demonstration data that `serve --demo`
// loads into an empty database: the organisation (grids, buildings, party
// organisations, people), the executable lists, the service catalogue and
// network, about 300 cases of the last 30 days in every state, and the
// party registry at the seed's scale (party.go). It
// holds no rules of its own: everything is written through the domain
// packages' APIs — the cases through the engine's Create and Do (and
// party.Service.Do for party members) on a simulated clock, the rest
// through the domain's functions for generated content
// (org.Service.LoadGenerated, catalog.Service.LoadGenerated,
// service.Service.LoadGenerated, party.Service.LoadGenerated), which mark every row demo = 1. The data
// comes from fixed seeds, so every run yields the same county.
package demo

import (
	"errors"

	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Label marks demonstration content in list versions, notes and service
// matters.
const Label = "演示数据"

// shanghai is the zone the demo's dates are in.
var shanghai = worktime.Location()

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
