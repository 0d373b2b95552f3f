package webhook

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"grassroots/internal/store"
)

// The headers of every delivery.
const (
	HeaderSignature = "X-Grassroots-Signature"
	HeaderTimestamp = "X-Grassroots-Timestamp"
	HeaderDelivery  = "X-Grassroots-Delivery"
	HeaderEvent     = "X-Grassroots-Event"
)

// Sign returns the signature of body sent at unix time ts:
// "sha256=" + hex(HMAC-SHA256(secret, ts + "." + body)).
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery as a receiver should: the signature over the
// timestamp and the body, and a timestamp within tolerance of now (which
// refuses replays of old deliveries).
func Verify(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return errors.New("bad timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return errors.New("timestamp outside tolerance")
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(strings.TrimSpace(signature))) {
		return errors.New("signature mismatch")
	}
	return nil
}

// Destination is where a delivery goes: a URL, the secret it is signed with
// ("" sends it unsigned) and extra headers (e.g. a bearer token).
type Destination struct {
	URL     string
	Secret  string
	Headers map[string]string
}

// Resolver finds the destination of a named target at send time.
type Resolver func(ctx context.Context) (Destination, error)

// WorkerConfig tunes a Worker. Zero values take the defaults.
type WorkerConfig struct {
	// Instance names this instance in leases and attempts.
	Instance string
	// Client sends the requests (default: 10 s timeout).
	Client *http.Client
	// Lease is how long a claim holds (default 2 min). A claim of an
	// instance that died is retried after it. No request outlives nine
	// tenths of its claim's lease: the deliveries of a batch left when
	// less than the client's timeout remains are handed back unsent.
	Lease time.Duration
	// Batch is how many deliveries one claim takes (default 20).
	Batch int
	// Backoff is the delay before the first retry, doubled at each further
	// failure up to MaxBackoff (defaults 30 s and 6 h).
	Backoff, MaxBackoff time.Duration
	// MaxAttempts fails a delivery for good after this many (default 15).
	MaxAttempts int
	// Targets resolve the named targets ("province").
	Targets map[string]Resolver
	// Now is the clock (default time.Now).
	Now func() time.Time
	Log *slog.Logger
	// Outcome, when set, is told of every attempt once its result is
	// recorded, for the program's metrics: target is "endpoint" for a
	// registered endpoint or the named target ("province"), outcome one of
	// OutcomeDelivered, OutcomeRetry, OutcomeFailed. It must be quick.
	Outcome func(target, outcome string)
}

// The outcomes of an attempt (WorkerConfig.Outcome).
const (
	OutcomeDelivered = "delivered" // the receiver answered 2xx
	OutcomeRetry     = "retry"     // it failed and will be tried again
	OutcomeFailed    = "failed"    // it failed for the last time
)

// Worker sends the outbox's deliveries.
type Worker struct {
	db  *store.DB
	cfg WorkerConfig
	mu  sync.Mutex // one pass at a time per worker
}

