package casework

// Benchmarks of the views over a synthetic county: keyword search, inbox
// pages and the rates. Run them with
//
//	GRASSROOTS_BENCH_CASES=1000000 \
//	GRASSROOTS_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	go test ./internal/casework/ -run '^$' -bench 'Search|Inbox|Rates' -benchtime 20x
//
// The dataset (GRASSROOTS_BENCH_CASES cases, default 100,000, over a county of
// 19 townships, 304 communities and 1,520 grids) is built once and kept for
// later runs: a SQLite file in GRASSROOTS_BENCH_DIR (default the system's
// temporary folder) and a schema bench_<n> in the PostgreSQL test database.
// Delete them to rebuild.

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/stats"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// benchSize returns the number of cases of the benchmark dataset.
func benchSize(b *testing.B) int {
	n := 100000
	if v := os.Getenv("GRASSROOTS_BENCH_CASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("GRASSROOTS_BENCH_CASES=%q: want a positive number", v)
		}
	}
	return n
}

// benchDBs returns the benchmark database of each engine (PostgreSQL only
// when GRASSROOTS_TEST_POSTGRES is set), loading the dataset when needed.
func benchDBs(b *testing.B) map[string]*store.DB {
	b.Helper()
	n := benchSize(b)
	ctx := context.Background()
	out := map[string]*store.DB{}
	dir := os.Getenv("GRASSROOTS_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	db, err := store.Open(ctx, filepath.Join(dir, fmt.Sprintf("grassroots-bench-%d.db", n)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	out["sqlite"] = db
	if base := os.Getenv(storetest.EnvPostgres); base != "" {
		schema := fmt.Sprintf("bench_%d", n)
		admin, err := sql.Open("pgx", base)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Exec(`CREATE SCHEMA IF NOT EXISTS ` + schema); err != nil {
			b.Fatal(err)
		}
		admin.Close()
		u, err := url.Parse(base)
		if err != nil {
			b.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		pg, err := store.Open(ctx, u.String())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { pg.Close() })
		out["postgres"] = pg
	}
	for name, db := range out {
		if err := db.Migrate(ctx); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		var have int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM cases`).Scan(&have); err != nil {
			b.Fatal(err)
		}
		if have == n {
			continue
		}
		if have != 0 {
			b.Fatalf("%s: the benchmark database holds %d cases, not %d: delete it to rebuild", name, have, n)
		}
		start := time.Now()
		if err := loadBenchData(ctx, db, n); err != nil {
			b.Fatalf("%s: load: %v", name, err)
		}
		b.Logf("%s: loaded %d cases in %v", name, n, time.Since(start).Round(time.Millisecond))
	}
	return out
}

// benchPhrases returns the matters the synthetic cases talk about.
func benchPhrases() []string {
	return []string{"路灯不亮", "夜间施工噪音扰民", "咨询低保申请材料", "道路积水严重", "垃圾清运不及时", "违章停车堵路",
		"占道经营", "井盖缺失有危险", "树木倒伏", "小区停水", "楼道堆放杂物", "广场舞音响太吵", "油烟扰民", "下水道堵塞",
		"医保报销咨询", "养老金发放", "学校门口交通拥堵", "流浪狗伤人", "电动车违规充电", "农村道路破损"}
}

// loadBenchData writes n cases over a synthetic county, in big batched
// transactions.
func loadBenchData(ctx context.Context, db *store.DB, n int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	phrases := benchPhrases()
	now := time.Date(2026, 12, 31, 12, 0, 0, 0, viewsZone())
	yearStart := time.Date(2026, 1, 1, 0, 0, 0, 0, viewsZone())
	type u struct {
		id   int64
		path string
	}
	var towns, communities, grids []u
	err := db.InTx(ctx, func(tx *store.Tx) error {
		add := func(code, name, kind string, parent *u) (u, error) {
			var x u
			var pid any
			if parent != nil {
				pid = parent.id
			}
			if err := tx.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, 0, 1, 1) RETURNING id`, code, name, kind, pid, "tmp:"+code).Scan(&x.id); err != nil {
				return x, err
			}
			x.path = "/" + strconv.FormatInt(x.id, 10) + "/"
			if parent != nil {
				x.path = parent.path + strconv.FormatInt(x.id, 10) + "/"
			}
			_, err := tx.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, x.path, x.id)
			return x, err
		}
		county, err := add("350722000000", "浦城县", "county", nil)
		if err != nil {
			return err
		}
		for t := range 19 {
			town, err := add(fmt.Sprintf("350722%03d000", t+1), fmt.Sprintf("乡镇%d", t+1), "township", &county)
			if err != nil {
				return err
			}
			towns = append(towns, town)
			for c := range 16 {
				com, err := add(fmt.Sprintf("350722%03d%03d", t+1, c+1), fmt.Sprintf("社区%d-%d", t+1, c+1), "community", &town)
				if err != nil {
					return err
				}
				communities = append(communities, com)
				for g := range 5 {
					grid, err := add(fmt.Sprintf("350722%03d%03d-G%d", t+1, c+1, g+1), fmt.Sprintf("网格%d-%d-%d", t+1, c+1, g+1), "grid", &com)
					if err != nil {
						return err
					}
					grids = append(grids, grid)
				}
			}
		}
		for i := range 20 {
			var root int64
			if err := tx.QueryRow(ctx, `INSERT INTO categories (code, name, kind, created_at) VALUES (?, ?, '管理事项', 1) RETURNING id`,
				fmt.Sprintf("%02d", i+1), fmt.Sprintf("大类%d", i+1)).Scan(&root); err != nil {
				return err
			}
			for j := range 10 {
				if _, err := tx.Exec(ctx, `INSERT INTO categories (code, name, parent_id, kind, created_at) VALUES (?, ?, ?, '管理事项', 1)`,
					fmt.Sprintf("%02d%03d", i+1, j+1), fmt.Sprintf("小类%d-%d", i+1, j+1), root); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var firstCat int64
	if err := db.QueryRow(ctx, `SELECT MIN(id) FROM categories`).Scan(&firstCat); err != nil {
		return err
	}
	const batch = 250
	const perTx = 20000
	span := now.Sub(yearStart)
	ph := func(k int) string { return "(" + strings.TrimSuffix(strings.Repeat("?,", k), ",") + ")" }
	caseRow, assignRow := ph(22), ph(17)
	searchRow := "(?, ?)"
	if db.Dialect == store.Postgres {
		searchRow = "(?, ?::text[])"
	}
	id := int64(0)
	for done := 0; done < n; {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for end := min(done+perTx, n); done < end; {
				k := min(batch, end-done)
				var cargs, aargs, sargs []any
				for range k {
					id++
					created := yearStart.Add(time.Duration(rng.Int64N(int64(span))))
					gi := rng.IntN(len(grids))
					grid, com := grids[gi], communities[gi/5]
					p1, p2 := phrases[rng.IntN(len(phrases))], phrases[rng.IntN(len(phrases))]
					title := p1
					body := fmt.Sprintf("群众反映%s，另外%s，希望尽快处理。编号%d", p1, p2, rng.IntN(100000))
					age := now.Sub(created)
					lead := com
					if rng.IntN(4) == 0 {
						lead = towns[rng.IntN(len(towns))]
					}
					signDue := created.Add(2 * time.Hour)
					handleDue := created.Add(5 * 24 * time.Hour)
					status, astatus := "closed", "done"
					var signed, answered, revisited, closed any
					var resolved any
					satisfaction := ""
					overdue := 0
					signedAt := created.Add(time.Duration(rng.IntN(180)) * time.Minute)
					switch {
					case age < 4*time.Hour && rng.IntN(2) == 0:
						status, astatus = "dispatched", "to_sign"
					case age < 7*24*time.Hour:
						status, astatus = "in_hand", "in_hand"
						signed = signedAt.UnixMilli()
						if age > 5*24*time.Hour {
							overdue = 1
						}
					default:
						signed = signedAt.UnixMilli()
						ans := created.Add(time.Duration(rng.IntN(7*24)) * time.Hour)
						answered = ans.UnixMilli()
						if ans.After(handleDue) {
							overdue = 1
						}
						if age < 10*24*time.Hour {
							status, astatus = "answered", "answered"
						} else {
							revisited = ans.Add(20 * time.Hour).UnixMilli()
							closed = revisited
							resolved = 1
							if rng.IntN(10) == 0 {
								resolved = 0
							}
							satisfaction = []string{"satisfied", "satisfied", "satisfied", "basic", "unsatisfied"}[rng.IntN(5)]
						}
					}
					no := fmt.Sprintf("350722-%s-%07d", created.Format("20060102"), id)
					cargs = append(cargs, id, no, "hotline", "complaint", firstCat+int64(rng.IntN(220)), title, body, "phone",
						grid.id, com.id, com.path, fmt.Sprintf("h%d", rng.IntN(n)), status, lead.id, handleDue.UnixMilli(),
						answered, revisited, resolved, satisfaction, closed, created.UnixMilli(), created.UnixMilli())
					aargs = append(aargs, id, id, created.UnixMilli(), lead.id, lead.path, "lead", astatus, created.UnixMilli(), signDue.UnixMilli(),
						signed, handleDue.UnixMilli(), answered, overdue, closed, created.UnixMilli(), created.UnixMilli(), 0)
					toks := Tokens(title + "\n" + body)
					if db.Dialect == store.Postgres {
						sargs = append(sargs, id, toks)
					} else {
						sargs = append(sargs, id, strings.Join(toks, " "))
					}
				}
				rows := func(row string) string { return strings.TrimSuffix(strings.Repeat(row+",", k), ",") }
				if _, err := tx.Exec(ctx, `INSERT INTO cases (id, no, flow, request_type, category_id, title, body, channel,
					grid_unit_id, place_unit_id, place_path, reporter_phone_hash, status, lead_unit_id, handle_due_at,
					answered_at, revisited_at, resolved, satisfaction, closed_at, created_at, updated_at) VALUES `+rows(caseRow), cargs...); err != nil {
					return fmt.Errorf("cases: %w", err)
				}
				if _, err := tx.Exec(ctx, `INSERT INTO assignments (id, case_id, case_created_at, unit_id, unit_path, role, status, dispatched_at,
					sign_due_at, signed_at, handle_due_at, answered_at, overdue, closed_at, created_at, updated_at, extension_days)
					VALUES `+rows(assignRow), aargs...); err != nil {
					return fmt.Errorf("assignments: %w", err)
				}
				col := "rowid"
				if db.Dialect == store.Postgres {
					col = "case_id"
				}
				if _, err := tx.Exec(ctx, `INSERT INTO case_search (`+col+`, tokens) VALUES `+rows(searchRow), sargs...); err != nil {
					return fmt.Errorf("search: %w", err)
				}
				done += k
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// The assignments went in without the engine: copy each case's lead
	// onto the case as the engine does.
	if err := RefreshLeads(ctx, db); err != nil {
		return err
	}
	// PostgreSQL's identity sequences must move past the explicit ids; both
	// engines get fresh statistics.
	if db.Dialect == store.Postgres {
		for _, t := range []string{"cases", "assignments"} {
			if _, err := db.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT MAX(id) FROM `+t+`))`); err != nil {
				return err
			}
		}
		_, err := db.Exec(ctx, `ANALYZE`)
		return err
	}
	_, err = db.Exec(ctx, `ANALYZE`)
	return err
}

// benchActors returns the county-wide actor and a township's actor.
func benchActors(b *testing.B, db *store.DB) (county, town access.Actor) {
	ctx := context.Background()
	county = access.Actor{UserID: 1, UnitKind: "county", UnitCode: "350722000000"}
	town = access.Actor{UserID: 2, UnitKind: "township"}
	if err := db.QueryRow(ctx, `SELECT id, code, path FROM units WHERE code = '350722003000'`).Scan(&town.UnitID, &town.UnitCode, &town.UnitPath); err != nil {
		b.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT path FROM units WHERE code = '350722000000'`).Scan(&county.UnitPath); err != nil {
		b.Fatal(err)
	}
	return county, town
}

func BenchmarkSearch(b *testing.B) {
	for engine, db := range benchDBs(b) {
		s := &Service{db: db}
		county, town := benchActors(b, db)
		if engine == "postgres" {
			explainSearch(b, db)
		}
		for _, tt := range []struct {
			name  string
			actor access.Actor
			q     string
		}{
			{"county/路灯", county, "路灯"},
			{"county/低保+医保", county, "低保 医保"},
			{"township/噪音", town, "噪音"},
			{"county/one-char/堵", county, "堵"},
		} {
			b.Run(engine+"/"+tt.name, func(b *testing.B) {
				for b.Loop() {
					p, err := s.Inbox(context.Background(), tt.actor, InboxFilter{Q: tt.q})
					if err != nil {
						b.Fatal(err)
					}
					if len(p.Rows) == 0 {
						b.Fatal("nothing found")
					}
				}
			})
		}
	}
}

// explainSearch logs PostgreSQL's plan for the probe of a keyword search
// and fails when it does not use the GIN index.
func explainSearch(b *testing.B, db *store.DB) {
	rows, err := db.Query(context.Background(), `EXPLAIN SELECT case_id FROM case_search WHERE tokens @> ?::text[] LIMIT ?`,
		Tokens("低保 医保"), searchProbe)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, line)
	}
	text := strings.Join(plan, "\n")
	b.Logf("PostgreSQL plan of a keyword search's probe:\n%s", text)
	if !strings.Contains(text, "case_search_tokens") {
		b.Errorf("the keyword search does not use the GIN index case_search_tokens")
	}
}

