// Package org owns the organisation network: administrative units and party
// organisations as two linked trees, township modules and institutions, and
// the people who hold roles in them.
package org

import "grassroots/internal/store"

// Service is the organisation network's domain API.
type Service struct {
	db *store.DB
}

// NewService returns the organisation service over db.
func NewService(db *store.DB) *Service { return &Service{db: db} }
