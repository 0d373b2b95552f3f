// Package webhook owns outbound webhooks: the endpoints administrators
// register, the outbox of deliveries (written in the same transaction as the
// case change that causes them), their HMAC-SHA256 signatures, and the worker
// that delivers them with retries and exponential backoff, once across any
// number of instances.
//
// Other packages that must tell another system about a change (the
// provincial 12345 exchange) put their messages in the same outbox with
// Enqueue and a named target that the worker resolves at send time.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// The events an endpoint may subscribe to.
const (
	EventCaseCreated       = "case.created"
	EventCaseStatusChanged = "case.status_changed"
	EventCaseAnswered      = "case.answered"
	EventCaseClosed        = "case.closed"
)

// Events lists every event, in display order.
var Events = []string{EventCaseCreated, EventCaseStatusChanged, EventCaseAnswered, EventCaseClosed}

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// Endpoint is a registered receiver. The secret is shown once, when the
// endpoint is created.
type Endpoint struct {
	ID          int64     `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description string    `json:"description"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Pending and Failed count its deliveries waiting and given up.
	Pending int `json:"pending"`
	Failed  int `json:"failed"`
}

// NewEndpoint is what an administrator registers.
type NewEndpoint struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description,omitempty"`
	// Secret is the signing key; one is generated when empty.
	Secret string `json:"secret,omitempty"`
}

// Delivery is one message in the outbox.
type Delivery struct {
	ID             int64      `json:"id"`
	UID            string     `json:"uid"`
	EndpointID     int64      `json:"endpoint_id,omitempty"`
	Target         string     `json:"target,omitempty"`
	Event          string     `json:"event"`
	CaseID         int64      `json:"-"`
	CaseNo         string     `json:"case_no,omitempty"`
	Payload        string     `json:"payload"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	NextAttemptAt  time.Time  `json:"next_attempt_at"`
	LastAttemptAt  *time.Time `json:"last_attempt_at,omitempty"`
	LastStatusCode int        `json:"last_status_code,omitempty"`
	LastResponse   string     `json:"last_response,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

// Message is what another package puts in the outbox with Enqueue.
type Message struct {
	// EndpointID names a registered endpoint, or Target a named target.
	EndpointID int64
	Target     string
	Event      string
	CaseID     int64
	// Payload is the JSON body; its "id" should be UID so that receivers
	// can dedupe (Enqueue fills UID when empty).
	Payload []byte
	UID     string
}

// Service manages endpoints and writes deliveries.
type Service struct {
	db  *store.DB
	log *slog.Logger
	now func() time.Time
}

// NewService returns the webhook service over db.
func NewService(db *store.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: db, log: log, now: time.Now}
}

// WithClock sets the clock (tests).
func (s *Service) WithClock(now func() time.Time) *Service { s.now = now; return s }

// NewUID returns a random delivery id.
func NewUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "whd_" + hex.EncodeToString(b)
}

// mayAdminister: webhooks see every case of the county, so only county-wide
// administrators manage them.
func mayAdminister(actor access.Actor) error {
	if actor.CountyAdmin() {
		return nil
	}
	return store.Forbidden("只有县级系统管理员可以管理Webhook")
}

// ParseEvents splits and checks a list of events ("case.created,case.closed").
func ParseEvents(in []string) ([]string, error) {
	var out []string
	for _, part := range in {
		for _, e := range strings.Split(part, ",") {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			if !slices.Contains(Events, e) {
				return nil, store.Invalidf("不支持的事件“%s”（可选：%s）", e, strings.Join(Events, "、"))
			}
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	if len(out) == 0 {
		return nil, store.Invalid("请至少选择一个事件")
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(Events, a) - slices.Index(Events, b) })
	return out, nil
}

// CheckURL accepts absolute http and https URLs.
func CheckURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", store.Invalid("地址应为完整的 http:// 或 https:// 网址")
	}
	if len(raw) > 2000 {
		return "", store.Invalid("地址过长")
	}
	return raw, nil
}

