// Package audit keeps the append-only, tamper-evident trail of every change:
// who, when, what, before and after. Entries are written in the same
// transaction as the change they describe.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// Entry is one change to record.
type Entry struct {
	Actor    access.Actor
	Action   string // "unit.create", "user.role.add", "case.sign" ...
	Entity   string // "unit", "user", "case" ...
	EntityID string
	Before   any // nil when created
	After    any // nil when deleted
	Reason   string
}

// Record is a stored entry.
type Record struct {
	ID         int64
	At         time.Time
	UserID     int64
	ActorName  string
	Action     string
	Entity     string
	EntityID   string
	BeforeJSON string
	AfterJSON  string
	Reason     string
	PrevHash   string
	Hash       string
}

// genesis is the prev_hash of the first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Write appends e inside tx. The chain's tail is read inside the same write
// transaction (SQLite's single writer; a table lock on PostgreSQL), so two
// concurrent writers never fork the chain.
func Write(ctx context.Context, tx *store.Tx, e Entry) error {
	before, err := marshal(e.Before)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	after, err := marshal(e.After)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	if tx.Dialect == store.Postgres {
		if _, err := tx.Exec(ctx, `LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("audit %s: lock: %w", e.Action, err)
		}
	}
	prev := genesis
	err = tx.QueryRow(ctx, `SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&prev)
	if err != nil && !errors.Is(store.Normalize(err), store.ErrNotFound) {
		return fmt.Errorf("audit %s: read chain: %w", e.Action, err)
	}
	name := e.Actor.Username
	if name == "" {
		name = e.Actor.Name
	}
	r := Record{
		At: time.Now(), UserID: e.Actor.UserID, ActorName: name, Action: e.Action, Entity: e.Entity,
		EntityID: e.EntityID, BeforeJSON: before, AfterJSON: after, Reason: e.Reason, PrevHash: prev,
	}
	r.At = time.UnixMilli(r.At.UnixMilli())
	r.Hash = r.computeHash()
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (at, user_id, actor_name, action, entity, entity_id, before_json, after_json, reason, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		store.Millis(r.At), nullID(r.UserID), r.ActorName, r.Action, r.Entity, r.EntityID, r.BeforeJSON, r.AfterJSON, r.Reason, r.PrevHash, r.Hash)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func marshal(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// computeHash is SHA-256 over the previous hash and every field, each
// length-prefixed so no two different entries hash alike.
func (r Record) computeHash() string {
	h := sha256.New()
	for _, f := range []string{r.PrevHash, strconv.FormatInt(r.At.UnixMilli(), 10), strconv.FormatInt(r.UserID, 10),
		r.ActorName, r.Action, r.Entity, r.EntityID, r.BeforeJSON, r.AfterJSON, r.Reason} {
		fmt.Fprintf(h, "%d:%s|", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ErrBroken reports the first entry whose link or content does not match.
type ErrBroken struct {
	ID     int64
	Reason string
}

func (e *ErrBroken) Error() string {
	return fmt.Sprintf("audit trail broken at entry %d: %s", e.ID, e.Reason)
}

// Verify walks the whole chain and returns the number of entries checked, or
// an *ErrBroken naming the first entry that was altered, removed or inserted.
func Verify(ctx context.Context, db *store.DB) (int, error) {
	rows, err := db.Query(ctx, `SELECT id, at, COALESCE(user_id, 0), actor_name, action, entity, entity_id, before_json, after_json, reason, prev_hash, hash
		FROM audit_log ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("verify audit: %w", err)
	}
	defer rows.Close()
	prev := genesis
	n := 0
	for rows.Next() {
		var r Record
		var at int64
		if err := rows.Scan(&r.ID, &at, &r.UserID, &r.ActorName, &r.Action, &r.Entity, &r.EntityID, &r.BeforeJSON, &r.AfterJSON, &r.Reason, &r.PrevHash, &r.Hash); err != nil {
			return n, fmt.Errorf("verify audit: %w", err)
		}
		r.At = store.Time(at)
		if r.PrevHash != prev {
			return n, &ErrBroken{ID: r.ID, Reason: "does not link to the entry before it (an entry was removed or inserted)"}
		}
		if r.computeHash() != r.Hash {
			return n, &ErrBroken{ID: r.ID, Reason: "content does not match its hash (the entry was edited)"}
		}
		prev = r.Hash
		n++
	}
	return n, rows.Err()
}

// List returns the newest entries about an entity (or all when entity is ""),
// newest first.
func List(ctx context.Context, db *store.DB, entity, entityID string, limit int) ([]Record, error) {
	q := `SELECT id, at, COALESCE(user_id, 0), actor_name, action, entity, entity_id, before_json, after_json, reason, prev_hash, hash FROM audit_log`
	var args []any
	if entity != "" {
		q += ` WHERE entity = ? AND entity_id = ?`
		args = append(args, entity, entityID)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var at int64
		if err := rows.Scan(&r.ID, &at, &r.UserID, &r.ActorName, &r.Action, &r.Entity, &r.EntityID, &r.BeforeJSON, &r.AfterJSON, &r.Reason, &r.PrevHash, &r.Hash); err != nil {
			return nil, err
		}
		r.At = store.Time(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
