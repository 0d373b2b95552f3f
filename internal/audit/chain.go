package audit

import (
	"context"
	"fmt"
	"strings"

	"grassroots/internal/store"
)

// chainLock is the PostgreSQL advisory lock that lets one chainer run at a
// time: two would give the same place in the chain to different entries.
const chainLock = 727350724

// chainBatch is how many entries one Chain transaction links at most (a
// variable for the tests).
var chainBatch = 1000

// Chain links the committed entries that wait unchained (PostgreSQL writes
// them so: see Write), oldest id first, each to the chain's head, and
// returns how many it linked. One instance at a time chains (an advisory
// lock; another instance's call returns 0 at once). Before it links an
// entry it checks the entry's content against the keyed MAC written with
// it: an entry edited, or inserted by someone without the audit key, while
// it waited is not linked, and Chain returns an *ErrBroken naming it (the
// entries after it wait too, until someone looks). On SQLite every entry is
// chained as it is written and Chain finds nothing.
//
// The server calls it every --audit-chain-interval (docs/RELIABILITY.md
// "The audit chain"); `audit verify` reports what still waits.
func Chain(ctx context.Context, db *store.DB) (int, error) { return chain(ctx, db, false) }

// ChainAll is Chain that waits for another instance's chaining to end
// instead of leaving the work to it: what waited when it was called is
// chained when it returns (the checkpoint job anchors that head).
func ChainAll(ctx context.Context, db *store.DB) (int, error) { return chain(ctx, db, true) }

func chain(ctx context.Context, db *store.DB, wait bool) (int, error) {
	total := 0
	for {
		n, err := chainOnce(ctx, db, wait)
		total += n
		if err != nil || n < chainBatch {
			return total, err
		}
	}
}

func chainOnce(ctx context.Context, db *store.DB, wait bool) (int, error) {
	var waiting bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_log WHERE chain_pos IS NULL)`).Scan(&waiting); err != nil {
		return 0, fmt.Errorf("chain audit: %w", err)
	}
	if !waiting {
		return 0, nil
	}
	k := current.Load()
	linked := 0
	var broken error
	err := db.InTx(ctx, func(tx *store.Tx) error {
		linked = 0
		if tx.Dialect == store.Postgres && wait {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, chainLock); err != nil {
				return err
			}
		} else if tx.Dialect == store.Postgres {
			var got bool
			if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(?)`, chainLock).Scan(&got); err != nil {
				return err
			}
			if !got {
				return nil // another instance is chaining
			}
		}
		h, err := chainHead(ctx, tx)
		if err != nil {
			return err
		}
		if k == nil && strings.HasPrefix(h.Hash, keyedPrefix) {
			return ErrNoKey
		}
		recs, err := readRecords(ctx, tx, `WHERE chain_pos IS NULL ORDER BY id LIMIT ?`, chainBatch)
		if err != nil {
			return err
		}
		var ids, pos []int64
		var prevs, hashes []string
		keyed := strings.HasPrefix(h.Hash, keyedPrefix)
		for _, r := range recs {
			if err := r.checkUnchained(k, keyed); err != nil {
				broken = err
				break
			}
			// An entry is chained as it was written: keyed with the key,
			// or (written before the installation had one) without.
			if r.Keyed() {
				keyed = true
				r.PrevHash, r.ChainPos = h.Hash, h.ChainPos+1
				r.Hash = r.keyedHash(k)
			} else {
				r.PrevHash, r.ChainPos = h.Hash, h.ChainPos+1
				r.Hash = r.computeHash()
			}
			ids, pos, prevs, hashes = append(ids, r.ID), append(pos, r.ChainPos), append(prevs, r.PrevHash), append(hashes, r.Hash)
			h = head{ID: r.ID, ChainPos: r.ChainPos, Hash: r.Hash}
		}
		if tx.Dialect != store.Postgres {
			for i := range ids {
				if _, err := tx.Exec(ctx, `UPDATE audit_log SET chain_pos = ?, prev_hash = ?, hash = ? WHERE id = ? AND chain_pos IS NULL`,
					pos[i], prevs[i], hashes[i], ids[i]); err != nil {
					return err
				}
			}
		}
		for start := 0; tx.Dialect == store.Postgres && start < len(ids); start += 200 {
			end := min(start+200, len(ids))
			var values strings.Builder
			var args []any
			for i := start; i < end; i++ {
				if i > start {
					values.WriteString(", ")
				}
				values.WriteString("(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT))")
				args = append(args, ids[i], pos[i], prevs[i], hashes[i])
			}
			if _, err := tx.Exec(ctx, `UPDATE audit_log SET chain_pos = v.pos, prev_hash = v.prev, hash = v.hash
				FROM (VALUES `+values.String()+`) AS v(id, pos, prev, hash)
				WHERE audit_log.id = v.id AND audit_log.chain_pos IS NULL`, args...); err != nil {
				return err
			}
		}
		linked = len(ids)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("chain audit: %w", err)
	}
	return linked, broken
}

// checkUnchained checks an entry that waits to be chained: no link yet, and
// a hash that is its content's (an unkeyed entry may not follow keyed ones:
// keyed says whether one came before it, chained or waiting).
func (r Record) checkUnchained(k *keys, keyed bool) error {
	switch {
	case r.PrevHash != "":
		return &ErrBroken{Kind: Altered, ID: r.ID, Reason: "an entry waiting to be chained names an entry before it (it was written by hand)"}
	case r.Keyed() && k == nil:
		return ErrNoKey
	case r.Keyed() && r.Hash != r.keyedHash(k):
		return &ErrBroken{Kind: Altered, ID: r.ID, Reason: "an entry waiting to be chained does not match its keyed hash (it was edited, or written without the audit key)"}
	case !r.Keyed() && keyed:
		return &ErrBroken{Kind: Altered, ID: r.ID, Reason: "an entry without the audit key's hash waits to be chained after keyed entries (it was forged, or written by a program without the audit key)"}
	case !r.Keyed() && r.Hash != r.computeHash():
		return &ErrBroken{Kind: Altered, ID: r.ID, Reason: "an entry waiting to be chained does not match its hash (it was edited)"}
	}
	return nil
}

// readRecords reads entries with the given WHERE/ORDER tail.
func readRecords(ctx context.Context, q store.Querier, tail string, args ...any) ([]Record, error) {
	rows, err := q.Query(ctx, `SELECT id, at, COALESCE(user_id, 0), actor_name, action, entity, entity_id, before_json, after_json, reason, prev_hash, hash, COALESCE(chain_pos, 0)
		FROM audit_log `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func scanRecord(rows interface{ Scan(...any) error }) (Record, error) {
	var r Record
	var at int64
	err := rows.Scan(&r.ID, &at, &r.UserID, &r.ActorName, &r.Action, &r.Entity, &r.EntityID, &r.BeforeJSON, &r.AfterJSON, &r.Reason, &r.PrevHash, &r.Hash, &r.ChainPos)
	r.At = store.Time(at)
	return r, err
}