// NewWorker returns a worker over db.
func NewWorker(db *store.DB, cfg WorkerConfig) *Worker {
	if cfg.Instance == "" {
		cfg.Instance = "worker-" + NewUID()[4:12]
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 20
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 30 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 6 * time.Hour
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 15
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Worker{db: db, cfg: cfg}
}

// RetryDelay is the wait after the attempts-th failed attempt.
func (w *Worker) RetryDelay(attempts int) time.Duration {
	d := float64(w.cfg.Backoff) * math.Pow(2, float64(max(attempts-1, 0)))
	if d > float64(w.cfg.MaxBackoff) {
		return w.cfg.MaxBackoff
	}
	return time.Duration(d)
}

// claimed is a delivery this worker holds a lease on.
type claimed struct {
	id         int64
	uid        string
	endpointID int64
	target     string
	event      string
	payload    string
	attempts   int
	token      string
}

// claim takes up to Batch due deliveries with a lease, in one statement:
// FOR UPDATE SKIP LOCKED lets instances on PostgreSQL claim side by side;
// SQLite's single writer serialises the same statement.
func (w *Worker) claim(ctx context.Context, now time.Time) ([]claimed, error) {
	b := make([]byte, 12)
	rand.Read(b)
	token := hex.EncodeToString(b)
	lock := ""
	if w.db.Dialect == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []claimed
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE webhook_deliveries SET lease_owner = ?, lease_token = ?, lease_until = ?, attempts = attempts + 1, last_attempt_at = ?
			WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
				ORDER BY next_attempt_at, id LIMIT ?`+lock+`)
			RETURNING id, uid, COALESCE(endpoint_id, 0), target, event, payload, attempts`,
			w.cfg.Instance, token, store.Millis(now.Add(w.cfg.Lease)), store.Millis(now), store.Millis(now), store.Millis(now), w.cfg.Batch)
		if err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			c := claimed{token: token}
			if err := rows.Scan(&c.id, &c.uid, &c.endpointID, &c.target, &c.event, &c.payload, &c.attempts); err != nil {
				return fmt.Errorf("claim deliveries: %w", err)
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	// RETURNING keeps no order: send in the order the changes were made.
	slices.SortFunc(out, func(a, b claimed) int { return cmp.Compare(a.id, b.id) })
	return out, err
}

// RunOnce claims and sends due deliveries until none is due, and returns how
// many were delivered.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	sent := 0
	for {
		batch, err := w.claim(ctx, w.cfg.Now())
		if err != nil {
			return sent, err
		}
		if len(batch) == 0 {
			return sent, nil
		}
		// The claim is another instance's to take once the lease runs
		// out, so no request of this batch may outlive it: each is cut at
		// the lease's end less a tenth (for clocks apart between hosts),
		// measured on the worker's clock from the claim, and the
		// deliveries there is no time left for are handed back unsent.
		leaseEnd := w.cfg.Now().Add(w.cfg.Lease - w.cfg.Lease/10)
		for i, c := range batch {
			left := leaseEnd.Sub(w.cfg.Now())
			if ctx.Err() != nil || left < w.minRequestTime() {
				if err := w.release(ctx, batch[i:]); err != nil {
					return sent, err
				}
				break
			}
			sendCtx, cancel := context.WithTimeout(ctx, left)
			ok, err := w.send(sendCtx, c)
			cancel()
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
	}
}

// minRequestTime is how much of the lease must be left to start a request:
// the client's timeout, but at most half the lease (a quarter when the
// client has none).
func (w *Worker) minRequestTime() time.Duration {
	if t := w.cfg.Client.Timeout; t > 0 {
		return min(t, w.cfg.Lease/2)
	}
	return w.cfg.Lease / 4
}

// release hands claimed deliveries back unsent: they are due again at once
// for any instance, and the claim does not count as an attempt.
func (w *Worker) release(ctx context.Context, batch []claimed) error {
	ctx = context.WithoutCancel(ctx)
	return w.db.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range batch {
			if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts - 1, lease_owner = '', lease_token = '', lease_until = NULL
				WHERE id = ? AND lease_token = ?`, c.id, c.token); err != nil {
				return fmt.Errorf("release delivery %s: %w", c.uid, err)
			}
		}
		return nil
	})
}

