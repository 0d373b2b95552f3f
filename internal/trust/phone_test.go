package trust

import (
	"context"
	"errors"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestSearchPhone proves that a search of cases by phone number is no
// oracle: only those who may reveal numbers in their scope search, only by a
// full number, every search is recorded like a reveal (shown in the reveal
// report and the audit trail) whether it finds anything or not, and each
// user is limited per window.
func TestSearchPhone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sealer, _ := pii.New(make([]byte, pii.KeySize))
		fx := newFixture(t, db, sealer)
		now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		fx.s.now = func() time.Time { return now }
		admin := fx.actor(1, "county", access.RoleAdmin)
		records := func() int {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM pii_reveals WHERE subject = ?`, SubjectPhoneSearch).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, tc := range []struct {
			name   string
			actor  access.Actor
			phone  string
			found  int
			errIs  error
			record bool
		}{
			{"county admin, full number", admin, "139 0000 1111", 1, nil, true},
			{"supervisor, full number with +86", fx.actor(2, "county", access.RoleSupervisor), "+86 139-0000-1111", 1, nil, true},
			{"a number nobody reported is recorded too", admin, "13711112222", 0, nil, true},
			{"the call centre's staff search by a caller's number", fx.actor(7, "county", access.RoleDepartment), "13900001111", 1, nil, true},
			{"the lead department's staff may reveal their case, not search", fx.actor(3, "D003", access.RoleDepartment), "13900001111", 0, store.ErrForbidden, false},
			{"community staff may not search", fx.actor(4, "A", access.RoleCommunity), "13900001111", 0, store.ErrForbidden, false},
			{"a partial number finds nothing", admin, "1390000", 0, store.ErrInvalid, false},
			{"the last four digits find nothing", admin, "1111", 0, store.ErrInvalid, false},
			{"anonymous", access.Actor{}, "13900001111", 0, store.ErrForbidden, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := records()
				page, err := fx.s.SearchPhone(ctx, tc.actor, PhoneSearch{Phone: tc.phone}, casework.InboxFilter{})
				if tc.errIs != nil {
					if !errors.Is(err, tc.errIs) || len(page.Rows) != 0 {
						t.Fatalf("SearchPhone = %d rows, %v; want %v", len(page.Rows), err, tc.errIs)
					}
					if _, ok := store.UserMessage(err); !ok {
						t.Errorf("error %v carries no message for the user", err)
					}
				} else if err != nil || len(page.Rows) != tc.found {
					t.Fatalf("SearchPhone = %d rows, %v; want %d", len(page.Rows), err, tc.found)
				}
				if recorded := records() == before+1; recorded != tc.record {
					t.Errorf("recorded = %v, want %v", recorded, tc.record)
				}
			})
		}

		// The searches are in the reveal report, masked, with the reason.
		if _, err := fx.s.SearchPhone(ctx, admin, PhoneSearch{Phone: "13900001111", Reason: " 来电人询问进度 "}, casework.InboxFilter{}); err != nil {
			t.Fatal(err)
		}
		rows, err := fx.s.Reveals(ctx, admin, RevealFilter{Subject: SubjectPhoneSearch})
		if err != nil || len(rows) != 5 {
			t.Fatalf("report of phone searches: %d rows, %v", len(rows), err)
		}
		if r := rows[0]; r.Ref != "139****1111" || r.Reason != "来电人询问进度" || r.UserID != 1 || r.Field != FieldReporterPhone {
			t.Errorf("newest phone search = %+v", r)
		}
		var audited int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'pii.phone_search'`).Scan(&audited)
		if audited != 5 {
			t.Errorf("audit has %d phone searches, want 5", audited)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Error(err)
		}

		// The limit: user 1 has made 3 searches this hour; with a limit of
		// 5, two more pass, the next is refused and not recorded, another
		// user is not held back, and an hour later user 1 may search again.
		fx.s.SetPhoneSearchLimit(5, time.Hour)
		for i := range 2 {
			if _, err := fx.s.SearchPhone(ctx, admin, PhoneSearch{Phone: "13900001111"}, casework.InboxFilter{}); err != nil {
				t.Fatalf("search %d within the limit: %v", i+4, err)
			}
		}
		before := records()
		_, err = fx.s.SearchPhone(ctx, admin, PhoneSearch{Phone: "13900001112"}, casework.InboxFilter{})
		if !errors.Is(err, store.ErrForbidden) {
			t.Fatalf("search past the limit: %v", err)
		}
		if msg, _ := store.UserMessage(err); msg == "" || records() != before {
			t.Errorf("refused search: message %q, recorded %d", msg, records()-before)
		}
		if _, err := fx.s.SearchPhone(ctx, fx.actor(2, "county", access.RoleSupervisor), PhoneSearch{Phone: "13900001111"}, casework.InboxFilter{}); err != nil {
			t.Errorf("another user is held back: %v", err)
		}
		now = now.Add(time.Hour + time.Minute)
		if _, err := fx.s.SearchPhone(ctx, admin, PhoneSearch{Phone: "13900001111"}, casework.InboxFilter{}); err != nil {
			t.Errorf("an hour later: %v", err)
		}
	})
}
