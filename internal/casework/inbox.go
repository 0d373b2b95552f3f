package casework

// A unit's inbox: its work (to sign, in hand, near deadline, overdue) and the
// cases it may see (to revisit, closed, all), filtered, searched and paged by
// keyset, plus the home page's counts. InboxAll reads exactly what is
// filtered for the Excel export (internal/report).

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// InboxBucket names one list of the inbox.
type InboxBucket string

// The inbox buckets. The first four are the unit's work and list one row per
// assignment held by a unit in the actor's subtree; the last three list one
// row per case the actor may see.
const (
	// BucketToSign: assignments waiting to be signed for (status to_sign).
	BucketToSign InboxBucket = "to_sign"
	// BucketInHand: assignments signed for and not yet answered.
	BucketInHand InboxBucket = "in_hand"
	// BucketNear: in hand, not overdue, and the handling deadline falls
	// within InboxFilter.NearWithin (default DefaultNearWithin) from now.
	BucketNear InboxBucket = "near"
	// BucketOverdue: open assignments that are late (超期) at the list's
	// time, by the one definition lateCond also gives the rows' tag: marked
	// overdue by the sweeper, or past the deadline that runs now (signing
	// while to sign, handling once signed).
	BucketOverdue InboxBucket = "overdue"
	// BucketToRevisit: cases answered and not yet revisited (after the
	// latest answer), not closed.
	BucketToRevisit InboxBucket = "to_revisit"
	// BucketClosed: closed cases.
	BucketClosed InboxBucket = "closed"
	// BucketAll: every case the actor may see.
	BucketAll InboxBucket = "all"
)

// InboxBuckets lists the buckets in the order the UI shows them.
func InboxBuckets() []InboxBucket {
	return []InboxBucket{BucketToSign, BucketInHand, BucketNear, BucketOverdue, BucketToRevisit, BucketClosed, BucketAll}
}

// workBucket reports whether b lists assignments (the unit's work) rather
// than cases.
func (b InboxBucket) workBucket() bool {
	switch b {
	case BucketToSign, BucketInHand, BucketNear, BucketOverdue:
		return true
	}
	return false
}

// DefaultNearWithin is how close the handling deadline must be for an
// assignment in hand to be "near deadline", when the filter does not say.
const DefaultNearWithin = 24 * time.Hour

// Page sizes of the inbox.
const (
	DefaultInboxLimit = 50
	MaxInboxLimit     = 100
)

// Assignment statuses after which a unit's part is no longer open work. An
// assignment in any other status that is not closed is open.
const inboxPartOver = "'answered','returned','refused','done'"

// lateCond returns the SQL condition, on the assignment alias a, of a part
// that is late (超期) at now (store.Millis), with its arguments: still open,
// and marked overdue or past the deadline that runs now — the signing
// deadline while it waits to be signed, the handling deadline once signed.
// It is the one definition of 超期 in lists: the overdue bucket and the
// home page's count select by it, and every row carries it (InboxRow.Late),
// which the row's tag shows, so a row marked 超期 is always in the bucket
// even before the sweeper has marked the part.
func lateCond(a string, now int64) (string, []any) {
	return "(" + a + ".id IS NOT NULL AND " + a + ".closed_at IS NULL AND " + a + ".status NOT IN (" + inboxPartOver + ") AND (" + a + ".overdue = 1" +
			" OR (" + a + ".status = 'to_sign' AND " + a + ".sign_due_at < ?)" +
			" OR (" + a + ".signed_at IS NOT NULL AND " + a + ".status <> 'to_sign' AND " + a + ".handle_due_at < ?)))",
		[]any{now, now}
}

