package main

import (
	"context"

	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/store"
)

// wireCoord makes the case engine obey the executable lists: every part a
// county department hands a township (a dispatch, a whistle's summons, an
// enforcement transfer, a hand-down) is checked against the access list
// with the case's matter, a township's penalty decision against the
// empowerment list, and township
// calls are routed by the territorial list. The coordination flows
// themselves (whistle, township_call, enforcement) are built into the
// engine.
func wireCoord(_ context.Context, a *app) error {
	if a.cases == nil || a.lists == nil {
		return nil
	}
	lists := a.lists
	a.cases.UseLists(casework.ListRules{
		CheckAccess: func(ctx context.Context, tx *store.Tx, req casework.AccessCheck) error {
			r := catalog.AccessRequest{Actor: req.Actor, FromUnitID: req.FromUnitID, ToUnitID: req.ToUnitID, CategoryCode: req.CategoryCode,
				MatterCode: req.MatterCode, Purpose: req.Purpose}
			if tx == nil {
				return lists.CheckAccess(ctx, r)
			}
			return lists.CheckAccessTx(ctx, tx, r)
		},
		CheckDecision: func(ctx context.Context, tx *store.Tx, req casework.AccessCheck) error {
			r := catalog.DecisionRequest{Actor: req.Actor, UnitID: req.FromUnitID, MatterCode: req.MatterCode, Purpose: req.Purpose}
			if tx == nil {
				return lists.CheckDecision(ctx, r)
			}
			return lists.CheckDecisionTx(ctx, tx, r)
		},
		MatterName: func(ctx context.Context, code string) (string, error) {
			m, err := lists.Matter(ctx, code)
			return m.Name, err
		},
		Propose: func(ctx context.Context, category string) (string, []string, string, error) {
			r, err := lists.Route(ctx, category)
			if err != nil {
				return "", nil, "", err
			}
			var sup []string
			for _, u := range r.Supporting {
				sup = append(sup, u.Code)
			}
			return r.Lead.Code, sup, r.Matter.Name, nil
		},
	})
	return nil
}
