package open311

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// KeyPrefix starts every Open311 api_key.
const KeyPrefix = "o311_"

// Key is an Open311 client's api_key as listed: never the key itself.
type Key struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	UserID     int64      `json:"user_id,omitempty"`
	Username   string     `json:"username,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Keys manages the api_keys Open311 clients post with.
type Keys struct {
	db   *store.DB
	now  func() time.Time
	used store.TouchGate[int64] // one write of a key's last use per minute
}

// NewKeys returns the key store over db.
func NewKeys(db *store.DB) *Keys { return &Keys{db: db, now: time.Now} }

func hashKey(k string) string {
	h := sha256.Sum256([]byte(k))
	return hex.EncodeToString(h[:])
}

func mayManageKeys(actor access.Actor) error {
	if actor.System || (actor.Has(access.RoleAdmin) && actor.CountyWide()) {
		return nil
	}
	return store.Forbidden("只有县级系统管理员可以管理Open311密钥")
}

// Create makes a key named name, filing requests as the user username (""
// files them as the system), and returns the key: only its hash is kept, so
// this is the one time it is seen.
func (k *Keys) Create(ctx context.Context, actor access.Actor, name, username string) (string, Key, error) {
	if err := mayManageKeys(actor); err != nil {
		return "", Key{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Key{}, store.Invalid("请填写密钥名称，如使用它的系统")
	}
	if utf8.RuneCountInString(name) > 100 {
		return "", Key{}, store.Invalid("密钥名称不能超过100个字符")
	}
	b := make([]byte, 24)
	rand.Read(b)
	plain := KeyPrefix + hex.EncodeToString(b)
	var id int64
	err := k.db.InTx(ctx, func(tx *store.Tx) error {
		var userID int64
		if u := strings.TrimSpace(username); u != "" {
			var active int
			err := tx.QueryRow(ctx, `SELECT id, active FROM users WHERE username = ?`, strings.ToLower(u)).Scan(&userID, &active)
			if errors.Is(err, store.ErrNotFound) {
				return store.NotFoundf("找不到用户“%s”", u)
			}
			if err != nil {
				return fmt.Errorf("create key: %w", err)
			}
			if active != 1 {
				return store.Invalidf("用户“%s”已停用", u)
			}
		}
		if err := tx.QueryRow(ctx, `INSERT INTO open311_keys (name, key_hash, key_prefix, user_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			name, hashKey(plain), plain[:len(KeyPrefix)+6], store.NullID(userID), store.Millis(k.now())).Scan(&id); err != nil {
			return fmt.Errorf("create key: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "open311.key.create", Entity: "open311_key", EntityID: strconv.FormatInt(id, 10),
			After: map[string]any{"name": name, "user": username}})
	})
	if err != nil {
		return "", Key{}, err
	}
	key, err := k.get(ctx, "k.id = ?", id)
	return plain, key, err
}

const keyColumns = `k.id, k.name, k.key_prefix, COALESCE(k.user_id, 0), COALESCE(u.username, ''), k.created_at, k.last_used_at, k.revoked_at`

func scanKey(sc interface{ Scan(...any) error }) (Key, error) {
	var key Key
	var created int64
	var used, revoked *int64
	if err := sc.Scan(&key.ID, &key.Name, &key.Prefix, &key.UserID, &key.Username, &created, &used, &revoked); err != nil {
		return key, err
	}
	key.CreatedAt = store.Time(created)
	key.LastUsedAt, key.RevokedAt = ptime(used), ptime(revoked)
	return key, nil
}

func (k *Keys) get(ctx context.Context, where string, arg any) (Key, error) {
	return scanKey(k.db.QueryRow(ctx, `SELECT `+keyColumns+` FROM open311_keys k LEFT JOIN users u ON u.id = k.user_id WHERE `+where, arg))
}

// List returns every key, newest first.
func (k *Keys) List(ctx context.Context, actor access.Actor) ([]Key, error) {
	if err := mayManageKeys(actor); err != nil {
		return nil, err
	}
	rows, err := k.db.Query(ctx, `SELECT `+keyColumns+` FROM open311_keys k LEFT JOIN users u ON u.id = k.user_id ORDER BY k.id DESC`)
	out, err := store.Collect(rows, err, scanKey)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return out, nil
}

// Revoke stops a key from working.
func (k *Keys) Revoke(ctx context.Context, actor access.Actor, id int64) error {
	if err := mayManageKeys(actor); err != nil {
		return err
	}
	return k.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE open311_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, store.Millis(k.now()), id)
		if err != nil {
			return fmt.Errorf("revoke key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.NotFound("找不到该密钥，或它已被撤销")
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "open311.key.revoke", Entity: "open311_key", EntityID: strconv.FormatInt(id, 10)})
	})
}

// errBadKey is a missing, unknown or revoked api_key.
var errBadKey = store.Forbidden("api_key 无效或已撤销 (invalid api_key)")

// Check returns the key behind plain, or errBadKey.
func (k *Keys) Check(ctx context.Context, plain string) (Key, error) {
	plain = strings.TrimSpace(plain)
	if !strings.HasPrefix(plain, KeyPrefix) || len(plain) > 200 {
		return Key{}, errBadKey
	}
	key, err := k.get(ctx, "k.key_hash = ?", hashKey(plain))
	if errors.Is(err, store.ErrNotFound) {
		return Key{}, errBadKey
	}
	if err != nil {
		return Key{}, fmt.Errorf("read key: %w", err)
	}
	if key.RevokedAt != nil {
		return Key{}, errBadKey
	}
	now := k.now()
	var lastUsed time.Time
	if key.LastUsedAt != nil {
		lastUsed = *key.LastUsedAt
	}
	if k.used.Claim(key.ID, lastUsed, now, time.Minute) {
		if _, err := k.db.Exec(ctx, `UPDATE open311_keys SET last_used_at = ? WHERE id = ?`, store.Millis(now), key.ID); err != nil {
			return Key{}, fmt.Errorf("touch key: %w", err)
		}
	}
	return key, nil
}

func ptime(ms *int64) *time.Time {
	if ms == nil || *ms == 0 {
		return nil
	}
	t := store.Time(*ms)
	return &t
}
