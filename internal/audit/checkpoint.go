package audit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"grassroots/internal/store"
)

// A checkpoint anchors the chain's head outside the database: the server
// appends one now and then (when the head has moved) to a file beside the
// key, one JSON line each, signed with the audit key. Verify then knows how
// long the chain was at each checkpoint and which entry was its head, so a
// removed tail, or a chain rewritten from the start, no longer passes as
// intact. Lines are facts about the chain: several instances may append to
// the same file, and a line written twice does no harm.

// Checkpoint is one line of the checkpoint file.
type Checkpoint struct {
	Count  int    `json:"count"`   // entries in the chain, the head included
	HeadID int64  `json:"head_id"` // the newest chained entry's id
	Head   string `json:"head"`    // the newest chained entry's hash
	At     string `json:"at"`      // when, RFC 3339 in UTC
	// Sig is HMAC-SHA256 over the fields above with the audit key's
	// checkpoint key, in hex.
	Sig string `json:"sig"`
}

func (c Checkpoint) mac(k *keys) string {
	m := hmac.New(sha256.New, k.checkpoint)
	fmt.Fprintf(m, "grassroots audit checkpoint v1|%d|%d|%d:%s|%d:%s", c.Count, c.HeadID, len(c.Head), c.Head, len(c.At), c.At)
	return hex.EncodeToString(m.Sum(nil))
}

// ErrCheckpoint reports a line of the checkpoint file that is not a
// checkpoint signed with the audit key.
type ErrCheckpoint struct {
	Path   string
	Line   int
	Reason string
}

func (e *ErrCheckpoint) Error() string {
	return fmt.Sprintf("checkpoint file %s, line %d: %s", e.Path, e.Line, e.Reason)
}

// ReadCheckpoints reads the checkpoint file at path and checks every line's
// signature with the audit key given to SetKey. A line that does not parse
// or whose signature does not match is an *ErrCheckpoint, except a last
// line without its newline (a write cut short by a crash), which is left
// out.
func ReadCheckpoints(path string) ([]Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read audit checkpoints: %w", err)
	}
	k := current.Load()
	if k == nil {
		return nil, errors.New("read audit checkpoints: no audit key (GRASSROOTS_AUDIT_KEY or --audit-key-file)")
	}
	var out []Checkpoint
	for n := 1; len(b) > 0; n++ {
		line, rest, complete := bytes.Cut(b, []byte("\n"))
		b = rest
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var c Checkpoint
		if err := json.Unmarshal(line, &c); err != nil {
			if !complete {
				break
			}
			return out, &ErrCheckpoint{Path: path, Line: n, Reason: "not a checkpoint: " + err.Error()}
		}
		if !hmac.Equal([]byte(c.mac(k)), []byte(c.Sig)) {
			return out, &ErrCheckpoint{Path: path, Line: n, Reason: "its signature does not match the audit key (forged, altered, or written with another audit key)"}
		}
		out = append(out, c)
	}
	return out, nil
}

// AppendCheckpoint signs c with the audit key and appends it to the file at
// path (created with its folder, permissions 0600), in one write with
// O_APPEND, synced before it returns.
func AppendCheckpoint(path string, c Checkpoint) (Checkpoint, error) {
	k := current.Load()
	if k == nil {
		return c, errors.New("audit checkpoint: no audit key")
	}
	c.Sig = c.mac(k)
	line, err := json.Marshal(c)
	if err != nil {
		return c, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return c, fmt.Errorf("audit checkpoint: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return c, fmt.Errorf("audit checkpoint: %w", err)
	}
	_, werr := f.Write(append(line, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return c, fmt.Errorf("audit checkpoint: write %s: %w", path, err)
	}
	return c, nil
}

// Checkpointer appends a checkpoint of the chain's head to its file each
// time Step finds that the head has moved.
type Checkpointer struct {
	DB   *store.DB
	Path string
	// Now is the clock (time.Now when nil).
	Now  func() time.Time
	last Checkpoint // the last one written by this Checkpointer
}

// Step writes a checkpoint when the chain's head differs from the one this
// Checkpointer wrote last, and reports whether it wrote one. It counts the
// entries once (at the first Step) and then adds the entries after the last
// head. When the last head has gone or changed, or the chain is empty after
// a checkpoint, entries were removed or rewritten behind the server's back:
// Step counts afresh, writes the checkpoint of what it finds, and returns an
// error saying so, for the log.
func (c *Checkpointer) Step(ctx context.Context) (bool, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	var headID, headPos int64
	var head string
	err := c.DB.QueryRow(ctx, `SELECT id, chain_pos, hash FROM audit_log WHERE chain_pos IS NOT NULL ORDER BY chain_pos DESC LIMIT 1`).Scan(&headID, &headPos, &head)
	if errors.Is(err, store.ErrNotFound) {
		if c.last.Count > 0 {
			return false, fmt.Errorf("the audit trail is empty, and %d entries were checkpointed at %s: they were removed (run `grassroots audit verify`)", c.last.Count, c.last.At)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("audit checkpoint: read head: %w", err)
	}
	if headID == c.last.HeadID && head == c.last.Head {
		return false, nil
	}
	var count int
	var warn error
	moved := false // the last head is still there: count on from it
	var lastPos int64
	if c.last.HeadID > 0 {
		var h string
		err := c.DB.QueryRow(ctx, `SELECT hash, COALESCE(chain_pos, 0) FROM audit_log WHERE id = ?`, c.last.HeadID).Scan(&h, &lastPos)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, fmt.Errorf("audit checkpoint: %w", err)
		}
		moved = err == nil && h == c.last.Head && lastPos > 0 && headPos > lastPos
	}
	if moved {
		var more int
		if err := c.DB.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE chain_pos > ? AND chain_pos <= ?`, lastPos, headPos).Scan(&more); err != nil {
			return false, fmt.Errorf("audit checkpoint: count: %w", err)
		}
		count = c.last.Count + more
	} else {
		if err := c.DB.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE chain_pos <= ?`, headPos).Scan(&count); err != nil {
			return false, fmt.Errorf("audit checkpoint: count: %w", err)
		}
		if c.last.HeadID > 0 {
			warn = fmt.Errorf("the audit trail's head checkpointed at %s (entry %d, %d entries) is gone or changed: entries were removed or rewritten (run `grassroots audit verify`)",
				c.last.At, c.last.HeadID, c.last.Count)
		}
	}
	cp, err := AppendCheckpoint(c.Path, Checkpoint{Count: count, HeadID: headID, Head: head, At: now().UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return false, err
	}
	c.last = cp
	return true, warn
}

// String is the checkpoint as a report shows it.
func (c Checkpoint) String() string {
	return "count " + strconv.Itoa(c.Count) + ", head id " + strconv.FormatInt(c.HeadID, 10) + ", at " + c.At
}
