package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Keys rotate without downtime. The key file (or GRASSROOTS_KEY) may hold
// several versions, one a line, oldest first:
//
//	v1 <base64 of 32 bytes>
//	v2 <base64 of 32 bytes>
//
// A file holding a single bare base64 key is version v1, as before. Seal
// uses the newest version; Open reads every version it holds. A running
// server notices a new version in its key file within KeyReloadInterval (and
// at once when it meets a value sealed under a version it does not know), so
// `grassroots key rotate` can add a version and re-seal every value while
// the servers go on reading and writing. The lookup hash key stays derived
// from the oldest version, so exact look-ups by phone keep working across a
// rotation without re-hashing.

// KeyReloadInterval is how often a Sealer backed by a key file checks the
// file for a new version before sealing.
const KeyReloadInterval = 2 * time.Second

// KeyVersion is one version of the master key.
type KeyVersion struct {
	Version string // "v1", "v2", ...
	Key     []byte // KeySize bytes
}

// versionNumber returns n for "vn", or 0 when v is not a version name.
func versionNumber(v string) int {
	if !strings.HasPrefix(v, "v") {
		return 0
	}
	n, err := strconv.Atoi(v[1:])
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// ParseKeyring reads the key file's (or GRASSROOTS_KEY's) content: a bare
// base64 key (version v1), or lines "vN BASE64" (also "vN=BASE64" or
// "vN:BASE64", separated by new lines, commas or semicolons). Blank lines and
// lines starting with # are ignored. Versions come back oldest first.
func ParseKeyring(s string) ([]KeyVersion, error) {
	var ring []KeyVersion
	var fields []string
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields = append(fields, strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ';' })...)
	}
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" || strings.HasPrefix(f, "#") {
			continue
		}
		version, body := "", f
		if i := strings.IndexAny(f, " \t=:"); i > 0 && versionNumber(f[:i]) > 0 {
			version, body = f[:i], strings.TrimSpace(f[i+1:])
		}
		key, err := ParseKey(body)
		if err != nil {
			return nil, err
		}
		if version == "" {
			if len(fields) > 1 {
				return nil, errors.New("pii: a key file with several keys must name each version (\"v2 BASE64\")")
			}
			version = currentVersion
		}
		ring = append(ring, KeyVersion{Version: version, Key: key})
	}
	if len(ring) == 0 {
		return nil, errors.New("pii: no key found")
	}
	slices.SortStableFunc(ring, func(a, b KeyVersion) int { return versionNumber(a.Version) - versionNumber(b.Version) })
	for i := 1; i < len(ring); i++ {
		if ring[i].Version == ring[i-1].Version {
			return nil, fmt.Errorf("pii: key version %s appears twice", ring[i].Version)
		}
	}
	return ring, nil
}

// FormatKeyring writes ring in the key file's format.
func FormatKeyring(ring []KeyVersion) string {
	var b strings.Builder
	b.WriteString("# grassroots personal-data keys, oldest first; keep every version until `grassroots key rotate` has finished.\n")
	for _, k := range ring {
		fmt.Fprintf(&b, "%s %s\n", k.Version, encodeKey(k.Key))
	}
	return b.String()
}

// NewKeyring returns a Sealer that seals with the newest version of ring
// and opens all of them. The lookup hash key derives from the oldest.
func NewKeyring(ring []KeyVersion) (*Sealer, error) {
	if len(ring) == 0 {
		return nil, errors.New("pii: no key")
	}
	aeads, current, err := buildAEADs(ring)
	if err != nil {
		return nil, err
	}
	hk, err := hkdf.Key(sha256.New, ring[0].Key, nil, "grassroots pii lookup hash v1", 32)
	if err != nil {
		return nil, fmt.Errorf("pii: derive hash key: %w", err)
	}
	return &Sealer{aead: aeads, current: current, hashKey: hk}, nil
}

