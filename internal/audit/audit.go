// Package audit keeps the append-only, tamper-evident trail of every change:
// who, when, what, before and after. Entries are written in the same
// transaction as the change they describe.
//
// Each entry's hash covers the hash of the entry before it, so an edit,
// removal or insertion breaks the chain. The hash is an HMAC keyed with the
// audit key (key.go), kept outside the database, so that the chain cannot be
// recomputed after an edit without the key; and the server appends signed
// checkpoints of the chain's head (count, head, time) to a file outside the
// database (checkpoint.go), so that a removed tail, or a whole chain written
// anew, is seen too.
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	// ChainPos is the entry's place in the chain, from 1; 0 while it waits
	// for Chain (PostgreSQL).
	ChainPos int64
}

// genesis is the prev_hash of the first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Write appends e inside tx. On SQLite (one writer) the entry is chained at
// once: the chain's head is read inside the same write transaction. On
// PostgreSQL it is written unchained, without a lock: its hash is the keyed
// MAC of its content alone (prev_hash empty), and Chain links it after it
// commits. Writers then never wait for each other on the trail.
func Write(ctx context.Context, tx *store.Tx, e Entry) error {
	before, err := marshal(e.Before)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	after, err := marshal(e.After)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	name := e.Actor.Username
	if name == "" {
		name = e.Actor.Name
	}
	r := Record{
		At: time.Now(), UserID: e.Actor.UserID, ActorName: name, Action: e.Action, Entity: e.Entity,
		EntityID: e.EntityID, BeforeJSON: before, AfterJSON: after, Reason: e.Reason,
	}
	r.At = time.UnixMilli(r.At.UnixMilli())
	var pos any // NULL: unchained
	if tx.Dialect != store.Postgres {
		head, err := chainHead(ctx, tx)
		if err != nil {
			return fmt.Errorf("audit %s: %w", e.Action, err)
		}
		r.PrevHash, r.ChainPos = head.Hash, head.ChainPos+1
		pos = r.ChainPos
	}
	r.Hash = r.hash(current.Load())
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (at, user_id, actor_name, action, entity, entity_id, before_json, after_json, reason, prev_hash, hash, chain_pos)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		store.Millis(r.At), store.NullID(r.UserID), r.ActorName, r.Action, r.Entity, r.EntityID, r.BeforeJSON, r.AfterJSON, r.Reason, r.PrevHash, r.Hash, pos)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// head is the chain's newest linked entry (genesis and 0 when there is none).
type head struct {
	ID       int64
	ChainPos int64
	Hash     string
}

func chainHead(ctx context.Context, q store.RowQueryer) (head, error) {
	h := head{Hash: genesis}
	err := q.QueryRow(ctx, `SELECT id, chain_pos, hash FROM audit_log WHERE chain_pos IS NOT NULL ORDER BY chain_pos DESC LIMIT 1`).Scan(&h.ID, &h.ChainPos, &h.Hash)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return h, fmt.Errorf("read the chain's head: %w", err)
	}
	return h, nil
}

// hash is the entry's hash with the audit key k (keyed), or without (nil).
func (r Record) hash(k *keys) string {
	if k != nil {
		return r.keyedHash(k)
	}
	return r.computeHash()
}

