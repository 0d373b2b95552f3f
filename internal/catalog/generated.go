package catalog

import (
	"context"
	"fmt"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// Generated is generated list content (the demo lists of internal/demo),
// loaded by LoadGenerated. Every row it writes is marked demo = 1 and every
// list version it makes carries Label as its reason.
type Generated struct {
	Label   string
	Matters []MatterInput
	// Power, Territorial and Access are the lists' items. Territorial and
	// access items naming a unit this database lacks are skipped, and so
	// are missing supporting units.
	Power, Territorial, Access []ItemInput
	// Batch is the empowerment batch Empowerment's items refer to.
	Batch       BatchInput
	Empowerment []ItemInput
	// CategoryMatters ties every case category of a name to a matter code.
	CategoryMatters map[string]string
	// Request is a township's pending empowerment request, made by the
	// first township of its type (none when the county has no such
	// township).
	Request *GeneratedRequest
}

// GeneratedRequest is a pending empowerment request of generated content.
type GeneratedRequest struct {
	TownshipType, MatterCode, Reason, RequestedName string
}

// LoadGenerated writes g in one transaction, as actor: the matters, one
// version of each list, the batch, the category links and the request.
func (s *Service) LoadGenerated(ctx context.Context, actor access.Actor, g Generated) error {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := s.writeMatters(ctx, tx, g.Matters, nil, true); err != nil {
			return err
		}
		r, err := s.newResolver(ctx, tx, PowerList)
		if err != nil {
			return err
		}
		put := func(list ListKind, inputs []ItemInput) error {
			r.list = list
			var items []Item
			for _, in := range inputs {
				if list == TerritorialList || list == AccessList {
					if _, ok := r.units[in.UnitCode]; !ok {
						continue // a department this database lacks
					}
					var su []string
					for _, c := range in.SupportUnits {
						if _, ok := r.units[c]; ok {
							su = append(su, c)
						}
					}
					in.SupportUnits = su
				}
				it, err := r.check(&in)
				if err != nil {
					return fmt.Errorf("%s %s: %w", list, in.MatterCode, err)
				}
				items = append(items, it)
			}
			_, err := s.apply(ctx, tx, actor, change{list: list, put: items, reason: g.Label, demo: true})
			return err
		}
		if err := put(PowerList, g.Power); err != nil {
			return err
		}
		if err := put(TerritorialList, g.Territorial); err != nil {
			return err
		}
		if err := put(AccessList, g.Access); err != nil {
			return err
		}
		b, err := s.createBatchTx(ctx, tx, actor, g.Batch, true)
		if err != nil {
			return err
		}
		r.batches[b.BatchNo] = b
		if err := put(EmpowermentList, g.Empowerment); err != nil {
			return err
		}
		for name, code := range g.CategoryMatters {
			rows, err := tx.Query(ctx, `SELECT code FROM categories WHERE name = ?`, name)
			if err != nil {
				return err
			}
			var cats []string
			for rows.Next() {
				var c string
				if err := rows.Scan(&c); err != nil {
					rows.Close()
					return err
				}
				cats = append(cats, c)
			}
			rows.Close()
			for _, c := range cats {
				if err := s.setCategoryMatterTx(ctx, tx, actor, c, code, true); err != nil {
					return err
				}
			}
		}
		if g.Request == nil {
			return nil
		}
		t, err := org.FirstTownshipOfType(ctx, tx, g.Request.TownshipType)
		tid := t.ID
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		var mid int64
		if err := tx.QueryRow(ctx, `SELECT id FROM matters WHERE code = ?`, g.Request.MatterCode).Scan(&mid); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO empowerment_requests (township_unit_id, matter_id, reason, status, requested_name, requested_at, demo)
			VALUES (?, ?, ?, 'pending', ?, ?, 1)`, tid, mid, g.Request.Reason, g.Request.RequestedName, store.Millis(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("load generated lists: %w", err)
	}
	return nil
}
