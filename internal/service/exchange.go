package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/webhook"
)

// The exchange of cross-county applications (异地可办) with the provincial
// platform: the application is sent through the webhook outbox in the
// transaction that accepts it, and the other county's answer comes back
// through ExchangeStatus.
const (
	// ExchangeTarget is the outbox target (the provincial exchange).
	ExchangeTarget = "province"
	// ExchangeEvent is the outbox event of a cross-county application.
	ExchangeEvent = "service.cross_county"
)

// Exchange statuses of a cross-county application.
const (
	ExchangeSent     = "sent"     // in the outbox, or sent
	ExchangeAccepted = "accepted" // the other county accepted it
	ExchangeApproved = "approved" // the other county approved it
	ExchangeRefused  = "refused"  // the other county refused it
)

// crossCounty is the outbox payload of a cross-county application.
type crossCounty struct {
	ID             string       `json:"id"`
	Type           string       `json:"type"`
	CaseNo         string       `json:"case_no"`
	ItemCode       string       `json:"item_code"`
	ItemName       string       `json:"item_name"`
	Applicant      string       `json:"applicant"`
	ResidenceOther string       `json:"residence_other"`
	Materials      []string     `json:"materials"`
	AcceptedAt     webhook.Time `json:"accepted_at"`
}

func (s *Service) sendCrossCounty(ctx context.Context, tx *store.Tx, c casework.Case, d appData, at int64) error {
	var itemCode, itemName string
	if err := tx.QueryRow(ctx, `SELECT code, name FROM service_items WHERE id = ?`, d.Item).Scan(&itemCode, &itemName); err != nil {
		return err
	}
	uid := webhook.NewUID()
	p := crossCounty{ID: uid, Type: "cross_county_application", CaseNo: c.No, ItemCode: itemCode, ItemName: itemName, Applicant: d.Applicant,
		ResidenceOther: d.ResidenceOther, AcceptedAt: webhook.Time{Time: store.Time(at)}}
	for _, m := range d.Materials {
		if m.Status != "absent" {
			p.Materials = append(p.Materials, m.Name)
		}
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = webhook.Enqueue(ctx, tx, webhook.Message{Target: ExchangeTarget, Event: ExchangeEvent, CaseID: c.ID, Payload: body, UID: uid}, store.Time(at))
	return err
}

// ExchangeStatus takes the other county's answer to a cross-county
// application: accepted (noted on the timeline), approved or refused (the
// accepting township's back office records the decision with the answer's
// text, and the result is delivered at the accepting centre). The platform
// acts through a token of a county-level user.
func (s *Service) ExchangeStatus(ctx context.Context, actor access.Actor, no, status, text string) (Application, error) {
	if !actor.System && (actor.Anonymous() || !actor.CountyWide()) {
		return Application{}, store.Forbidden("省级平台对接须使用县级单位用户的令牌")
	}
	text = strings.TrimSpace(text)
	if !slices.Contains([]string{ExchangeAccepted, ExchangeApproved, ExchangeRefused}, status) {
		return Application{}, store.Invalid("异地办理状态应为 accepted、approved 或 refused")
	}
	if utf8.RuneCountInString(text) > 2000 {
		return Application{}, store.Invalid("异地办理说明不能超过2000字")
	}
	a, err := s.loadApp(ctx, s.db, "c.no = ?", strings.TrimSpace(no))
	if err != nil {
		return Application{}, err
	}
	if a.Reach != ReachCross {
		return Application{}, store.Conflictf("%s 不是异地办理的申请", a.No)
	}
	if text == "" {
		text = map[string]string{ExchangeAccepted: "外县已受理", ExchangeApproved: "外县已办结，准予办理", ExchangeRefused: "外县不予办理"}[status]
	}
	sys := access.Actor{Name: "省级平台", System: true}
	switch status {
	case ExchangeAccepted:
		if _, err := s.cases.Do(ctx, sys, a.No, casework.Action{Name: "comment", Note: "异地办理：" + text}); err != nil {
			return Application{}, err
		}
	default:
		if a.Status == "dispatched" {
			if _, err := s.cases.Do(ctx, sys, a.No, casework.Action{Name: "sign"}); err != nil {
				return Application{}, err
			}
		}
		action := map[string]string{ExchangeApproved: "approve", ExchangeRefused: "refuse"}[status]
		if _, err := s.cases.Do(ctx, sys, a.No, casework.Action{Name: action, Note: text}); err != nil {
			return Application{}, err
		}
	}
	if _, err := s.db.Exec(ctx, `UPDATE service_applications SET exchange_status = ? WHERE id = ?`, status, a.ID); err != nil {
		return Application{}, fmt.Errorf("exchange status: %w", err)
	}
	return s.loadApp(ctx, s.db, "a.id = ?", a.ID)
}