// Create registers an endpoint and returns it with its secret (shown once).
func (s *Service) Create(ctx context.Context, actor access.Actor, in NewEndpoint) (Endpoint, string, error) {
	if err := mayAdminister(actor); err != nil {
		return Endpoint{}, "", err
	}
	u, err := CheckURL(in.URL)
	if err != nil {
		return Endpoint{}, "", err
	}
	events, err := ParseEvents(in.Events)
	if err != nil {
		return Endpoint{}, "", err
	}
	desc := strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(desc) > 200 {
		return Endpoint{}, "", store.Invalid("说明不能超过200字")
	}
	secret := strings.TrimSpace(in.Secret)
	if secret == "" {
		b := make([]byte, 24)
		rand.Read(b)
		secret = "whsec_" + hex.EncodeToString(b)
	} else if len(secret) < 16 || len(secret) > 200 {
		return Endpoint{}, "", store.Invalid("签名密钥应为16至200个字符")
	}
	now := s.now()
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO webhook_endpoints (url, secret, events, description, active, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, 1, ?, ?, ?) RETURNING id`, u, secret, strings.Join(events, ","), desc, store.NullID(actor.UserID), store.Millis(now), store.Millis(now)).Scan(&id); err != nil {
			return fmt.Errorf("create webhook: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "webhook.create", Entity: "webhook", EntityID: strconv.FormatInt(id, 10),
			After: map[string]any{"url": u, "events": events, "description": desc}})
	})
	if err != nil {
		return Endpoint{}, "", err
	}
	ep, err := s.Get(ctx, actor, id)
	return ep, secret, err
}

const endpointColumns = `e.id, e.url, e.events, e.description, e.active, e.created_at, e.updated_at,
	(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending'),
	(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'failed')`

func scanEndpoint(sc interface{ Scan(...any) error }) (Endpoint, error) {
	var e Endpoint
	var events string
	var active int
	var created, updated int64
	if err := sc.Scan(&e.ID, &e.URL, &events, &e.Description, &active, &created, &updated, &e.Pending, &e.Failed); err != nil {
		return e, err
	}
	e.Events = strings.Split(events, ",")
	e.Active = active == 1
	e.CreatedAt, e.UpdatedAt = store.Time(created), store.Time(updated)
	return e, nil
}

// List returns every endpoint, newest first.
func (s *Service) List(ctx context.Context, actor access.Actor) ([]Endpoint, error) {
	if err := mayAdminister(actor); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints e ORDER BY e.id DESC`)
	out, err := store.Collect(rows, err, scanEndpoint)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return out, nil
}

// Get returns one endpoint.
func (s *Service) Get(ctx context.Context, actor access.Actor, id int64) (Endpoint, error) {
	if err := mayAdminister(actor); err != nil {
		return Endpoint{}, err
	}
	e, err := scanEndpoint(s.db.QueryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints e WHERE e.id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return Endpoint{}, store.NotFound("找不到该Webhook")
	}
	return e, err
}

// SetActive pauses (false) or resumes (true) an endpoint. A paused endpoint
// gets no new deliveries; those already in the outbox are still sent.
func (s *Service) SetActive(ctx context.Context, actor access.Actor, id int64, active bool) error {
	if err := mayAdminister(actor); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET active = ?, updated_at = ? WHERE id = ?`, store.BoolInt(active), store.Millis(s.now()), id)
		if err != nil {
			return fmt.Errorf("set webhook active: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.NotFound("找不到该Webhook")
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "webhook.active", Entity: "webhook", EntityID: strconv.FormatInt(id, 10),
			After: map[string]any{"active": active}})
	})
}

// Delete removes an endpoint and its deliveries.
func (s *Service) Delete(ctx context.Context, actor access.Actor, id int64) error {
	if err := mayAdminister(actor); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var u string
		if err := tx.QueryRow(ctx, `SELECT url FROM webhook_endpoints WHERE id = ?`, id).Scan(&u); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return store.NotFound("找不到该Webhook")
			}
			return fmt.Errorf("delete webhook: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?)`, id); err != nil {
			return fmt.Errorf("delete webhook attempts: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE endpoint_id = ?`, id); err != nil {
			return fmt.Errorf("delete webhook deliveries: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "webhook.delete", Entity: "webhook", EntityID: strconv.FormatInt(id, 10),
			Before: map[string]any{"url": u}})
	})
}

const deliveryColumns = `d.id, d.uid, COALESCE(d.endpoint_id, 0), d.target, d.event, COALESCE(d.case_id, 0), COALESCE(c.no, ''), d.payload, d.status,
	d.attempts, d.next_attempt_at, d.last_attempt_at, COALESCE(d.last_status_code, 0), d.last_response, d.last_error, d.delivered_at, d.created_at`

