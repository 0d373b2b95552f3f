package casework

import (
	"context"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// PublicView is what a resident sees of their case, by number and the last
// four digits of their phone: no names of staff, no internal notes.
type PublicView struct {
	No                   string        `json:"no"`
	Title                string        `json:"title"`
	Status               string        `json:"status"`
	StatusText           string        `json:"status_text"`
	CreatedAt            time.Time     `json:"created_at"`
	Answer               string        `json:"answer,omitempty"`
	AnsweredAt           *time.Time    `json:"answered_at,omitempty"`
	ClosedAt             *time.Time    `json:"closed_at,omitempty"`
	Events               []PublicEvent `json:"events"`
	CanRate              bool          `json:"can_rate"`
	ResidentSatisfaction string        `json:"resident_satisfaction,omitempty"`
	// ReviewHref is where the resident rates this case instead
	// (Flow.ReviewHref).
	ReviewHref string `json:"review_href,omitempty"`
}

// PublicEvent is one step told to the requester.
type PublicEvent struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

var errTrack = store.NotFound("工单编号或电话后四位不正确")

// trackCase finds the case for a resident; a wrong number and a wrong phone
// read the same, so neither can be guessed separately.
func (s *Service) trackCase(ctx context.Context, q querier, no, last4 string) (Case, error) {
	no, last4 = strings.TrimSpace(no), strings.TrimSpace(last4)
	if no == "" || len(last4) != 4 {
		return Case{}, errTrack
	}
	c, err := loadCase(ctx, q, "c.no = ?", no)
	if err != nil {
		if isNotFound(err) {
			return Case{}, errTrack
		}
		return Case{}, err
	}
	if c.PhoneLast4 == "" || subtle.ConstantTimeCompare([]byte(c.PhoneLast4), []byte(last4)) != 1 {
		return Case{}, errTrack
	}
	return c, nil
}

// Track returns the public view of a case for a resident who knows its
// number and the last four digits of the phone it was reported with. Rate
// limiting is the web layer's.
func (s *Service) Track(ctx context.Context, no, phoneLast4 string) (PublicView, error) {
	c, err := s.trackCase(ctx, s.db, no, phoneLast4)
	if err != nil {
		return PublicView{}, err
	}
	v := PublicView{No: c.No, Title: c.Title, Status: c.Status, CreatedAt: c.CreatedAt, Answer: c.Answer, AnsweredAt: c.AnsweredAt,
		ClosedAt: c.ClosedAt, ResidentSatisfaction: c.ResidentSatisfaction}
	if f, ok := s.flows[c.Flow]; ok {
		v.StatusText = f.PublicText(c.Status)
	}
	evs, err := loadEvents(ctx, s.db, c.ID, true)
	if err != nil {
		return PublicView{}, err
	}
	for _, e := range evs {
		v.Events = append(v.Events, PublicEvent{At: e.At, Text: e.PublicText})
	}
	v.CanRate = c.AnsweredAt != nil && c.ResidentRatedAt == nil
	if f, ok := s.flows[c.Flow]; ok && f.ReviewHref != "" {
		v.CanRate, v.ReviewHref = false, f.ReviewHref
	}
	return v, nil
}

// Rate records the resident's own satisfaction with the answer (once, after
// the case was answered), as a public event; it is kept apart from the
// revisit's satisfaction, which the rates count.
func (s *Service) Rate(ctx context.Context, no, phoneLast4, satisfaction, note string) error {
	if !slices.Contains([]string{Satisfied, Basic, Unsatisfied}, satisfaction) {
		return store.Invalid("请选择满意度：满意、基本满意或不满意")
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > 500 {
		return store.Invalid("评价内容不能超过500字")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.trackCase(ctx, tx, no, phoneLast4)
		if err != nil {
			return err
		}
		if f, ok := s.flows[c.Flow]; ok && f.ReviewHref != "" {
			return store.Conflict("该申请请在办事进度页评价，每件申请只有一个评价")
		}
		if c.AnsweredAt == nil {
			return store.Conflict("工单尚未答复，答复后才能评价")
		}
		if c.ResidentRatedAt != nil {
			return store.Conflict("您已评价过该工单")
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE cases SET resident_satisfaction = ?, resident_note = ?, resident_rated_at = ?, updated_at = ? WHERE id = ?`,
			satisfaction, note, store.Millis(now), store.Millis(now), c.ID); err != nil {
			return fmt.Errorf("rate case: %w", err)
		}
		text := map[string]string{Satisfied: "您评价：满意", Basic: "您评价：基本满意", Unsatisfied: "您评价：不满意"}[satisfaction]
		if err := insertEvent(ctx, tx, Event{CaseID: c.ID, At: now, ActorName: "群众", Action: "resident_rate", Note: note,
			Data: map[string]any{"satisfaction": satisfaction}, Public: true, PublicText: text}, 0); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: access.Actor{Name: "resident"}, Action: "case.resident_rate", Entity: "case", EntityID: c.No,
			After: map[string]string{"satisfaction": satisfaction}, Reason: note})
	})
}
