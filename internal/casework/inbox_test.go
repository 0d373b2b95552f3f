package casework

import (
	"context"
	"errors"
	"fmt"
	"grassroots/internal/casework/caserows"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// newViewsFixture is the plain-SQL fixture of the views' tests
// (caserows), with the engine's search index.
func newViewsFixture(t testing.TB, db *store.DB) *caserows.Fixture {
	return caserows.New(t, db, IndexCase)
}

func caseIDs(rows []InboxRow) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r.CaseID)
	}
	return out
}

func TestInboxBucketsAndScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newViewsFixture(t, db)
		s := &Service{db: db}
		now := fx.Base.Add(48 * time.Hour)
		h := time.Hour
		toSignA := fx.AddCase(caserows.Case{Place: fx.CommunityA, Grid: fx.GridA, Category: fx.CatLamp,
			Lead: &caserows.Assign{Unit: fx.CommunityA, SignDue: now.Add(2 * h)}})
		inHandA := fx.AddCase(caserows.Case{Place: fx.CommunityA, Category: fx.CatNoise, Flow: "grid_event",
			Lead: &caserows.Assign{Unit: fx.TownA, Status: "in_hand", Signed: fx.Base, HandleDue: now.Add(100 * h)}})
		nearA := fx.AddCase(caserows.Case{Place: fx.CommunityA, RequestType: "complaint",
			Lead: &caserows.Assign{Unit: fx.CommunityA, Status: "in_hand", Signed: fx.Base, HandleDue: now.Add(5 * h)}})
		overdueB := fx.AddCase(caserows.Case{Place: fx.CommunityB, PhoneHash: "h-138",
			Lead: &caserows.Assign{Unit: fx.CommunityB, Status: "in_hand", Signed: fx.Base, HandleDue: now.Add(-h), Overdue: 1}})
		revisitB := fx.AddCase(caserows.Case{Place: fx.CommunityB, AnsweredAt: now.Add(-2 * h), Status: "answered",
			Lead: &caserows.Assign{Unit: fx.TownB, Status: "answered", Signed: fx.Base, Answered: now.Add(-2 * h)}})
		closedA := fx.AddCase(caserows.Case{Place: fx.CommunityA, AnsweredAt: fx.Base, RevisitedAt: fx.Base, ClosedAt: fx.Base,
			Status: "closed", Lead: &caserows.Assign{Unit: fx.TownA, Status: "done", Closed: fx.Base}})
		// A case placed in B but assigned (supporting) to A's community: A sees it.
		crossed := fx.AddCase(caserows.Case{Place: fx.CommunityB,
			Lead:   &caserows.Assign{Unit: fx.TownB, Status: "in_hand", Signed: fx.Base, HandleDue: now.Add(200 * h)},
			Others: []caserows.Assign{{Unit: fx.CommunityA, Role: "supporting", Status: "to_sign"}}})
		// A returned lead assignment no longer is work, and the newer lead is the case's.
		returned := fx.AddCase(caserows.Case{Place: fx.CommunityA,
			Others: []caserows.Assign{{Unit: fx.TownB, Status: "returned", Overdue: 1}},
			Lead:   &caserows.Assign{Unit: fx.TownA, Status: "to_sign"}})

		county := fx.Actor(fx.County, "county")
		townA := fx.Actor(fx.TownA, "township")
		townB := fx.Actor(fx.TownB, "township")
		tests := []struct {
			name  string
			actor access.Actor
			f     InboxFilter
			want  []int64
		}{
			{"county to sign", county, InboxFilter{Bucket: BucketToSign}, []int64{returned, crossed, toSignA}},
			{"town A to sign", townA, InboxFilter{Bucket: BucketToSign}, []int64{returned, crossed, toSignA}},
			{"town B to sign", townB, InboxFilter{Bucket: BucketToSign}, nil},
			{"county in hand", county, InboxFilter{Bucket: BucketInHand}, []int64{crossed, overdueB, nearA, inHandA}},
			{"town A in hand", townA, InboxFilter{Bucket: BucketInHand}, []int64{nearA, inHandA}},
			{"town A near", townA, InboxFilter{Bucket: BucketNear, Now: now}, []int64{nearA}},
			{"town A near within a week", townA, InboxFilter{Bucket: BucketNear, Now: now, NearWithin: 7 * 24 * h}, []int64{nearA, inHandA}},
			{"county overdue", county, InboxFilter{Bucket: BucketOverdue, Now: now}, []int64{overdueB}},
			{"town A overdue", townA, InboxFilter{Bucket: BucketOverdue, Now: now}, nil},
			{"county to revisit", county, InboxFilter{Bucket: BucketToRevisit}, []int64{revisitB}},
			{"town A to revisit", townA, InboxFilter{Bucket: BucketToRevisit}, nil},
			{"county closed", county, InboxFilter{Bucket: BucketClosed}, []int64{closedA}},
			{"town A all", townA, InboxFilter{}, []int64{returned, crossed, closedA, nearA, inHandA, toSignA}},
			{"town B all", townB, InboxFilter{}, []int64{returned, crossed, revisitB, overdueB}},
			{"flow", county, InboxFilter{Flow: "grid_event"}, []int64{inHandA}},
			{"request type", county, InboxFilter{RequestType: "complaint"}, []int64{nearA}},
			{"status", county, InboxFilter{Status: "closed"}, []int64{closedA}},
			{"category subtree", county, InboxFilter{Category: "01"}, []int64{toSignA}},
			{"grid", county, InboxFilter{Grid: fx.GridA.Code}, []int64{toSignA}},
			{"date range", county, InboxFilter{From: fx.Base.Add(2 * time.Minute), To: fx.Base.Add(4 * time.Minute)}, []int64{nearA, inHandA}},
			{"phone", county, InboxFilter{Q: "138 0000 0000", PhoneHash: "h-138"}, []int64{overdueB}},
			{"phone out of scope", townA, InboxFilter{Q: "13800000000", PhoneHash: "h-138"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := s.Inbox(ctx, tt.actor, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, caseIDs(p.Rows)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}

		// The row of a case bucket shows the current lead; a work row its own part.
		p, err := s.Inbox(ctx, county, InboxFilter{Q: caseNo(t, db, returned)})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Rows) != 1 || p.Rows[0].AssignmentUnit != "南浦街道" || p.Rows[0].AssignmentStatus != "to_sign" || p.Rows[0].LeadUnitName != "南浦街道" {
			t.Errorf("case number search: %+v", p.Rows)
		}
		p, err = s.Inbox(ctx, townA, InboxFilter{Bucket: BucketToSign, Q: caseNo(t, db, crossed)})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Rows) != 1 || p.Rows[0].AssignmentRole != "supporting" || p.Rows[0].AssignmentUnit != "城中社区" {
			t.Errorf("work row should show town A's own part: %+v", p.Rows)
		}
		p, err = s.Inbox(ctx, county, InboxFilter{Bucket: BucketToSign, Q: caseNo(t, db, toSignA), Now: now})
		if err != nil {
			t.Fatal(err)
		}
		want := InboxRow{CaseID: toSignA, Title: "工单1", Flow: "hotline", Status: "dispatched", Priority: "normal",
			CategoryName: "路灯", PlaceName: "城中社区", GridName: "城中第一网格", LeadUnitName: "城中社区",
			AssignmentRole: "lead", AssignmentStatus: "to_sign", AssignmentUnit: "城中社区", SignDueAt: now.Add(2 * h)}
		if len(p.Rows) != 1 {
			t.Fatalf("rows = %d", len(p.Rows))
		}
		got := p.Rows[0]
		got.No, got.CreatedAt, got.AssignmentID = "", time.Time{}, 0
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("row (-want +got):\n%s", diff)
		}

		counts, err := s.Counts(ctx, townA, now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]int{"to_sign": 3, "in_hand": 2, "near": 1, "overdue": 0, "to_revisit": 0}, counts); diff != "" {
			t.Errorf("counts of town A (-want +got):\n%s", diff)
		}
		counts, err = s.Counts(ctx, county, now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]int{"to_sign": 3, "in_hand": 4, "near": 1, "overdue": 1, "to_revisit": 1}, counts); diff != "" {
			t.Errorf("counts of the county (-want +got):\n%s", diff)
		}

		for _, f := range []InboxFilter{{Category: "99"}, {Grid: "nope"}, {Bucket: "nope"}, {Cursor: "!!"}} {
			if _, err := s.Inbox(ctx, county, f); err == nil {
				t.Errorf("filter %+v accepted", f)
			} else if _, ok := store.UserMessage(err); !ok {
				t.Errorf("filter %+v: error without a message for the user: %v", f, err)
			}
		}
		if _, err := s.Inbox(ctx, access.Actor{}, InboxFilter{}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("anonymous inbox: %v", err)
		}
	})
}