// Run sends due deliveries every interval until ctx ends.
func (w *Worker) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.cfg.Log.ErrorContext(ctx, "webhook deliveries failed", "err", err)
		} else if n > 0 {
			w.cfg.Log.InfoContext(ctx, "webhook deliveries sent", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *Worker) destination(ctx context.Context, c claimed) (Destination, error) {
	if c.endpointID != 0 {
		var d Destination
		err := w.db.QueryRow(ctx, `SELECT url, secret FROM webhook_endpoints WHERE id = ?`, c.endpointID).Scan(&d.URL, &d.Secret)
		if err != nil {
			return d, fmt.Errorf("endpoint %d: %w", c.endpointID, err)
		}
		return d, nil
	}
	r, ok := w.cfg.Targets[c.target]
	if !ok {
		return Destination{}, fmt.Errorf("no destination for target %q on this instance", c.target)
	}
	return r(ctx)
}

const snippetLen = 512

// send posts one claimed delivery and records the outcome; the record
// applies only while this worker's lease is still the delivery's.
func (w *Worker) send(ctx context.Context, c claimed) (bool, error) {
	start := w.cfg.Now()
	var code int
	var resp, errText string
	dest, err := w.destination(ctx, c)
	if err == nil {
		code, resp, err = w.post(ctx, dest, c)
	}
	if err != nil {
		errText = err.Error()
	}
	ok := err == nil && code >= 200 && code < 300
	if err == nil && !ok {
		errText = fmt.Sprintf("HTTP %d", code)
	}
	now := w.cfg.Now()
	// The outcome is recorded even when the request was cut by the lease's
	// deadline or by shutdown.
	ctx = context.WithoutCancel(ctx)
	werr := w.db.InTx(ctx, func(tx *store.Tx) error {
		var res interface{ RowsAffected() (int64, error) }
		var err error
		switch {
		case ok:
			res, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = ?, last_status_code = ?, last_response = ?, last_error = '',
				lease_until = NULL, lease_owner = '', lease_token = '' WHERE id = ? AND lease_token = ?`,
				store.Millis(now), code, resp, c.id, c.token)
		case c.attempts >= w.cfg.MaxAttempts:
			res, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', last_status_code = ?, last_response = ?, last_error = ?,
				lease_until = NULL, lease_owner = '', lease_token = '' WHERE id = ? AND lease_token = ?`,
				nullCode(code), resp, errText, c.id, c.token)
		default:
			res, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ?, last_status_code = ?, last_response = ?, last_error = ?,
				lease_until = NULL, lease_owner = '', lease_token = '' WHERE id = ? AND lease_token = ?`,
				store.Millis(now.Add(w.RetryDelay(c.attempts))), nullCode(code), resp, errText, c.id, c.token)
		}
		if err != nil {
			return fmt.Errorf("record delivery %s: %w", c.uid, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			w.cfg.Log.WarnContext(ctx, "webhook lease lost before the result was recorded", "delivery", c.uid)
		}
		_, err = tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, at, instance, status_code, response, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.id, store.Millis(start), w.cfg.Instance, nullCode(code), resp, errText, now.Sub(start).Milliseconds())
		return err
	})
	if werr != nil {
		return false, werr
	}
	if w.cfg.Outcome != nil {
		target, outcome := c.target, OutcomeDelivered
		if c.endpointID != 0 {
			target = "endpoint"
		}
		switch {
		case ok:
		case c.attempts >= w.cfg.MaxAttempts:
			outcome = OutcomeFailed
		default:
			outcome = OutcomeRetry
		}
		w.cfg.Outcome(target, outcome)
	}
	if !ok {
		w.cfg.Log.WarnContext(ctx, "webhook delivery failed", "delivery", c.uid, "event", c.event, "attempts", c.attempts, "err", errText)
	}
	return ok, nil
}

func (w *Worker) post(ctx context.Context, d Destination, c claimed) (int, string, error) {
	if d.URL == "" {
		return 0, "", errors.New("destination URL is not configured")
	}
	body := []byte(c.payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	ts := w.cfg.Now().Unix()
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "grassroots-webhook/1")
	req.Header.Set(HeaderDelivery, c.uid)
	req.Header.Set(HeaderEvent, c.event)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	if d.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(d.Secret, ts, body))
	}
	for k, v := range d.Headers {
		req.Header.Set(k, v)
	}
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, snippetLen))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	// PostgreSQL text holds neither invalid UTF-8 nor NUL.
	return resp.StatusCode, strings.ReplaceAll(strings.ToValidUTF8(string(b), ""), "\x00", ""), nil
}

func nullCode(code int) any {
	if code == 0 {
		return nil
	}
	return code
}

// Backlog counts the outbox's deliveries still to be sent (pending: due,
// waiting for a retry, or being sent) and returns when the oldest was
// written (zero when none). One range read of the outbox's status index.
func Backlog(ctx context.Context, db *store.DB) (pending int64, oldest time.Time, err error) {
	var first sql.NullInt64
	if err := db.QueryRow(ctx, `SELECT COUNT(*), MIN(created_at) FROM webhook_deliveries WHERE status = 'pending'`).Scan(&pending, &first); err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox backlog: %w", err)
	}
	if first.Valid {
		oldest = store.Time(first.Int64)
	}
	return pending, oldest, nil
}
