package main

import (
	"context"
	"errors"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/dispatch"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

// dispatchExamples bounds what a retraining reads: the newest cases a
// person dispatched (docs/DISPATCH.md: 100,000 train in well under a
// minute).
const dispatchExamples = 100_000

// dispatchCheckInterval is how often the server looks whether the model is
// due for its scheduled retraining (setting dispatch.retrain_every).
const dispatchCheckInterval = time.Hour

// wireDispatch builds the smart-dispatch service over the case engine.
func (a *app) wireDispatch() {
	cases := a.cases
	a.dispatch = dispatch.NewService(a.db, a.log, func(ctx context.Context) ([]dispatch.Example, error) {
		ex, err := cases.DispatchExamples(ctx, dispatchExamples)
		if err != nil {
			return nil, err
		}
		out := make([]dispatch.Example, len(ex))
		for i, e := range ex {
			out[i] = dispatch.Example{Text: e.Text, Label: e.Category}
		}
		return out, nil
	})
	d := a.dispatch
	cases.UseAutoDispatch(func(ctx context.Context, q store.RowQueryer, channel, text string) (casework.AutoChoice, bool, error) {
		c, ok, err := d.Auto(ctx, q, channel, text)
		return casework.AutoChoice{Category: c.Label, Confidence: c.Confidence, Gate: c.Gate, ModelID: c.ModelID}, ok, err
	})
}

// runDispatchModel puts the stored model in use, trains one from the demo's
// own cases with --demo when there is none, then retrains on the schedule
// the county set. Training runs here, beside intake, which goes on with the
// model in use.
func (a *app) runDispatchModel(ctx context.Context) {
	s := a.dispatch
	if err := s.Load(ctx); err != nil {
		a.log.Error("load dispatch model", "err", err)
	}
	if m, _ := s.Model(); m == nil && a.cfg != nil && a.cfg.Demo {
		a.retrainDispatch(ctx, "demo")
	}
	t := time.NewTicker(dispatchCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		every, err := settings.Duration(ctx, a.db, dispatch.SettingRetrain, 0)
		if err != nil {
			a.log.Warn("dispatch retrain setting", "err", err)
			continue
		}
		if m, _ := s.Model(); every > 0 && (m == nil || time.Since(m.TrainedAt) >= every) {
			a.retrainDispatch(ctx, "schedule")
		}
	}
}

func (a *app) retrainDispatch(ctx context.Context, by string) {
	_, err := a.dispatch.Retrain(ctx, access.System, by)
	switch {
	case err == nil, ctx.Err() != nil:
	case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrConflict):
		a.log.InfoContext(ctx, "dispatch model not trained", "by", by, "reason", err)
	default:
		a.log.ErrorContext(ctx, "dispatch model training failed", "by", by, "err", err)
	}
}
