// Package worktime counts working time on the official calendar: public
// holidays, make-up working days (调休) and configurable working hours.
package worktime

import "time"

// Limit is a time limit: working minutes, working days, or natural time.
// Exactly one is set.
type Limit struct {
	Minutes int           // working minutes (2 working hours = 120)
	Days    int           // working days
	Natural time.Duration // natural time (urgent matters: 24h)
}

// Calendar knows which days are worked and the working hours of a day.
type Calendar struct{}

// Add returns the moment limit l runs out when it starts at from.
func (c *Calendar) Add(from time.Time, l Limit) time.Time { panic("worktime: not built yet") }

// Between returns the working time from a to b; negative when b is before a.
func (c *Calendar) Between(a, b time.Time) time.Duration { panic("worktime: not built yet") }

// Service keeps the calendar in the database, editable by administrators.
type Service struct{}
