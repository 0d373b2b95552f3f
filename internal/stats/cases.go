package stats

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// FigureCase is one case behind a count: the numerator or the denominator
// of a figure. For a count of parts (PartCounts) it is one part, and Unit
// names the unit the part was given to.
type FigureCase struct {
	No        string    `json:"no"`
	Flow      string    `json:"flow"`
	Title     string    `json:"title"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	Unit      string    `json:"unit,omitempty"`
	// key is the keyset position: the case's (or part's) id.
	key int64
}

// CaseQuery asks for the cases behind one count of q's figures: those that
// count towards Count (a name of Counts' or PartCounts' JSON, or a sum
// such as "satisfied+basic", as FigureNames give them), newest first, one
// page at a time.
type CaseQuery struct {
	Query
	Count string
	// After is the Next of the previous page ("" starts at the newest).
	After string
	// Limit is the page's size: 1 to MaxCasePage, 0 for DefaultCasePage.
	Limit int
}

// DefaultCasePage and MaxCasePage bound a page of the cases behind a
// count; the whole list is read page by page (EachCase), so no count is
// ever cut.
const (
	DefaultCasePage = 200
	MaxCasePage     = 2000
)

// CasePage is one page of the cases behind a count.
type CasePage struct {
	Cases []FigureCase `json:"cases"`
	// Next continues the list after this page ("" when it is the last).
	Next string `json:"next,omitempty"`
}

// isPartCount reports whether count is made of parts, not cases.
func isPartCount(count string) bool { return strings.HasPrefix(count, "parts_") }

// countCond is the SQL condition of the cases a count (figureNames, or a
// sum "satisfied+basic") is made of, on case_figures x, at now: the same
// definition the sums use, with the time-dependent part of overdue and
// on_time (openLateQuery) applied; or, for a count of parts, on
// assignments a (partConds).
func countCond(count string, now time.Time) (string, []any, error) {
	if isPartCount(count) {
		if c, ok := partConds[count]; ok {
			return "(" + c + ")", nil, nil
		}
		return "", nil, store.Invalidf("没有统计项「%s」", count)
	}
	openLate := `EXISTS (SELECT 1 FROM assignments a WHERE a.id = x.lead_assignment_id AND a.closed_at IS NULL AND a.role = 'lead'
		AND a.handle_due_at < ? AND a.status NOT IN ('answered', 'returned', 'refused', 'done') AND x.late_answers = 0)`
	var parts []string
	var args []any
	for _, name := range strings.Split(count, "+") {
		if !slices.Contains(figureNames, name) {
			return "", nil, store.Invalidf("没有统计项「%s」", count)
		}
		switch name {
		case "overdue":
			parts = append(parts, "(x.overdue = 1 OR "+openLate+")")
			args = append(args, store.Millis(now))
		case "on_time":
			parts = append(parts, "(x.on_time = 1 AND NOT "+openLate+")")
			args = append(args, store.Millis(now))
		default:
			parts = append(parts, "x."+name+" = 1")
		}
	}
	return "(" + strings.Join(parts, " OR ") + ")", args, nil
}

// parseAfter reads a page cursor: "<received ms>.<id>".
func parseAfter(after string) (at, id int64, err error) {
	a, b, ok := strings.Cut(after, ".")
	if ok {
		if at, err = strconv.ParseInt(a, 10, 64); err == nil {
			id, err = strconv.ParseInt(b, 10, 64)
		}
	}
	if !ok || err != nil {
		return 0, 0, store.Invalid("翻页位置无效，请从第一页重新查看")
	}
	return at, id, nil
}

// Cases lists one page of the cases behind a count of the figures of
// q.Unit. Rates and Cases read the same definition, so the pages together
// hold exactly as many cases as the count.
func (s *Service) Cases(ctx context.Context, actor access.Actor, q CaseQuery) (CasePage, error) {
	return s.casePage(ctx, actor, q, s.now())
}

// EachCase calls fn with every case behind a count, newest first, reading
// page by page (keyset) at one moment, so a list of any length streams
// into an export with little memory.
func (s *Service) EachCase(ctx context.Context, actor access.Actor, q CaseQuery, fn func(FigureCase) error) error {
	now := s.now()
	q.Limit, q.After = MaxCasePage, ""
	for {
		p, err := s.casePage(ctx, actor, q, now)
		if err != nil {
			return err
		}
		for _, c := range p.Cases {
			if err := fn(c); err != nil {
				return err
			}
		}
		if p.Next == "" {
			return nil
		}
		q.After = p.Next
	}
}

func (s *Service) casePage(ctx context.Context, actor access.Actor, q CaseQuery, now time.Time) (CasePage, error) {
	if err := checkPeriod(q.Flow, q.From, q.To, DefaultWeights()); err != nil {
		return CasePage{}, err
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultCasePage
	case q.Limit < 0 || q.Limit > MaxCasePage:
		return CasePage{}, store.Invalidf("每页条数应在 1 到 %d 之间", MaxCasePage)
	}
	u, err := loadUnit(ctx, s.db, actor, q.Unit)
	if err != nil {
		return CasePage{}, err
	}
	if q.Count == "" {
		q.Count = "cases"
	}
	cond, cargs, err := countCond(q.Count, now)
	if err != nil {
		return CasePage{}, err
	}
	lo, hi := access.PathRange(u.Path)
	var query string
	var scope string
	var sargs []any
	if isPartCount(q.Count) {
		// One row per part, for the unit it was given to.
		scope, sargs = actor.SubtreeFilter("a.unit_path")
		query = `SELECT c.no, c.flow, c.title, c.status, c.created_at, u.name, a.id
		FROM cases c JOIN assignments a ON a.case_id = c.id JOIN units u ON u.id = a.unit_id
		WHERE c.created_at >= ? AND c.created_at < ? AND c.flow = ? AND a.unit_path >= ? AND a.unit_path < ? AND ` + scope + ` AND ` + cond
	} else {
		scope, sargs = actor.SubtreeFilter("x.path")
		query = `SELECT c.no, c.flow, c.title, c.status, c.created_at, '', c.id
		FROM case_figures x JOIN cases c ON c.id = x.id
		WHERE x.created_at >= ? AND x.created_at < ? AND x.flow = ? AND x.path >= ? AND x.path < ? AND ` + scope + ` AND ` + cond
	}
	key := "c.id"
	if isPartCount(q.Count) {
		key = "a.id"
	}
	args := append([]any{store.Millis(q.From), store.Millis(q.To), q.Flow, lo, hi}, sargs...)
	args = append(args, cargs...)
	if q.After != "" {
		at, id, err := parseAfter(q.After)
		if err != nil {
			return CasePage{}, err
		}
		query += ` AND (c.created_at < ? OR (c.created_at = ? AND ` + key + ` < ?))`
		args = append(args, at, at, id)
	}
	query += ` ORDER BY c.created_at DESC, ` + key + ` DESC LIMIT ?`
	args = append(args, q.Limit+1)
	rows, err := s.db.Reader(ctx).Query(ctx, query, args...)
	out, err := store.Collect(rows, err, func(sc store.Scanner) (FigureCase, error) {
		var fc FigureCase
		var at int64
		err := sc.Scan(&fc.No, &fc.Flow, &fc.Title, &fc.Status, &at, &fc.Unit, &fc.key)
		fc.CreatedAt = time.UnixMilli(at)
		return fc, err
	})
	if err != nil {
		return CasePage{}, fmt.Errorf("figure cases %s %s: %w", u.Code, q.Count, err)
	}
	var p CasePage
	if len(out) > q.Limit {
		out = out[:q.Limit]
		last := out[len(out)-1]
		p.Next = strconv.FormatInt(store.Millis(last.CreatedAt), 10) + "." + strconv.FormatInt(last.key, 10)
	}
	p.Cases = out
	return p, nil
}

// WriteCasesXLSX writes every case behind a count as an .xlsx workbook to
// w, streaming them from EachCase: the whole list, never cut.
func (s *Service) WriteCasesXLSX(ctx context.Context, w io.Writer, actor access.Actor, q CaseQuery, title string) error {
	wb, err := xlsx.New()
	if err != nil {
		return fmt.Errorf("figure cases xlsx: %w", err)
	}
	defer wb.Close()
	cols := []xlsx.Column{{Title: "工单编号"}, {Title: "标题"}, {Title: "状态"}, {Title: "受理时间", Kind: xlsx.DateTime}}
	parts := isPartCount(q.Count)
	if parts {
		cols = append(cols, xlsx.Column{Title: "单位"})
	}
	sh, err := wb.AddSheet("工单", title, cols)
	if err != nil {
		return fmt.Errorf("figure cases xlsx: %w", err)
	}
	err = s.EachCase(ctx, actor, q, func(c FigureCase) error {
		if parts {
			return sh.Add(c.No, c.Title, c.Status, c.CreatedAt, c.Unit)
		}
		return sh.Add(c.No, c.Title, c.Status, c.CreatedAt)
	})
	if err != nil {
		return fmt.Errorf("figure cases xlsx: %w", err)
	}
	if _, err := wb.WriteTo(w); err != nil {
		return fmt.Errorf("figure cases xlsx: %w", err)
	}
	return nil
}

// ListRates are the figures of a list's unit and period with its count
// among them (the parts counted when the count is of parts, whatever the
// flow shows): CountOf(q.Count) is how many rows the list's pages hold.
func (s *Service) ListRates(ctx context.Context, actor access.Actor, q CaseQuery) (UnitRates, error) {
	if isPartCount(q.Count) {
		q.Figures = FiguresOf(FigureIDs())
	}
	return s.Rates(ctx, actor, q.Query)
}
