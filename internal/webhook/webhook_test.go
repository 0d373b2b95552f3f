package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/casework/casetest"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// receiver is an httptest server that records what it receives and checks
// each signature.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    map[string]int // delivery id → times received
	bodies []Body
	fail   int // answer 500 to this many requests first
	secret string
	now    func() time.Time
	bad    []string
}

func newReceiver(t *testing.T, secret string, now func() time.Time) *receiver {
	rc := &receiver{got: map[string]int{}, secret: secret, now: now}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.fail > 0 {
			rc.fail--
			http.Error(w, "temporarily down", http.StatusInternalServerError)
			return
		}
		if rc.secret != "" {
			if err := Verify(rc.secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body, rc.now(), 5*time.Minute); err != nil {
				rc.bad = append(rc.bad, err.Error())
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
		}
		id := r.Header.Get(HeaderDelivery)
		rc.got[id]++
		var b Body
		if json.Unmarshal(body, &b) == nil {
			rc.bodies = append(rc.bodies, b)
		}
		if b.ID != id {
			rc.bad = append(rc.bad, fmt.Sprintf("body id %q differs from header %q", b.ID, id))
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) events() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, b := range rc.bodies {
		out = append(out, b.Event)
	}
	return out
}

type fixture struct {
	*casetest.County
	hooks *Service
	clock time.Time
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	fx := &fixture{}
	fx.hooks = NewService(db, nil).WithClock(func() time.Time { return fx.clock })
	fx.County = casetest.New(t, db, fx.hooks.OnCaseChange)
	fx.clock = fx.County.Now
	return fx
}

func (fx *fixture) worker(instance string, cfg WorkerConfig) *Worker {
	cfg.Instance = instance
	cfg.Now = func() time.Time { return fx.clock }
	cfg.Log = fx.Log
	return NewWorker(fx.DB, cfg)
}

func (fx *fixture) endpoint(url string, events ...string) (Endpoint, string) {
	fx.T.Helper()
	ep, secret, err := fx.hooks.Create(context.Background(), fx.Admin(), NewEndpoint{URL: url, Events: events})
	if err != nil {
		fx.T.Fatal(err)
	}
	return ep, secret
}

func (fx *fixture) count(q string, args ...any) int {
	fx.T.Helper()
	var n int
	if err := fx.DB.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		fx.T.Fatal(err)
	}
	return n
}

// TestOutboxFollowsChanges: each change writes, in its own transaction, one
// delivery per endpoint and subscribed event, and nothing when it rolls back.
func TestOutboxFollowsChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		all, _ := fx.endpoint("http://example.invalid/all", Events...)
		closedOnly, _ := fx.endpoint("http://example.invalid/closed", EventCaseClosed)
		paused, _ := fx.endpoint("http://example.invalid/paused", Events...)
		if err := fx.hooks.SetActive(ctx, fx.Admin(), paused.ID, false); err != nil {
			t.Fatal(err)
		}
		c := fx.Hotline(fx.CallTaker(), "路灯不亮")
		fx.Resolve(c.No)

		ds, err := fx.hooks.Deliveries(ctx, fx.Admin(), DeliveryFilter{EndpointID: all.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i := len(ds) - 1; i >= 0; i-- {
			var b Body
			if err := json.Unmarshal([]byte(ds[i].Payload), &b); err != nil {
				t.Fatal(err)
			}
			if b.ID != ds[i].UID || b.Event != ds[i].Event || b.Case.No != c.No || ds[i].CaseNo != c.No {
				t.Errorf("delivery %d: body %+v does not match", ds[i].ID, b)
			}
			got = append(got, b.Event+":"+b.Case.Action+":"+b.Case.Status)
		}
		want := []string{
			"case.created:receive:received",
			"case.status_changed:dispatch:dispatched",
			"case.status_changed:sign:in_hand",
			"case.status_changed:answer:answered", "case.answered:answer:answered",
			"case.status_changed:revisit:closed", "case.closed:revisit:closed",
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("deliveries of the all-events endpoint (-want +got):\n%s", d)
		}
		if n := fx.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?`, closedOnly.ID); n != 1 {
			t.Errorf("closed-only endpoint: %d deliveries, want 1", n)
		}
		if n := fx.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?`, paused.ID); n != 0 {
			t.Errorf("paused endpoint: %d deliveries, want 0", n)
		}

		// A change that fails leaves no delivery behind.
		before := fx.count(`SELECT COUNT(*) FROM webhook_deliveries`)
		fx.Cases.OnChange(func(ctx context.Context, tx *store.Tx, ch casework.Change) error { return errors.New("boom") })
		if _, _, err := fx.Cases.Create(ctx, fx.CallTaker(), casework.NewCase{Flow: "hotline", RequestType: "help", Title: "不会保存", PlaceUnit: "350722001001"}); err == nil {
			t.Fatal("create with a failing hook succeeded")
		}
		if after := fx.count(`SELECT COUNT(*) FROM webhook_deliveries`); after != before {
			t.Errorf("rolled-back change left %d deliveries", after-before)
		}
		if n := fx.count(`SELECT COUNT(*) FROM cases WHERE title = '不会保存'`); n != 0 {
			t.Errorf("rolled-back change left its case")
		}
	})
}

