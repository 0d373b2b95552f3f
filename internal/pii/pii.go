// Package pii seals personal data (phone numbers, ID numbers, addresses) at
// rest and masks it for display. Sealed values are AES-256-GCM ciphertexts
// tagged with the key version ("v1:" + base64(nonce|ciphertext)), so that a
// later key can be introduced without re-encrypting everything at once. Exact
// look-ups (find a case by the reporter's phone) go through Hash, a keyed
// HMAC that reveals nothing without the key.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// KeySize is the length of a master key in bytes (AES-256).
const KeySize = 32

// EnvKey names the environment variable that may hold the master key, as
// standard base64 of KeySize bytes. It wins over the key file.
const EnvKey = "GRASSROOTS_KEY"

// currentVersion tags what Seal produces.
const currentVersion = "v1"

// ErrTampered is returned by Open when a sealed value was altered, truncated,
// or sealed under another key.
var ErrTampered = errors.New("pii: sealed value cannot be opened (altered or sealed with another key)")

// Sealer seals, opens and hashes personal data under one master key. It is
// safe for concurrent use.
type Sealer struct {
	// mu guards aead and current, which a key-file reload replaces while
	// the server runs (see keyring.go).
	mu      sync.RWMutex
	aead    map[string]cipher.AEAD // by key version
	current string                 // the version Seal uses (the newest)
	hashKey []byte
	// file is the key file to reload from when a value sealed under a newer
	// version turns up ("" for a key from the environment or New).
	file    string
	modTime time.Time
	checked time.Time
}

// New returns a Sealer for a 32-byte master key. The hash key is derived from
// the master key with HKDF-SHA256, so the same master key never serves two
// purposes directly.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("pii: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	hk, err := hkdf.Key(sha256.New, key, nil, "grassroots pii lookup hash v1", 32)
	if err != nil {
		return nil, fmt.Errorf("pii: derive hash key: %w", err)
	}
	return &Sealer{aead: map[string]cipher.AEAD{currentVersion: gcm}, current: currentVersion, hashKey: hk}, nil
}

// ParseKey decodes a key written as standard base64 (surrounding blanks are
// ignored).
func ParseKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("pii: key is not base64: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("pii: key must be %d bytes, got %d", KeySize, len(key))
	}
	return key, nil
}

// NewKey returns a fresh random key, base64-encoded as the key file holds it.
func NewKey() string {
	key := make([]byte, KeySize)
	rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	return base64.StdEncoding.EncodeToString(key)
}

// LoadOrCreateKey reads the master key from the file at path, creating the
// file (and its folder) with a fresh random key and permissions 0600 when it
// does not exist yet.
func LoadOrCreateKey(path string) (*Sealer, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("pii: create key folder: %w", err)
		}
		f, cerr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		switch {
		case cerr == nil:
			_, werr := f.WriteString(NewKey() + "\n")
			cerr := f.Close()
			if werr != nil || cerr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("pii: write key file %s: %w", path, errors.Join(werr, cerr))
			}
		case errors.Is(cerr, fs.ErrExist):
			// Another process created it first: use theirs.
		default:
			return nil, fmt.Errorf("pii: create key file: %w", cerr)
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("pii: read key file: %w", err)
	}
	ring, err := ParseKeyring(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	s, err := NewKeyring(ring)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	s.file = path
	if fi, err := os.Stat(path); err == nil {
		s.modTime = fi.ModTime()
	}
	s.checked = time.Now()
	return s, nil
}

// FromKeyOrFile returns the Sealer for key, the content of GRASSROOTS_KEY
// (the program reads its environment in one place, cmd/grassroots), when it
// is not empty, and otherwise for the key file (created on first use).
func FromKeyOrFile(key, keyFile string) (*Sealer, error) {
	if key != "" {
		ring, err := ParseKeyring(key)
		if err != nil {
			return nil, fmt.Errorf("%w (%s)", err, EnvKey)
		}
		return NewKeyring(ring)
	}
	return LoadOrCreateKey(keyFile)
}

// Seal encrypts plain. The empty string stays empty, so optional fields need
// no special case.
func (s *Sealer) Seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	s.maybeReload(false)
	s.mu.RLock()
	version := s.current
	aead := s.aead[version]
	s.mu.RUnlock()
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	out := aead.Seal(nonce, nonce, []byte(plain), []byte(version))
	return version + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal produced. It returns ErrTampered when the value was
// altered or sealed under another key, and opens the empty string as empty.
func (s *Sealer) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	version, body, ok := strings.Cut(sealed, ":")
	if !ok {
		return "", ErrTampered
	}
	aead, ok := s.aeadFor(version)
	if !ok {
		return "", fmt.Errorf("pii: unknown key version %q", version)
	}
	raw, err := base64.RawStdEncoding.Strict().DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", ErrTampered
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(version))
	if err != nil {
		return "", ErrTampered
	}
	return string(plain), nil
}

// Hash returns a keyed hash (HMAC-SHA256, hex) of plain for exact look-ups.
// Callers normalise first (NormalizePhone, NormalizeID); "" hashes to "".
func (s *Sealer) Hash(plain string) string {
	if plain == "" {
		return ""
	}
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(plain))
	return hex.EncodeToString(m.Sum(nil))
}
