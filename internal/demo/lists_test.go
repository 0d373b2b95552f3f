package demo

import (
	"bytes"
	"context"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
	"grassroots/internal/service"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// withDivisions returns the organisation service over db with the shipped
// divisions loaded and one case category the demo lists link to a matter.
func withDivisions(t *testing.T, db *store.DB) *org.Service {
	t.Helper()
	ctx := context.Background()
	o := org.NewService(db, testSealer(t))
	if _, err := o.LoadDivisions(ctx); err != nil {
		t.Fatalf("load divisions: %v", err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO categories (code, name, kind, created_at) VALUES ('06010', '暴露垃圾', '管理事项', 0)`); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestLists(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := withDivisions(t, db)
		lists := catalog.NewService(db)
		loaded, err := Lists(ctx, lists, o)
		if err != nil || !loaded {
			t.Fatalf("Lists = %v, %v", loaded, err)
		}
		if again, err := Lists(ctx, lists, o); again || err != nil {
			t.Errorf("demo lists loaded twice: %v %v", again, err)
		}
		for _, c := range []struct {
			name  string
			query string
			want  int
		}{
			{"demo matters", `SELECT COUNT(*) FROM matters WHERE demo = 1`, len(demoMatters)},
			{"list versions, one per list", `SELECT COUNT(*) FROM list_versions WHERE demo = 1 AND reason = '演示数据'`, 4},
			{"other versions", `SELECT COUNT(*) FROM list_versions WHERE demo = 0 OR reason <> '演示数据'`, 0},
			{"pending township request", `SELECT COUNT(*) FROM empowerment_requests WHERE status = 'pending' AND demo = 1`, 1},
		} {
			if got := count(t, db, c.query); got != c.want {
				t.Errorf("%s = %d, want %d", c.name, got, c.want)
			}
		}
		if r, err := lists.Route(ctx, "06010"); err != nil || r.Lead.Code != "350722D003" {
			t.Errorf("route of 暴露垃圾: %+v %v", r, err)
		}
		// Every list has content, and survives an Excel round trip into a
		// database with the same divisions.
		db2 := storetest.SQLite(t)
		withDivisions(t, db2)
		lists2 := catalog.NewService(db2)
		for _, list := range catalog.Lists {
			items, err := lists.Items(ctx, access.System, list, catalog.Filter{})
			if err != nil || len(items) == 0 {
				t.Fatalf("demo %s list: %d items, %v", list, len(items), err)
			}
			var file bytes.Buffer
			if err := lists.Export(ctx, access.System, list, 0, catalog.Filter{}, &file); err != nil {
				t.Fatal(err)
			}
			rows, err := catalog.ParseFile(ctx, list, &file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := lists2.Import(ctx, access.System, list, rows, catalog.ImportOptions{}); err != nil {
				t.Fatalf("import the demo %s list: %v", list, err)
			}
			back, err := lists2.Items(ctx, access.System, list, catalog.Filter{})
			if err != nil || len(back) != len(items) {
				t.Errorf("%s list round trip: %d items, want %d (%v)", list, len(back), len(items), err)
			}
		}
	})
}

func TestService(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := withDivisions(t, db)
		lists := catalog.NewService(db)
		cases, err := casework.NewService(db, casework.Deps{AttachDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		svc := service.New(db, cases, nil, nil)
		// Without the demo matters there is nothing to build on.
		if loaded, err := Service(ctx, svc, lists, o); loaded || err != nil {
			t.Fatalf("Service before the lists = %v, %v; want nothing loaded", loaded, err)
		}
		if _, err := Lists(ctx, lists, o); err != nil {
			t.Fatal(err)
		}
		loaded, err := Service(ctx, svc, lists, o)
		if err != nil || !loaded {
			t.Fatalf("Service = %v, %v", loaded, err)
		}
		if again, err := Service(ctx, svc, lists, o); again || err != nil {
			t.Errorf("demo service loaded twice: %v %v", again, err)
		}
		data := serviceData()
		items, err := svc.Items(ctx, service.ItemFilter{})
		if err != nil || len(items) != len(data.Items) || len(items) < 20 {
			t.Errorf("service items = %d, %v; want the %d demo items", len(items), err, len(data.Items))
		}
		var centres, points int
		for _, kind := range []string{org.KindTownship, org.KindStreet, org.KindVillage, org.KindCommunity} {
			us, err := o.ByKind(ctx, kind)
			if err != nil {
				t.Fatal(err)
			}
			if kind == org.KindTownship || kind == org.KindStreet {
				centres += len(us)
			} else {
				points += len(us)
			}
		}
		want := service.NetworkCounts{Centres: centres, Points: points, Windows: 3*centres + points, Staff: 3*centres + points}
		if got, err := svc.Counts(ctx); err != nil || got != want {
			t.Errorf("network = %+v, %v; want %+v", got, err, want)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM service_items WHERE demo = 0`); n != 0 {
			t.Errorf("%d service items not marked demo", n)
		}
	})
}