func scanDelivery(sc interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var next, created int64
	var last, delivered nullInt
	err := sc.Scan(&d.ID, &d.UID, &d.EndpointID, &d.Target, &d.Event, &d.CaseID, &d.CaseNo, &d.Payload, &d.Status,
		&d.Attempts, &next, &last, &d.LastStatusCode, &d.LastResponse, &d.LastError, &delivered, &created)
	if err != nil {
		return d, err
	}
	d.NextAttemptAt, d.CreatedAt = store.Time(next), store.Time(created)
	d.LastAttemptAt, d.DeliveredAt = last.time(), delivered.time()
	return d, nil
}

// DeliveryFilter selects deliveries to list.
type DeliveryFilter struct {
	EndpointID int64  // 0: any
	Target     string // "": endpoints' deliveries when EndpointID is 0 too
	Status     string // "": any
	Limit      int    // default 50, at most 500
}

// Deliveries lists deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, actor access.Actor, f DeliveryFilter) ([]Delivery, error) {
	if err := mayAdminister(actor); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	where, args := []string{"1=1"}, []any{}
	switch {
	case f.EndpointID != 0:
		where, args = append(where, "d.endpoint_id = ?"), append(args, f.EndpointID)
	case f.Target != "":
		where, args = append(where, "d.target = ?"), append(args, f.Target)
	}
	if f.Status != "" {
		if !slices.Contains([]string{StatusPending, StatusDelivered, StatusFailed}, f.Status) {
			return nil, store.Invalid("状态应为 pending、delivered 或 failed")
		}
		where, args = append(where, "d.status = ?"), append(args, f.Status)
	}
	rows, err := s.db.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d LEFT JOIN cases c ON c.id = d.case_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY d.id DESC LIMIT `+strconv.Itoa(f.Limit), args...)
	out, err := store.Collect(rows, err, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// Redeliver puts a delivery back in the queue to be sent at once (after a
// receiver's outage made it fail, or to send it again on request).
func (s *Service) Redeliver(ctx context.Context, actor access.Actor, id int64) error {
	if err := mayAdminister(actor); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, lease_owner = '', lease_token = '', lease_until = NULL
			WHERE id = ? AND (status <> 'pending' OR lease_until IS NULL OR lease_until < ?)`, store.Millis(s.now()), id, store.Millis(s.now()))
		if err != nil {
			return fmt.Errorf("redeliver: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.Conflict("找不到该投递，或它正在发送中")
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "webhook.redeliver", Entity: "webhook_delivery", EntityID: strconv.FormatInt(id, 10)})
	})
}

