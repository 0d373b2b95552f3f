package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestSlowReceiverNoRequestOutlivesLease: with a receiver slow enough that a
// whole batch takes longer than the lease, an instance must not go on
// sending deliveries whose lease has run out (another instance may have
// taken them by then): it hands them back unsent, without counting an
// attempt, and claims them afresh. The worker's clock is the test's: each
// request takes 100 ms of it, a claim holds 1 s, a request needs 300 ms.
func TestSlowReceiverNoRequestOutlivesLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		var mu sync.Mutex
		now := fx.clock
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		type request struct {
			at, leaseUntil time.Time
		}
		got := map[string][]request{}
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			uid := r.Header.Get(HeaderDelivery)
			var until int64
			if err := db.QueryRow(r.Context(), `SELECT lease_until FROM webhook_deliveries WHERE uid = ?`, uid).Scan(&until); err != nil {
				t.Error(err)
			}
			mu.Lock()
			got[uid] = append(got[uid], request{at: now, leaseUntil: time.UnixMilli(until)})
			now = now.Add(100 * time.Millisecond)
			mu.Unlock()
		}))
		defer rc.Close()
		ep, _ := fx.endpoint(rc.URL, EventCaseCreated)
		const n = 30
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := range n {
				if _, err := Enqueue(ctx, tx, Message{EndpointID: ep.ID, Event: EventCaseCreated, Payload: []byte(fmt.Sprintf(`{"n":%d}`, i))}, fx.clock); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		const lease, timeout = time.Second, 300 * time.Millisecond
		w := NewWorker(db, WorkerConfig{Instance: "instance-1", Lease: lease, Batch: 20, Now: clock,
			Client: &http.Client{Timeout: timeout}, Log: fx.Log})
		sent, err := w.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sent != n || len(got) != n {
			t.Fatalf("sent %d, received %d distinct deliveries, want %d", sent, len(got), n)
		}
		// A request starts only while its claim has the request's time
		// left before the lease's end less a tenth.
		for uid, reqs := range got {
			if len(reqs) != 1 {
				t.Errorf("delivery %s received %d times", uid, len(reqs))
			}
			for _, r := range reqs {
				if latest := r.leaseUntil.Add(-lease / 10).Add(-timeout); r.at.After(latest) {
					t.Errorf("delivery %s sent at %v, after %v: its lease ended at %v", uid, r.at.UTC().Format(time.StampMilli), latest.UTC().Format(time.StampMilli), r.leaseUntil.UTC().Format(time.StampMilli))
				}
			}
		}
		// 20 claimed, 7 sent in the lease (0–600 ms), 13 handed back; of
		// those 7 sent, 6 handed back; then 6. A handed-back claim is not
		// an attempt: each delivery has exactly one, a success.
		if c := fx.count(`SELECT COUNT(*) FROM webhook_deliveries d WHERE status <> 'delivered' OR attempts <> 1
			OR (SELECT COUNT(*) FROM webhook_attempts a WHERE a.delivery_id = d.id) <> 1`); c != 0 {
			t.Errorf("%d deliveries not delivered in exactly one attempt", c)
		}
	})
}
