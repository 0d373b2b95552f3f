package casework

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestGridWork(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		worker := fx.actor(11, "350722001001G01", access.RoleGrid)
		community := fx.actor(12, "350722001001", access.RoleCommunity)
		city := fx.actor(13, "350722D003", access.RoleDepartment)
		village := fx.actor(14, "350722101200", access.RoleCommunity)

		yesterday := fx.create(worker, NewCase{Flow: "grid_event", Category: "S06001", Title: "昨天的占道"})
		fx.do(community, yesterday.No, Action{Name: "register"})
		fx.do(community, yesterday.No, Action{Name: "dispatch", UnitCode: "350722D003"})
		fx.do(city, yesterday.No, Action{Name: "sign"})
		fx.do(city, yesterday.No, Action{Name: "report_handled", Note: "已劝离",
			Attachments: []NewAttachment{{Name: "after.png", Data: pngBytes, Stage: "after"}}})
		fx.now = fx.now.AddDate(0, 0, 1)
		reported := fx.create(worker, NewCase{Flow: "grid_event", Category: "S06001", Title: "今天的占道"})
		fixed := fx.create(worker, NewCase{Flow: "grid_event", Category: "S06001", Title: "垃圾散落", OnSpot: true, Note: "已清扫"})
		elsewhere := fx.create(village, NewCase{Flow: "grid_event", Category: "S06001", Title: "别处", PlaceUnit: "350722101200"})

		nos := func(cs []GridCase) []string {
			var out []string
			for _, c := range cs {
				out = append(out, c.No)
			}
			return out
		}
		tests := []struct {
			name        string
			actor       access.Actor
			today, tick []string
			onSpot      int
		}{
			{"grid worker", worker, []string{fixed.No, reported.No}, []string{yesterday.No}, 1},
			{"community sees its grids", community, []string{fixed.No, reported.No}, []string{yesterday.No}, 1},
			{"another village sees only its own", village, []string{elsewhere.No}, nil, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w, err := fx.s.GridWork(ctx, tt.actor, fx.now)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.today, nos(w.Today)); diff != "" {
					t.Errorf("today (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.tick, nos(w.ToCheck)); diff != "" {
					t.Errorf("to check (-want +got):\n%s", diff)
				}
				if w.OnSpotToday != tt.onSpot {
					t.Errorf("on the spot today = %d, want %d", w.OnSpotToday, tt.onSpot)
				}
			})
		}
		fx.do(worker, yesterday.No, Action{Name: "check", Resolved: ptrTrue()})
		if w, err := fx.s.GridWork(ctx, worker, fx.now); err != nil || len(w.ToCheck) != 0 {
			t.Errorf("after the check: %v, %v", nos(w.ToCheck), err)
		}
		if _, err := fx.s.GridWork(ctx, access.Actor{}, fx.now); err == nil {
			t.Error("anonymous grid work allowed")
		}
	})
}

// The phone's home also lists the whistles that summon the worker's grid
// (until its part is over) and the open cases of any flow in the grid that
// someone else reported.
func TestGridWorkSummonsAndGridCases(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		ctx := context.Background()
		worker := fx.actor(11, "350722001001G01", access.RoleGrid)
		street := fx.actor(10, "350722001000", access.RoleTownship)
		other := fx.actor(14, "350722101200", access.RoleCommunity)
		admin := fx.actor(17, "350722000000", access.RoleAdmin)

		w := fx.create(street, NewCase{Flow: "whistle", Kind: WhistleStreet, Title: "积水严重", PlaceUnit: "350722001001",
			Summon: []string{"350722001001G01"}})
		call := fx.create(admin, NewCase{Flow: "hotline", RequestType: RequestHelp, Title: "路灯不亮", ReporterPhone: "13800138000",
			PlaceUnit: "350722001001G01"})
		mine := fx.create(worker, NewCase{Flow: "grid_event", Category: "S06001", Title: "自己上报的"})
		got, err := fx.s.GridWork(ctx, worker, fx.now)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Summons) != 1 || got.Summons[0].No != w.No || got.Summons[0].PartStatus != "to_sign" {
			t.Errorf("summons = %+v, want %s to sign", got.Summons, w.No)
		}
		if len(got.InGrid) != 1 || got.InGrid[0].No != call.No {
			t.Errorf("in grid = %+v, want only %s (not %s, the worker's own)", got.InGrid, call.No, mine.No)
		}
		if o, err := fx.s.GridWork(ctx, other, fx.now); err != nil || len(o.Summons)+len(o.InGrid) != 0 {
			t.Errorf("another village sees %+v / %+v, %v", o.Summons, o.InGrid, err)
		}
		fx.do(worker, w.No, Action{Name: "refuse_summons", Note: "不在本网格职责范围"})
		if got, err := fx.s.GridWork(ctx, worker, fx.now); err != nil || len(got.Summons) != 0 {
			t.Errorf("after refusing: %+v, %v", got.Summons, err)
		}
	})
}
