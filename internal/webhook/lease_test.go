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
// sending deliveries whose lease has run out (another instance has taken
// them by then): it hands them back. Two workers on real clocks, a 1 s lease
// and a batch that would take 2 s: every delivery is received exactly once.
func TestSlowReceiverNoRequestOutlivesLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		var mu sync.Mutex
		got := map[string]int{}
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			got[r.Header.Get(HeaderDelivery)]++
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
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := NewWorker(db, WorkerConfig{Instance: fmt.Sprintf("instance-%d", i), Lease: time.Second, Batch: 20,
					Client: &http.Client{Timeout: 300 * time.Millisecond}, Log: fx.Log})
				deadline := time.Now().Add(30 * time.Second)
				for fx.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'delivered'`) > 0 && time.Now().Before(deadline) {
					if _, err := w.RunOnce(ctx); err != nil {
						t.Error(err)
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}()
			time.Sleep(20 * time.Millisecond) // the first claims first
		}
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(got) != n {
			t.Errorf("received %d distinct deliveries, want %d", len(got), n)
		}
		// No request outlives its lease, so a receiver sees a delivery again
		// only after the sender saw an attempt fail (a request cut at its
		// deadline on a loaded machine): never two live sends at once.
		for id, times := range got {
			failed := fx.count(`SELECT COUNT(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
				WHERE d.uid = ? AND NOT (a.status_code BETWEEN 200 AND 299)`, id)
			if times > 1+failed {
				t.Errorf("delivery %s received %d times after %d failed attempts", id, times, failed)
			}
		}
		if c := fx.count(`SELECT COUNT(*) FROM webhook_deliveries d WHERE status <> 'delivered'
			OR (SELECT COUNT(*) FROM webhook_attempts a WHERE a.delivery_id = d.id AND a.status_code BETWEEN 200 AND 299) <> 1`); c != 0 {
			t.Errorf("%d deliveries not delivered exactly once", c)
		}
	})
}
