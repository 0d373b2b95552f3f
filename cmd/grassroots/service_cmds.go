package main

import (
	"context"
	"errors"
	"fmt"
	"io"

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
