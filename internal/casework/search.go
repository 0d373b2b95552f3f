package casework

// Keyword search over cases. Chinese has no spaces, and trigram indexes cannot
// find the two-character words clerks type most (路灯, 噪音, 低保), so the
// text of a case is cut in Go into CJK bigrams plus lower-cased latin/digit
// words, and those tokens are indexed: by FTS5 on SQLite (the case_search
// virtual table, rowid = case id) and by a GIN index over a text[] column on
// PostgreSQL (needs no text-search locale). A query is cut the same way and
// every one of its tokens must match (AND).

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"grassroots/internal/store"
)

// maxQueryTokens bounds the tokens of one search query, so a pasted page of
// text does not become a thousand-term index lookup.
const maxQueryTokens = 32

// Tokens cuts text into search tokens: every adjacent pair of Han characters
// (a lone Han character stands as itself), and every run of other letters and
// digits as one lower-cased word. Tokens are deduplicated and keep the order
// of their first occurrence. "路灯坏了 LED" gives 路灯, 灯坏, 坏了, led.
func Tokens(text string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(tok string) {
		if tok != "" && !seen[tok] {
			seen[tok] = true
			out = append(out, tok)
		}
	}
	var han []rune
	var word []rune
	flushHan := func() {
		switch len(han) {
		case 0:
		case 1:
			add(string(han))
		default:
			for i := 0; i+1 < len(han); i++ {
				add(string(han[i : i+2]))
			}
		}
		han = han[:0]
	}
	flushWord := func() {
		if len(word) > 0 {
			add(string(word))
			word = word[:0]
		}
	}
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			flushWord()
			han = append(han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushHan()
			word = append(word, unicode.ToLower(r))
		default:
			flushHan()
			flushWord()
		}
	}
	flushHan()
	flushWord()
	return out
}

// isSingleHan reports whether tok is one Han character, which a query
// matches as a prefix of the indexed bigrams.
func isSingleHan(tok string) bool {
	rs := []rune(tok)
	return len(rs) == 1 && unicode.Is(unicode.Han, rs[0])
}

// IndexCase writes (or replaces) the search row of a case inside tx, from the
// texts given (title, body, address, ...). The engine calls it in the same
// transaction that creates or edits the case.
func IndexCase(ctx context.Context, tx *store.Tx, caseID int64, texts ...string) error {
	toks := Tokens(strings.Join(texts, "\n"))
	if tx.Dialect == store.Postgres {
		if toks == nil {
			toks = []string{}
		}
		_, err := tx.Exec(ctx, `INSERT INTO case_search (case_id, tokens) VALUES (?, ?)
			ON CONFLICT (case_id) DO UPDATE SET tokens = excluded.tokens`, caseID, toks)
		if err != nil {
			return fmt.Errorf("index case %d: %w", caseID, err)
		}
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM case_search WHERE rowid = ?`, caseID); err != nil {
		return fmt.Errorf("index case %d: %w", caseID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO case_search (rowid, tokens) VALUES (?, ?)`, caseID, strings.Join(toks, " ")); err != nil {
		return fmt.Errorf("index case %d: %w", caseID, err)
	}
	return nil
}

// searchProbe is how many matches of a keyword query make it "common"
// (see searchCondition).
const searchProbe = 1000

// searchCondition returns an SQL condition on the case alias c that keeps the
// cases matching every token of the keyword query q, with its arguments.
//
// On SQLite each token is an FTS5 phrase ("路灯"); a lone Han character is a
// prefix query ("路"*) and so matches the bigrams that start with it. FTS5
// is probed for up to searchProbe matches first, to choose the plan.
//
// On PostgreSQL the bigrams and words must all be in the case's token array
// (tokens @> ARRAY[...], served by the GIN index). The planner cannot tell
// well how many cases an AND of tokens matches, and the two good plans differ
// by orders of magnitude, so the GIN index is probed first for up to
// searchProbe matches: a rare query becomes a list of case ids (looked up by
// primary key, then sorted), a common one a per-case check while the cases
// are read newest first (the page fills after a few hundred). A lone Han
// character, which a GIN index over whole tokens cannot serve, is matched
// with LIKE on the title and body instead — correct, and bounded by the rest
// of the query (scope, bucket, keyset order).
//
// A query without any letter, digit or Han character is refused with a
// message for the user.
func (s *Service) searchCondition(ctx context.Context, q string) (string, []any, error) {
	return s.searchConditionProbe(ctx, q, searchProbe)
}

