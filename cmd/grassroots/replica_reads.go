package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"grassroots/internal/clientaddr"
	"grassroots/internal/store"
	"grassroots/internal/web"
)

// Read-your-writes with a read replica (serve --db-replica): a user's own
// writes are visible to that user at once. After a write (POST, PUT, PATCH,
// DELETE answered below 400) the server reads the primary's log position,
// which lies after the write's commit, and gives it back in a cookie
// (readAfterCookie) and remembers it for the request's credential (the API
// token or session, hashed) in this instance's memory. A read (GET, HEAD)
// carrying a position may use the replica only once the replica has
// replayed it (store.ReplicaReads); until then, typically a second, it
// reads the primary. Writes themselves never read the replica.
//
// The cookie serves browsers and any client that keeps cookies, whichever
// instance they reach; the memory serves API clients without cookies on the
// instance they wrote to. The position is no secret (it names a place in
// the log, not data): a forged cookie can only send its own reads to the
// primary or to a replica a second behind. Both expire once any replica in
// use has replayed the write anyway (store.DB.ReadAfterFor).

const readAfterCookie = "grassroots_read_after"

// The replica's default bounds (--db-replica-max-lag, --db-replica-check).
// Checking costs two one-row queries (the primary's position, the
// replica's), so a check a second is nothing; a check per request would be
// a round trip added to every read.
const (
	defaultReplicaMaxLag = 5 * time.Second
	defaultReplicaCheck  = time.Second
)

// readYourWrites is the middleware's state.
type readYourWrites struct {
	db   *store.DB
	keep time.Duration

	mu     sync.Mutex
	byCred map[[sha256.Size]byte]credWrite
}

type credWrite struct {
	lsn   store.LSN
	until time.Time
}

// maxCredWrites bounds the memory of writers (each a few dozen bytes).
const maxCredWrites = 100_000

// readReplica wraps next with read-your-writes when a replica is attached;
// without one it is next itself.
func (a *app) readReplica(next http.Handler) http.Handler {
	if !a.db.HasReplica() {
		return next
	}
	rw := &readYourWrites{db: a.db, keep: a.db.ReadAfterFor(), byCred: map[[sha256.Size]byte]credWrite{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r.WithContext(store.ReplicaReads(r.Context(), rw.after(r))))
			return
		}
		mw := &markWrites{ResponseWriter: w, rw: rw, r: r}
		next.ServeHTTP(mw, r)
	})
}

// credential is what identifies the request's user across requests: the
// API token, else the session cookie; ok is false for anonymous requests
// (the cookie alone serves them).
func credential(r *http.Request) (key [sha256.Size]byte, ok bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		return sha256.Sum256([]byte("authorization\x00" + h)), true
	}
	if c, err := r.Cookie(web.SessionCookie); err == nil && c.Value != "" {
		return sha256.Sum256([]byte("session\x00" + c.Value)), true
	}
	return key, false
}

// after is the position the request's reads must see: the later of its
// cookie's and its credential's last write.
func (rw *readYourWrites) after(r *http.Request) store.LSN {
	var after store.LSN
	if c, err := r.Cookie(readAfterCookie); err == nil {
		if l, err := store.ParseLSN(c.Value); err == nil {
			after = l
		}
	}
	if key, ok := credential(r); ok {
		rw.mu.Lock()
		if cw, ok := rw.byCred[key]; ok && time.Now().Before(cw.until) && cw.lsn > after {
			after = cw.lsn
		}
		rw.mu.Unlock()
	}
	return after
}

// wrote records a write's position for the request's credential and
// returns the cookie that carries it.
func (rw *readYourWrites) wrote(r *http.Request, lsn store.LSN) *http.Cookie {
	if prev := rw.after(r); prev > lsn {
		lsn = prev // an answer that overtook a later write's
	}
	now := time.Now()
	if key, ok := credential(r); ok {
		rw.mu.Lock()
		if len(rw.byCred) >= maxCredWrites {
			for k, cw := range rw.byCred {
				if now.After(cw.until) {
					delete(rw.byCred, k)
				}
			}
		}
		if len(rw.byCred) < maxCredWrites {
			rw.byCred[key] = credWrite{lsn: lsn, until: now.Add(rw.keep)}
		}
		rw.mu.Unlock()
	}
	secure := r.TLS != nil || clientaddr.FromRequest(r).Secure
	return &http.Cookie{Name: readAfterCookie, Value: lsn.String(), Path: "/", MaxAge: int(rw.keep/time.Second) + 1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure}
}

