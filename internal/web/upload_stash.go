package web

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"grassroots/internal/casework"
)

// uploadStash keeps the files of an online application whose form came
// back with an error, so that the resident does not pick them again: the
// form carries the token, the next try takes the files back. Entries live
// an hour and the stash holds at most stashMax of them (the oldest go
// first); it is per process, like the rate limiters.
type uploadStash struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[string]stashEntry
}

type stashEntry struct {
	at    time.Time
	files map[int64][]casework.NewAttachment
}

const (
	stashTTL = time.Hour
	stashMax = 200
)

func newUploadStash(now func() time.Time) *uploadStash {
	return &uploadStash{now: now, entries: map[string]stashEntry{}}
}

// put keeps files (by material id) and returns their token.
func (s *uploadStash) put(files map[int64][]casework.NewAttachment) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, e := range s.entries {
		if now.Sub(e.at) > stashTTL {
			delete(s.entries, k)
		}
	}
	for len(s.entries) >= stashMax {
		var oldest string
		for k, e := range s.entries {
			if oldest == "" || e.at.Before(s.entries[oldest].at) {
				oldest = k
			}
		}
		delete(s.entries, oldest)
	}
	s.entries[token] = stashEntry{at: now, files: files}
	return token
}

// take returns and forgets the files of token (an empty map when unknown
// or expired).
func (s *uploadStash) take(token string) map[int64][]casework.NewAttachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[token]
	delete(s.entries, token)
	if !ok || s.now().Sub(e.at) > stashTTL {
		return map[int64][]casework.NewAttachment{}
	}
	return e.files
}
