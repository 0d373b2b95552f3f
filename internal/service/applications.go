package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// Application is the service side of an application, with its case's
// number and status.
type Application struct {
	ID               int64         `json:"-"`
	CaseID           int64         `json:"-"`
	No               string        `json:"no"`
	Status           string        `json:"status"`
	ItemCode         string        `json:"item_code"`
	ItemName         string        `json:"item_name"`
	Kind             string        `json:"kind"`
	Channel          string        `json:"channel"`
	SiteName         string        `json:"site_name,omitempty"`
	CentreName       string        `json:"centre_name,omitempty"`
	WindowName       string        `json:"window_name,omitempty"`
	HandlingUnitCode string        `json:"handling_unit_code"`
	HandlingUnitName string        `json:"handling_unit_name"`
	Office           string        `json:"office"`
	TownshipLevel    bool          `json:"township_level"`
	ApplicantName    string        `json:"applicant_name"`
	Materials        []AppMaterial `json:"materials"`
	Consent          bool          `json:"consent"`
	ConsentNote      string        `json:"consent_note,omitempty"`
	FeeCents         int64         `json:"fee_cents"`
	PaidByProxy      bool          `json:"paid_by_proxy"`
	PaymentRef       string        `json:"payment_ref,omitempty"`
	AcceptedAt       time.Time     `json:"accepted_at"`
	HandleDueAt      *time.Time    `json:"handle_due_at,omitempty"`
	DecidedAt        *time.Time    `json:"decided_at,omitempty"`
	Decision         string        `json:"decision,omitempty"`
	Answer           string        `json:"answer,omitempty"`
	OnTime           *bool         `json:"on_time,omitempty"`
	DeliveredAt      *time.Time    `json:"delivered_at,omitempty"`
	Delivery         string        `json:"delivery,omitempty"`
	DeliveryRef      string        `json:"delivery_ref,omitempty"`
	Visits           int           `json:"visits"`
	Review           *Review       `json:"review,omitempty"`
	Notices          []string      `json:"notices,omitempty"`
	// ResidenceName is the applicant's residence in the county (with
	// ResidenceCode), or ResidenceOther in another county; Reach is nearby,
	// county or cross; Forwarded marks an application sent to the
	// responsible township; PickupName is where the result is collected.
	ResidenceCode  string `json:"residence_code,omitempty"`
	ResidenceName  string `json:"residence_name,omitempty"`
	ResidenceOther string `json:"residence_other,omitempty"`
	Reach          string `json:"reach"`
	Forwarded      bool   `json:"forwarded"`
	PickupName     string `json:"pickup_name,omitempty"`
	PickupSiteID   int64  `json:"-"`
	// DeliveredWindow and DeliveredBy are the window and clerk that
	// handed the result over.
	DeliveredWindow string `json:"delivered_window,omitempty"`
	DeliveredBy     string `json:"delivered_by,omitempty"`
	// ExchangeStatus is a cross-county application's status at the
	// provincial exchange (sent, accepted, approved, refused).
	ExchangeStatus string `json:"exchange_status,omitempty"`
	StationName    string `json:"station_name,omitempty"`
}

// HandlingText names the back office: the unit and its office, the unit's
// name once when the office is the unit itself (a county department).
func (a Application) HandlingText() string {
	if a.Office == "" || a.Office == a.HandlingUnitName {
		return a.HandlingUnitName
	}
	return a.HandlingUnitName + " " + a.Office
}

// Fee shows the fee.
func (a Application) Fee() string { return Money(a.FeeCents) }

// CanReview reports whether the result has been delivered and not yet
// reviewed.
func (a Application) CanReview() bool { return a.DeliveredAt != nil && a.Review == nil }

// Review is a resident's good or bad review (好差评) of a delivered
// application.
type Review struct {
	Rating  int       `json:"rating"` // 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意
	Channel string    `json:"channel"`
	Note    string    `json:"note,omitempty"`
	At      time.Time `json:"at"`
}

// Good reports a good review (4 or 5); Bad a bad one (1 or 2).
func (r Review) Good() bool { return r.Rating >= 4 }

// Bad reports a bad review (1 or 2).
func (r Review) Bad() bool { return r.Rating <= 2 }

const appCols = `a.id, a.case_id, c.no, c.status, i.code, i.name, a.kind, a.channel, COALESCE(st.name, ''), COALESCE(ce.name, ''), COALESCE(w.name, ''),
	hu.code, hu.name, a.office, a.township_level, a.applicant_name, a.materials_json, a.consent, a.consent_note, a.fee_cents, a.paid_by_proxy,
	a.payment_ref, a.accepted_at, c.handle_due_at, a.decided_at, a.decision, c.answer, a.on_time, a.delivered_at, a.delivery, a.delivery_ref, a.visits,
	r.rating, COALESCE(r.channel, ''), COALESCE(r.note, ''), r.at,
	COALESCE(ru.code, ''), COALESCE(ru.name, ''), a.residence_other, a.reach, a.forwarded, COALESCE(pk.name, ''), COALESCE(pk.id, 0), COALESCE(dw.name, ''), a.delivered_by_name,
	a.exchange_status, COALESCE(sn.name, '')`