// Enqueue writes a message to the outbox inside tx: it will be sent after
// tx commits, and never if tx rolls back.
func Enqueue(ctx context.Context, tx *store.Tx, m Message, now time.Time) (string, error) {
	if m.UID == "" {
		m.UID = NewUID()
	}
	if (m.EndpointID == 0) == (m.Target == "") {
		return "", errors.New("enqueue: exactly one of endpoint and target")
	}
	_, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (uid, endpoint_id, target, event, case_id, payload, status, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`, m.UID, store.NullID(m.EndpointID), m.Target, m.Event, store.NullID(m.CaseID), string(m.Payload),
		store.Millis(now), store.Millis(now))
	if err != nil {
		return "", fmt.Errorf("enqueue %s: %w", m.Event, err)
	}
	return m.UID, nil
}

// EventsOf returns the webhook events a case change raises.
func EventsOf(ch casework.Change) []string {
	var out []string
	if ch.Created {
		out = append(out, EventCaseCreated)
	}
	if ch.StatusChanged {
		out = append(out, EventCaseStatusChanged)
	}
	if ch.Answered {
		out = append(out, EventCaseAnswered)
	}
	if ch.Closed {
		out = append(out, EventCaseClosed)
	}
	return out
}

// CasePayload is the case as webhook bodies carry it: no reporter data.
type CasePayload struct {
	No           string `json:"no"`
	Flow         string `json:"flow"`
	Status       string `json:"status"`
	FromStatus   string `json:"from_status,omitempty"`
	Action       string `json:"action"`
	CategoryCode string `json:"category_code,omitempty"`
	CategoryName string `json:"category_name,omitempty"`
	Title        string `json:"title"`
	Channel      string `json:"channel"`
	Source       string `json:"source,omitempty"`
	ExternalID   string `json:"external_id,omitempty"`
	LeadUnitCode string `json:"lead_unit_code,omitempty"`
	LeadUnitName string `json:"lead_unit_name,omitempty"`
	TownshipName string `json:"township_name,omitempty"`
	HandleDueAt  *Time  `json:"handle_due_at,omitempty"`
	Answer       string `json:"answer,omitempty"`
	AnsweredAt   *Time  `json:"answered_at,omitempty"`
	ClosedAt     *Time  `json:"closed_at,omitempty"`
	Satisfaction string `json:"satisfaction,omitempty"`
	CreatedAt    Time   `json:"created_at"`
	UpdatedAt    Time   `json:"updated_at"`
}

// Body is the JSON body of a webhook delivery.
type Body struct {
	ID         string      `json:"id"`
	Event      string      `json:"event"`
	OccurredAt Time        `json:"occurred_at"`
	Note       string      `json:"note,omitempty"`
	Case       CasePayload `json:"case"`
}

// CaseBody builds the body of one event of a change to case c.
func CaseBody(uid, event string, ch casework.Change, c casework.Case) Body {
	return Body{ID: uid, Event: event, OccurredAt: Time{ch.At}, Note: ch.PublicText, Case: CasePayload{
		No: c.No, Flow: c.Flow, Status: c.Status, FromStatus: ch.FromStatus, Action: ch.Action, CategoryCode: c.CategoryCode,
		CategoryName: c.CategoryName, Title: c.Title, Channel: c.Channel, Source: c.Source, ExternalID: c.ExternalID,
		LeadUnitCode: c.LeadUnitCode, LeadUnitName: c.LeadUnitName, TownshipName: c.TownshipName, HandleDueAt: TimeOf(c.HandleDueAt),
		Answer: c.Answer, AnsweredAt: TimeOf(c.AnsweredAt), ClosedAt: TimeOf(c.ClosedAt), Satisfaction: c.Satisfaction,
		CreatedAt: Time{c.CreatedAt}, UpdatedAt: Time{c.UpdatedAt},
	}}
}

// OnCaseChange is the case engine's hook (casework.Service.OnChange): inside
// the change's transaction it writes one delivery per active endpoint and
// event the endpoint subscribed to.
func (s *Service) OnCaseChange(ctx context.Context, tx *store.Tx, ch casework.Change) error {
	events := EventsOf(ch)
	if len(events) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id, events FROM webhook_endpoints WHERE active = 1 ORDER BY id`)
	if err != nil {
		return fmt.Errorf("webhook endpoints: %w", err)
	}
	type sub struct {
		id     int64
		events []string
	}
	var subs []sub
	for rows.Next() {
		var sb sub
		var evs string
		if err := rows.Scan(&sb.id, &evs); err != nil {
			rows.Close()
			return fmt.Errorf("webhook endpoints: %w", err)
		}
		sb.events = strings.Split(evs, ",")
		subs = append(subs, sb)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := s.now()
	for _, sb := range subs {
		for _, ev := range events {
			if !slices.Contains(sb.events, ev) {
				continue
			}
			c, err := ch.Case()
			if err != nil {
				return err
			}
			uid := NewUID()
			body, err := json.Marshal(CaseBody(uid, ev, ch, c))
			if err != nil {
				return err
			}
			if _, err := Enqueue(ctx, tx, Message{EndpointID: sb.id, Event: ev, CaseID: c.ID, Payload: body, UID: uid}, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// nullInt scans a nullable BIGINT timestamp.
type nullInt struct {
	v     int64
	valid bool
}

func (n *nullInt) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		n.valid = false
	case int64:
		n.v, n.valid = x, true
	case int32:
		n.v, n.valid = int64(x), true
	case float64:
		n.v, n.valid = int64(x), true
	default:
		return fmt.Errorf("timestamp: unexpected %T", src)
	}
	return nil
}

func (n nullInt) time() *time.Time {
	if !n.valid || n.v == 0 {
		return nil
	}
	t := store.Time(n.v)
	return &t
}
