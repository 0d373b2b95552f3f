package main

import "context"

// backgroundJobs lists the jobs that run while the server serves; each runs
// until ctx ends. Areas add theirs here.
func (a *app) backgroundJobs() []func(ctx context.Context) {
	return nil
}