const appFrom = ` FROM service_applications a JOIN cases c ON c.id = a.case_id JOIN service_items i ON i.id = a.item_id
	JOIN units hu ON hu.id = a.handling_unit_id
	LEFT JOIN service_sites st ON st.id = a.site_id LEFT JOIN service_sites ce ON ce.id = a.centre_id
	LEFT JOIN service_windows w ON w.id = a.window_id LEFT JOIN service_reviews r ON r.application_id = a.id
	LEFT JOIN units ru ON ru.id = a.residence_unit_id LEFT JOIN service_sites pk ON pk.id = COALESCE(a.pickup_site_id, a.site_id, a.centre_id)
	LEFT JOIN service_windows dw ON dw.id = a.delivered_window_id LEFT JOIN service_stations sn ON sn.id = a.station_id`

func ptime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := store.Time(n.Int64).In(shanghai)
	return &t
}

func scanApp(sc interface{ Scan(...any) error }) (Application, error) {
	var a Application
	var township, consent, paid int
	var mats string
	var accepted int64
	var due, decided, delivered, reviewAt, rating, onTime sql.NullInt64
	var rch, rnote string
	var forwarded int
	err := sc.Scan(&a.ID, &a.CaseID, &a.No, &a.Status, &a.ItemCode, &a.ItemName, &a.Kind, &a.Channel, &a.SiteName, &a.CentreName, &a.WindowName,
		&a.HandlingUnitCode, &a.HandlingUnitName, &a.Office, &township, &a.ApplicantName, &mats, &consent, &a.ConsentNote, &a.FeeCents, &paid,
		&a.PaymentRef, &accepted, &due, &decided, &a.Decision, &a.Answer, &onTime, &delivered, &a.Delivery, &a.DeliveryRef, &a.Visits,
		&rating, &rch, &rnote, &reviewAt,
		&a.ResidenceCode, &a.ResidenceName, &a.ResidenceOther, &a.Reach, &forwarded, &a.PickupName, &a.PickupSiteID, &a.DeliveredWindow, &a.DeliveredBy,
		&a.ExchangeStatus, &a.StationName)
	a.Forwarded = forwarded == 1
	if err != nil {
		return a, err
	}
	a.TownshipLevel, a.Consent, a.PaidByProxy = township == 1, consent == 1, paid == 1
	a.AcceptedAt = store.Time(accepted).In(shanghai)
	a.HandleDueAt, a.DecidedAt, a.DeliveredAt = ptime(due), ptime(decided), ptime(delivered)
	if onTime.Valid {
		v := onTime.Int64 == 1
		a.OnTime = &v
	}
	if rating.Valid {
		a.Review = &Review{Rating: int(rating.Int64), Channel: rch, Note: rnote, At: store.Time(reviewAt.Int64).In(shanghai)}
	}
	if mats != "" {
		if err := json.Unmarshal([]byte(mats), &a.Materials); err != nil {
			return a, fmt.Errorf("application %s materials: %w", a.No, err)
		}
	}
	return a, nil
}