// TestDeliveredAfterKill: the change commits with its outbox row; the
// instance dies before sending (no worker runs); a new instance's worker
// sends it, signed, once.
func TestDeliveredAfterKill(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		rc := newReceiver(t, "", func() time.Time { return fx.clock })
		_, secret := fx.endpoint(rc.URL, EventCaseCreated)
		rc.secret = secret
		c := fx.Hotline(fx.CallTaker(), "井盖缺失")
		// "kill -9": nothing was sent, the row waits in the outbox.
		if len(rc.events()) != 0 {
			t.Fatal("sent before any worker ran")
		}
		n, err := fx.worker("restarted", WorkerConfig{}).RunOnce(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("worker after restart: sent %d, %v", n, err)
		}
		if d := cmp.Diff([]string{EventCaseCreated}, rc.events()); d != "" || len(rc.bad) > 0 {
			t.Fatalf("received (-want +got):\n%s\nproblems: %v", d, rc.bad)
		}
		if rc.bodies[0].Case.No != c.No || rc.bodies[0].Case.Title != "井盖缺失" {
			t.Errorf("body case = %+v", rc.bodies[0].Case)
		}
		if n, _ := fx.worker("again", WorkerConfig{}).RunOnce(context.Background()); n != 0 {
			t.Errorf("a delivered delivery was sent again (%d)", n)
		}
		var status string
		var code int
		if err := db.QueryRow(context.Background(), `SELECT status, last_status_code FROM webhook_deliveries`).Scan(&status, &code); err != nil {
			t.Fatal(err)
		}
		if status != StatusDelivered || code != 200 {
			t.Errorf("recorded %s %d, want delivered 200", status, code)
		}
	})
}

// TestRetryWithBackoff: failures are recorded and retried after 30 s, 60 s,
// ...; a delivery that keeps failing is given up after MaxAttempts.
func TestRetryWithBackoff(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		rc := newReceiver(t, "", func() time.Time { return fx.clock })
		rc.fail = 2
		fx.endpoint(rc.URL, EventCaseCreated)
		fx.Hotline(fx.CallTaker(), "噪音扰民")
		w := fx.worker("w1", WorkerConfig{MaxAttempts: 5})
		steps := []struct {
			advance  time.Duration
			sent     int
			attempts int
			status   string
		}{
			{0, 0, 1, StatusPending},                 // 500
			{29 * time.Second, 0, 1, StatusPending},  // not due yet
			{2 * time.Second, 0, 2, StatusPending},   // due after 30 s: 500 again
			{59 * time.Second, 0, 2, StatusPending},  // next after 60 s
			{2 * time.Second, 1, 3, StatusDelivered}, // 200
		}
		for i, st := range steps {
			fx.clock = fx.clock.Add(st.advance)
			n, err := w.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var attempts int
			var status string
			if err := db.QueryRow(ctx, `SELECT attempts, status FROM webhook_deliveries`).Scan(&attempts, &status); err != nil {
				t.Fatal(err)
			}
			if n != st.sent || attempts != st.attempts || status != st.status {
				t.Fatalf("step %d: sent %d, attempts %d, %s; want %d, %d, %s", i, n, attempts, status, st.sent, st.attempts, st.status)
			}
		}
		if n := fx.count(`SELECT COUNT(*) FROM webhook_attempts`); n != 3 {
			t.Errorf("%d attempts recorded, want 3", n)
		}
		if n := fx.count(`SELECT COUNT(*) FROM webhook_attempts WHERE status_code = 500 AND response LIKE '%temporarily down%'`); n != 2 {
			t.Errorf("%d failed attempts with the response recorded, want 2", n)
		}

		// Given up after MaxAttempts, then sent again on request.
		rc.fail = 100
		fx.Hotline(fx.CallTaker(), "垃圾未清运")
		w2 := fx.worker("w2", WorkerConfig{MaxAttempts: 2, Backoff: time.Second})
		for range 3 {
			fx.clock = fx.clock.Add(time.Hour)
			if _, err := w2.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		failed, err := fx.hooks.Deliveries(ctx, fx.Admin(), DeliveryFilter{Status: StatusFailed})
		if err != nil || len(failed) != 1 || failed[0].Attempts != 2 || failed[0].LastStatusCode != 500 {
			t.Fatalf("failed deliveries = %+v, %v", failed, err)
		}
		rc.fail = 0
		if err := fx.hooks.Redeliver(ctx, fx.Admin(), failed[0].ID); err != nil {
			t.Fatal(err)
		}
		if n, err := w2.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("redelivery: sent %d, %v", n, err)
		}
	})
}

