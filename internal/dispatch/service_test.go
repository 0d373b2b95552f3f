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
		admin := access.Actor{UserID: 1, Username: "admin", Roles: []access.Role{access.RoleAdmin}}
		clerk := access.Actor{UserID: 2, Username: "clerk"}

		if got := s.Suggest("路灯", 3); got != nil {
			t.Fatalf("no model yet: %v", got)
		}
		if _, err := s.Retrain(ctx, clerk, "clerk"); !errors.Is(err, store.ErrForbidden) {
			t.Fatalf("clerk retrains: %v", err)
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
