package main

import (
	"context"
	"io"

	"grassroots/internal/auth"
)

// ensureAdmin creates the first administrator on an empty user table and
// prints its password once. (The auth work fills this in.)
func ensureAdmin(ctx context.Context, a *app, out io.Writer) error { return nil }

// runUser is `grassroots user add ...`. (The auth work fills this in.)
func runUser(ctx context.Context, _ *config, args []string, out io.Writer) error { return errUsage }

// runToken is `grassroots token create --user NAME`. (The auth work fills this in.)
func runToken(ctx context.Context, _ *config, args []string, out io.Writer) error { return errUsage }

// wireAuth builds the accounts service.
func wireAuth(ctx context.Context, a *app) error {
	a.auth = auth.NewService(a.db)
	return nil
}