// InboxFilter selects and pages the inbox. The zero value is bucket "all",
// no filters, first page.
type InboxFilter struct {
	Bucket      InboxBucket
	Flow        string // hotline, grid_event, ...
	RequestType string // consult, help, complaint, suggestion
	Status      string // the case's status
	// Category is a category code; its whole subtree matches.
	Category string
	// Grid is a grid unit's code.
	Grid string
	// From and To bound created_at as [From, To); zero means open.
	From, To time.Time
	// Q is the search box: a case number (exact), else — when PhoneHash is
	// set — a phone number, else keywords (all must match). Without
	// PhoneHash, a Q that looks like a phone number (PhoneQuery) is refused.
	Q string
	// PhoneHash is the keyed hash of the full phone number typed in Q. Only
	// trust.Service.SearchPhone sets it, after checking that the actor may
	// reveal numbers, limiting the rate and recording the search.
	PhoneHash string
	// NearWithin overrides DefaultNearWithin for BucketNear.
	NearWithin time.Duration
	// Limit is the page size (default DefaultInboxLimit, at most MaxInboxLimit).
	Limit int
	// Cursor is InboxPage.Next of the previous page; "" for the first page.
	Cursor string
	// Now is the current time for BucketNear, BucketOverdue and the rows'
	// Late; zero means time.Now().
	Now time.Time
}

// InboxRow is one line of an inbox list. In the work buckets it is about the
// assignment of a unit in the actor's subtree; in the case buckets the
// assignment fields describe the case's current lead assignment (zero when
// the case was never dispatched).
type InboxRow struct {
	CaseID       int64
	No           string
	Title        string
	Flow         string
	Status       string // the case's status
	Priority     string
	RequestType  string
	CategoryName string
	PlaceName    string
	GridName     string
	LeadUnitName string
	CreatedAt    time.Time
	CaseOverdue  bool
	// Late reports whether the row's part is late (超期) at the list's time,
	// by lateCond: in the work buckets the listed part, in the case buckets
	// the case's current lead part. It is exactly what BucketOverdue selects.
	Late bool

	AssignmentID     int64
	AssignmentRole   string
	AssignmentStatus string
	AssignmentUnit   string // the unit holding the assignment
	SignDueAt        time.Time
	SignedAt         time.Time
	HandleDueAt      time.Time
	AnsweredAt       time.Time
	Overdue          bool // the assignment's overdue flag
}

// InboxPage is one page of an inbox list.
type InboxPage struct {
	Rows []InboxRow
	// Next is the cursor of the following page, "" on the last page.
	Next string
}

// caseNoPattern matches a case number as handed out by the engine
// ("350722-20261126-00042").
var caseNoPattern = regexp.MustCompile(`^[0-9]{6}-[0-9]{8}-[0-9]{3,}$`)

// LooksLikeCaseNo reports whether q is a case number, which the inbox
// matches exactly.
func LooksLikeCaseNo(q string) bool { return caseNoPattern.MatchString(strings.TrimSpace(q)) }

// looksLikePhone reports whether q is, or may be part of, a phone number: 7
// or more digits (blanks, dashes and +86 aside) and nothing else.
func looksLikePhone(q string) bool {
	_, ok := PhoneQuery(q)
	return ok
}

// Final reports whether status is a final status of the flow named flow
// (closed, dismissed, delivered, withdrawn, cancelled, ...), as the flow's
// declaration says (State.Final); lists tag such cases as closed. An unknown
// flow has no final status.
func (s *Service) Final(flow, status string) bool {
	f, ok := s.flows[flow]
	return ok && f.Terminal(status)
}

// PhoneQuery reports whether the search text q is a phone number, and returns
// it as digits only (spaces, dashes and a +86 prefix dropped), ready for the
// caller to hash into InboxFilter.PhoneHash. Mobile numbers have 11 digits
// starting with 1; fixed lines 7 to 12 digits.
func PhoneQuery(q string) (string, bool) {
	q = strings.TrimSpace(q)
	q = strings.TrimPrefix(q, "+86")
	var b strings.Builder
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-':
		default:
			return "", false
		}
	}
	d := b.String()
	if len(d) < 7 || len(d) > 12 {
		return "", false
	}
	if len(d) == 11 && d[0] == '1' {
		return d, true
	}
	if d[0] == '0' || len(d) <= 8 {
		return d, true
	}
	return "", false
}

// inboxQuery is a filter turned into SQL: FROM ... WHERE ... and the order.
type inboxQuery struct {
	work  bool
	now   int64 // store.Millis of the list's time
	from  string
	where []string
	args  []any
}

