package casework

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestDistance(t *testing.T) {
	t.Parallel()
	// One thousandth of a degree of latitude is about 111 m everywhere.
	if d := distance(118.5, 27.9, 118.5, 27.901); math.Abs(d-111.2) > 0.5 {
		t.Errorf("0.001° of latitude = %.1f m, want about 111.2", d)
	}
	// Along a parallel it shrinks with the cosine of the latitude.
	want := 111.2 * math.Cos(27.9*math.Pi/180)
	if d := distance(118.5, 27.9, 118.501, 27.9); math.Abs(d-want) > 0.5 {
		t.Errorf("0.001° of longitude at 27.9°N = %.1f m, want about %.1f", d, want)
	}
}

func TestNearby(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		op := fx.actor(1, "350722000000", access.RoleAdmin)
		township := fx.actor(2, "350722001000", access.RoleTownship)
		otherTownship := fx.actor(3, "350722101000", access.RoleTownship)
		pt := func(v float64) *float64 { return &v }
		const lng, lat = 118.5400, 27.9200
		// 0.0003° of latitude ≈ 33 m; 0.0006° ≈ 67 m.
		near := fx.create(op, NewCase{RequestType: RequestComplaint, Category: "B01001", Title: "路灯不亮", Lng: pt(lng), Lat: pt(lat + 0.0003),
			PlaceUnit: "350722001001"})
		nearest := fx.create(op, NewCase{RequestType: RequestComplaint, Category: "B01001", Title: "路灯又不亮", Lng: pt(lng + 0.0001), Lat: pt(lat),
			PlaceUnit: "350722001001"})
		fx.create(op, NewCase{RequestType: RequestComplaint, Category: "B01001", Title: "远处的路灯", Lng: pt(lng), Lat: pt(lat + 0.0006),
			PlaceUnit: "350722001001"})
		fx.create(op, NewCase{RequestType: RequestComplaint, Category: "B01002", Title: "别的分类", Lng: pt(lng), Lat: pt(lat),
			PlaceUnit: "350722001001"})
		fx.create(op, NewCase{RequestType: RequestComplaint, Category: "B01001", Title: "没有坐标", PlaceUnit: "350722001001"})
		closed := fx.create(op, NewCase{RequestType: RequestComplaint, Category: "B01001", Title: "已办结的", Lng: pt(lng), Lat: pt(lat),
			PlaceUnit: "350722001001"})
		if _, err := db.Exec(ctx, `UPDATE cases SET closed_at = 1, status = 'closed' WHERE id = ?`, closed.ID); err != nil {
			t.Fatal(err)
		}

		nos := func(cs []NearbyCase) []string {
			var out []string
			for _, c := range cs {
				out = append(out, c.No)
			}
			return out
		}
		for _, tc := range []struct {
			name     string
			actor    access.Actor
			category string
			radius   float64
			want     []string
		}{
			{"operator within 50 m, nearest first", op, "B01001", 0, []string{nearest.No, near.No}},
			{"wider radius finds the far one too", op, "B01001", 100, nil},
			{"township sees its own", township, "B01001", 0, []string{nearest.No, near.No}},
			{"another township sees none", otherTownship, "B01001", 0, nil},
			{"no category, no hint", op, "", 0, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := fx.s.Nearby(ctx, tc.actor, lng, lat, tc.category, tc.radius)
				if err != nil {
					t.Fatal(err)
				}
				if tc.radius == 100 {
					if len(got) != 3 {
						t.Errorf("within 100 m: %d cases, want 3", len(got))
					}
					return
				}
				if diff := cmp.Diff(tc.want, nos(got)); diff != "" {
					t.Errorf("nearby (-want +got):\n%s", diff)
				}
				for _, c := range got {
					if c.Distance > DefaultNearbyRadius || c.Title == "" {
						t.Errorf("bad row %+v", c)
					}
				}
			})
		}
		if _, err := fx.s.Nearby(ctx, op, 200, lat, "B01001", 0); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a point off the globe: %v, want ErrInvalid", err)
		}
		if _, err := fx.s.Nearby(ctx, access.Actor{}, lng, lat, "B01001", 0); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("anonymous: %v, want ErrForbidden", err)
		}
	})
}
