package province_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/casework/casetest"
	"grassroots/internal/province"
	"grassroots/internal/settings"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/webhook"
)

// TestExchange: pushes are idempotent by the platform's id, queries return
// the status, and every status change of a provincial case reaches the
// platform through the outbox, signed, with the platform's token.
func TestExchange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var pv *province.Service
		fx := casetest.New(t, db, func(ctx context.Context, tx *store.Tx, ch casework.Change) error { return pv.OnCaseChange(ctx, tx, ch) })
		pv = province.NewService(db, fx.Cases, fx.Log)
		platform := fx.Actor(5, "350722000000", access.RoleSupervisor)

		var mu sync.Mutex
		var got []province.Update
		var bad []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			if err := webhook.Verify("province-secret-123", r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body, fx.Now, time.Minute); err != nil {
				bad = append(bad, err.Error())
			}
			if r.Header.Get("Authorization") != "Bearer ptoken" {
				bad = append(bad, "no bearer token")
			}
			var u province.Update
			if err := json.Unmarshal(body, &u); err != nil || u.ID != r.Header.Get(webhook.HeaderDelivery) {
				bad = append(bad, "bad body")
			}
			got = append(got, u)
		}))
		defer srv.Close()
		admin := fx.Admin()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for k, v := range map[string]string{province.SettingStatusURL: srv.URL, province.SettingSecret: "province-secret-123", province.SettingToken: "ptoken"} {
				if err := settings.Set(ctx, tx, admin, k, v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		in := province.InboundCase{PlatformID: "FJ12345-20261126-000777", Title: "小区路灯不亮", Content: "仙楼社区3号楼路灯一周未亮",
			RequestType: "help", Category: "B01001", PlaceUnit: "350722001001", ReporterPhone: "13812345678"}
		rc, err := pv.Receive(ctx, platform, in)
		if err != nil || !rc.Created || rc.CaseNo == "" || rc.Status != "received" {
			t.Fatalf("receive: %+v %v", rc, err)
		}
		again, err := pv.Receive(ctx, platform, in)
		if err != nil || again.Created || again.CaseNo != rc.CaseNo {
			t.Fatalf("second push: %+v %v", again, err)
		}
		township := fx.Actor(6, "350722001000", access.RoleTownship)
		if _, err := pv.Receive(ctx, township, in); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("township token: %v, want forbidden", err)
		}
		if _, err := pv.Receive(ctx, platform, province.InboundCase{Title: "x"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("no platform id: %v", err)
		}

		fx.Resolve(rc.CaseNo)
		st, err := pv.Query(ctx, platform, in.PlatformID)
		if err != nil || st.Status != "closed" || !st.Closed || st.Answer != "已修复" || st.LeadUnitName != "县城市管理和综合执法局" || len(st.Events) != 5 {
			t.Fatalf("query: %+v %v", st, err)
		}
		if _, err := pv.Query(ctx, platform, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown platform id: %v", err)
		}

		// Nothing was sent yet; a worker (after a restart) sends the updates.
		w := webhook.NewWorker(db, webhook.WorkerConfig{Now: func() time.Time { return fx.Now }, Log: fx.Log,
			Targets: map[string]webhook.Resolver{province.Target: pv.Destination}})
		n, err := w.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		var statuses []string
		for _, u := range got {
			statuses = append(statuses, u.Status)
		}
		// dispatched, in_hand, answered (one update for status and answer), closed.
		want := []string{"dispatched", "in_hand", "answered", "closed"}
		if n != len(want) || len(bad) > 0 || len(statuses) != len(want) {
			t.Fatalf("sent %d updates %v (problems %v), want %v", n, statuses, bad, want)
		}
		for i := range want {
			if statuses[i] != want[i] || got[i].PlatformID != in.PlatformID || got[i].CaseNo != rc.CaseNo {
				t.Errorf("update %d: %+v", i, got[i])
			}
		}
		if !got[2].Answered || got[2].Answer != "已修复" || !got[3].Closed {
			t.Errorf("answered/closed flags: %+v / %+v", got[2], got[3])
		}
	})
}