func (q *inboxQuery) add(cond string, args ...any) {
	q.where = append(q.where, cond)
	q.args = append(q.args, args...)
}

// inboxCaseScope returns the condition keeping the cases an actor may see,
// the SQL form of CanSee (which decides who may open a case; the two must
// agree, and TestInboxListsWhatActorsMayOpen checks they do): cases that
// happened in its subtree (their place, or their grid — a grid's cases
// happen in its community, so a grid worker sees them by the grid), those
// assigned to a unit in it, and those the actor or its unit opened.
func inboxCaseScope(actor access.Actor) (string, []any) {
	if actor.CountyWide() {
		return "1=1", nil
	}
	place, pargs := actor.SubtreeFilter("c.place_path")
	grid, gargs := actor.SubtreeFilter("gu.path")
	unit, uargs := actor.SubtreeFilter("x.unit_path")
	// A correlated EXISTS, not IN (SELECT ...): the lists read cases newest
	// first and stop after a page, and the revisit count reads only the
	// few cases waiting for a revisit, so probing the case's assignments
	// (index assignments_case_role) for the rows read is cheap, while IN
	// built the set of every case ever assigned in the subtree first: 50,000
	// rows for a township at a million cases, hundreds of milliseconds
	// for each page (docs/PERFORMANCE.md).
	cond := "(" + place +
		" OR (c.grid_unit_id IS NOT NULL AND EXISTS (SELECT 1 FROM units gu WHERE gu.id = c.grid_unit_id AND " + grid + "))" +
		" OR EXISTS (SELECT 1 FROM assignments x WHERE x.case_id = c.id AND " + unit + ")"
	args := append(append(pargs, gargs...), uargs...)
	if actor.UserID != 0 {
		cond += " OR c.created_by = ?"
		args = append(args, actor.UserID)
	}
	if actor.UnitID != 0 {
		cond += " OR c.opened_by_unit_id = ?"
		args = append(args, actor.UnitID)
	}
	return cond + ")", args
}

// buildInbox turns a filter into the FROM and WHERE of an inbox query,
// without keyset and limit.
func (s *Service) buildInbox(ctx context.Context, actor access.Actor, f InboxFilter) (*inboxQuery, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	b := f.Bucket
	if b == "" {
		b = BucketAll
	}
	now := f.Now
	if now.IsZero() {
		now = time.Now()
	}
	q := &inboxQuery{work: b.workBucket(), now: store.Millis(now)}
	if q.work {
		q.from = `assignments a JOIN cases c ON c.id = a.case_id`
		cond, args := actor.SubtreeFilter("a.unit_path")
		q.add(cond, args...)
		switch b {
		case BucketToSign:
			q.add("a.status = 'to_sign' AND a.closed_at IS NULL")
		case BucketInHand:
			q.add("a.signed_at IS NOT NULL AND a.closed_at IS NULL AND a.status <> 'to_sign' AND a.status NOT IN (" + inboxPartOver + ")")
		case BucketNear:
			within := f.NearWithin
			if within <= 0 {
				within = DefaultNearWithin
			}
			late, largs := lateCond("a", q.now)
			q.add("a.signed_at IS NOT NULL AND a.closed_at IS NULL AND a.status <> 'to_sign' AND a.status NOT IN ("+inboxPartOver+")"+
				" AND a.handle_due_at IS NOT NULL AND a.handle_due_at <= ? AND NOT "+late, append([]any{store.Millis(now.Add(within))}, largs...)...)
		case BucketOverdue:
			late, largs := lateCond("a", q.now)
			q.add(late, largs...)
		}
	} else {
		q.from = `cases c`
		cond, args := inboxCaseScope(actor)
		q.add(cond, args...)
		switch b {
		case BucketToRevisit:
			q.add("c.closed_at IS NULL AND c.answered_at IS NOT NULL AND (c.revisited_at IS NULL OR c.revisited_at < c.answered_at)")
		case BucketClosed:
			q.add("c.closed_at IS NOT NULL")
		case BucketAll:
		default:
			return nil, store.Invalidf("未知的列表「%s」", b)
		}
	}
	if f.Flow != "" {
		q.add("c.flow = ?", f.Flow)
	}
	if f.RequestType != "" {
		q.add("c.request_type = ?", f.RequestType)
	}
	if f.Status != "" {
		q.add("c.status = ?", f.Status)
	}
	if !f.From.IsZero() {
		q.add("c.created_at >= ?", store.Millis(f.From))
	}
	if !f.To.IsZero() {
		q.add("c.created_at < ?", store.Millis(f.To))
	}
	if f.Category != "" {
		ids, err := s.categorySubtree(ctx, f.Category)
		if err != nil {
			return nil, err
		}
		ph := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		q.add("c.category_id IN ("+ph+")", args...)
	}
	if f.Grid != "" {
		g, err := org.RefByCode(ctx, s.db, f.Grid)
		if errors.Is(err, store.ErrNotFound) {
			return nil, store.NotFoundf("找不到网格「%s」", f.Grid)
		}
		if err != nil {
			return nil, fmt.Errorf("inbox: grid %s: %w", f.Grid, err)
		}
		q.add("c.grid_unit_id = ?", g.ID)
	}
	if text := strings.TrimSpace(f.Q); text != "" {
		switch {
		case LooksLikeCaseNo(text):
			q.add("c.no = ?", text)
		case f.PhoneHash != "":
			q.add("c.reporter_phone_hash = ?", f.PhoneHash)
		case looksLikePhone(text):
			// Numbers are searched only through trust.SearchPhone, which
			// checks who asks, limits and records it; a number typed into the
			// keyword box finds nothing (not even as a word of the text).
			return nil, store.Invalid("按电话号码查找请使用「按号码查找」：须有查看完整号码的权限，每次查找都会记录")
		default:
			cond, args, err := s.searchCondition(ctx, text)
			if err != nil {
				return nil, err
			}
			q.add(cond, args...)
		}
	}
	return q, nil
}

