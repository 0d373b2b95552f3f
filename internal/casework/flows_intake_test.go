package casework

import (
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestIntakeRulesAreFlowFields: the grid event's intake rules (a grid
// worker's report comes in by the grid channel; a category and a place are
// required) are fields of the flow, not its name: a copy of the flow under
// another name keeps them, and a flow without them asks for neither.
func TestIntakeRulesAreFlowFields(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		grid := GridEventFlow()
		grid.Name = "street_patrol"
		loose := GridEventFlow()
		loose.Name, loose.Channels, loose.NeedsCategory, loose.NeedsPlace = "loose_patrol", nil, false, false
		fx := newEngine(t, db, func(d *Deps) { d.Flows = []Flow{grid, loose} })
		worker := fx.actor(10, "350722001001G01", access.RoleGrid)
		town := fx.actor(5, "350722101000", access.RoleTownship)

		c := fx.create(worker, NewCase{Flow: "street_patrol", Category: "S06001", Title: "占道经营"})
		if c.Channel != "grid" {
			t.Errorf("a grid worker's report came in by %q, want grid", c.Channel)
		}
		for _, in := range []struct {
			nc   NewCase
			want string
		}{
			{NewCase{Flow: "street_patrol", Title: "无分类", PlaceUnit: "350722101000"}, "请选择问题分类"},
			{NewCase{Flow: "street_patrol", Category: "S06001", Title: "无地点"}, "请在地图上选择位置"},
		} {
			_, _, err := fx.s.Create(t.Context(), town, in.nc)
			if msg, _ := store.UserMessage(err); !strings.Contains(msg, in.want) {
				t.Errorf("%s: err %v, want %q", in.nc.Title, err, in.want)
			}
		}
		c = fx.create(town, NewCase{Flow: "loose_patrol", Title: "无分类无地点"})
		if c.Channel != "phone" || c.CategoryCode != "" {
			t.Errorf("a flow without the rules: channel %q category %q", c.Channel, c.CategoryCode)
		}
	})
}
