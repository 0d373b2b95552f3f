package audit

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"grassroots/internal/pii"
)

// The audit key keys the chain (HMAC-SHA256 instead of a bare SHA-256) and
// signs the checkpoints of its head, so that somebody who can write to the
// database but does not hold the key can neither recompute the chain after
// an edit nor forge a checkpoint. It is kept outside the database, like the
// personal-data key, in its own file (or GRASSROOTS_AUDIT_KEY): it never
// rotates, so `grassroots key rotate` of the personal-data key leaves the
// chain alone.

// EnvKey names the environment variable that may hold the audit key, as
// standard base64 of 32 bytes. It wins over the key file.
const EnvKey = "GRASSROOTS_AUDIT_KEY"

// keys are the two keys derived from the audit key.
type keys struct {
	chain      []byte // keys each entry's HMAC
	checkpoint []byte // signs the checkpoints
}

// current is the key this process writes and verifies with; nil before
// SetKey (entries are then written with the unkeyed scheme of old).
var current atomic.Pointer[keys]

// SetKey makes key (32 bytes) the audit key of this process: Write keys the
// entries it appends with it, Verify checks keyed entries and checkpoints
// with it. SetKey(nil) forgets the key.
func SetKey(key []byte) error {
	if key == nil {
		current.Store(nil)
		return nil
	}
	if len(key) != pii.KeySize {
		return fmt.Errorf("audit key must be %d bytes, got %d", pii.KeySize, len(key))
	}
	chain, err := hkdf.Key(sha256.New, key, nil, "grassroots audit chain v1", 32)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	cp, err := hkdf.Key(sha256.New, key, nil, "grassroots audit checkpoint v1", 32)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	current.Store(&keys{chain: chain, checkpoint: cp})
	return nil
}

// HasKey reports whether SetKey gave this process an audit key.
func HasKey() bool { return current.Load() != nil }

// ParseKey reads the content of an audit key file (or GRASSROOTS_AUDIT_KEY):
// one base64 line of 32 bytes; blank lines and lines starting with # are
// ignored.
func ParseKey(s string) ([]byte, error) {
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, err := pii.ParseKey(line)
		if err != nil {
			return nil, fmt.Errorf("audit key: %w", err)
		}
		return key, nil
	}
	return nil, errors.New("audit key: no key found")
}

// LoadKey returns the audit key from the file at path (GRASSROOTS_AUDIT_KEY,
// read where the program reads its environment, is given to ParseKey
// instead). With create, a missing file is
// created (with its folder) holding a fresh random key, permissions 0600, as
// the personal-data key file is on first start; without, a missing file is
// fs.ErrNotExist.
func LoadKey(path string, create bool) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("audit key: create folder: %w", err)
		}
		f, cerr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		switch {
		case cerr == nil:
			_, werr := f.WriteString("# grassroots audit-trail key: keep it outside the database, with the personal-data key, and never change it.\n" +
				"# Every instance needs the same one; without it the audit trail cannot be verified.\n" + pii.NewKey() + "\n")
			serr := f.Sync()
			cerr := f.Close()
			if werr != nil || serr != nil || cerr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("audit key: write %s: %w", path, errors.Join(werr, serr, cerr))
			}
		case errors.Is(cerr, fs.ErrExist):
			// Another process created it first: use theirs.
		default:
			return nil, fmt.Errorf("audit key: create %s: %w", path, cerr)
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	key, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return key, nil
}