// categorySubtree returns the ids of the category with the given code and of
// every category under it.
func (s *Service) categorySubtree(ctx context.Context, code string) ([]int64, error) {
	rows, err := s.db.Query(ctx, `WITH RECURSIVE sub(id) AS (
			SELECT id FROM categories WHERE code = ?
			UNION ALL
			SELECT k.id FROM categories k JOIN sub ON k.parent_id = sub.id)
		SELECT id FROM sub`, code)
	if err != nil {
		return nil, fmt.Errorf("inbox: category %s: %w", code, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("inbox: category %s: %w", code, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inbox: category %s: %w", code, err)
	}
	if len(ids) == 0 {
		return nil, store.NotFoundf("找不到分类「%s」", code)
	}
	return ids, nil
}

// inboxCursor is the keyset position after a row: its case's created_at and
// id, and the assignment id (work buckets list a case once per assignment).
type inboxCursor struct {
	createdAt, caseID, assignmentID int64
}

func (c inboxCursor) encode() string {
	s := strconv.FormatInt(c.createdAt, 10) + "." + strconv.FormatInt(c.caseID, 10) + "." + strconv.FormatInt(c.assignmentID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeInboxCursor(s string) (inboxCursor, error) {
	bad := store.Invalid("翻页参数无效，请从第一页重新查看")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return inboxCursor{}, bad
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 {
		return inboxCursor{}, bad
	}
	var n [3]int64
	for i, p := range parts {
		if n[i], err = strconv.ParseInt(p, 10, 64); err != nil {
			return inboxCursor{}, bad
		}
	}
	return inboxCursor{n[0], n[1], n[2]}, nil
}

const inboxColumns = `c.id, c.no, c.title, c.flow, c.status, c.priority, c.request_type,
	COALESCE(k.name, ''), COALESCE(p.name, ''), COALESCE(g.name, ''), COALESCE(lu.name, ''), c.created_at, c.overdue,
	COALESCE(a.id, 0), COALESCE(a.role, ''), COALESCE(a.status, ''), COALESCE(au.name, ''),
	a.sign_due_at, a.signed_at, a.handle_due_at, a.answered_at, COALESCE(a.overdue, 0)`

const inboxJoins = `
	LEFT JOIN categories k ON k.id = c.category_id
	LEFT JOIN units p ON p.id = c.place_unit_id
	LEFT JOIN units g ON g.id = c.grid_unit_id
	LEFT JOIN units lu ON lu.id = c.lead_unit_id
	LEFT JOIN units au ON au.id = a.unit_id`

// page runs one keyset page of q after cur (nil: from the start).
func (s *Service) inboxRows(ctx context.Context, q *inboxQuery, cur *inboxCursor, limit int) ([]InboxRow, error) {
	where := append([]string(nil), q.where...)
	args := append([]any(nil), q.args...)
	order := "c.created_at DESC, c.id DESC"
	if q.work {
		// The part carries its case's receipt time (migration 0013), so the
		// open parts are read newest case first from an index, not sorted.
		order = "a.case_created_at DESC, a.case_id DESC, a.id DESC"
	}
	if cur != nil {
		if q.work {
			where = append(where, "(a.case_created_at < ? OR (a.case_created_at = ? AND (a.case_id < ? OR (a.case_id = ? AND a.id < ?))))")
			args = append(args, cur.createdAt, cur.createdAt, cur.caseID, cur.caseID, cur.assignmentID)
		} else {
			where = append(where, "(c.created_at < ? OR (c.created_at = ? AND c.id < ?))")
			args = append(args, cur.createdAt, cur.createdAt, cur.caseID)
		}
	}
	// The page's keys are found first and the details joined to those rows
	// only, so that sorting many matches (a common keyword) stays cheap.
	keys := "a.case_id AS cid, a.case_created_at AS cat, a.id AS aid"
	assignment := "a.id = pg.aid"
	if !q.work {
		keys = "c.id AS cid, c.created_at AS cat, 0 AS aid"
		// The case's current lead assignment: the latest one with role lead.
		assignment = "a.id = (SELECT MAX(l.id) FROM assignments l WHERE l.case_id = c.id AND l.role = 'lead')"
	}
	late, largs := lateCond("a", q.now)
	args = append(largs, args...)
	query := "SELECT " + inboxColumns + ", CASE WHEN " + late + " THEN 1 ELSE 0 END FROM (SELECT " + keys + " FROM " + q.from +
		" WHERE " + strings.Join(where, " AND ") + " ORDER BY " + order + " LIMIT ?) pg" +
		" JOIN cases c ON c.id = pg.cid LEFT JOIN assignments a ON " + assignment + inboxJoins +
		" ORDER BY pg.cat DESC, pg.cid DESC, pg.aid DESC"
	args = append(args, limit)
	rows, err := s.db.Reader(ctx).Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	defer rows.Close()
	var out []InboxRow
	for rows.Next() {
		var r InboxRow
		var created int64
		var caseOverdue, overdue, late int
		var signDue, signed, handleDue, answered sql.NullInt64
		if err := rows.Scan(&r.CaseID, &r.No, &r.Title, &r.Flow, &r.Status, &r.Priority, &r.RequestType,
			&r.CategoryName, &r.PlaceName, &r.GridName, &r.LeadUnitName, &created, &caseOverdue,
			&r.AssignmentID, &r.AssignmentRole, &r.AssignmentStatus, &r.AssignmentUnit,
			&signDue, &signed, &handleDue, &answered, &overdue, &late); err != nil {
			return nil, fmt.Errorf("inbox: scan: %w", err)
		}
		r.CreatedAt = store.Time(created)
		r.CaseOverdue = caseOverdue == 1
		r.SignDueAt = viewsTime(signDue)
		r.SignedAt = viewsTime(signed)
		r.HandleDueAt = viewsTime(handleDue)
		r.AnsweredAt = viewsTime(answered)
		r.Overdue = overdue == 1
		r.Late = late == 1
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return out, nil
}

func viewsTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return store.Time(v.Int64)
}

func inboxCursorAfter(r InboxRow, work bool) inboxCursor {
	c := inboxCursor{createdAt: store.Millis(r.CreatedAt), caseID: r.CaseID}
	if work {
		c.assignmentID = r.AssignmentID
	}
	return c
}

// Inbox returns one page of the actor's inbox. Scope is applied in SQL: the
// work buckets list assignments held by units in the actor's subtree; the
// case buckets list cases that happened in the subtree or were assigned to a
// unit in it. County-wide actors see everything. Rows come newest first by
// (created_at, case id[, assignment id]).
func (s *Service) Inbox(ctx context.Context, actor access.Actor, f InboxFilter) (InboxPage, error) {
	q, err := s.buildInbox(ctx, actor, f)
	if err != nil {
		return InboxPage{}, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultInboxLimit
	}
	if limit > MaxInboxLimit {
		limit = MaxInboxLimit
	}
	var cur *inboxCursor
	if f.Cursor != "" {
		c, err := decodeInboxCursor(f.Cursor)
		if err != nil {
			return InboxPage{}, err
		}
		cur = &c
	}
	rows, err := s.inboxRows(ctx, q, cur, limit+1)
	if err != nil {
		return InboxPage{}, err
	}
	var p InboxPage
	if len(rows) > limit {
		rows = rows[:limit]
		p.Next = inboxCursorAfter(rows[limit-1], q.work).encode()
	}
	p.Rows = rows
	return p, nil
}

// inboxBatch is how many rows InboxAll reads per query, so that a long export
// never holds one read open for its whole length.
const inboxBatch = 2000

// InboxAll calls fn with every row matching f (its Cursor and Limit are
// ignored), in inbox order: the Excel export of exactly what is filtered.
// It stops at the first error fn returns.
func (s *Service) InboxAll(ctx context.Context, actor access.Actor, f InboxFilter, fn func(InboxRow) error) error {
	q, err := s.buildInbox(ctx, actor, f)
	if err != nil {
		return err
	}
	var cur *inboxCursor
	for {
		rows, err := s.inboxRows(ctx, q, cur, inboxBatch)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(rows) < inboxBatch {
			return nil
		}
		c := inboxCursorAfter(rows[len(rows)-1], q.work)
		cur = &c
	}
}

// Counts returns the numbers on the home page's cards: to_sign, in_hand,
// near, overdue (the actor's units' assignments) and to_revisit (cases the
// actor may see), keyed by bucket name. now decides "near"; zero means now.
func (s *Service) Counts(ctx context.Context, actor access.Actor, now time.Time) (map[string]int, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	if now.IsZero() {
		now = time.Now()
	}
	scope, args := actor.SubtreeFilter("a.unit_path")
	open := "a.closed_at IS NULL AND a.status NOT IN (" + inboxPartOver + ")"
	inHand := "a.signed_at IS NOT NULL AND a.status <> 'to_sign'"
	// Near and overdue count exactly what their buckets list (see lateCond).
	late, largs := lateCond("a", store.Millis(now))
	query := `SELECT
		COALESCE(SUM(CASE WHEN a.status = 'to_sign' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN ` + inHand + ` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN ` + inHand + ` AND a.handle_due_at IS NOT NULL AND a.handle_due_at <= ? AND NOT ` + late + ` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN ` + late + ` THEN 1 ELSE 0 END), 0)
		FROM assignments a WHERE ` + scope + ` AND ` + open
	pre := append([]any{store.Millis(now.Add(DefaultNearWithin))}, largs...)
	args = append(append(pre, largs...), args...)
	var toSign, held, near, overdue int
	if err := s.db.Reader(ctx).QueryRow(ctx, query, args...).Scan(&toSign, &held, &near, &overdue); err != nil {
		return nil, fmt.Errorf("inbox counts: %w", err)
	}
	cscope, cargs := inboxCaseScope(actor)
	var revisit int
	err := s.db.Reader(ctx).QueryRow(ctx, `SELECT COUNT(*) FROM cases c WHERE c.closed_at IS NULL AND c.answered_at IS NOT NULL
		AND (c.revisited_at IS NULL OR c.revisited_at < c.answered_at) AND `+cscope, cargs...).Scan(&revisit)
	if err != nil {
		return nil, fmt.Errorf("inbox counts: %w", err)
	}
	return map[string]int{
		string(BucketToSign):    toSign,
		string(BucketInHand):    held,
		string(BucketNear):      near,
		string(BucketOverdue):   overdue,
		string(BucketToRevisit): revisit,
	}, nil
}