func BenchmarkInbox(b *testing.B) {
	for engine, db := range benchDBs(b) {
		s := &Service{db: db}
		county, town := benchActors(b, db)
		now := time.Date(2026, 12, 31, 12, 0, 0, 0, viewsZone())
		for _, tt := range []struct {
			name  string
			actor access.Actor
			f     InboxFilter
		}{
			{"township/to_sign", town, InboxFilter{Bucket: BucketToSign}},
			{"township/in_hand", town, InboxFilter{Bucket: BucketInHand}},
			{"township/all", town, InboxFilter{}},
			{"township/all/page5", town, InboxFilter{}},
			{"county/all", county, InboxFilter{}},
			{"county/to_sign", county, InboxFilter{Bucket: BucketToSign}},
			{"county/overdue", county, InboxFilter{Bucket: BucketOverdue}},
			{"county/to_revisit", county, InboxFilter{Bucket: BucketToRevisit}},
			{"county/category", county, InboxFilter{Category: "03"}},
		} {
			b.Run(engine+"/"+tt.name, func(b *testing.B) {
				f := tt.f
				if strings.HasSuffix(tt.name, "page5") {
					for range 4 {
						p, err := s.Inbox(context.Background(), tt.actor, f)
						if err != nil {
							b.Fatal(err)
						}
						f.Cursor = p.Next
					}
				}
				for b.Loop() {
					if _, err := s.Inbox(context.Background(), tt.actor, f); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		for _, tt := range []struct {
			name  string
			actor access.Actor
		}{{"township", town}, {"county", county}} {
			b.Run(engine+"/counts/"+tt.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Counts(context.Background(), tt.actor, now); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkRates(b *testing.B) {
	for engine, db := range benchDBs(b) {
		county, town := benchActors(b, db)
		from := time.Date(2026, 6, 1, 0, 0, 0, 0, viewsZone())
		to := from.AddDate(0, 1, 0)
		b.Run(engine+"/county/month", func(b *testing.B) {
			for b.Loop() {
				r, err := stats.Rates(context.Background(), db, county, county.UnitCode, stats.DefaultFlow, from, to, stats.DefaultWeights())
				if err != nil {
					b.Fatal(err)
				}
				if r.Counts.Cases == 0 {
					b.Fatal("no cases in the month")
				}
			}
		})
		b.Run(engine+"/county/month/by-township", func(b *testing.B) {
			for b.Loop() {
				if _, err := stats.RatesByChild(context.Background(), db, county, county.UnitCode, stats.DefaultFlow, from, to, stats.DefaultWeights()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(engine+"/township/month", func(b *testing.B) {
			for b.Loop() {
				if _, err := stats.Rates(context.Background(), db, town, town.UnitCode, stats.DefaultFlow, from, to, stats.DefaultWeights()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIntake creates 12345 cases dispatched at intake through the
// engine on SQLite (CPU per intake, no HTTP), with and without the triggers
// that keep the figures' daily sums (migration 0014), to show what they cost.
func BenchmarkIntake(b *testing.B) {
	for _, withTriggers := range []bool{true, false} {
		name := "figure triggers"
		if !withTriggers {
			name = "no figure triggers"
		}
		b.Run(name, func(b *testing.B) {
			db := storetest.SQLite(b)
			fx := newEngine(b, db)
			if !withTriggers {
				for _, t := range []string{"case_figures_insert", "case_figures_update_old", "case_figures_update_new"} {
					if _, err := db.Exec(context.Background(), `DROP TRIGGER `+t); err != nil {
						b.Fatal(err)
					}
				}
			}
			taker := fx.actor(1, "350722000000")
			b.ResetTimer()
			for i := range b.N {
				in := hotline(fmt.Sprintf("路灯不亮 %d", i))
				in.Dispatch = "350722001001"
				fx.create(taker, in)
			}
		})
	}
}

// BenchmarkIntakeParallel creates cases from 16 goroutines at once, as a
// server under load does: on SQLite the writers queue for the one writer and
// share commits (store/group.go). ns/op is wall time per case.
func BenchmarkIntakeParallel(b *testing.B) {
	db := storetest.SQLite(b)
	fx := newEngine(b, db)
	taker := fx.actor(1, "350722000000")
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			in := hotline(fmt.Sprintf("路灯不亮 %d", n.Add(1)))
			in.Dispatch = "350722001001"
			if _, _, err := fx.s.Create(context.Background(), taker, in); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
