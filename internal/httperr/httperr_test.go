package httperr_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"grassroots/internal/httperr"
	"grassroots/internal/httperr/httperrtest"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestStatus checks the table on every kind, bare, as a UserError, wrapped,
// and on input's refusals.
func TestStatus(t *testing.T) {
	for _, c := range httperrtest.Cases() {
		if got := httperr.Status(c.Err); got != c.Status {
			t.Errorf("%s: Status(%v) = %d, want %d", c.Name, c.Err, got, c.Status)
		}
	}
	if got := httperr.Status(nil); got != http.StatusOK {
		t.Errorf("Status(nil) = %d, want 200", got)
	}
}

// TestCode checks the API's codes, the ones its OpenAPI description lists.
func TestCode(t *testing.T) {
	want := map[int]string{
		400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
		413: "too_large", 415: "unsupported_media_type", 503: "busy", 499: "canceled", 500: "internal",
		429: "internal", // an own status is no kind
	}
	for _, c := range httperrtest.Cases() {
		if got := httperr.Code(c.Err); got != want[c.Status] {
			t.Errorf("%s: Code(%v) = %q, want %q", c.Name, c.Err, got, want[c.Status])
		}
	}
}

// TestKindsDistinct checks that no kind is listed twice: a second row could
// never match.
func TestKindsDistinct(t *testing.T) {
	for i, a := range httperr.Kinds {
		for _, b := range httperr.Kinds[i+1:] {
			if errors.Is(b.Err, a.Err) {
				t.Errorf("kind %v listed after %v, which shadows it", b.Err, a.Err)
			}
		}
	}
}

// TestStatusOfDriverErrors checks the table on the errors the engines
// really raise, once the store has normalised them: a unique violation is
// 409, a foreign-key or not-null violation 400, no row 404.
func TestStatusOfDriverErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		insertUnit := `INSERT INTO units (id, code, name, kind, path, depth, created_at, updated_at)
			VALUES (?, ?, ?, 'county', ?, 0, 0, 0)`
		if _, err := db.Exec(ctx, insertUnit, 900001, "httperr-probe", "探测", "/900001/"); err != nil {
			t.Fatalf("insert unit: %v", err)
		}
		_, dup := db.Exec(ctx, insertUnit, 900002, "httperr-probe", "探测", "/900002/")
		_, fk := db.Exec(ctx, `INSERT INTO unit_modules (unit_id, name) VALUES (?, ?)`, 999999999, "大党建")
		_, null := db.Exec(ctx, insertUnit, 900003, "httperr-probe-3", nil, "/900003/")
		var id int64
		none := store.Normalize(db.QueryRow(ctx, `SELECT id FROM units WHERE id = ?`, -1).Scan(&id))
		for _, c := range []struct {
			name string
			err  error
			want int
		}{
			{"unique", dup, http.StatusConflict},
			{"foreign key", fk, http.StatusBadRequest},
			{"not null", null, http.StatusBadRequest},
			{"no row", none, http.StatusNotFound},
		} {
			if c.err == nil {
				t.Errorf("%s: no error", c.name)
				continue
			}
			if got := httperr.Status(c.err); got != c.want {
				t.Errorf("%s: Status(%v) = %d, want %d", c.name, c.err, got, c.want)
			}
		}
	})
}
