package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"grassroots/internal/casework"
	"grassroots/internal/report"
	"grassroots/internal/store"
)

// wireCases builds the case engine over the working calendar, the grids and
// the personal-data sealer, and registers the engine's deadline handlers on the sweeper.
func wireCases(ctx context.Context, a *app) error {
	d := casework.Deps{Log: a.log}
	if a.cfg != nil {
		d.AttachDir = filepath.Join(a.cfg.DataDir, "attachments")
	}
	if a.work != nil {
		work := a.work
		d.Calendar = func(context.Context) (casework.Calendar, error) {
			cal := work.Calendar()
			if cal == nil {
				return nil, errors.New("working calendar not loaded")
			}
			return cal, nil
		}
	}
	if a.org != nil {
		o := a.org
		d.GridAt = func(ctx context.Context, lng, lat float64) (string, error) {
			u, err := o.GridAt(ctx, lng, lat)
			if errors.Is(err, store.ErrNotFound) {
				return "", nil
			}
			if err != nil {
				return "", err
			}
			return u.Code, nil
		}
		if s := o.Sealer(); s != nil {
			d.Sealer = s
		}
	}
	cases, err := casework.NewService(a.db, d)
	if err != nil {
		return fmt.Errorf("case engine: %w", err)
	}
	if a.sweeper != nil {
		for _, kind := range casework.TimerKinds() {
			a.sweeper.Handle(kind, cases.HandleTimer)
		}
	}
	a.cases = cases
	a.wireDispatch()
	a.reports = report.New(a.db, cases)
	return nil
}