// searchConditionProbe is searchCondition with the threshold between a rare
// and a common query given (tests use both paths on small data).
func (s *Service) searchConditionProbe(ctx context.Context, q string, probe int) (string, []any, error) {
	toks := Tokens(q)
	if len(toks) == 0 {
		return "", nil, store.Invalid("请输入要搜索的关键词（汉字、字母或数字）")
	}
	if len(toks) > maxQueryTokens {
		toks = toks[:maxQueryTokens]
	}
	if s.db.Dialect != store.Postgres {
		parts := make([]string, len(toks))
		for i, t := range toks {
			// Tokens hold only letters and digits, so quoting cannot be broken.
			parts[i] = `"` + t + `"`
			if isSingleHan(t) {
				parts[i] += "*"
			}
		}
		match := strings.Join(parts, " AND ")
		// FTS5 finds even a common word's matches quickly (路灯, 65,000
		// cases at a million: 3 ms), but looking each one up and sorting
		// them all by time does not (130 ms). So a common query is a
		// membership test ("+" keeps SQLite from driving the query by it)
		// while the cases are read newest first and the page fills early; a
		// rare one drives the query, as reading newest first would go
		// through every case before finding its few.
		var common int
		if err := s.db.Reader(ctx).QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM case_search WHERE case_search MATCH ? LIMIT ?)`, match, probe).Scan(&common); err != nil {
			return "", nil, fmt.Errorf("search: %w", err)
		}
		if common >= probe {
			return "+c.id IN (SELECT rowid FROM case_search WHERE case_search MATCH ?)", []any{match}, nil
		}
		return "c.id IN (SELECT rowid FROM case_search WHERE case_search MATCH ?)", []any{match}, nil
	}
	var whole []string
	var conds []string
	var args []any
	for _, t := range toks {
		if isSingleHan(t) {
			conds = append(conds, "(c.title LIKE ? OR c.body LIKE ?)")
			args = append(args, "%"+t+"%", "%"+t+"%")
			continue
		}
		whole = append(whole, t)
	}
	if len(whole) > 0 {
		// The tokens are written into the query as a literal: they hold only
		// letters and digits (see Tokens), and a parameter would let a cached
		// generic plan read the whole table instead of the GIN index.
		lit := "ARRAY['" + strings.Join(whole, "','") + "']::text[]"
		rows, err := s.db.Reader(ctx).Query(ctx, `SELECT case_id FROM case_search WHERE tokens @> `+lit+` LIMIT `+strconv.Itoa(probe))
		if err != nil {
			return "", nil, fmt.Errorf("search: %w", err)
		}
		ids := []int64{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return "", nil, fmt.Errorf("search: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", nil, fmt.Errorf("search: %w", err)
		}
		if len(ids) < probe {
			// The ids are written into the query, not passed as one array
			// parameter: with a parameter, a cached generic plan may scan
			// cases in date order instead of looking the few ids up.
			list := make([]string, len(ids)+1)
			list[0] = "0" // never an id; keeps the list non-empty
			for i, id := range ids {
				list[i+1] = strconv.FormatInt(id, 10)
			}
			conds = append([]string{"c.id IN (" + strings.Join(list, ",") + ")"}, conds...)
		} else {
			// A scalar subquery, not EXISTS: the planner guesses an AND of
			// bigrams far too rare (燃气泄漏: 259 cases for 65,000) and
			// would turn EXISTS into a join driven by all the GIN matches
			// (450 ms at a million cases); this is checked case by case.
			conds = append([]string{"(SELECT s.tokens FROM case_search s WHERE s.case_id = c.id) @> " + lit}, conds...)
		}
	}
	return strings.Join(conds, " AND "), args, nil
}