// markWrites adds the write's position to the answer of a write, when its
// status is written (the handler has committed by then).
type markWrites struct {
	http.ResponseWriter
	rw     *readYourWrites
	r      *http.Request
	marked bool
}

func (m *markWrites) WriteHeader(code int) {
	if !m.marked {
		m.marked = true
		if code < 400 {
			// The request's context may be ending (the client left): the
			// write is committed all the same.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(m.r.Context()), 2*time.Second)
			lsn, err := m.rw.db.WriteLSN(ctx)
			cancel()
			if err == nil {
				http.SetCookie(m.ResponseWriter, m.rw.wrote(m.r, lsn))
			}
			// Without the position the next reads may miss this write
			// for up to the lag bound; the primary that could not answer
			// has the reads' answers wrong in worse ways.
		}
	}
	m.ResponseWriter.WriteHeader(code)
}

func (m *markWrites) Write(b []byte) (int, error) {
	if !m.marked {
		m.WriteHeader(http.StatusOK)
	}
	return m.ResponseWriter.Write(b)
}

func (m *markWrites) Flush() {
	if !m.marked {
		m.WriteHeader(http.StatusOK)
	}
	if f, ok := m.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (m *markWrites) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// attachReplica attaches the --db-replica replica to db.
func attachReplica(ctx context.Context, cfg *config, db *store.DB, log *slog.Logger) error {
	if cfg.DBReplica == "" {
		return nil
	}
	if err := db.AttachReplica(ctx, cfg.DBReplica, store.ReplicaOptions{MaxLag: cfg.ReplicaMaxLag, CheckEvery: cfg.ReplicaCheck, Log: log}); err != nil {
		return fmt.Errorf("--db-replica %s: %w", redactDSN(cfg.DBReplica), err)
	}
	st, _ := db.ReplicaStatus()
	if st.Usable {
		log.Info("read replica attached", "replica", redactDSN(cfg.DBReplica), "staleness", st.Staleness.String())
	} else {
		log.Warn("read replica attached but not in use yet: reads go to the primary", "replica", redactDSN(cfg.DBReplica), "reason", st.Reason)
	}
	return nil
}

// replicaCollector exports the replica's state and the readers given out.
type replicaCollector struct {
	db                           *store.DB
	usable, staleness            *prometheus.Desc
	reads, fallbacks, checkedAge *prometheus.Desc
}

func newReplicaCollector(db *store.DB) *replicaCollector {
	return &replicaCollector{db: db,
		usable:     prometheus.NewDesc("grassroots_db_replica_usable", "1 when the read replica takes the reads that allow it; 0 when they go to the primary (behind the bound, gone, not a standby).", nil, nil),
		staleness:  prometheus.NewDesc("grassroots_db_replica_staleness_seconds", "How far behind the primary the read replica was at the last check.", nil, nil),
		checkedAge: prometheus.NewDesc("grassroots_db_replica_check_age_seconds", "Time since the replica checker last looked.", nil, nil),
		reads:      prometheus.NewDesc("grassroots_db_replica_reads_total", "Reads that allow the replica, by where they went (replica, primary: the replica was not usable or had not replayed the user's own write).", []string{"to"}, nil),
		fallbacks:  prometheus.NewDesc("grassroots_db_replica_fallbacks_total", "Reads that failed on the replica and were run on the primary.", nil, nil),
	}
}

func (c *replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.usable, c.staleness, c.checkedAge, c.reads, c.fallbacks} {
		ch <- d
	}
}

func (c *replicaCollector) Collect(ch chan<- prometheus.Metric) {
	st, ok := c.db.ReplicaStatus()
	if !ok {
		return
	}
	usable := 0.0
	if st.Usable {
		usable = 1
	}
	ch <- prometheus.MustNewConstMetric(c.usable, prometheus.GaugeValue, usable)
	ch <- prometheus.MustNewConstMetric(c.staleness, prometheus.GaugeValue, st.Staleness.Seconds())
	ch <- prometheus.MustNewConstMetric(c.checkedAge, prometheus.GaugeValue, time.Since(st.CheckedAt).Seconds())
	ch <- prometheus.MustNewConstMetric(c.reads, prometheus.CounterValue, float64(st.ReplicaReads), "replica")
	ch <- prometheus.MustNewConstMetric(c.reads, prometheus.CounterValue, float64(st.PrimaryReads), "primary")
	ch <- prometheus.MustNewConstMetric(c.fallbacks, prometheus.CounterValue, float64(st.Fallbacks))
}
