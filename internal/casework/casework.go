// Package casework is the case engine: cases, assignments, the append-only
// event timeline, flows declared as data, and deadlines in working time.
package casework

import "grassroots/internal/store"

// Service is the case engine's domain API.
type Service struct {
	db *store.DB
}