func buildAEADs(ring []KeyVersion) (map[string]cipher.AEAD, string, error) {
	out := make(map[string]cipher.AEAD, len(ring))
	current := ""
	for _, k := range ring {
		if len(k.Key) != KeySize {
			return nil, "", fmt.Errorf("pii: key %s must be %d bytes, got %d", k.Version, KeySize, len(k.Key))
		}
		if versionNumber(k.Version) == 0 {
			return nil, "", fmt.Errorf("pii: bad key version %q", k.Version)
		}
		block, err := aes.NewCipher(k.Key)
		if err != nil {
			return nil, "", fmt.Errorf("pii: %w", err)
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			return nil, "", fmt.Errorf("pii: %w", err)
		}
		out[k.Version] = gcm
		if versionNumber(k.Version) > versionNumber(current) {
			current = k.Version
		}
	}
	return out, current, nil
}

// CurrentVersion is the key version Seal uses now.
func (s *Sealer) CurrentVersion() string {
	s.maybeReload(false)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.current
}

// VersionOf returns the key version a sealed value was sealed under ("" for
// the empty value or a value that is not sealed).
func VersionOf(sealed string) string {
	v, _, ok := strings.Cut(sealed, ":")
	if !ok || versionNumber(v) == 0 {
		return ""
	}
	return v
}

// Reseal opens sealed and seals it again under the current version. A value
// already under the current version (or empty) comes back unchanged, with
// changed false.
func (s *Sealer) Reseal(sealed string) (out string, changed bool, err error) {
	if sealed == "" || VersionOf(sealed) == s.CurrentVersion() {
		return sealed, false, nil
	}
	plain, err := s.Open(sealed)
	if err != nil {
		return "", false, err
	}
	out, err = s.Seal(plain)
	return out, err == nil, err
}

// aeadFor returns the cipher of version, reloading the key file once when
// the version is unknown (another process may just have added it).
func (s *Sealer) aeadFor(version string) (cipher.AEAD, bool) {
	s.mu.RLock()
	aead, ok := s.aead[version]
	s.mu.RUnlock()
	if ok {
		return aead, true
	}
	s.maybeReload(true)
	s.mu.RLock()
	defer s.mu.RUnlock()
	aead, ok = s.aead[version]
	return aead, ok
}

// maybeReload re-reads the key file when it changed, at most every
// KeyReloadInterval unless forced. A file that no longer holds the oldest
// key the Sealer hashes with is ignored: look-ups must not change silently.
func (s *Sealer) maybeReload(force bool) {
	if s.file == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !force && time.Since(s.checked) < KeyReloadInterval {
		return
	}
	s.checked = time.Now()
	fi, err := os.Stat(s.file)
	if err != nil || fi.ModTime().Equal(s.modTime) {
		return
	}
	b, err := os.ReadFile(s.file)
	if err != nil {
		return
	}
	ring, err := ParseKeyring(string(b))
	if err != nil {
		return
	}
	hk, err := hkdf.Key(sha256.New, ring[0].Key, nil, "grassroots pii lookup hash v1", 32)
	if err != nil || string(hk) != string(s.hashKey) {
		return
	}
	aeads, current, err := buildAEADs(ring)
	if err != nil {
		return
	}
	s.aead, s.current, s.modTime = aeads, current, fi.ModTime()
}

// AddKeyVersion appends a fresh random key version to the key file at path
// and returns its name. The file is replaced atomically (written beside it,
// then renamed), keeping its permissions at 0600.
func AddKeyVersion(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("pii: read key file: %w", err)
	}
	ring, err := ParseKeyring(string(b))
	if err != nil {
		return "", fmt.Errorf("%w (file %s)", err, path)
	}
	key, _ := ParseKey(NewKey())
	next := "v" + strconv.Itoa(versionNumber(ring[len(ring)-1].Version)+1)
	ring = append(ring, KeyVersion{Version: next, Key: key})
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(FormatKeyring(ring)), 0o600); err != nil {
		return "", fmt.Errorf("pii: write key file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("pii: replace key file: %w", err)
	}
	return next, nil
}

func encodeKey(key []byte) string { return base64.StdEncoding.EncodeToString(key) }
