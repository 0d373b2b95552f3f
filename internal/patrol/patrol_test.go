package patrol

import (
	"context"
	"errors"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework/caserows"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func newService(t *testing.T, db *store.DB) (*Service, *caserows.Fixture, *time.Time) {
	t.Helper()
	fx := caserows.New(t, db, nil)
	sealer, err := pii.New(make([]byte, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, caserows.Zone)
	s := New(db, org.NewService(db, sealer)).WithClock(func() time.Time { return now })
	return s, fx, &now
}

func as(fx *caserows.Fixture, uid int64, u caserows.Unit, kind string, roles ...access.Role) access.Actor {
	a := fx.Actor(u, kind)
	a.UserID, a.Name, a.Roles = uid, "用户", roles
	return a
}

// TestPatrolDay: a grid worker starts a patrol of their grid, notes what
// they see (with or without a point; a point alone), reports a case on the
// way, ends it; the patrol shows its notes and the case as a finding. A
// resent note is kept once; one patrol is open at a time; only its worker
// writes it; another township's staff do not read it; a grid worker of
// another grid does not patrol this one.
func TestPatrolDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, fx, now := newService(t, db)
		ctx := context.Background()
		worker := as(fx, 21, fx.GridA, "grid", access.RoleGrid)
		p, err := s.Start(ctx, worker, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Start(ctx, worker, ""); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a second open patrol: %v, want conflict", err)
		}
		lng, lat := 118.54, 27.92
		*now = now.Add(10 * time.Minute)
		if err := s.AddNote(ctx, worker, p.ID, NewNote{Note: "3栋楼道堆放杂物", ClientID: "n1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddNote(ctx, worker, p.ID, NewNote{Note: "3栋楼道堆放杂物", ClientID: "n1"}); err != nil {
			t.Fatalf("a resent note: %v", err)
		}
		if err := s.AddNote(ctx, worker, p.ID, NewNote{Lng: &lng, Lat: &lat}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []NewNote{{}, {Lng: &lng}, {Note: "x", Lng: &lat, Lat: &lng}} {
			if err := s.AddNote(ctx, worker, p.ID, bad); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("note %+v: %v, want invalid", bad, err)
			}
		}
		other := as(fx, 22, fx.GridA, "grid", access.RoleGrid)
		if err := s.AddNote(ctx, other, p.ID, NewNote{Note: "代记"}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another worker notes on the patrol: %v", err)
		}
		// A case reported on the way is a finding.
		*now = now.Add(5 * time.Minute)
		id := fx.AddCase(caserows.Case{Title: "路口垃圾堆放", Flow: "grid_event", Place: fx.GridA, Grid: fx.GridA, Created: *now})
		if _, err := db.Exec(ctx, `UPDATE cases SET created_by = ? WHERE id = ?`, worker.UserID, id); err != nil {
			t.Fatal(err)
		}
		*now = now.Add(30 * time.Minute)
		p, err = s.End(ctx, worker, p.ID, "巡查一圈，记录1条，上报1件")
		if err != nil {
			t.Fatal(err)
		}
		if p.Open() || len(p.Notes) != 2 || p.Notes[0].Kind != KindNote || p.Notes[1].Kind != KindPoint || len(p.Findings) != 1 || p.Findings[0].Title != "路口垃圾堆放" {
			t.Fatalf("patrol %+v", p)
		}
		if err := s.AddNote(ctx, worker, p.ID, NewNote{Note: "晚到的"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a note after the end: %v", err)
		}
		// Reads: the community above; not another township.
		if _, err := s.Get(ctx, as(fx, 30, fx.CommunityA, "community", access.RoleCommunity), p.ID); err != nil {
			t.Errorf("the community reads its grid's patrol: %v", err)
		}
		if _, err := s.Get(ctx, as(fx, 31, fx.TownB, "township", access.RoleTownship), p.ID); err == nil {
			t.Error("another township reads the patrol")
		}
		list, err := s.ForGrid(ctx, worker, fx.GridA.Code, now.Add(-2*time.Hour), now.Add(time.Hour))
		if err != nil || len(list) != 1 {
			t.Fatalf("ForGrid = %d, %v", len(list), err)
		}
		// Another township's staff do not patrol this grid.
		if _, err := s.Start(ctx, as(fx, 40, fx.CommunityB, "village", access.RoleCommunity), fx.GridA.Code); err == nil {
			t.Error("a village of another township patrols the grid")
		}
		if _, err := s.Start(ctx, as(fx, 41, fx.TownA, "township", access.RoleTownship), fx.GridA.Code); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("township staff start a patrol: %v, want forbidden", err)
		}
	})
}
