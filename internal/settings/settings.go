// Package settings keeps the administrators' settings in the database as
// key/value text, with the defaults declared in code where each setting is
// read: settings.Int(ctx, db, "casework.daily_summary_hour", 18). A key that
// was never set reads as its default, so adding a setting needs no migration.
package settings

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Querier reads one row; both *store.DB and *store.Tx are Queriers, so a
// setting can be read inside or outside a transaction.
type Querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *store.Row
}

// Setting is one stored value.
type Setting struct {
	Key       string
	Value     string
	UpdatedAt time.Time
	UpdatedBy string
}

// maxKey and maxValue bound what is stored.
const (
	maxKey   = 100
	maxValue = 4000
)

// lookup returns the stored value of key, or ok false when it was never set.
func lookup(ctx context.Context, q Querier, key string) (value string, ok bool, err error) {
	err = q.QueryRow(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("read setting %s: %w", key, err)
	}
	return value, true, nil
}

// String returns the setting key, or def when it was never set.
func String(ctx context.Context, q Querier, key, def string) (string, error) {
	v, ok, err := lookup(ctx, q, key)
	if err != nil || !ok {
		return def, err
	}
	return v, nil
}

// Int returns the setting key as an integer, or def when it was never set.
// A stored value that is not an integer returns def and an error.
func Int(ctx context.Context, q Querier, key string, def int) (int, error) {
	v, ok, err := lookup(ctx, q, key)
	if err != nil || !ok {
		return def, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return def, fmt.Errorf("setting %s: %q is not an integer", key, v)
	}
	return n, nil
}

// Bool returns the setting key as a boolean ("1", "true", "yes" are true;
// "0", "false", "no" are false), or def when it was never set.
func Bool(ctx context.Context, q Querier, key string, def bool) (bool, error) {
	v, ok, err := lookup(ctx, q, key)
	if err != nil || !ok {
		return def, err
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes":
		return true, nil
	case "0", "false", "no":
		return false, nil
	}
	return def, fmt.Errorf("setting %s: %q is not a boolean", key, v)
}

// Duration returns the setting key as a Go duration ("15m", "2h"), or def
// when it was never set.
func Duration(ctx context.Context, q Querier, key string, def time.Duration) (time.Duration, error) {
	v, ok, err := lookup(ctx, q, key)
	if err != nil || !ok {
		return def, err
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return def, fmt.Errorf("setting %s: %q is not a duration", key, v)
	}
	return d, nil
}

// Set stores value under key inside tx on behalf of an administrator, and
// records the change in the audit trail. Validating the value is the
// caller's business: it knows what the setting means.
func Set(ctx context.Context, tx *store.Tx, actor access.Actor, key, value string) error {
	if !actor.Has(access.RoleAdmin) {
		return store.Forbidden("只有系统管理员可以修改系统设置")
	}
	if err := checkKey(key, value); err != nil {
		return err
	}
	before, had, err := lookup(ctx, tx, key)
	if err != nil {
		return err
	}
	by := actor.Username
	if by == "" {
		by = actor.Name
	}
	if err := Put(ctx, tx, key, value, by); err != nil {
		return err
	}
	e := audit.Entry{Actor: actor, Action: "setting.set", Entity: "setting", EntityID: key, After: value}
	if had {
		e.Before = before
	}
	return audit.Write(ctx, tx, e)
}

// Put stores value under key inside tx without an audit entry. It is for
// values the system keeps for itself (such as a version counter that tells
// other instances to reload), not for choices people make: use Set for those.
func Put(ctx context.Context, tx *store.Tx, key, value, by string) error {
	if err := checkKey(key, value); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		key, value, time.Now().UnixMilli(), by)
	if err != nil {
		return fmt.Errorf("store setting %s: %w", key, err)
	}
	return nil
}

func checkKey(key, value string) error {
	if key == "" || len(key) > maxKey || strings.TrimSpace(key) != key {
		return store.Invalid("设置项名称不正确")
	}
	if len(value) > maxValue {
		return store.Invalidf("设置值过长（最多%d个字节）", maxValue)
	}
	return nil
}

// All lists every stored setting, ordered by key.
func All(ctx context.Context, db *store.DB) ([]Setting, error) {
	rows, err := db.Query(ctx, `SELECT key, value, updated_at, updated_by FROM settings ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("list settings: %w", err)
	}
	defer rows.Close()
	var out []Setting
	for rows.Next() {
		var s Setting
		var at int64
		if err := rows.Scan(&s.Key, &s.Value, &at, &s.UpdatedBy); err != nil {
			return nil, fmt.Errorf("list settings: %w", err)
		}
		s.UpdatedAt = store.Time(at)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Bump adds one to the integer setting key inside tx (starting from 1), in
// one statement so that concurrent bumps never lose a count. It is not
// audited: it is for counters the system keeps, such as the version that
// tells other instances to reload what an administrator changed.
func Bump(ctx context.Context, tx *store.Tx, key string) error {
	if err := checkKey(key, ""); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, '1', ?, 'system')
		ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT), updated_at = excluded.updated_at`,
		key, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("bump setting %s: %w", key, err)
	}
	return nil
}
