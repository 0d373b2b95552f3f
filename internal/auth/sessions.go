package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Login checks a username and password from address ip and, when they match
// an active account, starts a session and returns its token (for the session
// cookie). After MaxUserFailures failures for one username, or MaxIPFailures
// from one address, within ThrottleWindow, it refuses every attempt, right or
// wrong, and says how long to wait. Failures are recorded; a success clears
// the username's.
func (s *Service) Login(ctx context.Context, username, password, ip string) (string, error) {
	username = NormalizeUsername(username)
	now := s.now()
	if err := s.checkThrottle(ctx, username, ip, now); err != nil {
		return "", err
	}
	var (
		id     int64
		stored string
		active int
	)
	err := s.db.QueryRow(ctx, `SELECT id, password_hash, active FROM users WHERE username = ?`, username).Scan(&id, &stored, &active)
	if err != nil && !errors.Is(store.Normalize(err), store.ErrNotFound) {
		return "", fmt.Errorf("login %s: %w", username, err)
	}
	found := err == nil
	if !found || len(password) > maxPasswordBytes {
		stored = s.dummyHash()
	}
	ok, verr := VerifyPassword(stored, password)
	if !found || verr != nil || !ok || len(password) > maxPasswordBytes {
		if err := s.recordFailure(ctx, username, ip, now); err != nil {
			return "", err
		}
		return "", &store.UserError{Kind: store.ErrInvalid, Message: "用户名或密码不正确", Cause: ErrBadCredentials}
	}
	if active != 1 {
		return "", &store.UserError{Kind: store.ErrForbidden, Message: "该账号已停用，请联系管理员", Cause: ErrInactive}
	}
	var rehash string
	if needsRehash(stored, s.params) {
		if rehash, err = HashPassword(password, s.params); err != nil {
			return "", err
		}
	}
	token := randomToken(32)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		ms := store.Millis(now)
		// Sessions of this user that have ended are cleared as they sign in again.
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND (expires_at <= ? OR last_seen_at <= ?)`,
			id, ms, store.Millis(now.Add(-SessionIdle))); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sessions (id, user_id, csrf_token, ip, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			hashSecret(token), id, randomToken(32), ip, ms, ms, store.Millis(now.Add(SessionMax))); err != nil {
			return err
		}
		if rehash != "" {
			if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, rehash, id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, ms, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE username = ?`, username)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("login %s: start session: %w", username, err)
	}
	return token, nil
}

// checkThrottle refuses a login while too many recent failures stand against
// the username or the address, saying when to try again.
func (s *Service) checkThrottle(ctx context.Context, username, ip string, now time.Time) error {
	since := store.Millis(now.Add(-ThrottleWindow))
	var wait time.Duration
	for _, c := range []struct {
		column, value string
		max           int
	}{{"username", username, MaxUserFailures}, {"ip", ip, MaxIPFailures}} {
		// The max-th newest failure in the window: once it leaves the window
		// the count drops below max and logins are accepted again.
		var at int64
		err := s.db.QueryRow(ctx, `SELECT at FROM login_failures WHERE `+c.column+` = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?`,
			c.value, since, c.max-1).Scan(&at)
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("login throttle: %w", err)
		}
		wait = max(wait, store.Time(at).Add(ThrottleWindow).Sub(now))
	}
	if wait <= 0 {
		return nil
	}
	minutes := int((wait + time.Minute - 1) / time.Minute)
	return &store.UserError{Kind: store.ErrForbidden,
		Message: fmt.Sprintf("登录失败次数过多，请%d分钟后再试", minutes), Cause: ErrThrottled}
}

// recordFailure notes a failed login and forgets failures older than the window.
func (s *Service) recordFailure(ctx context.Context, username, ip string, now time.Time) error {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE at < ?`, store.Millis(now.Add(-ThrottleWindow))); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO login_failures (username, ip, at) VALUES (?, ?, ?)`, username, ip, store.Millis(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("record failed login: %w", err)
	}
	return nil
}

// ThrottleRemaining is for tests and the UI: how many failures the username
// may still have before it is locked.
func (s *Service) ThrottleRemaining(ctx context.Context, username string) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM login_failures WHERE username = ? AND at > ?`,
		NormalizeUsername(username), store.Millis(s.now().Add(-ThrottleWindow))).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("login throttle: %w", err)
	}
	return max(0, MaxUserFailures-n), nil
}

// Session returns the actor and CSRF token of a session token. A session
// ends SessionIdle after its last use and SessionMax after sign-in; an ended
// session, or one whose user was deactivated, gives ErrNoSession. The last
// use is written at most once a minute.
func (s *Service) Session(ctx context.Context, token string) (access.Actor, string, error) {
	if token == "" {
		return access.Actor{}, "", ErrNoSession
	}
	id := hashSecret(token)
	var (
		userID              int64
		csrf                string
		lastSeen, expiresAt int64
	)
	err := s.db.QueryRow(ctx, `SELECT user_id, csrf_token, last_seen_at, expires_at FROM sessions WHERE id = ?`, id).
		Scan(&userID, &csrf, &lastSeen, &expiresAt)
	if errors.Is(store.Normalize(err), store.ErrNotFound) {
		return access.Actor{}, "", ErrNoSession
	}
	if err != nil {
		return access.Actor{}, "", fmt.Errorf("read session: %w", err)
	}
	now := s.now()
	nowMs := store.Millis(now)
	if nowMs >= expiresAt || now.Sub(store.Time(lastSeen)) >= SessionIdle {
		if _, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
			return access.Actor{}, "", fmt.Errorf("end session: %w", err)
		}
		return access.Actor{}, "", ErrNoSession
	}
	actor, err := s.ActorForUser(ctx, userID)
	if errors.Is(err, ErrInactive) || errors.Is(err, store.ErrNotFound) {
		return access.Actor{}, "", ErrNoSession
	}
	if err != nil {
		return access.Actor{}, "", err
	}
	if s.sessionSeen.Claim(id, store.Time(lastSeen), now, seenEvery) {
		if _, err := s.db.Exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, nowMs, id); err != nil {
			return access.Actor{}, "", fmt.Errorf("touch session: %w", err)
		}
	}
	return actor, csrf, nil
}

// Logout ends the session of token. Ending a session that does not exist is
// not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, hashSecret(token)); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// LogoutEverywhere ends every session of a user: the user themself, or an
// administrator of their unit, may do it. It is recorded in the audit trail.
func (s *Service) LogoutEverywhere(ctx context.Context, actor access.Actor, userID int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if actor.UserID != userID {
			var path string
			err := tx.QueryRow(ctx, `SELECT un.path FROM users u JOIN units un ON un.id = u.unit_id WHERE u.id = ?`, userID).Scan(&path)
			if errors.Is(store.Normalize(err), store.ErrNotFound) {
				return store.NotFound("找不到该用户")
			}
			if err != nil {
				return fmt.Errorf("logout everywhere: %w", err)
			}
			if err := mayManage(actor, path); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
		if err != nil {
			return fmt.Errorf("logout everywhere: %w", err)
		}
		n, _ := res.RowsAffected()
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "user.logout_everywhere", Entity: "user",
			EntityID: strconv.FormatInt(userID, 10), After: map[string]int64{"sessions_ended": n}})
	})
}
