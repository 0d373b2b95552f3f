package main

import "context"

// wireCases builds the case engine. (The casework work fills this in.)
func wireCases(ctx context.Context, a *app) error { return nil }
