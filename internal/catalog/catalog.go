// Package catalog owns the catalogue of matters and the executable lists
// (power & responsibility, territorial, access, empowerment) that routing obeys.
package catalog

// Service is the catalogue's domain API.
type Service struct{}
