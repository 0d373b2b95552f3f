// Package province is the exchange with the provincial 12345 platform:
// cases it pushes in (idempotent by the platform's id, kept as the case's
// external id with source "province"), the status it queries, and the status
// updates grassroots sends back through the webhook outbox, written in the
// same transaction as each change of a provincial case.
package province

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/settings"
	"grassroots/internal/store"
	"grassroots/internal/webhook"
)

// Source is the casework source of provincial cases.
const Source = "province"

// Target names the provincial platform in the outbox.
const Target = "province"

// The settings of the outbound exchange.
const (
	// SettingStatusURL is where status updates are POSTed ("" sends none).
	SettingStatusURL = "province.status_url"
	// SettingSecret signs them (X-Grassroots-Signature), when set.
	SettingSecret = "province.secret"
	// SettingToken is sent as Authorization: Bearer, when set.
	SettingToken = "province.token"
)

// EventStatus is the outbox event of a status update.
const EventStatus = "province.status"

// InboundCase is what the platform pushes: POST /api/v1/province/cases.
type InboundCase struct {
	// PlatformID is the platform's own id of the case (工单编号); a second
	// push of the same id returns the case already taken in.
	PlatformID    string   `json:"platform_id"`
	Title         string   `json:"title"`
	Content       string   `json:"content"`
	RequestType   string   `json:"request_type"` // consult, help, complaint, suggestion
	Category      string   `json:"category,omitempty"`
	Priority      string   `json:"priority,omitempty"` // urgent, normal, complex
	Address       string   `json:"address,omitempty"`
	Lng           *float64 `json:"lng,omitempty"`
	Lat           *float64 `json:"lat,omitempty"`
	PlaceUnit     string   `json:"place_unit,omitempty"`
	ReporterName  string   `json:"reporter_name,omitempty"`
	ReporterPhone string   `json:"reporter_phone,omitempty"`
	// ReceivedAt and Deadline are the platform's times, kept with the case.
	ReceivedAt string `json:"received_at,omitempty"`
	Deadline   string `json:"deadline,omitempty"`
}

// Receipt is the answer to a push.
type Receipt struct {
	PlatformID string `json:"platform_id"`
	CaseNo     string `json:"case_no"`
	Created    bool   `json:"created"`
	Status     string `json:"status"`
	StatusText string `json:"status_text"`
}

// Status is a provincial case's status, as a query returns it and as
// outbound updates carry it.
type Status struct {
	PlatformID   string        `json:"platform_id"`
	CaseNo       string        `json:"case_no"`
	Status       string        `json:"status"`
	StatusText   string        `json:"status_text"`
	Closed       bool          `json:"closed"`
	LeadUnitCode string        `json:"lead_unit_code,omitempty"`
	LeadUnitName string        `json:"lead_unit_name,omitempty"`
	HandleDueAt  *time.Time    `json:"handle_due_at,omitempty"`
	Answer       string        `json:"answer,omitempty"`
	AnsweredAt   *time.Time    `json:"answered_at,omitempty"`
	ClosedAt     *time.Time    `json:"closed_at,omitempty"`
	Satisfaction string        `json:"satisfaction,omitempty"`
	UpdatedAt    time.Time     `json:"updated_at"`
	Events       []StatusEvent `json:"events"`
}

// StatusEvent is one step told to the platform (the public timeline).
type StatusEvent struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// Update is the body of an outbound status update.
type Update struct {
	ID         string        `json:"id"` // the delivery id (X-Grassroots-Delivery)
	Type       string        `json:"type"`
	PlatformID string        `json:"platform_id"`
	CaseNo     string        `json:"case_no"`
	Action     string        `json:"action"`
	FromStatus string        `json:"from_status,omitempty"`
	Status     string        `json:"status"`
	StatusText string        `json:"status_text"`
	Closed     bool          `json:"closed"`
	Answered   bool          `json:"answered"`
	Text       string        `json:"text,omitempty"`
	Answer     string        `json:"answer,omitempty"`
	LeadUnit   string        `json:"lead_unit,omitempty"`
	HandleDue  *webhook.Time `json:"handle_due_at"`
	At         webhook.Time  `json:"at"` // webhook.TimeLayout, like every outbound time
}

// Service is the exchange.
type Service struct {
	db    *store.DB
	cases *casework.Service
	log   *slog.Logger
}

// NewService returns the exchange over the case engine.
func NewService(db *store.DB, cases *casework.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: db, cases: cases, log: log}
}

// mayExchange: the platform acts through a token of a county-level user.
func mayExchange(actor access.Actor) error {
	if actor.System || (!actor.Anonymous() && actor.CountyWide()) {
		return nil
	}
	return store.Forbidden("省级平台对接须使用县级单位用户的令牌")
}

