package casework

import (
	"context"
	"errors"
	"grassroots/internal/casework/caserows"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestInboxListsWhatActorsMayOpen proves that the case lists show an actor
// exactly the cases it may open (CanSee, the rule Get applies): a grid
// worker's 全部 and its grid filter list every case of its grid — which
// happen in the grid's community, so their place is not in the grid's
// subtree — and the cases it opened, and nothing it may not open.
func TestInboxListsWhatActorsMayOpen(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newViewsFixture(t, db)
		s := &Service{db: db}
		worker := fx.Actor(fx.GridA, "grid")
		worker.Roles = []access.Role{access.RoleGrid}
		var ids []int64
		for range 5 { // the grid's cases, led by the community or the township
			ids = append(ids, fx.AddCase(caserows.Case{Place: fx.CommunityA, Grid: fx.GridA, Lead: &caserows.Assign{Unit: fx.CommunityA}}))
		}
		ids = append(ids, fx.AddCase(caserows.Case{Place: fx.CommunityA, Grid: fx.GridA, Lead: &caserows.Assign{Unit: fx.TownA, Status: "in_hand", Signed: fx.Base}}))
		ids = append(ids, fx.AddCase(caserows.Case{Place: fx.CommunityA, Grid: fx.GridA})) // not dispatched yet
		ids = append(ids, fx.AddCase(caserows.Case{Place: fx.CommunityA, Grid: fx.GridA, Status: "closed", ClosedAt: fx.Base}))
		ids = append(ids, fx.AddCase(caserows.Case{Place: fx.CommunityA, Lead: &caserows.Assign{Unit: fx.GridA}})) // assigned to the grid
		reported := fx.AddCase(caserows.Case{Place: fx.CommunityB})                                                // opened by the worker elsewhere
		if _, err := db.Exec(ctx, `UPDATE cases SET created_by = ? WHERE id = ?`, worker.UserID, reported); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, reported)
		opened := fx.AddCase(caserows.Case{Place: fx.CommunityB}) // raised by the worker's unit
		if _, err := db.Exec(ctx, `UPDATE cases SET opened_by_unit_id = ? WHERE id = ?`, fx.GridA.ID, opened); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, opened)
		fx.AddCase(caserows.Case{Place: fx.CommunityA, Lead: &caserows.Assign{Unit: fx.CommunityA}}) // the community's, not the grid's
		fx.AddCase(caserows.Case{Place: fx.TownB, Lead: &caserows.Assign{Unit: fx.TownB}})           // another township's

		// Which cases may the worker open? Ask CanSee for every case.
		var all []int64
		rows, err := db.Query(ctx, `SELECT id FROM cases ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			all = append(all, id)
		}
		rows.Close()
		var mayOpen []int64
		for _, id := range all {
			d, err := loadDetail(ctx, db, true, "c.id = ?", id)
			if err != nil {
				t.Fatal(err)
			}
			if CanSee(worker, &d) {
				mayOpen = append(mayOpen, id)
			}
		}
		slices.Sort(mayOpen)
		wantIDs := slices.Clone(ids)
		slices.Sort(wantIDs)
		if diff := cmp.Diff(wantIDs, mayOpen); diff != "" {
			t.Fatalf("the fixture's expectation differs from CanSee (-want +CanSee):\n%s", diff)
		}
		list := func(f InboxFilter) []int64 {
			t.Helper()
			f.Limit = MaxInboxLimit
			p, err := s.Inbox(ctx, worker, f)
			if err != nil {
				t.Fatal(err)
			}
			got := caseIDs(p.Rows)
			slices.Sort(got)
			return got
		}
		if diff := cmp.Diff(mayOpen, list(InboxFilter{Bucket: BucketAll})); diff != "" {
			t.Errorf("bucket all lists other than what the grid worker may open (-may open +listed):\n%s", diff)
		}
		var inGrid []int64
		for _, id := range mayOpen {
			var g *int64
			db.QueryRow(ctx, `SELECT grid_unit_id FROM cases WHERE id = ?`, id).Scan(&g)
			if g != nil && *g == fx.GridA.ID {
				inGrid = append(inGrid, id)
			}
		}
		if diff := cmp.Diff(inGrid, list(InboxFilter{Bucket: BucketAll, Grid: fx.GridA.Code})); diff != "" {
			t.Errorf("grid filter lists other than the grid's cases the worker may open (-want +listed):\n%s", diff)
		}
	})
}

// TestOverdueBucketListsLateRows proves that the 超期 bucket and the rows'
// 超期 share one definition: a part past its running deadline is late (and
// in the bucket, and counted on the home page) before the sweeper has marked
// it overdue, a part waiting to be signed past its signing deadline too, and
// nothing else is.
func TestOverdueBucketListsLateRows(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newViewsFixture(t, db)
		s := &Service{db: db}
		now := fx.Base.Add(48 * time.Hour)
		h := time.Hour
		pastHandle := fx.AddCase(caserows.Case{Place: fx.CommunityA, Status: "in_hand",
			Lead: &caserows.Assign{Unit: fx.TownA, Status: "in_hand", Signed: fx.Base, HandleDue: now.Add(-2*h - 14*time.Minute)}})
		pastSign := fx.AddCase(caserows.Case{Place: fx.CommunityA, Lead: &caserows.Assign{Unit: fx.TownA, SignDue: now.Add(-h)}})
		marked := fx.AddCase(caserows.Case{Place: fx.CommunityA, Status: "in_hand",
			Lead: &caserows.Assign{Unit: fx.TownA, Status: "in_hand", Signed: fx.Base, HandleDue: now.Add(-h), Overdue: 1}})
		fx.AddCase(caserows.Case{Place: fx.CommunityA, Status: "in_hand", // in time
			Lead: &caserows.Assign{Unit: fx.TownA, Status: "in_hand", Signed: fx.Base, HandleDue: now.Add(3 * h)}})
		fx.AddCase(caserows.Case{Place: fx.CommunityA, Status: "answered", // answered late: no longer open work
			Lead: &caserows.Assign{Unit: fx.TownA, Status: "answered", Signed: fx.Base, HandleDue: now.Add(-h), Answered: now.Add(-2 * h), Overdue: 1}})
		actor := fx.Actor(fx.TownA, "township")

		page, err := s.Inbox(ctx, actor, InboxFilter{Bucket: BucketOverdue, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		got := caseIDs(page.Rows)
		slices.Sort(got)
		if diff := cmp.Diff([]int64{pastHandle, pastSign, marked}, got); diff != "" {
			t.Errorf("overdue bucket (-want +got):\n%s", diff)
		}
		for _, r := range page.Rows {
			if !r.Late {
				t.Errorf("case %d in the overdue bucket is not Late", r.CaseID)
			}
		}
		// In every other list, a row is Late exactly when its case is in
		// the overdue bucket.
		for _, b := range []InboxBucket{BucketToSign, BucketInHand, BucketAll} {
			p, err := s.Inbox(ctx, actor, InboxFilter{Bucket: b, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Rows {
				if want := slices.Contains(got, r.CaseID); r.Late != want {
					t.Errorf("%s: case %d Late = %v, in the overdue bucket = %v", b, r.CaseID, r.Late, want)
				}
			}
		}
		near, err := s.Inbox(ctx, actor, InboxFilter{Bucket: BucketNear, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range near.Rows {
			if slices.Contains(got, r.CaseID) {
				t.Errorf("late case %d is also listed near its deadline", r.CaseID)
			}
		}
		counts, err := s.Counts(ctx, actor, now)
		if err != nil {
			t.Fatal(err)
		}
		if counts[string(BucketOverdue)] != 3 {
			t.Errorf("home page counts %d overdue, the bucket lists 3", counts[string(BucketOverdue)])
		}
	})
}

// TestPhoneNumbersAreNotKeywords proves that the inbox does not search by a
// phone number, whole or partial, unless trust.SearchPhone set the hash: a
// number typed into the keyword box is refused and finds nothing.
func TestPhoneNumbersAreNotKeywords(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newViewsFixture(t, db)
		s := &Service{db: db}
		fx.AddCase(caserows.Case{Place: fx.CommunityA, Body: "来电 13812345678 反映", PhoneHash: "h"})
		for _, q := range []string{"13812345678", "138 1234 5678", "1381234", "+86 138-1234-5678"} {
			p, err := s.Inbox(ctx, fx.Actor(fx.CommunityA, "community"), InboxFilter{Q: q})
			if !errors.Is(err, store.ErrInvalid) || len(p.Rows) != 0 {
				t.Errorf("q=%q: %d rows, %v; want refused", q, len(p.Rows), err)
			}
		}
		p, err := s.Inbox(ctx, fx.Actor(fx.CommunityA, "community"), InboxFilter{Q: "13812345678", PhoneHash: "h"})
		if err != nil || len(p.Rows) != 1 {
			t.Errorf("with the hash: %d rows, %v", len(p.Rows), err)
		}
	})
}

// TestFinalFromFlows proves that the final statuses come from the flow
// declarations: every flow's final states, and nothing else.
func TestFinalFromFlows(t *testing.T) {
	t.Parallel()
	s := &Service{flows: map[string]*Flow{}}
	for _, f := range []Flow{HotlineFlow(), ServiceFlow(), WhistleFlow(), TownshipCallFlow()} {
		s.flows[f.Name] = &f
	}
	for _, tc := range []struct {
		flow, status string
		want         bool
	}{
		{"hotline", "closed", true}, {"hotline", "in_hand", false},
		{"service", "delivered", true}, {"service", "withdrawn", true},
		{"whistle", "cancelled", true}, {"township_call", "withdrawn", true},
		{"nonesuch", "closed", false},
	} {
		if got := s.Final(tc.flow, tc.status); got != tc.want {
			t.Errorf("Final(%s, %s) = %v, want %v", tc.flow, tc.status, got, tc.want)
		}
	}
}
