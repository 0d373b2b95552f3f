// Package auth owns users, passwords, sessions, API tokens and login
// throttling, and turns a session or token into an access.Actor.
package auth

import "grassroots/internal/store"

// Service is the accounts domain API.
type Service struct {
	db *store.DB
}

// NewService returns the accounts service over db.
func NewService(db *store.DB) *Service { return &Service{db: db} }
