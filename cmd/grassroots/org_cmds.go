package main

import (
	"context"
	"io"

	"grassroots/internal/org"
)

// seedOrg loads the shipped divisions into an empty database, and the demo
// data when cfg.Demo is set. (The org work fills this in.)
func seedOrg(ctx context.Context, a *app, out io.Writer) error { return nil }

// runImport is `grassroots import units FILE.csv`. (The org work fills this in.)
func runImport(ctx context.Context, _ *config, args []string, out io.Writer) error { return errUsage }

// wireOrg builds the organisation service.
func wireOrg(ctx context.Context, a *app) error {
	a.org = org.NewService(a.db)
	return nil
}
