package casework

import (
	"context"
	"fmt"
	"slices"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// Change is one change of a case as the engine commits it: intake, or an
// action that wrote an event. Hooks receive it inside the change's own
// transaction, so whatever they write (an outbox row, a status message to
// another system) commits with the change or not at all.
type Change struct {
	// CaseID, Flow, Source and ExternalID are the case's, so that a hook can
	// tell whether the change concerns it before it reads the whole case
	// (Case), which most changes never need.
	CaseID                   int64
	Flow, Source, ExternalID string
	// Channel is the intake channel (phone, portal, api, grid, ...); set
	// at intake only.
	Channel string
	// EventID is the timeline event the change wrote.
	EventID int64
	// Action is the event's action: "receive" for intake, else the flow
	// action ("dispatch", "sign", "answer", "revisit", ...).
	Action     string
	FromStatus string
	ToStatus   string
	// Note is the action's note (an answer's text, a reason).
	Note string
	// PublicText is what the requester reads of the step ("" when internal).
	PublicText string
	At         time.Time
	// Created marks intake.
	Created bool
	// StatusChanged marks a change of the case's status (not at intake).
	StatusChanged bool
	// Answered marks an answer by the lead unit (the hotline's answer, a
	// grid event's handling report).
	Answered bool
	// Closed marks the change that closed the case.
	Closed bool
	// Actor is who made the change, so that a hook may hold a registry's
	// own rules about who does what (the service window's roles).
	Actor access.Actor

	// read reads the case once for all the change's hooks.
	read *caseRead
}

// caseRead reads a change's case in the change's transaction, the first
// time a hook asks for it.
type caseRead struct {
	load func() (Case, error)
	c    Case
	err  error
	done bool
}

// Case returns the case as it stands after the change, read in the change's
// transaction (once, whichever hooks ask).
func (ch Change) Case() (Case, error) {
	if ch.read == nil {
		return Case{}, fmt.Errorf("change of case %d: no case reader", ch.CaseID)
	}
	r := ch.read
	if !r.done {
		r.c, r.err = r.load()
		r.done = true
	}
	return r.c, r.err
}

// ChangeHook runs inside the transaction of every case change; an error
// undoes the change.
type ChangeHook func(ctx context.Context, tx *store.Tx, ch Change) error

// OnChange registers h to run inside the transaction of every case change
// (intake, and each action that writes an event). Register hooks while
// wiring the program, before the service handles requests: the list is not
// guarded for concurrent registration.
func (s *Service) OnChange(h ChangeHook) {
	s.hooks = append(s.hooks, h)
}

// changed runs the registered hooks for a change whose case is caseID.
func (s *Service) changed(ctx context.Context, tx *store.Tx, caseID int64, ch Change) error {
	if len(s.hooks) == 0 {
		return nil
	}
	ch.CaseID = caseID
	ch.read = &caseRead{load: func() (Case, error) {
		c, err := loadCase(ctx, tx, "c.id = ?", caseID)
		if err != nil {
			return c, fmt.Errorf("change hooks: %w", err)
		}
		return c, nil
	}}
	for _, h := range s.hooks {
		if err := h(ctx, tx, ch); err != nil {
			return fmt.Errorf("change hook (case %d %s): %w", caseID, ch.Action, err)
		}
	}
	return nil
}

// changedByAction runs the hooks for an action that wrote event evID: out
// is the outcome taken, target the assignment acted on (nil for case
// actions).
func (x *actx) changedByAction(ctx context.Context, spec ActionSpec, out Outcome, target *Assignment, fromStatus string, evID int64, note, public string) error {
	ch := Change{
		Flow: x.c.Flow, Source: x.c.Source, ExternalID: x.c.ExternalID,
		EventID: evID, Action: spec.Name, FromStatus: fromStatus, ToStatus: x.c.Status, Note: note, PublicText: public, At: x.now,
		StatusChanged: fromStatus != x.c.Status,
		Answered:      target != nil && target.Role == RoleLead && slices.Contains(out.Effects, EffAnswer),
		Closed:        fromStatus != x.c.Status && x.c.Closed() && x.flow.Terminal(x.c.Status),
		Actor:         x.actor,
	}
	return x.s.changed(ctx, x.tx, x.c.ID, ch)
}
