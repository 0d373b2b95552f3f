package casework

import (
	"context"
	"fmt"
	"math"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// AutoDispatcher decides, from the channel a case came in through and the
// resident's words, the category a case of an auto-dispatch flow is
// dispatched under without a person (smart dispatch, internal/dispatch,
// docs/DISPATCH.md): ok is false when the case should wait for a person.
type AutoDispatcher func(ctx context.Context, q store.RowQueryer, channel, text string) (AutoChoice, bool, error)

// AutoChoice is an automatic dispatch's decision, recorded on its event.
type AutoChoice struct {
	Category   string  // category code
	Confidence float64 // the model's probability, 0–1
	Gate       float64 // the county's gate it reached
	ModelID    int64
	unit       string // where the lists route the category
}

// UseAutoDispatch makes intake ask fn about cases of flows with
// AutoDispatch that arrive with neither a category nor a unit to dispatch
// to. Call it once, before the engine serves requests.
func (s *Service) UseAutoDispatch(fn AutoDispatcher) { s.auto = fn }

// autoActor is who dispatches automatically: the system, named so on the
// case's timeline.
var autoActor = access.Actor{Name: "自动派单", System: true}

// autoDispatch fills in the category of a new case the model is sure of and
// the unit the lists route it to; a category the lists route nowhere leaves
// the case for a person.
func (s *Service) autoDispatch(ctx context.Context, flow *Flow, in *NewCase, anonymous bool) error {
	// A category a resident picked on the portal is a hint, not a
	// decision: the model's sure choice replaces it. Staff who chose one
	// and no unit leave the case for a person.
	if s.auto == nil || !flow.AutoDispatch || in.Dispatch != "" || in.OnSpot || (in.Category != "" && !anonymous) {
		return nil
	}
	choice, ok, err := s.auto(ctx, s.db, in.Channel, in.Title+"\n"+in.Body)
	if err != nil || !ok {
		return err
	}
	p, err := s.Propose(ctx, choice.Category)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("auto-dispatch %s: %w", choice.Category, err)
	}
	choice.unit = p.Lead.Code
	in.Category, in.auto = choice.Category, &choice
	return nil
}

// note is what the timeline says of an automatic dispatch.
func (c AutoChoice) note() string {
	return fmt.Sprintf("自动派单（置信度 %d%%，门槛 %d%%）", int(math.Floor(c.Confidence*100)), int(math.Round(c.Gate*100)))
}

// data is what the dispatch event records of it.
func (c AutoChoice) data() map[string]any {
	return map[string]any{"auto": true, "confidence": math.Round(c.Confidence*1000) / 1000, "gate": c.Gate, "model_id": c.ModelID, "category": c.Category}
}
