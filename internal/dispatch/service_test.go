package dispatch

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestServiceRetrainRestore(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		examples := synth(300, 4, 7)
		src := func(context.Context) ([]Example, error) { return examples, nil }
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		s := NewService(db, log, src)
		day := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
		s.now = func() time.Time { return day }
		admin := access.Actor{UserID: 1, Username: "admin", UnitKind: "county", Roles: []access.Role{access.RoleAdmin}}
		clerk := access.Actor{UserID: 2, Username: "clerk"}

		if got := s.Suggest("路灯", 3); got != nil {
			t.Fatalf("no model yet: %v", got)
		}
		if _, err := s.Retrain(ctx, clerk, "clerk"); !errors.Is(err, store.ErrForbidden) {
			t.Fatalf("clerk retrains: %v", err)
		}
		townAdmin := access.Actor{UserID: 3, Username: "town.admin", UnitKind: "township", Roles: []access.Role{access.RoleAdmin}}
		if _, err := s.Retrain(ctx, townAdmin, "town.admin"); !errors.Is(err, store.ErrForbidden) {
			t.Fatalf("a township's administrator retrains the county's model: %v", err)
		}
		first, err := s.Retrain(ctx, admin, "admin")
		if err != nil {
			t.Fatal(err)
		}
		if first.Quality == nil || first.Quality.Examples != 300 || first.Examples != 300 || first.Classes != 4 || first.Size == 0 {
			t.Fatalf("first model: %+v %+v", first, first.Quality)
		}
		if got := s.Suggest(examples[0].Text, 3); len(got) != 3 || got[0].Label != examples[0].Label {
			t.Fatalf("suggest: %v, want %s first", got, examples[0].Label)
		}
		// The second model is trained on other labels: what it suggests tells
		// which model is in use.
		examples = synth(300, 3, 8)
		for i := range examples {
			examples[i].Label = "N" + examples[i].Label
		}
		day = day.Add(24 * time.Hour)
		started, err := s.RetrainInBackground(admin, "schedule")
		if err != nil || !started {
			t.Fatalf("background: %v %v", started, err)
		}
		s.Wait()
		list, err := s.Models(ctx, admin)
		if err != nil || len(list) != 2 || !list[0].Active || list[1].Active || list[0].TrainedBy != "schedule" || !list[0].TrainedAt.Equal(day) {
			t.Fatalf("models: %+v %v", list, err)
		}
		if got := s.Suggest("路灯", 1); got[0].Label[0] != 'N' {
			t.Fatalf("second model not in use: %v", got)
		}
		back, err := s.Restore(ctx, admin, 0)
		if err != nil || back.ID != first.ID || !back.Active {
			t.Fatalf("restore: %+v %v", back, err)
		}
		if got := s.Suggest("路灯", 1); got[0].Label[0] != 'C' {
			t.Fatalf("first model not back: %v", got)
		}
		// A restarted server loads the restored model.
		s2 := NewService(db, log, src)
		if err := s2.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if _, id := s2.Model(); id != first.ID {
			t.Fatalf("loaded model %d, want %d", id, first.ID)
		}
		if _, err := s.Restore(ctx, admin, 0); err == nil {
			t.Fatal("restored before the first model")
		}
		if _, err := s.Restore(ctx, admin, 999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("restore 999: %v", err)
		}
		examples = examples[:1]
		if _, err := s.Retrain(ctx, admin, "admin"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("too few: %v", err)
		}
	})
}

func TestCheckSetting(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		key, value string
		ok         bool
	}{
		{SettingGate, "0.8", true}, {SettingGate, "1.2", false}, {SettingGate, "高", false}, {SettingGate, "0", false},
		{SettingRetrain, "24h", true}, {SettingRetrain, "0", true}, {SettingRetrain, "daily", false},
		{"casework.other", "anything", true},
	} {
		if err := CheckSetting(c.key, c.value); (err == nil) != c.ok {
			t.Errorf("%s=%s: %v", c.key, c.value, err)
		}
	}
}

// TestAuto: a case is for auto-dispatch only from a channel the county
// chose, with a model in use, when the top suggestion reaches the gate.
func TestAuto(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		examples := synth(300, 4, 7)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		s := NewService(db, log, func(context.Context) ([]Example, error) { return examples, nil })
		admin := access.Actor{UserID: 1, Username: "admin", UnitKind: "county", Roles: []access.Role{access.RoleAdmin}}
		set := func(key, value string) {
			t.Helper()
			if _, err := db.Exec(ctx, `DELETE FROM settings WHERE key = ?`, key); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0)`, key, value); err != nil {
				t.Fatal(err)
			}
		}
		text := examples[0].Text
		if _, ok, err := s.Auto(ctx, db, "portal", text); ok || err != nil {
			t.Fatalf("no channel chosen: ok %v, %v", ok, err)
		}
		set(SettingAutoChannels, "portal, province")
		if _, ok, err := s.Auto(ctx, db, "portal", text); ok || err != nil {
			t.Fatalf("no model yet: ok %v, %v", ok, err)
		}
		if _, err := s.Retrain(ctx, admin, "admin"); err != nil {
			t.Fatal(err)
		}
		top := s.Suggest(text, 1)[0]
		set(SettingGate, "0.01")
		c, ok, err := s.Auto(ctx, db, "province", text)
		if err != nil || !ok || c.Label != top.Label || c.Confidence != top.Confidence || c.Gate != 0.01 || c.ModelID == 0 {
			t.Fatalf("Auto = %+v, %v, %v; want the top suggestion %+v", c, ok, err, top)
		}
		if _, ok, _ := s.Auto(ctx, db, "phone", text); ok {
			t.Error("a channel not chosen was dispatched automatically")
		}
		set(SettingGate, "1")
		if _, ok, _ := s.Auto(ctx, db, "portal", text); ok && top.Confidence < 1 {
			t.Error("a suggestion below the gate was dispatched automatically")
		}
		if err := CheckSetting(SettingAutoChannels, "portal,wechat"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("CheckSetting of an unknown channel = %v", err)
		}
	})
}