// Receive takes a pushed case in through the case engine's intake: a hotline
// case, channel and source "province", external id the platform's id, so a
// repeated push returns the same case with Created false.
func (s *Service) Receive(ctx context.Context, actor access.Actor, in InboundCase) (Receipt, error) {
	if err := mayExchange(actor); err != nil {
		return Receipt{}, err
	}
	in.PlatformID = strings.TrimSpace(in.PlatformID)
	if in.PlatformID == "" {
		return Receipt{}, store.Invalid("缺少省级平台工单编号 platform_id")
	}
	data := map[string]any{"province": map[string]any{"platform_id": in.PlatformID, "received_at": in.ReceivedAt, "deadline": in.Deadline}}
	js, err := json.Marshal(data)
	if err != nil {
		return Receipt{}, err
	}
	c, created, err := s.cases.Create(ctx, actor, casework.NewCase{Flow: "hotline", RequestType: in.RequestType, Category: in.Category,
		Title: in.Title, Body: in.Content, Priority: in.Priority, Channel: "province", Source: Source, ExternalID: in.PlatformID,
		Address: in.Address, Lng: in.Lng, Lat: in.Lat, PlaceUnit: in.PlaceUnit, ReporterName: in.ReporterName,
		ReporterPhone: in.ReporterPhone, DataJSON: string(js)})
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{PlatformID: in.PlatformID, CaseNo: c.No, Created: created, Status: c.Status, StatusText: s.statusText(c.Flow, c.Status)}, nil
}

func (s *Service) statusText(flow, status string) string {
	if f, ok := s.cases.Flow(flow); ok {
		if t := f.PublicText(status); t != "" {
			return t
		}
	}
	return status
}

// Query returns the status of the case the platform pushed as platformID.
func (s *Service) Query(ctx context.Context, actor access.Actor, platformID string) (Status, error) {
	if err := mayExchange(actor); err != nil {
		return Status{}, err
	}
	var no string
	err := s.db.QueryRow(ctx, `SELECT no FROM cases WHERE source = ? AND external_id = ? AND external_id <> ''`, Source, strings.TrimSpace(platformID)).Scan(&no)
	if err != nil {
		if isNotFound(err) {
			return Status{}, store.NotFoundf("找不到省级平台工单 %s", platformID)
		}
		return Status{}, fmt.Errorf("province query: %w", err)
	}
	d, err := s.cases.Get(ctx, actor, no)
	if err != nil {
		return Status{}, err
	}
	c := d.Case
	st := Status{PlatformID: c.ExternalID, CaseNo: c.No, Status: c.Status, StatusText: s.statusText(c.Flow, c.Status), Closed: c.Closed(),
		LeadUnitCode: c.LeadUnitCode, LeadUnitName: c.LeadUnitName, HandleDueAt: c.HandleDueAt, Answer: c.Answer, AnsweredAt: c.AnsweredAt,
		ClosedAt: c.ClosedAt, Satisfaction: c.Satisfaction, UpdatedAt: c.UpdatedAt, Events: []StatusEvent{}}
	for _, e := range d.Events {
		if e.Public {
			st.Events = append(st.Events, StatusEvent{At: e.At, Text: e.PublicText})
		}
	}
	return st, nil
}

// OnCaseChange is the case engine's hook: for a provincial case whose status
// changed, or that was answered or closed, it writes a status update to the
// outbox in the change's own transaction, when the platform's URL is set.
func (s *Service) OnCaseChange(ctx context.Context, tx *store.Tx, ch casework.Change) error {
	if ch.Source != Source || ch.ExternalID == "" || !(ch.StatusChanged || ch.Answered || ch.Closed) {
		return nil
	}
	u, err := settings.String(ctx, tx, SettingStatusURL, "")
	if err != nil || strings.TrimSpace(u) == "" {
		return err
	}
	c, err := ch.Case()
	if err != nil {
		return err
	}
	uid := webhook.NewUID()
	up := Update{ID: uid, Type: "status_update", PlatformID: c.ExternalID, CaseNo: c.No, Action: ch.Action, FromStatus: ch.FromStatus,
		Status: c.Status, StatusText: s.statusText(c.Flow, c.Status), Closed: c.Closed(), Answered: ch.Answered, Text: ch.PublicText,
		Answer: c.Answer, LeadUnit: c.LeadUnitName, At: webhook.Time{Time: ch.At},
		HandleDue: webhook.TimeOf(c.HandleDueAt)}
	body, err := json.Marshal(up)
	if err != nil {
		return err
	}
	_, err = webhook.Enqueue(ctx, tx, webhook.Message{Target: Target, Event: EventStatus, CaseID: c.ID, Payload: body, UID: uid}, ch.At)
	return err
}

// Destination resolves the platform's URL, secret and token at send time
// (a webhook.Resolver).
func (s *Service) Destination(ctx context.Context) (webhook.Destination, error) {
	var d webhook.Destination
	var err error
	if d.URL, err = settings.String(ctx, s.db, SettingStatusURL, ""); err != nil {
		return d, err
	}
	if d.Secret, err = settings.String(ctx, s.db, SettingSecret, ""); err != nil {
		return d, err
	}
	tok, err := settings.String(ctx, s.db, SettingToken, "")
	if err != nil {
		return d, err
	}
	if tok != "" {
		d.Headers = map[string]string{"Authorization": "Bearer " + tok}
	}
	return d, nil
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
