package main

import (
	"context"
	"fmt"

	"grassroots/internal/timers"
	"grassroots/internal/worktime"
)

// wireWork builds the working calendar (seeding the shipped official
// calendar into an empty database) and the deadline sweeper, on which later
// areas register their timer handlers.
func wireWork(ctx context.Context, a *app) error {
	work, err := worktime.NewService(ctx, a.db)
	if err != nil {
		return fmt.Errorf("working calendar: %w", err)
	}
	a.work = work
	a.sweeper = timers.NewSweeper(a.db, a.log, timers.InstanceID())
	return nil
}
