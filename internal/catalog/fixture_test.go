package catalog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// fixture is a small county: the county, three departments (the approval
// office among them), a street with a community, and a town.
type fixture struct {
	db    *store.DB
	s     *Service
	clock *time.Time
	units map[string]int64 // by code
	admin access.Actor
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{db: db, s: NewService(db), units: map[string]int64{}}
	now := time.Date(2026, 2, 1, 9, 0, 0, 0, shanghai)
	f.clock = &now
	f.s.SetClock(func() time.Time { return *f.clock })
	type u struct{ code, name, kind, parent, ttype string }
	for _, x := range []u{
		{"350722000000", "浦城县", "county", "", ""},
		{"350722D001", "县委编办", "department", "350722000000", ""},
		{"350722D002", "县住房和城乡建设局", "department", "350722000000", ""},
		{"350722D003", "县城市管理和综合执法局", "department", "350722000000", ""},
		{"350722D008", "县民政局", "department", "350722000000", ""},
		{"350722D016", "县应急管理局", "department", "350722000000", ""},
		{"350722001000", "南浦街道", "street", "350722000000", "城区街道"},
		{"350722001001", "城关社区", "community", "350722001000", ""},
		{"350722100000", "富岭镇", "township", "350722000000", "中心镇"},
		{"350722200000", "山下乡", "township", "350722000000", "一般乡镇"},
	} {
		path := "/"
		depth := 0
		var parent any
		if x.parent != "" {
			var pp string
			if err := db.QueryRow(ctx, `SELECT path, depth FROM units WHERE code = ?`, x.parent).Scan(&pp, &depth); err != nil {
				t.Fatal(err)
			}
			path, depth, parent = pp, depth+1, f.units[x.parent]
		}
		var id int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, township_type, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0) RETURNING id`, x.code, x.name, x.kind, parent, fmt.Sprintf("tmp-%s", x.code), depth, x.ttype).Scan(&id); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, fmt.Sprintf("%s%d/", path, id), id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		f.units[x.code] = id
		if x.kind == "street" || x.kind == "township" {
			// The institutions a power list names as implementing bodies.
			for _, n := range []string{"综合执法队", "综合便民服务中心", "社会事务办公室"} {
				if _, err := db.Exec(ctx, `INSERT INTO institutions (unit_id, kind, name) VALUES (?, 'office', ?)`, id, n); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	f.admin = f.actor("350722D001", "department", access.RoleAdmin)
	return f
}

// actor returns a user of the unit with code.
func (f *fixture) actor(code, kind string, roles ...access.Role) access.Actor {
	var path, name string
	_ = f.db.QueryRow(context.Background(), `SELECT path, name FROM units WHERE code = ?`, code).Scan(&path, &name)
	return access.Actor{UserID: f.units[code] + 1000, Username: "u" + code, Name: "用户" + name, UnitID: f.units[code], UnitCode: code,
		UnitName: name, UnitKind: kind, UnitPath: path, Roles: roles}
}

func (f *fixture) advance(d time.Duration) { *f.clock = f.clock.Add(d) }

// matter registers a matter.
func (f *fixture) matter(t *testing.T, code, name string) {
	t.Helper()
	if _, _, err := f.s.SaveMatter(context.Background(), f.admin, MatterInput{Code: code, Name: name, BasisLaw: "中华人民共和国行政许可法", BasisArticle: "第十二条"}, "test"); err != nil {
		t.Fatal(err)
	}
}
