package casework

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// viewsFixture builds units, categories, cases, assignments and events with
// plain SQL, for the views' tests (the engine's own API is not needed).
type viewsFixture struct {
	t  testing.TB
	db *store.DB
	// The tree: county → townships A and B → communities → a grid in A1.
	county, townA, communityA, gridA, townB, communityB vfUnit
	catRoot, catLamp, catNoise                          int64
	n                                                   int
	base                                                time.Time
}

type vfUnit struct {
	id         int64
	code, path string
}

// vfCase describes a case to insert; zero fields take defaults.
type vfCase struct {
	title, body, flow, requestType, status string
	place, grid                            vfUnit
	category                               int64
	created                                time.Time // zero: base + n minutes
	phoneHash                              string
	answeredAt, revisitedAt, closedAt      time.Time
	handleDue                              time.Time
	resolved                               int // 1 resolved, 0 not (only stored when revisited)
	satisfaction                           string
	reopens, extensions                    int
	lead                                   *vfAssign
	others                                 []vfAssign
}

// vfAssign describes an assignment of a vfCase.
type vfAssign struct {
	unit                                             vfUnit
	role, status                                     string // default lead, to_sign
	dispatched, signDue, signed, handleDue, answered time.Time
	closed                                           time.Time
	overdue                                          int
}

func newViewsFixture(t testing.TB, db *store.DB) *viewsFixture {
	t.Helper()
	fx := &viewsFixture{t: t, db: db, base: time.Date(2026, 11, 2, 9, 0, 0, 0, viewsZone())}
	fx.county = fx.addUnit("350722000000", "浦城县", "county", vfUnit{})
	fx.townA = fx.addUnit("350722001000", "南浦街道", "township", fx.county)
	fx.communityA = fx.addUnit("350722001001", "城中社区", "community", fx.townA)
	fx.gridA = fx.addUnit("350722001001-G01", "城中第一网格", "grid", fx.communityA)
	fx.townB = fx.addUnit("350722100000", "富岭镇", "township", fx.county)
	fx.communityB = fx.addUnit("350722100201", "双同村", "village", fx.townB)
	fx.catRoot = fx.addCategory("01", "公用设施", 0)
	fx.catLamp = fx.addCategory("01010", "路灯", fx.catRoot)
	fx.catNoise = fx.addCategory("02001", "噪音", 0)
	return fx
}

func (fx *viewsFixture) addUnit(code, name, kind string, parent vfUnit) vfUnit {
	fx.t.Helper()
	ctx := context.Background()
	var u vfUnit
	u.code = code
	err := fx.db.InTx(ctx, func(tx *store.Tx) error {
		var pid any
		if parent.id != 0 {
			pid = parent.id
		}
		if err := tx.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, sort, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 0, 0, 1, 1) RETURNING id`, code, name, kind, pid, "tmp:"+code).Scan(&u.id); err != nil {
			return err
		}
		u.path = parent.path + fmt.Sprint(u.id) + "/"
		if parent.path == "" {
			u.path = "/" + fmt.Sprint(u.id) + "/"
		}
		_, err := tx.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, u.path, u.id)
		return err
	})
	if err != nil {
		fx.t.Fatalf("add unit %s: %v", code, err)
	}
	return u
}

func (fx *viewsFixture) addCategory(code, name string, parent int64) int64 {
	fx.t.Helper()
	var pid any
	if parent != 0 {
		pid = parent
	}
	var id int64
	err := fx.db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO categories (code, name, parent_id, kind, created_at)
			VALUES (?, ?, ?, '管理部件', 1) RETURNING id`, code, name, pid).Scan(&id)
	})
	if err != nil {
		fx.t.Fatalf("add category %s: %v", code, err)
	}
	return id
}

func vfMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func vfID(u vfUnit) any {
	if u.id == 0 {
		return nil
	}
	return u.id
}

