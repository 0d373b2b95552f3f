package service

import (
	"context"
	"fmt"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// GeneratedSite is a service site of generated content (the demo network of
// internal/demo), with its windows and their staff.
type GeneratedSite struct {
	UnitID                            int64
	Kind, Name, Address, Phone, Hours string
	Windows                           []GeneratedWindow
}

// GeneratedWindow is a window of a generated site and the one person
// staffing it.
type GeneratedWindow struct {
	No, Name, Kind string
	Staff, Post    string
}

// LoadGenerated saves generated service items and sites in one transaction,
// every row marked demo = 1. It does nothing, and reports false, when the
// catalogue holds items already.
func (s *Service) LoadGenerated(ctx context.Context, actor access.Actor, items []ItemInput, sites []GeneratedSite) (bool, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM service_items`).Scan(&n); err != nil {
		return false, fmt.Errorf("generated items: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, it := range items {
			if err := it.normalise(); err != nil {
				return fmt.Errorf("item %s: %w", it.Code, err)
			}
			if err := s.saveItemTx(ctx, tx, actor, it, true); err != nil {
				return fmt.Errorf("item %s: %w", it.Code, err)
			}
		}
		now := store.Millis(s.now())
		for _, site := range sites {
			var siteID int64
			if err := tx.QueryRow(ctx, `INSERT INTO service_sites (unit_id, kind, name, address, phone, hours, demo, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?) RETURNING id`,
				site.UnitID, site.Kind, site.Name, site.Address, site.Phone, site.Hours, now).Scan(&siteID); err != nil {
				return fmt.Errorf("site %s: %w", site.Name, err)
			}
			for _, w := range site.Windows {
				var wid int64
				if err := tx.QueryRow(ctx, `INSERT INTO service_windows (site_id, no, name, kind) VALUES (?, ?, ?, ?) RETURNING id`, siteID, w.No, w.Name, w.Kind).Scan(&wid); err != nil {
					return fmt.Errorf("window: %w", err)
				}
				if _, err := tx.Exec(ctx, `INSERT INTO service_staff (site_id, window_id, name, post, demo) VALUES (?, ?, ?, ?, 1)`,
					siteID, wid, w.Staff, w.Post); err != nil {
					return fmt.Errorf("staff: %w", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return true, nil
}