func caseNo(t *testing.T, db *store.DB, id int64) string {
	t.Helper()
	var no string
	if err := db.QueryRow(context.Background(), `SELECT no FROM cases WHERE id = ?`, id).Scan(&no); err != nil {
		t.Fatal(err)
	}
	return no
}

func TestInboxKeysetPagination(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newViewsFixture(t, db)
		s := &Service{db: db}
		// 23 cases, several created at the same millisecond, some with two
		// assignments of town A (two work rows for one case).
		var wantCases, wantWork []int64
		same := fx.Base.Add(time.Hour)
		for i := range 23 {
			c := caserows.Case{Place: fx.CommunityA, Lead: &caserows.Assign{Unit: fx.TownA}}
			if i%3 == 0 {
				c.Created = same
			}
			if i%5 == 0 {
				c.Others = []caserows.Assign{{Unit: fx.CommunityA, Role: "supporting"}}
			}
			id := fx.AddCase(c)
			wantCases = append(wantCases, id)
			wantWork = append(wantWork, id)
			if i%5 == 0 {
				wantWork = append(wantWork, id)
			}
		}
		townA := fx.Actor(fx.TownA, "township")
		for _, tt := range []struct {
			bucket InboxBucket
			limit  int
		}{{BucketAll, 5}, {BucketToSign, 4}, {BucketAll, 100}, {BucketToSign, 1}} {
			t.Run(fmt.Sprintf("%s by %d", tt.bucket, tt.limit), func(t *testing.T) {
				var got []InboxRow
				f := InboxFilter{Bucket: tt.bucket, Limit: tt.limit}
				for pages := 0; ; pages++ {
					if pages > 100 {
						t.Fatal("pagination does not end")
					}
					p, err := s.Inbox(ctx, townA, f)
					if err != nil {
						t.Fatal(err)
					}
					if len(p.Rows) > tt.limit {
						t.Fatalf("page of %d rows, limit %d", len(p.Rows), tt.limit)
					}
					got = append(got, p.Rows...)
					if p.Next == "" {
						break
					}
					f.Cursor = p.Next
				}
				// Every row once, in (created_at, id[, assignment]) descending order.
				seen := map[[2]int64]bool{}
				for i, r := range got {
					k := [2]int64{r.CaseID, r.AssignmentID}
					if seen[k] {
						t.Errorf("row %v twice", k)
					}
					seen[k] = true
					if i > 0 {
						p := got[i-1]
						if p.CreatedAt.Before(r.CreatedAt) || (p.CreatedAt.Equal(r.CreatedAt) && p.CaseID < r.CaseID) {
							t.Errorf("rows %d and %d out of order", i-1, i)
						}
					}
				}
				want := wantCases
				if tt.bucket == BucketToSign {
					want = wantWork
				}
				if len(got) != len(want) {
					t.Errorf("got %d rows, want %d", len(got), len(want))
				}
				var all []InboxRow
				if err := s.InboxAll(ctx, townA, InboxFilter{Bucket: tt.bucket}, func(r InboxRow) error {
					all = append(all, r)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(got, all); diff != "" {
					t.Errorf("InboxAll differs from the pages (-pages +all):\n%s", diff)
				}
			})
		}
	})
}

func TestPhoneQueryAndCaseNo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		q     string
		phone string
		ok    bool
	}{
		{"13812345678", "13812345678", true},
		{"138 1234 5678", "13812345678", true},
		{"+86 138-1234-5678", "13812345678", true},
		{"0599-2822123", "05992822123", true},
		{"2822123", "2822123", true},
		{"路灯", "", false},
		{"123", "", false},
		{"350722-20261126-00042", "", false},
	}
	for _, tt := range tests {
		phone, ok := PhoneQuery(tt.q)
		if phone != tt.phone || ok != tt.ok {
			t.Errorf("PhoneQuery(%q) = %q, %v; want %q, %v", tt.q, phone, ok, tt.phone, tt.ok)
		}
	}
	if !LooksLikeCaseNo("350722-20261126-00042") || LooksLikeCaseNo("350722") {
		t.Error("LooksLikeCaseNo")
	}
}