func marshal(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// keyedPrefix marks the hash of an entry written with the audit key: an
// HMAC-SHA256 keyed with the key's chain key. Entries written before the
// audit key existed (or by a program that was not given it) carry a bare
// SHA-256 in hex, without prefix.
const keyedPrefix = "k1:"

// fields is what an entry's hash covers: the previous hash and every field,
// each length-prefixed so no two different entries hash alike.
func (r Record) fields() []byte {
	var b []byte
	for _, f := range []string{r.PrevHash, strconv.FormatInt(r.At.UnixMilli(), 10), strconv.FormatInt(r.UserID, 10),
		r.ActorName, r.Action, r.Entity, r.EntityID, r.BeforeJSON, r.AfterJSON, r.Reason} {
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
		b = append(b, '|')
	}
	return b
}

// computeHash is the unkeyed hash of old: SHA-256 over fields, in hex.
func (r Record) computeHash() string {
	sum := sha256.Sum256(r.fields())
	return hex.EncodeToString(sum[:])
}

// keyedHash is HMAC-SHA256 over fields with the chain key, prefixed.
func (r Record) keyedHash(k *keys) string {
	m := hmac.New(sha256.New, k.chain)
	m.Write(r.fields())
	return keyedPrefix + hex.EncodeToString(m.Sum(nil))
}

// Keyed reports whether the entry was written with the audit key.
func (r Record) Keyed() bool { return strings.HasPrefix(r.Hash, keyedPrefix) }

// Kind is what kind of damage Verify found.
type Kind string

const (
	// Altered: an entry's content does not match its hash, or it does not
	// link to the entry before it (edited, removed or inserted); or an
	// unkeyed entry follows keyed ones.
	Altered Kind = "altered"
	// MissingTail: the chain is shorter than a checkpoint recorded (its
	// newest entries were deleted, or all of them).
	MissingTail Kind = "missing-tail"
	// Rewritten: the chain's entry at a checkpoint's count is not the one
	// the checkpoint recorded (the chain was rewritten and recomputed, or
	// truncated and written on).
	Rewritten Kind = "rewritten"
)

// ErrBroken reports the first damage Verify found.
type ErrBroken struct {
	Kind Kind
	// ID is the first bad entry (Altered), the entry found at the
	// checkpoint's count (Rewritten), or the last entry left (MissingTail; 0
	// when none is left).
	ID     int64
	Reason string
	// Entries is the entry's position in the chain (Rewritten) or the
	// number of entries left (MissingTail).
	Entries int
	// Checkpoint is the checkpoint the chain contradicts (MissingTail,
	// Rewritten).
	Checkpoint *Checkpoint
}

func (e *ErrBroken) Error() string {
	switch e.Kind {
	case MissingTail:
		return fmt.Sprintf("audit trail is missing its tail: %s", e.Reason)
	case Rewritten:
		return fmt.Sprintf("audit trail was rewritten (entry %d, number %d in the chain): %s", e.ID, e.Entries, e.Reason)
	}
	return fmt.Sprintf("audit trail broken at entry %d: %s", e.ID, e.Reason)
}

// ErrNoKey is returned by Verify when the chain holds keyed entries and the
// process was given no audit key.
var ErrNoKey = errors.New("the audit trail holds entries keyed with the audit key, and no audit key was given (GRASSROOTS_AUDIT_KEY or --audit-key-file)")

// Report is what Verify checked.
type Report struct {
	Entries     int // entries in the chain, all verified
	Keyed       int // of which written with the audit key
	Checkpoints int // checkpoints the chain was checked against
	// Newest is the checkpoint with the highest count (nil without any).
	Newest *Checkpoint
	// Unchained entries wait for Chain (PostgreSQL, seconds at most while
	// a server runs); their content was checked, their place is not fixed
	// yet. OldestUnchained is the oldest one's time.
	Unchained       int
	OldestUnchained time.Time
}

// Verify walks the whole chain and returns the number of entries checked, or
// an *ErrBroken naming the first entry that was altered, removed or inserted.
// Without checkpoints it cannot see that the newest entries were removed:
// see VerifyAgainst.
func Verify(ctx context.Context, db *store.DB) (int, error) {
	r, err := VerifyAgainst(ctx, db, nil)
	return r.Entries, err
}

// VerifyAgainst walks the whole chain, checking each entry's link and hash
// (keyed entries with the audit key given to SetKey), and checks that every
// checkpoint (already checked for its signature: ReadCheckpoints) is matched
// by the chain: the entry at the checkpoint's count must be the one it
// recorded. It returns an *ErrBroken for the first damage found: an altered
// entry (Altered), a chain rewritten behind a checkpoint (Rewritten), or a
// chain shorter than a checkpoint (MissingTail).
func VerifyAgainst(ctx context.Context, db *store.DB, checkpoints []Checkpoint) (Report, error) {
	k := current.Load()
	cps := slices.Clone(checkpoints)
	slices.SortStableFunc(cps, func(a, b Checkpoint) int { return a.Count - b.Count })
	rep := Report{Checkpoints: len(cps)}
	if len(cps) > 0 {
		rep.Newest = &cps[len(cps)-1]
	}
	rows, err := db.Query(ctx, `SELECT id, at, COALESCE(user_id, 0), actor_name, action, entity, entity_id, before_json, after_json, reason, prev_hash, hash, COALESCE(chain_pos, 0)
		FROM audit_log WHERE chain_pos IS NOT NULL ORDER BY chain_pos`)
	if err != nil {
		return rep, fmt.Errorf("verify audit: %w", err)
	}
	defer rows.Close()
	prev := genesis
	n, next := 0, 0 // entries verified; the next checkpoint to meet
	var last int64
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return rep, fmt.Errorf("verify audit: %w", err)
		}
		if r.PrevHash != prev || r.ChainPos != int64(n+1) {
			return rep, &ErrBroken{Kind: Altered, ID: r.ID, Reason: "does not link to the entry before it (an entry was removed or inserted)"}
		}
		switch {
		case r.Keyed() && k == nil:
			return rep, ErrNoKey
		case r.Keyed():
			if !hmac.Equal([]byte(r.keyedHash(k)), []byte(r.Hash)) {
				return rep, &ErrBroken{Kind: Altered, ID: r.ID, Reason: "content does not match its keyed hash (the entry was edited, or written with another audit key)"}
			}
			rep.Keyed++
		case rep.Keyed > 0:
			return rep, &ErrBroken{Kind: Altered, ID: r.ID, Reason: "an entry without the audit key's hash follows keyed entries (it was forged, or written by a program without the audit key)"}
		case r.computeHash() != r.Hash:
			return rep, &ErrBroken{Kind: Altered, ID: r.ID, Reason: "content does not match its hash (the entry was edited)"}
		}
		prev = r.Hash
		n++
		rep.Entries = n
		last = r.ID
		for ; next < len(cps) && cps[next].Count <= n; next++ {
			cp := &cps[next]
			if cp.Count == n && (cp.HeadID != r.ID || cp.Head != r.Hash) {
				return rep, &ErrBroken{Kind: Rewritten, ID: r.ID, Entries: n, Checkpoint: cp,
					Reason: fmt.Sprintf("the checkpoint of %s recorded entry number %d as id %d with hash %s; the chain has id %d with hash %s there (entries up to here were rewritten, or removed and written anew)",
						cp.At, cp.Count, cp.HeadID, cp.Head, r.ID, r.Hash)}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("verify audit: %w", err)
	}
	rows.Close()
	// The tail that waits for Chain (PostgreSQL): each entry's content is
	// checked against the MAC written with it; it has no place yet.
	tail, err := readRecords(ctx, db, `WHERE chain_pos IS NULL ORDER BY id`)
	if err != nil {
		return rep, fmt.Errorf("verify audit: %w", err)
	}
	keyed := rep.Keyed > 0
	for _, r := range tail {
		if err := r.checkUnchained(k, keyed); err != nil {
			return rep, err
		}
		keyed = keyed || r.Keyed()
		if rep.Unchained == 0 || r.At.Before(rep.OldestUnchained) {
			rep.OldestUnchained = r.At
		}
		rep.Unchained++
	}
	if len(cps) > 0 && rep.Newest.Count > n {
		cp := rep.Newest
		return rep, &ErrBroken{Kind: MissingTail, ID: last, Entries: n, Checkpoint: cp,
			Reason: fmt.Sprintf("the chain has %d entries, but the checkpoint of %s recorded %d (up to id %d): the last %d entries were removed",
				n, cp.At, cp.Count, cp.HeadID, cp.Count-n)}
	}
	return rep, nil
}

// TrailKeyed reports whether the chain's newest entry was written with an
// audit key (a process that has none must not make itself a new one).
func TrailKeyed(ctx context.Context, db *store.DB) (bool, error) {
	var h string
	err := db.QueryRow(ctx, `SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&h)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("audit trail: %w", err)
	}
	return strings.HasPrefix(h, keyedPrefix), nil
}

// CheckKey checks the audit key given to SetKey against the newest entry of
// the chain when that entry is keyed: a process with another key (an
// instance given a fresh key file instead of the installation's) would
// append entries nobody can verify. It returns nil when there is no key,
// no entry, or the newest entry is unkeyed.
func CheckKey(ctx context.Context, db *store.DB) error {
	k := current.Load()
	if k == nil {
		return nil
	}
	var r Record
	var at int64
	err := db.QueryRow(ctx, `SELECT id, at, COALESCE(user_id, 0), actor_name, action, entity, entity_id, before_json, after_json, reason, prev_hash, hash
		FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&r.ID, &at, &r.UserID, &r.ActorName, &r.Action, &r.Entity, &r.EntityID, &r.BeforeJSON, &r.AfterJSON, &r.Reason, &r.PrevHash, &r.Hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check audit key: %w", err)
	}
	r.At = store.Time(at)
	if r.Keyed() && !hmac.Equal([]byte(r.keyedHash(k)), []byte(r.Hash)) {
		return fmt.Errorf("the audit key does not match the audit trail's newest entry (id %d): every instance must use the installation's one audit key "+
			"(copy its audit key file, or set GRASSROOTS_AUDIT_KEY); if the key is the right one, that entry was altered: run `grassroots audit verify`", r.ID)
	}
	return nil
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
