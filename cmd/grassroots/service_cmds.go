package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"grassroots/internal/access"
	"grassroots/internal/demo"
	"grassroots/internal/service"
)

// wireService builds the universal service window over the case engine (its
// applications are cases of the flow "service") with the personal-data
// sealer's keyed hash.
func wireService(ctx context.Context, a *app) error {
	if a.cases == nil || a.org == nil {
		return errors.New("service window: the case engine and the organisation must be wired first")
	}
	a.service = service.New(a.db, a.cases, a.org.Sealer(), a.log)
	return nil
}

// seedService loads the demo service catalogue and network when the server
// runs with --demo, once the divisions, departments and demo matters exist.
func seedService(ctx context.Context, a *app, out io.Writer) error {
	if a.cfg == nil || !a.cfg.Demo || a.service == nil || a.lists == nil || a.org == nil {
		return nil
	}
	loaded, err := demo.Service(ctx, a.service, a.lists, a.org)
	if err != nil {
		return fmt.Errorf("demo service window: %w", err)
	}
	if loaded {
		fmt.Fprintln(out, "loaded demo service window (演示数据): 20 service items with materials, centres, village service points, windows and staff")
		a.log.Info("demo service window loaded")
	}
	return nil
}

// seedServiceRoles gives, with --demo, the service window's demo accounts
// their window roles at 南浦街道's centre (front desk, the 社会事务办公室's
// back office, delivery; 富岭镇's staff the back office of every office of
// theirs) and records an online station in a village of each, once.
func seedServiceRoles(ctx context.Context, a *app, out io.Writer) error {
	if a.cfg == nil || !a.cfg.Demo || a.service == nil {
		return nil
	}
	n, err := demo.ServiceRoles(ctx, a.service, access.System)
	if err != nil {
		return fmt.Errorf("demo window roles: %w", err)
	}
	if n > 0 {
		fmt.Fprintf(out, "assigned %d demo window roles (演示数据) and online service stations\n", n)
	}
	return nil
}
