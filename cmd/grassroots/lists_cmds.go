package main

import "context"

// wireLists builds the catalogue of matters. (The catalog work fills this in.)
func wireLists(ctx context.Context, a *app) error { return nil }
