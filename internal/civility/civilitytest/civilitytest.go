// Package civilitytest gives the authorisation walks of the web and the
// API the civility records they need: the demo catalogue, a patrol entry
// about a person, a store with goods and the person's points card.
package civilitytest

import (
	"context"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/civility"
	"grassroots/internal/store"
)

// PIN is the PIN of the card Seed issues.
const PIN = "246810"

// Data are the records Seed made.
type Data struct {
	EntryID, StoreID, GoodsID int64
	CardNo                    string
}

// Seed makes, as the system, the records about person (who lives under
// unitID, where the store is opened).
func Seed(t testing.TB, db *store.DB, s *civility.Service, person, unitID int64) Data {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	if _, err := civility.SeedDemoCatalogue(ctx, db, now); err != nil {
		t.Fatal(err)
	}
	var d Data
	e, err := s.Record(ctx, access.System, civility.NewEntry{ItemCode: "N-LITTER", PersonID: person, Source: civility.SourcePatrol,
		Place: "仙楼社区南门", OccurredAt: now.Add(-time.Hour), Evidence: "巡查照片"})
	if err != nil {
		t.Fatal(err)
	}
	d.EntryID = e.ID
	if d.StoreID, err = s.AddStore(ctx, access.System, "仙楼社区积分超市", unitID, false); err != nil {
		t.Fatal(err)
	}
	if d.GoodsID, err = s.AddGoods(ctx, access.System, d.StoreID, "肥皂", 10, 5); err != nil {
		t.Fatal(err)
	}
	if d.CardNo, err = s.IssueCard(ctx, access.System, person, PIN, true); err != nil {
		t.Fatal(err)
	}
	return d
}
