package volunteer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/volunteer"
)

// TestMigrateWhistleCredits runs 0016's data step over credits of the old
// volunteer_hours table: each becomes a verified entry of the member's new
// record, with the whistle as the activity and a history line.
func TestMigrateWhistleCredits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		x := fx.units["X"]
		var caseID, partID int64
		if err := db.QueryRow(ctx, `INSERT INTO cases (no, flow, title, channel, status, created_at, updated_at)
			VALUES ('SH2026000001', 'whistle', '清理楼道', 'grid', 'closed', 0, 0) RETURNING id`).Scan(&caseID); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, `INSERT INTO assignments (case_id, unit_id, unit_path, role, status, dispatched_at, created_at, updated_at, person_id)
			VALUES (?, ?, ?, 'summoned', 'done', 0, 0, 0, ?) RETURNING id`, caseID, x.id, x.path, fx.member).Scan(&partID); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 10, 1, 10, 0, 0, 0, loc)
		if _, err := db.Exec(ctx, `INSERT INTO volunteer_hours (person_id, case_id, assignment_id, unit_id, started_at, ended_at, minutes, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 120, ?)`, fx.member, caseID, partID, x.id, store.Millis(at), store.Millis(at.Add(100*time.Minute)), store.Millis(at)); err != nil {
			t.Fatal(err)
		}
		ms, err := store.Migrations(db.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		var body string
		for _, m := range ms {
			if m.Version == 16 {
				body = m.SQL
			}
		}
		_, step, ok := strings.Cut(body, "-- The whistle credits of 0007")
		if !ok {
			t.Fatal("0016 has no data step")
		}
		if _, err := db.W.ExecContext(ctx, "--"+step); err != nil {
			t.Fatal(err)
		}
		h, err := fx.v.Hours(ctx, access.System, fx.member)
		if err != nil {
			t.Fatal(err)
		}
		if h.Volunteer.No != volunteer.Number(fx.member) || h.VerifiedMinutes != 120 || h.CountedMinutes != 120 || len(h.Entries) != 1 {
			t.Fatalf("migrated record %+v", h)
		}
		e := h.Entries[0]
		if e.Source != "whistle" || e.SourceRef != "SH2026000001" || e.Content != "清理楼道" || e.OrgUnit != "仙楼社区" || len(e.History) != 1 {
			t.Fatalf("migrated entry %+v", e)
		}
	})
}
