package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/clientaddr"
	"grassroots/internal/reqinfo"
	"grassroots/internal/store"
)

// Login checks a username and password from client address ip and, when
// they match an active account, starts a session and returns its token (for
// the session cookie).
//
// Failures are counted per (username, address) and per address, never per
// username alone, so that nobody elsewhere can lock an account's owner out.
// Past MaxPairFailures for the pair, or MaxIPFailures for the address,
// within ThrottleWindow, an attempt, right or wrong, must come a growing
// delay after the last failure (ThrottleBase, doubling, at most
// ThrottleCap); earlier ones are refused with a *ThrottleError saying how
// long to wait. A success clears the pair's failures. IPv6 addresses count
// by their /64.
func (s *Service) Login(ctx context.Context, username, password, ip string) (string, error) {
	username = NormalizeUsername(username)
	now := s.now()
	sessionIP := ip
	ip = throttleKey(ip)
	if err := s.checkThrottle(ctx, username, ip, now); err != nil {
		return "", err
	}
	var (
		id     int64
		stored string
		active int
	)
	err := s.db.QueryRow(ctx, `SELECT id, password_hash, active FROM users WHERE username = ?`, username).Scan(&id, &stored, &active)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
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
			hashSecret(token), id, randomToken(32), sessionIP, ms, ms, store.Millis(now.Add(SessionMax))); err != nil {
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
		_, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE username = ? AND ip = ?`, username, ip)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("login %s: start session: %w", username, err)
	}
	return token, nil
}

// ThrottleError is the cause of a login refused by the throttle: Wait is
// how long until the next attempt is accepted. errors.Is(err, ErrThrottled)
// holds for it.
type ThrottleError struct{ Wait time.Duration }

func (e *ThrottleError) Error() string { return fmt.Sprintf("%v: wait %v", ErrThrottled, e.Wait) }

// Is makes a ThrottleError match ErrThrottled.
func (e *ThrottleError) Is(target error) bool { return target == ErrThrottled }

// throttleKey is the address failures are counted under: IPv6 by its /64
// (one household or phone has a whole /64), anything unreadable as is.
func throttleKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	return clientaddr.Key(a.Unmap())
}

// throttleDelay is the wait after the last of n failures when free of them
// cost nothing: none below free, then ThrottleBase doubling up to ThrottleCap.
func throttleDelay(n, free int) time.Duration {
	if n < free {
		return 0
	}
	d := ThrottleBase
	for range n - free {
		if d >= ThrottleCap {
			break
		}
		d *= 2
	}
	return min(d, ThrottleCap)
}

// checkThrottle refuses a login that comes too soon after the failures
// standing against the (username, address) pair or the address.
func (s *Service) checkThrottle(ctx context.Context, username, ip string, now time.Time) error {
	since := store.Millis(now.Add(-ThrottleWindow))
	var wait time.Duration
	for _, c := range []struct {
		where string
		args  []any
		free  int
	}{
		{`username = ? AND ip = ?`, []any{username, ip, since}, MaxPairFailures},
		{`ip = ?`, []any{ip, since}, MaxIPFailures},
	} {
		var n, last int64
		err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(at), 0) FROM login_failures WHERE `+c.where+` AND at > ?`,
			c.args...).Scan(&n, &last)
		if err != nil {
			return fmt.Errorf("login throttle: %w", err)
		}
		if d := throttleDelay(int(n), c.free); d > 0 {
			wait = max(wait, store.Time(last).Add(d).Sub(now))
		}
	}
	if wait <= 0 {
		return nil
	}
	return &store.UserError{Kind: store.ErrForbidden, Message: throttleMessage(wait), Cause: &ThrottleError{Wait: wait}}
}

// throttleMessage is the default (Chinese) text of a throttled login; the
// web UI words it in the reader's language from ThrottleError.Wait.
func throttleMessage(wait time.Duration) string {
	if secs := WaitSeconds(wait); secs < 120 {
		return fmt.Sprintf("登录失败次数过多，请%d秒后再试", secs)
	}
	return fmt.Sprintf("登录失败次数过多，请%d分钟后再试", int((wait+time.Minute-1)/time.Minute))
}

// WaitSeconds rounds a throttle wait up to whole seconds (at least 1).
func WaitSeconds(wait time.Duration) int {
	return max(1, int((wait+time.Second-1)/time.Second))
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
// may still have from address ip before its attempts from there are slowed.
func (s *Service) ThrottleRemaining(ctx context.Context, username, ip string) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM login_failures WHERE username = ? AND ip = ? AND at > ?`,
		NormalizeUsername(username), throttleKey(ip), store.Millis(s.now().Add(-ThrottleWindow))).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("login throttle: %w", err)
	}
	return max(0, MaxPairFailures-n), nil
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
	if errors.Is(err, store.ErrNotFound) {
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
	reqinfo.SetUser(ctx, actor.UserID) // for the access log
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
			if errors.Is(err, store.ErrNotFound) {
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