// addCase inserts c with its assignments and search row, and returns its id.
func (fx *viewsFixture) addCase(c vfCase) int64 {
	fx.t.Helper()
	ctx := context.Background()
	fx.n++
	if c.flow == "" {
		c.flow = "hotline"
	}
	if c.status == "" {
		c.status = "dispatched"
	}
	if c.created.IsZero() {
		c.created = fx.base.Add(time.Duration(fx.n) * time.Minute)
	}
	if c.title == "" {
		c.title = fmt.Sprintf("工单%d", fx.n)
	}
	no := fmt.Sprintf("350722-%s-%05d", c.created.In(viewsZone()).Format("20060102"), fx.n)
	var resolved any
	if !c.revisitedAt.IsZero() {
		resolved = c.resolved
	}
	var cat any
	if c.category != 0 {
		cat = c.category
	}
	var id int64
	err := fx.db.InTx(ctx, func(tx *store.Tx) error {
		var lead any
		if c.lead != nil {
			lead = c.lead.unit.id
		}
		err := tx.QueryRow(ctx, `INSERT INTO cases (no, flow, request_type, category_id, title, body, channel, grid_unit_id,
				place_unit_id, place_path, reporter_phone_hash, status, lead_unit_id, handle_due_at, answered_at, revisited_at,
				resolved, satisfaction, extensions, reopens, closed_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 'phone', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			no, c.flow, c.requestType, cat, c.title, c.body, vfID(c.grid), vfID(c.place), c.place.path, c.phoneHash,
			c.status, lead, vfMillis(c.handleDue), vfMillis(c.answeredAt), vfMillis(c.revisitedAt), resolved,
			c.satisfaction, c.extensions, c.reopens, vfMillis(c.closedAt), c.created.UnixMilli(), c.created.UnixMilli()).Scan(&id)
		if err != nil {
			return err
		}
		as := c.others
		if c.lead != nil {
			as = append(as, *c.lead)
		}
		for _, a := range as {
			if a.role == "" {
				a.role = "lead"
			}
			if a.status == "" {
				a.status = "to_sign"
			}
			if a.dispatched.IsZero() {
				a.dispatched = c.created
			}
			if _, err := tx.Exec(ctx, `INSERT INTO assignments (case_id, case_created_at, unit_id, unit_path, role, status, dispatched_at,
					sign_due_at, signed_at, handle_due_at, answered_at, overdue, closed_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, c.created.UnixMilli(), a.unit.id, a.unit.path, a.role, a.status, a.dispatched.UnixMilli(), vfMillis(a.signDue),
				vfMillis(a.signed), vfMillis(a.handleDue), vfMillis(a.answered), a.overdue, vfMillis(a.closed),
				c.created.UnixMilli(), c.created.UnixMilli()); err != nil {
				return err
			}
		}
		return IndexCase(ctx, tx, id, c.title, c.body)
	})
	if err != nil {
		fx.t.Fatalf("add case %q: %v", c.title, err)
	}
	return id
}

func (fx *viewsFixture) actor(u vfUnit, kind string) access.Actor {
	return access.Actor{UserID: 7, Name: "tester", UnitID: u.id, UnitCode: u.code, UnitKind: kind, UnitPath: u.path}
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
		now := fx.base.Add(48 * time.Hour)
		h := time.Hour
		toSignA := fx.addCase(vfCase{place: fx.communityA, grid: fx.gridA, category: fx.catLamp,
			lead: &vfAssign{unit: fx.communityA, signDue: now.Add(2 * h)}})
		inHandA := fx.addCase(vfCase{place: fx.communityA, category: fx.catNoise, flow: "grid_event",
			lead: &vfAssign{unit: fx.townA, status: "in_hand", signed: fx.base, handleDue: now.Add(100 * h)}})
		nearA := fx.addCase(vfCase{place: fx.communityA, requestType: "complaint",
			lead: &vfAssign{unit: fx.communityA, status: "in_hand", signed: fx.base, handleDue: now.Add(5 * h)}})
		overdueB := fx.addCase(vfCase{place: fx.communityB, phoneHash: "h-138",
			lead: &vfAssign{unit: fx.communityB, status: "in_hand", signed: fx.base, handleDue: now.Add(-h), overdue: 1}})
		revisitB := fx.addCase(vfCase{place: fx.communityB, answeredAt: now.Add(-2 * h), status: "answered",
			lead: &vfAssign{unit: fx.townB, status: "answered", signed: fx.base, answered: now.Add(-2 * h)}})
		closedA := fx.addCase(vfCase{place: fx.communityA, answeredAt: fx.base, revisitedAt: fx.base, closedAt: fx.base,
			status: "closed", lead: &vfAssign{unit: fx.townA, status: "done", closed: fx.base}})
		// A case placed in B but assigned (supporting) to A's community: A sees it.
		crossed := fx.addCase(vfCase{place: fx.communityB,
			lead:   &vfAssign{unit: fx.townB, status: "in_hand", signed: fx.base, handleDue: now.Add(200 * h)},
			others: []vfAssign{{unit: fx.communityA, role: "supporting", status: "to_sign"}}})
		// A returned lead assignment no longer is work, and the newer lead is the case's.
		returned := fx.addCase(vfCase{place: fx.communityA,
			others: []vfAssign{{unit: fx.townB, status: "returned", overdue: 1}},
			lead:   &vfAssign{unit: fx.townA, status: "to_sign"}})

		county := fx.actor(fx.county, "county")
		townA := fx.actor(fx.townA, "township")
		townB := fx.actor(fx.townB, "township")
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
			{"grid", county, InboxFilter{Grid: fx.gridA.code}, []int64{toSignA}},
			{"date range", county, InboxFilter{From: fx.base.Add(2 * time.Minute), To: fx.base.Add(4 * time.Minute)}, []int64{nearA, inHandA}},
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
		same := fx.base.Add(time.Hour)
		for i := range 23 {
			c := vfCase{place: fx.communityA, lead: &vfAssign{unit: fx.townA}}
			if i%3 == 0 {
				c.created = same
			}
			if i%5 == 0 {
				c.others = []vfAssign{{unit: fx.communityA, role: "supporting"}}
			}
			id := fx.addCase(c)
			wantCases = append(wantCases, id)
			wantWork = append(wantWork, id)
			if i%5 == 0 {
				wantWork = append(wantWork, id)
			}
		}
		townA := fx.actor(fx.townA, "township")
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
