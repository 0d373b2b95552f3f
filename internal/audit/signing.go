package audit

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// SigningKey is the county's ed25519 key for documents anyone must be able
// to check offline (volunteer service certificates, internal/volunteer),
// derived from the audit key so that it is kept, backed up and shared
// between instances exactly as that key is, with no key store of its own.
// ok is false before SetKey.
func SigningKey() (key ed25519.PrivateKey, ok bool, err error) {
	k := current.Load()
	if k == nil {
		return nil, false, nil
	}
	seed, err := hkdf.Key(sha256.New, k.checkpoint, nil, "grassroots document signing v1", ed25519.SeedSize)
	if err != nil {
		return nil, false, fmt.Errorf("signing key: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), true, nil
}
