package main

import "context"

// wireWork builds the working calendar. (The worktime work fills this in.)
func wireWork(ctx context.Context, a *app) error { return nil }