// TestLeaseExpires: a claim of an instance that died is taken over once its
// lease has expired, and the dead instance's late result is ignored.
func TestLeaseExpires(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		rc := newReceiver(t, "", func() time.Time { return fx.clock })
		fx.endpoint(rc.URL, EventCaseCreated)
		fx.Hotline(fx.CallTaker(), "占道经营")
		dead := fx.worker("dead", WorkerConfig{Lease: time.Minute})
		claimedByDead, err := dead.claim(ctx, fx.clock)
		if err != nil || len(claimedByDead) != 1 {
			t.Fatalf("claim: %v, %v", claimedByDead, err)
		}
		live := fx.worker("live", WorkerConfig{Lease: time.Minute})
		if n, _ := live.RunOnce(ctx); n != 0 {
			t.Fatal("a leased delivery was sent by another instance")
		}
		fx.clock = fx.clock.Add(61 * time.Second)
		if n, err := live.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("after the lease: sent %d, %v", n, err)
		}
		// The dead instance wakes up and reports a failure: ignored.
		rc.fail = 1
		if _, err := dead.send(ctx, claimedByDead[0]); err != nil {
			t.Fatal(err)
		}
		var status string
		if err := db.QueryRow(ctx, `SELECT status FROM webhook_deliveries`).Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status != StatusDelivered {
			t.Errorf("status %s after a stale result, want delivered", status)
		}
	})
}

// TestTwoWorkersSendEachOnce runs two instances' workers side by side over
// the same outbox: every delivery reaches the receiver exactly once.
func TestTwoWorkersSendEachOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		rc := newReceiver(t, "", time.Now)
		ep, _ := fx.endpoint(rc.URL, EventCaseCreated)
		const n = 60
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
		sent := make([]int, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := fx.worker(fmt.Sprintf("instance-%d", i), WorkerConfig{Batch: 3})
				sent[i], errs[i] = w.RunOnce(ctx)
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.got) != n || sent[0]+sent[1] != n {
			t.Fatalf("received %d distinct deliveries, workers sent %v; want %d", len(rc.got), sent, n)
		}
		for id, times := range rc.got {
			if times != 1 {
				t.Errorf("delivery %s received %d times", id, times)
			}
		}
		t.Logf("%s: instance 0 sent %d, instance 1 sent %d", db.Dialect, sent[0], sent[1])
	})
}

func TestEndpointAdministration(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		township := fx.Actor(9, "350722001000", access.RoleAdmin)
		cases := []struct {
			name  string
			actor access.Actor
			in    NewEndpoint
			kind  error
		}{
			{"ok", fx.Admin(), NewEndpoint{URL: "https://hooks.example.com/x", Events: []string{"case.created,case.closed"}}, nil},
			{"township admin", township, NewEndpoint{URL: "https://hooks.example.com/x", Events: Events}, store.ErrForbidden},
			{"bad url", fx.Admin(), NewEndpoint{URL: "ftp://x", Events: Events}, store.ErrInvalid},
			{"no events", fx.Admin(), NewEndpoint{URL: "https://x.example", Events: nil}, store.ErrInvalid},
			{"unknown event", fx.Admin(), NewEndpoint{URL: "https://x.example", Events: []string{"case.deleted"}}, store.ErrInvalid},
			{"short secret", fx.Admin(), NewEndpoint{URL: "https://x.example", Events: Events, Secret: "short"}, store.ErrInvalid},
		}
		for _, c := range cases {
			ep, secret, err := fx.hooks.Create(ctx, c.actor, c.in)
			if c.kind != nil {
				if !errors.Is(err, c.kind) {
					t.Errorf("%s: got %v, want %v", c.name, err, c.kind)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if !strings.HasPrefix(secret, "whsec_") || !slices.Equal(ep.Events, []string{EventCaseCreated, EventCaseClosed}) || !ep.Active {
				t.Errorf("%s: endpoint %+v secret %q", c.name, ep, secret)
			}
			if err := fx.hooks.Delete(ctx, fx.Admin(), ep.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := fx.hooks.Get(ctx, fx.Admin(), ep.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("deleted endpoint: %v", err)
			}
		}
		if n := fx.count(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'webhook.%'`); n != 2 {
			t.Errorf("%d audit entries, want 2 (create, delete)", n)
		}
	})
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"whd_1"}`)
	now := time.Unix(1_790_000_000, 0)
	sig := Sign("whsec_test", now.Unix(), body)
	cases := []struct {
		name, secret, ts, sig string
		body                  []byte
		ok                    bool
	}{
		{"good", "whsec_test", "1790000000", sig, body, true},
		{"wrong secret", "whsec_other", "1790000000", sig, body, false},
		{"changed body", "whsec_test", "1790000000", sig, []byte(`{"id":"whd_2"}`), false},
		{"changed timestamp", "whsec_test", "1790000001", sig, body, false},
		{"old", "whsec_test", "1789990000", Sign("whsec_test", 1789990000, body), body, false},
		{"garbage timestamp", "whsec_test", "x", sig, body, false},
	}
	for _, c := range cases {
		err := Verify(c.secret, c.ts, c.sig, c.body, now, 5*time.Minute)
		if (err == nil) != c.ok {
			t.Errorf("%s: Verify = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func ExampleSign() {
	body := []byte(`{"id":"whd_0f","event":"case.created"}`)
	fmt.Println(Sign("whsec_example", 1790000000, body))
	// Output: sha256=09a3e0a261f98f2395f0f6a9b92b469ece57c15fbe4fea0069467d8c385f1c8b
}
