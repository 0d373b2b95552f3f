package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// onChange keeps an application's service side in step with its case,
// inside the case's own transaction: the application row at intake (with
// the notices that came before it), the decision and whether it was on
// time, supplements given at the window (a visit), and delivery.
func (s *Service) onChange(ctx context.Context, tx *store.Tx, ch casework.Change) error {
	if ch.Flow != casework.ServiceFlowName {
		return nil
	}
	c, err := ch.Case()
	if err != nil {
		return err
	}
	at := store.Millis(ch.At)
	if ch.Created {
		return s.insertApplication(ctx, tx, c, at)
	}
	var appID int64
	var kind string
	if err := tx.QueryRow(ctx, `SELECT id, kind FROM service_applications WHERE case_id = ?`, c.ID).Scan(&appID, &kind); err != nil {
		return fmt.Errorf("application of %s: %w", c.No, err)
	}
	switch ch.Action {
	case "fix_on_spot":
		_, err := tx.Exec(ctx, `UPDATE service_applications SET decided_at = ?, decision = 'approved', on_time = 1, delivered_at = ?, delivery = 'window'
			WHERE id = ?`, at, at, appID)
		return err
	case "approve", "refuse":
		var due sql.NullInt64
		err := tx.QueryRow(ctx, `SELECT MAX(handle_due_at) FROM assignments WHERE case_id = ? AND role = 'lead' AND status <> 'returned'`, c.ID).Scan(&due)
		if err != nil {
			return fmt.Errorf("application %s due: %w", c.No, err)
		}
		onTime := !due.Valid || at <= due.Int64
		decision := map[string]string{"approve": "approved", "refuse": "refused"}[ch.Action]
		_, err = tx.Exec(ctx, `UPDATE service_applications SET decided_at = ?, decision = ?, on_time = ? WHERE id = ?`, at, decision, b2i(onTime), appID)
		return err
	case "withdraw":
		_, err := tx.Exec(ctx, `UPDATE service_applications SET decision = 'withdrawn' WHERE id = ?`, appID)
		return err
	case "give_supplement":
		data, err := eventData(ctx, tx, ch.EventID)
		if err != nil {
			return err
		}
		via, _ := data["via"].(string)
		if !slices.Contains([]string{"window", "post", "online"}, via) {
			return store.Invalid("补正方式应为窗口(window)、邮寄(post)或网上(online)")
		}
		if via == "window" {
			_, err = tx.Exec(ctx, `UPDATE service_applications SET visits = visits + 1 WHERE id = ?`, appID)
		}
		return err
	case "deliver":
		data, err := eventData(ctx, tx, ch.EventID)
		if err != nil {
			return err
		}
		method, _ := data["delivery"].(string)
		if !slices.Contains(Deliveries, method) {
			return store.Invalid("出件方式应为窗口领取(window)、邮寄送达(post)或网上送达(online)")
		}
		visit := 0
		if method == DeliverWindow {
			visit = 1
		}
		_, err = tx.Exec(ctx, `UPDATE service_applications SET delivered_at = ?, delivery = ?, delivery_ref = ?, visits = visits + ? WHERE id = ?`,
			at, method, ch.Note, visit, appID)
		return err
	}
	return nil
}

func eventData(ctx context.Context, tx *store.Tx, id int64) (map[string]any, error) {
	var raw string
	if err := tx.QueryRow(ctx, `SELECT data_json FROM case_events WHERE id = ?`, id).Scan(&raw); err != nil {
		return nil, fmt.Errorf("event %d: %w", id, err)
	}
	out := map[string]any{}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			return nil, fmt.Errorf("event %d data: %w", id, err)
		}
	}
	return out, nil
}

func (s *Service) insertApplication(ctx context.Context, tx *store.Tx, c casework.Case, at int64) error {
	var payload struct {
		Service *appData `json:"service"`
	}
	if c.DataJSON != "" {
		if err := json.Unmarshal([]byte(c.DataJSON), &payload); err != nil {
			return fmt.Errorf("application %s data: %w", c.No, err)
		}
	}
	d := payload.Service
	if d == nil || d.Item == 0 || d.Unit == 0 {
		return store.Invalid("便民服务申请须通过服务事项受理（窗口、网上或代办），请在便民服务中选择事项办理")
	}
	mats, err := json.Marshal(d.Materials)
	if err != nil {
		return err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO service_applications (case_id, item_id, kind, channel, site_id, centre_id, window_id, handling_unit_id, office,
		township_level, applicant_name, phone_hash, materials_json, consent, consent_note, fee_cents, paid_by_proxy, payment_ref, accepted_at, visits)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.ID, d.Item, d.Kind, d.Channel, nullID(d.Site), nullID(d.Centre), nullID(d.Window), d.Unit, d.Office, b2i(d.TownshipLevel),
		d.Applicant, d.PhoneHash, string(mats), b2i(d.Consent), d.ConsentNote, d.FeeCents, b2i(d.PaidByProxy), d.PaymentRef, at, d.Visits).Scan(&id)
	if err != nil {
		return fmt.Errorf("insert application %s: %w", c.No, err)
	}
	for _, n := range d.Notices {
		if _, err := tx.Exec(ctx, `UPDATE service_notices SET application_id = ? WHERE id = ? AND application_id IS NULL`, id, n); err != nil {
			return fmt.Errorf("link notice: %w", err)
		}
	}
	return nil
}