func (s *Service) loadApp(ctx context.Context, q store.Querier, where string, args ...any) (Application, error) {
	a, err := scanApp(q.QueryRow(ctx, `SELECT `+appCols+appFrom+` WHERE `+where, args...))
	if err != nil {
		if isNotFound(err) {
			return Application{}, store.NotFound("找不到该服务申请")
		}
		return Application{}, fmt.Errorf("application: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT no FROM service_notices WHERE application_id = ? ORDER BY id`, a.ID)
	if err != nil {
		return a, err
	}
	defer rows.Close()
	for rows.Next() {
		var no string
		if err := rows.Scan(&no); err != nil {
			return a, err
		}
		a.Notices = append(a.Notices, no)
	}
	return a, rows.Err()
}

// ApplicationDetail is an application with its case.
type ApplicationDetail struct {
	Application
	Case casework.CaseDetail `json:"case"`
}

// Application returns the application numbered no with its case, when actor
// may see the case.
func (s *Service) Application(ctx context.Context, actor access.Actor, no string) (ApplicationDetail, error) {
	d, err := s.cases.Get(ctx, actor, strings.TrimSpace(no))
	if err != nil {
		return ApplicationDetail{}, err
	}
	if d.Case.Flow != casework.ServiceFlowName {
		return ApplicationDetail{}, store.NotFoundf("%s 不是便民服务申请", no)
	}
	a, err := s.loadApp(ctx, s.db, "a.case_id = ?", d.Case.ID)
	if err != nil {
		return ApplicationDetail{}, err
	}
	return ApplicationDetail{Application: a, Case: d}, nil
}

// PublicApplication is what a resident sees of their application.
type PublicApplication struct {
	Application
	View casework.PublicView
	// Results are the result documents (a licence, a decision in PDF) the
	// back office attached to its decision, for the resident to download.
	Results []casework.Attachment
}

// PublicApplication returns the application for the resident who knows its
// number and the last four digits of the phone it was made with.
func (s *Service) PublicApplication(ctx context.Context, no, last4 string) (PublicApplication, error) {
	v, err := s.cases.Track(ctx, no, last4)
	if err != nil {
		return PublicApplication{}, err
	}
	a, err := s.loadApp(ctx, s.db, "c.no = ?", v.No)
	if err != nil {
		return PublicApplication{}, err
	}
	p := PublicApplication{Application: a, View: v}
	if a.DecidedAt != nil {
		d, err := s.cases.Get(ctx, access.System, v.No)
		if err != nil {
			return p, err
		}
		for _, f := range d.Attachments {
			if f.Stage == ResultStage {
				p.Results = append(p.Results, f)
			}
		}
	}
	return p, nil
}

// ResultStage is the attachment stage of result documents.
const ResultStage = "result"

// ResultFile opens a result document of the application for the resident
// who knows its number and the phone's last four digits.
func (s *Service) ResultFile(ctx context.Context, no, last4 string, id int64) (casework.Attachment, io.ReadCloser, error) {
	p, err := s.PublicApplication(ctx, no, last4)
	if err != nil {
		return casework.Attachment{}, nil, err
	}
	for _, f := range p.Results {
		if f.ID == id {
			return s.cases.OpenAttachment(ctx, access.System, id)
		}
	}
	return casework.Attachment{}, nil, store.NotFound("找不到该办理结果文件")
}

// Applications lists the latest applications accepted at, or handled in,
// the actor's subtree (all for the county), newest first.
func (s *Service) Applications(ctx context.Context, actor access.Actor, limit int) ([]Application, error) {
	if err := mustStaff(actor); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	c1, a1 := actor.SubtreeFilter("hu.path")
	c2, a2 := actor.SubtreeFilter("c.place_path")
	rows, err := s.db.Query(ctx, `SELECT `+appCols+appFrom+` WHERE (`+c1+`) OR (`+c2+`) ORDER BY a.id DESC LIMIT ?`, append(append(a1, a2...), limit)...)
	out, err := store.Collect(rows, err, scanApp)
	if err != nil {
		return nil, fmt.Errorf("applications: %w", err)
	}
	return out, nil
}

// Ratings are the review levels, best first.
var Ratings = []int{5, 4, 3, 2, 1}

// RecordReview records the review a resident gives at the window (on the
// evaluation pad) after delivery.
func (s *Service) RecordReview(ctx context.Context, actor access.Actor, no string, rating int, note string) error {
	if err := mustStaff(actor); err != nil {
		return err
	}
	d, err := s.Application(ctx, actor, no)
	if err != nil {
		return err
	}
	return s.review(ctx, actor, d.Application, rating, note, "window")
}

// ReviewOnline records the review the resident gives on the phone, who
// proves who they are with the number and the phone's last four digits.
func (s *Service) ReviewOnline(ctx context.Context, no, last4 string, rating int, note string) error {
	p, err := s.PublicApplication(ctx, no, last4)
	if err != nil {
		return err
	}
	return s.review(ctx, access.Actor{Name: "resident"}, p.Application, rating, note, "online")
}

func (s *Service) review(ctx context.Context, actor access.Actor, a Application, rating int, note, channel string) error {
	note = strings.TrimSpace(note)
	if rating < 1 || rating > 5 {
		return store.Invalid("请选择评价：非常满意、满意、基本满意、不满意或非常不满意")
	}
	if utf8.RuneCountInString(note) > 500 {
		return store.Invalid("评价内容不能超过500字")
	}
	if a.DeliveredAt == nil {
		return store.Conflict("办理结果送达后才能评价")
	}
	if rating <= 2 && note == "" {
		return store.Invalid("差评请写明原因，以便整改")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO service_reviews (application_id, rating, channel, note, at) VALUES (?, ?, ?, ?, ?)`,
			a.ID, rating, channel, note, store.Millis(s.now()))
		if err != nil {
			if isConflict(err) {
				return store.Conflict("该申请已评价过")
			}
			return fmt.Errorf("review: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "service.review", Entity: "case", EntityID: a.No,
			After: map[string]any{"rating": rating, "channel": channel}, Reason: note})
	})
}
