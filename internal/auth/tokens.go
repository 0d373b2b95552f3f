package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/reqinfo"
	"grassroots/internal/store"
)

// Token is an API token as listed: never its secret.
type Token struct {
	ID         int64
	UserID     int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used
	RevokedAt  time.Time // zero while valid
}

// CreateToken makes an API token for a user and returns it; only its SHA-256
// is stored, so this is the one time it is seen. The user themself, or an
// administrator of their unit, may create one (the CLI acts as the system).
func (s *Service) CreateToken(ctx context.Context, actor access.Actor, username, name string) (string, error) {
	username = NormalizeUsername(username)
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > 100 {
		return "", store.Invalid("令牌名称不能超过100个字符")
	}
	token := TokenPrefix + randomToken(32)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var userID int64
		var path string
		var active int
		err := tx.QueryRow(ctx, `SELECT u.id, un.path, u.active FROM users u JOIN units un ON un.id = u.unit_id WHERE u.username = ?`, username).
			Scan(&userID, &path, &active)
		if errors.Is(err, store.ErrNotFound) {
			return store.NotFoundf("找不到用户“%s”", username)
		}
		if err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		if actor.UserID != userID {
			if err := mayManage(actor, path); err != nil {
				return err
			}
		}
		if active != 1 {
			return store.Invalidf("用户“%s”已停用，不能为其创建令牌", username)
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			userID, name, hashSecret(token), store.Millis(s.now())).Scan(&id); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "user.token.create", Entity: "user",
			EntityID: strconv.FormatInt(userID, 10), After: map[string]any{"token_id": id, "name": name}})
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// TokenActor returns the actor of an API token's user. A token that is
// malformed, unknown or revoked, or whose user is deactivated, gives an error
// wrapping ErrBadToken. The last use is written at most once a minute.
func (s *Service) TokenActor(ctx context.Context, plaintext string) (access.Actor, error) {
	bad := &store.UserError{Kind: store.ErrForbidden, Message: "API令牌无效或已撤销", Cause: ErrBadToken}
	if !strings.HasPrefix(plaintext, TokenPrefix) || len(plaintext) > 200 {
		return access.Actor{}, bad
	}
	hash := hashSecret(plaintext)
	var (
		id, userID int64
		lastUsed   int64
		revoked    int64
	)
	err := s.db.QueryRow(ctx, `SELECT id, user_id, COALESCE(last_used_at, 0), COALESCE(revoked_at, 0) FROM api_tokens WHERE token_hash = ?`, hash).
		Scan(&id, &userID, &lastUsed, &revoked)
	if errors.Is(err, store.ErrNotFound) {
		return access.Actor{}, bad
	}
	if err != nil {
		return access.Actor{}, fmt.Errorf("read API token: %w", err)
	}
	if revoked != 0 {
		return access.Actor{}, bad
	}
	actor, err := s.ActorForUser(ctx, userID)
	if errors.Is(err, ErrInactive) || errors.Is(err, store.ErrNotFound) {
		return access.Actor{}, bad
	}
	if err != nil {
		return access.Actor{}, err
	}
	now := s.now()
	if s.tokenUsed.Claim(id, store.Time(lastUsed), now, seenEvery) {
		if _, err := s.db.Exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, store.Millis(now), id); err != nil {
			return access.Actor{}, fmt.Errorf("touch API token: %w", err)
		}
	}
	reqinfo.SetUser(ctx, actor.UserID) // for the access log
	return actor, nil
}

// ListTokens returns a user's API tokens, newest first: the user themself or
// an administrator of their unit may see them.
func (s *Service) ListTokens(ctx context.Context, actor access.Actor, userID int64) ([]Token, error) {
	if actor.UserID != userID {
		if _, err := s.GetUser(ctx, actor, userID); err != nil {
			return nil, err
		}
	}
	rows, err := s.db.Query(ctx, `SELECT id, user_id, name, created_at, COALESCE(last_used_at, 0), COALESCE(revoked_at, 0)
		FROM api_tokens WHERE user_id = ? ORDER BY id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var created, used, revoked int64
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &created, &used, &revoked); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		t.CreatedAt, t.LastUsedAt, t.RevokedAt = store.Time(created), store.Time(used), store.Time(revoked)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken stops an API token from working: its user, or an administrator
// of their unit, may revoke it.
func (s *Service) RevokeToken(ctx context.Context, actor access.Actor, tokenID int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var userID int64
		var path string
		err := tx.QueryRow(ctx, `SELECT t.user_id, un.path FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN units un ON un.id = u.unit_id
			WHERE t.id = ?`, tokenID).Scan(&userID, &path)
		if errors.Is(err, store.ErrNotFound) {
			return store.NotFound("找不到该令牌")
		}
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if actor.UserID != userID {
			if err := mayManage(actor, path); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, store.Millis(s.now()), tokenID); err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "user.token.revoke", Entity: "user",
			EntityID: strconv.FormatInt(userID, 10), After: map[string]any{"token_id": tokenID}})
	})
}
