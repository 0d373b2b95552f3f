package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// HashParams are the argon2id cost settings used for new password hashes.
// Stored hashes carry their own settings, so changing these never locks
// anyone out: older hashes still verify and are upgraded at the next login.
type HashParams struct {
	Memory     uint32 // KiB
	Iterations uint32
	Threads    uint8
	SaltLen    uint32
	KeyLen     uint32
}

// DefaultHashParams returns the production settings: 64 MiB, one pass, two
// lanes (about 50-100 ms on one core of a small server).
func DefaultHashParams() HashParams {
	return HashParams{Memory: 64 * 1024, Iterations: 1, Threads: 2, SaltLen: 16, KeyLen: 32}
}

// FastHashParams returns cheap settings for tests; never use them in
// production.
func FastHashParams() HashParams {
	return HashParams{Memory: 256, Iterations: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// errBadHash marks a stored hash that is not an argon2id PHC string we can read.
var errBadHash = errors.New("auth: malformed password hash")

// HashPassword returns the argon2id hash of password as a PHC string:
// $argon2id$v=19$m=65536,t=1,p=2$<salt>$<key>, salt and key in unpadded base64.
func HashPassword(password string, p HashParams) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Iterations, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the encoded hash, comparing
// in constant time. It returns an error only for a hash it cannot read.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// needsRehash reports whether encoded was made with settings other than p.
func needsRehash(encoded string, p HashParams) bool {
	got, _, _, err := decodeHash(encoded)
	if err != nil {
		return true
	}
	return got.Memory != p.Memory || got.Iterations != p.Iterations || got.Threads != p.Threads || got.KeyLen != p.KeyLen
}

func decodeHash(encoded string) (p HashParams, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Iterations, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	// Refuse settings no hash of ours has, so a forged row cannot make a
	// login allocate gigabytes.
	if p.Memory < 8*uint32(p.Threads) || p.Memory > 1<<20 || p.Iterations < 1 || p.Iterations > 16 || p.Threads < 1 {
		return p, nil, nil, errBadHash
	}
	if salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	if key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errBadHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// passwordAlphabet leaves out characters that are easy to misread (0/O, 1/l/I).
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// RandomPassword returns a new 16-character password from an alphabet
// without look-alike characters, for first administrators, demo users and
// password resets.
func RandomPassword() string {
	b := make([]byte, 16)
	out := make([]byte, len(b))
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("auth: no randomness: %v", err))
	}
	// 256 % 56 != 0: draw again for the few bytes that would bias the result.
	limit := byte(256 - 256%len(passwordAlphabet))
	for i := 0; i < len(out); {
		if b[i] < limit {
			out[i] = passwordAlphabet[int(b[i])%len(passwordAlphabet)]
			i++
			continue
		}
		if _, err := rand.Read(b[i : i+1]); err != nil {
			panic(fmt.Sprintf("auth: no randomness: %v", err))
		}
	}
	return string(out)
}

// randomToken returns n random bytes in unpadded URL-safe base64.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on supported platforms (Go 1.24+ panics itself).
		panic(fmt.Sprintf("auth: no randomness: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
