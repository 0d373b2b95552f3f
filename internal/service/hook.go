package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"grassroots/internal/access"
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
	var appID, pickup int64
	var kind, office string
	if err := tx.QueryRow(ctx, `SELECT id, kind, office, COALESCE(pickup_site_id, site_id, centre_id, 0) FROM service_applications WHERE case_id = ?`,
		c.ID).Scan(&appID, &kind, &office, &pickup); err != nil {
		return fmt.Errorf("application of %s: %w", c.No, err)
	}
	switch ch.Action {
	case "sign", "ask_supplement", "approve", "refuse", "return":
		if err := mayHandle(ctx, tx, ch.Actor, office); err != nil {
			return err
		}
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
		_, err = tx.Exec(ctx, `UPDATE service_applications SET decided_at = ?, decision = ?, on_time = ? WHERE id = ?`, at, decision, store.BoolInt(onTime), appID)
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
		win, err := s.deliveryWindow(ctx, tx, ch.Actor, pickup, windowFrom(ctx))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE service_applications SET delivered_at = ?, delivery = ?, delivery_ref = ?, visits = visits + ?,
			delivered_window_id = ?, delivered_by = ?, delivered_by_name = ? WHERE id = ?`,
			at, method, ch.Note, visit, store.NullID(win), store.NullID(ch.Actor.UserID), ch.Actor.Recorded(), appID)
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
	if d.Reach == "" {
		d.Reach = ReachNearby
	}
	exchange := ""
	if d.Reach == ReachCross {
		exchange = ExchangeSent
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO service_applications (case_id, item_id, kind, channel, site_id, centre_id, window_id, handling_unit_id, office,
		township_level, applicant_name, phone_hash, materials_json, consent, consent_note, fee_cents, paid_by_proxy, payment_ref, accepted_at, visits,
		residence_unit_id, residence_other, reach, forwarded, pickup_site_id, exchange_status, station_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.ID, d.Item, d.Kind, d.Channel, store.NullID(d.Site), store.NullID(d.Centre), store.NullID(d.Window), d.Unit, d.Office, store.BoolInt(d.TownshipLevel),
		d.Applicant, d.PhoneHash, string(mats), store.BoolInt(d.Consent), d.ConsentNote, d.FeeCents, store.BoolInt(d.PaidByProxy), d.PaymentRef, at, d.Visits,
		store.NullID(d.Residence), d.ResidenceOther, d.Reach, store.BoolInt(d.Forwarded), store.NullID(d.Pickup), exchange, store.NullID(d.Station)).Scan(&id)
	if err != nil {
		return fmt.Errorf("insert application %s: %w", c.No, err)
	}
	if d.Reach == ReachCross {
		if err := s.sendCrossCounty(ctx, tx, c, *d, at); err != nil {
			return err
		}
	}
	for _, n := range d.Notices {
		if _, err := tx.Exec(ctx, `UPDATE service_notices SET application_id = ? WHERE id = ? AND application_id IS NULL`, id, n); err != nil {
			return fmt.Errorf("link notice: %w", err)
		}
	}
	return nil
}

type windowKey struct{}

// withWindow carries the delivering window a clerk chose into the change
// hook that records the delivery.
func withWindow(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, windowKey{}, id)
}

func windowFrom(ctx context.Context) int64 {
	id, _ := ctx.Value(windowKey{}).(int64)
	return id
}

// deliveryWindow checks that actor may deliver at the pickup site and
// returns the window delivered at: the one chosen (a window of that site),
// else the site's delivery window (统一出件窗口), else its first window.
func (s *Service) deliveryWindow(ctx context.Context, tx *store.Tx, actor access.Actor, pickup, chosen int64) (int64, error) {
	if pickup == 0 {
		return 0, nil
	}
	site, err := scanSite(tx.QueryRow(ctx, `SELECT `+siteCols+` FROM service_sites s JOIN units u ON u.id = s.unit_id WHERE s.id = ?`, pickup))
	if err != nil {
		return 0, fmt.Errorf("pickup site: %w", err)
	}
	if err := mayDeliver(ctx, tx, actor, site); err != nil {
		return 0, err
	}
	var id int64
	if chosen != 0 {
		err := tx.QueryRow(ctx, `SELECT id FROM service_windows WHERE id = ? AND site_id = ?`, chosen, site.ID).Scan(&id)
		if isNotFound(err) {
			return 0, store.Invalidf("所选窗口不属于%s，请在申请人领取的中心出件", site.Name)
		}
		return id, err
	}
	err = tx.QueryRow(ctx, `SELECT id FROM service_windows WHERE site_id = ? ORDER BY CASE WHEN kind = 'delivery' THEN 0 ELSE 1 END, id LIMIT 1`, site.ID).Scan(&id)
	if isNotFound(err) {
		return 0, nil
	}
	return id, err
}
