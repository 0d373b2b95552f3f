package volunteer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// Deed is a good deed (办实事好事).
type Deed struct {
	ID int64 `json:"id"`
	// Who did it: a member or a unit (at least one).
	DoerPersonID int64  `json:"doer_person_id,omitempty"`
	DoerUnitID   int64  `json:"doer_unit_id,omitempty"`
	DoerName     string `json:"doer"`
	// For whom (a resident or a place) and what problem it solved.
	Beneficiary string `json:"beneficiary"`
	Problem     string `json:"problem"`
	// Photo is the storage key of the evidence photo (PhotoStore), ""
	// without one; PhotoURL is where the API serves it.
	Photo     string `json:"-"`
	PhotoURL  string `json:"photo_url,omitempty"`
	CaseNo    string `json:"case_no,omitempty"`
	SourceRef string `json:"-"`
	// UnitID is the community where it was done.
	UnitID   int64     `json:"-"`
	UnitName string    `json:"unit_name"`
	DoneAt   time.Time `json:"done_at"`
	// ConfirmedAs is community or resident; ConfirmedBy names who.
	ConfirmedAs string `json:"confirmed_as"`
	ConfirmedBy string `json:"confirmed_by"`
	Demo        bool   `json:"-"`
}

// RecordDeed records a good deed confirmed by the community (the actor,
// staff whose subtree holds the community) or by the resident
// (ConfirmedAs "resident", ConfirmedBy their name).
func (s *Service) RecordDeed(ctx context.Context, actor access.Actor, d Deed) (int64, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		u, err := unitOf(ctx, tx, d.UnitID)
		if err != nil {
			return err
		}
		if !organiser(actor, u.Path) {
			return store.Forbiddenf("只有%s或其上级的工作人员可以登记办实事好事", u.Name)
		}
		id, err = s.recordDeed(ctx, tx, actor, d)
		return err
	})
	return id, err
}

func (s *Service) recordDeed(ctx context.Context, tx *store.Tx, actor access.Actor, d Deed) (int64, error) {
	u, err := unitOf(ctx, tx, d.UnitID)
	if err != nil {
		return 0, err
	}
	switch {
	case d.DoerPersonID == 0 && d.DoerUnitID == 0:
		return 0, store.Invalid("请填写办实事的党员或单位")
	case clean(d.Beneficiary) == "":
		return 0, store.Invalid("请填写服务对象（居民或地点）")
	case clean(d.Problem) == "":
		return 0, store.Invalid("请填写解决的问题")
	}
	if d.ConfirmedAs == "" {
		d.ConfirmedAs = "community"
	}
	if d.ConfirmedAs != "community" && d.ConfirmedAs != "resident" {
		return 0, store.Invalid("确认方应为社区或居民")
	}
	if d.ConfirmedBy = clean(d.ConfirmedBy); d.ConfirmedBy == "" {
		if d.ConfirmedAs == "resident" {
			return 0, store.Invalid("请填写确认的居民")
		}
		d.ConfirmedBy = actor.Recorded()
	}
	var caseID any
	if d.CaseNo != "" {
		var cid int64
		err := tx.QueryRow(ctx, `SELECT id FROM cases WHERE no = ?`, d.CaseNo).Scan(&cid)
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return 0, store.Invalidf("找不到工单 %s", d.CaseNo)
		}
		if err != nil {
			return 0, fmt.Errorf("case %s: %w", d.CaseNo, err)
		}
		caseID = cid
	}
	now := s.now()
	if d.DoneAt.IsZero() {
		d.DoneAt = now
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO good_deeds (doer_person_id, doer_unit_id, beneficiary, problem, photo, case_id, source_ref,
		unit_id, unit_path, done_at, confirmed_by, confirmed_as, created_by, created_at, demo)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		store.NullID(d.DoerPersonID), store.NullID(d.DoerUnitID), clean(d.Beneficiary), clean(d.Problem), clean(d.Photo), caseID, d.SourceRef,
		u.ID, u.Path, store.Millis(d.DoneAt), d.ConfirmedBy, d.ConfirmedAs, actor.Recorded(), store.Millis(now), store.BoolInt(d.Demo)).Scan(&id)
	if err != nil {
		err = store.Normalize(err)
		switch {
		case errors.Is(err, store.ErrConflict):
			return 0, store.Invalidf("工单 %s 已登记为办实事好事", d.CaseNo)
		case errors.Is(err, store.ErrInvalid):
			return 0, store.Invalid("办实事的党员或单位不存在")
		}
		return 0, fmt.Errorf("good deed: %w", err)
	}
	return id, nil
}

// DeedCount is the good deeds done under one unit.
type DeedCount struct {
	UnitName string `json:"unit_name"`
	Deeds    int    `json:"deeds"`
}

// deedSelect reads good deeds (d) with their names; scanDeed scans a row.
const deedSelect = `SELECT d.id, COALESCE(d.doer_person_id, 0), COALESCE(d.doer_unit_id, 0), COALESCE(p.name, du.name, ''),
		d.beneficiary, d.problem, d.photo, COALESCE(c.no, ''), d.unit_id, u.name, d.done_at, d.confirmed_as, d.confirmed_by
		FROM good_deeds d JOIN units u ON u.id = d.unit_id LEFT JOIN people p ON p.id = d.doer_person_id
		LEFT JOIN units du ON du.id = d.doer_unit_id LEFT JOIN cases c ON c.id = d.case_id`

func scanDeed(sc store.Scanner) (Deed, error) {
	var d Deed
	var at int64
	err := sc.Scan(&d.ID, &d.DoerPersonID, &d.DoerUnitID, &d.DoerName, &d.Beneficiary, &d.Problem, &d.Photo, &d.CaseNo,
		&d.UnitID, &d.UnitName, &at, &d.ConfirmedAs, &d.ConfirmedBy)
	d.DoneAt = store.Time(at).In(shanghai)
	if d.Photo != "" {
		d.PhotoURL = fmt.Sprintf("/api/v1/party/deeds/%d/photo", d.ID)
	}
	return d, err
}

// Deeds lists the good deeds done in the actor's subtree in [from, to),
// newest first, at most limit.
func (s *Service) Deeds(ctx context.Context, actor access.Actor, from, to time.Time, limit int) ([]Deed, error) {
	where, args := actor.SubtreeFilter("d.unit_path")
	args = append(args, store.Millis(from), store.Millis(to), limit)
	rows, err := s.db.Query(ctx, deedSelect+`
		WHERE `+where+` AND d.done_at >= ? AND d.done_at < ? ORDER BY d.done_at DESC, d.id DESC LIMIT ?`, args...)
	out, err := store.Collect(rows, err, scanDeed)
	if err != nil {
		return nil, fmt.Errorf("good deeds: %w", err)
	}
	return out, nil
}

// DeedInput is a good deed as the web form and the API send it: the
// community where it was done and a doing unit by code, or a member by
// person id; the day it was done (YYYY-MM-DD, China Standard Time; today
// when empty).
type DeedInput struct {
	Community    string `json:"community"`
	DoerUnit     string `json:"doer_unit"`
	DoerPersonID int64  `json:"doer_person_id"`
	Beneficiary  string `json:"beneficiary"`
	Problem      string `json:"problem"`
	ConfirmedAs  string `json:"confirmed_as"`
	ConfirmedBy  string `json:"confirmed_by"`
	DoneOn       string `json:"done_on"`
	// PhotoName and Photo are the optional evidence photo as uploaded
	// (JPEG, PNG or WebP by its content, at most 10 MiB).
	PhotoName string `json:"-"`
	Photo     []byte `json:"-"`
}

// PhotoStore keeps good deeds' photos: the case attachments' file store
// (casework.Service), so that one store holds every uploaded file.
type PhotoStore interface {
	StorePhoto(name string, data []byte) (key string, err error)
	OpenPhoto(key string) (io.ReadCloser, string, int64, error)
}

// UsePhotos makes good deeds keep their photos in p; without one a deed
// with a photo is refused.
func (s *Service) UsePhotos(p PhotoStore) { s.photos = p }

// unitIDByCode returns the id of the unit of code, or 0.
func unitIDByCode(ctx context.Context, q querier, code string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM units WHERE code = ?`, code).Scan(&id)
	if errors.Is(store.Normalize(err), store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("unit %s: %w", code, err)
	}
	return id, nil
}

// RecordDeedInput records the good deed in (RecordDeed's rules) and
// returns it as recorded.
func (s *Service) RecordDeedInput(ctx context.Context, actor access.Actor, in DeedInput) (Deed, error) {
	code := clean(in.Community)
	if code == "" {
		return Deed{}, store.Invalid("请填写社区（村）编码")
	}
	com, err := unitIDByCode(ctx, s.db, code)
	if err != nil {
		return Deed{}, err
	}
	if com == 0 {
		return Deed{}, store.Invalidf("找不到单位编码 %s", code)
	}
	d := Deed{UnitID: com, DoerPersonID: in.DoerPersonID, Beneficiary: in.Beneficiary, Problem: in.Problem,
		ConfirmedAs: clean(in.ConfirmedAs), ConfirmedBy: in.ConfirmedBy}
	if code := clean(in.DoerUnit); code != "" {
		if d.DoerUnitID, err = unitIDByCode(ctx, s.db, code); err != nil {
			return Deed{}, err
		}
		if d.DoerUnitID == 0 {
			return Deed{}, store.Invalidf("找不到单位编码 %s", code)
		}
	}
	if v := clean(in.DoneOn); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, shanghai)
		if err != nil {
			return Deed{}, store.Invalid("日期的格式应为 2026-01-01")
		}
		if t.After(s.now()) {
			return Deed{}, store.Invalid("办实事好事的日期不能晚于今天")
		}
		d.DoneAt = t.Add(12 * time.Hour)
	}
	if len(in.Photo) > 0 {
		if s.photos == nil {
			return Deed{}, errors.New("good deed photo: no photo store")
		}
		if d.Photo, err = s.photos.StorePhoto(in.PhotoName, in.Photo); err != nil {
			return Deed{}, err
		}
	}
	id, err := s.RecordDeed(ctx, actor, d)
	if err != nil {
		return Deed{}, err
	}
	return s.Deed(ctx, id)
}

// Deed reads one good deed (as just recorded: the caller checked access).
func (s *Service) Deed(ctx context.Context, id int64) (Deed, error) {
	d, err := scanDeed(s.db.QueryRow(ctx, deedSelect+` WHERE d.id = ?`, id))
	if err != nil {
		return Deed{}, fmt.Errorf("good deed %d: %w", id, store.Normalize(err))
	}
	return d, nil
}

// DeedPhoto opens the photo of good deed id, which the actor may read when
// the deed was done in their subtree (as Deeds lists it), with its content
// type and size.
func (s *Service) DeedPhoto(ctx context.Context, actor access.Actor, id int64) (io.ReadCloser, string, int64, error) {
	where, args := actor.SubtreeFilter("d.unit_path")
	d, err := scanDeed(s.db.QueryRow(ctx, deedSelect+` WHERE `+where+` AND d.id = ?`, append(args, id)...))
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return nil, "", 0, store.NotFound("找不到该照片")
		}
		return nil, "", 0, fmt.Errorf("good deed %d: %w", id, err)
	}
	if d.Photo == "" || s.photos == nil {
		return nil, "", 0, store.NotFound("找不到该照片")
	}
	return s.photos.OpenPhoto(d.Photo)
}

// RecordDeeds records many good deeds in one transaction, confirmed by the
// community (the demo data's 879).
func (s *Service) RecordDeeds(ctx context.Context, actor access.Actor, ds []Deed) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, d := range ds {
			if _, err := s.recordDeed(ctx, tx, actor, d); err != nil {
				return err
			}
		}
		return nil
	})
}

// HasCaseDeed reports whether the case (by number) is already recorded as
// a good deed.
func (s *Service) HasCaseDeed(ctx context.Context, caseNo string) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM good_deeds d JOIN cases c ON c.id = d.case_id WHERE c.no = ?`, caseNo).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("good deed of case %s: %w", caseNo, err)
	}
	return n > 0, nil
}

// DeedsByCommunity counts the good deeds done in [from, to) per community
// of the actor's subtree, most first.
func (s *Service) DeedsByCommunity(ctx context.Context, actor access.Actor, from, to time.Time) ([]DeedCount, error) {
	where, args := actor.SubtreeFilter("d.unit_path")
	args = append(args, store.Millis(from), store.Millis(to))
	rows, err := s.db.Query(ctx, `SELECT u.name, COUNT(*) FROM good_deeds d JOIN units u ON u.id = d.unit_id
		WHERE `+where+` AND d.done_at >= ? AND d.done_at < ? GROUP BY u.id, u.name ORDER BY COUNT(*) DESC, u.name LIMIT 500`, args...)
	out, err := store.Collect(rows, err, func(sc store.Scanner) (DeedCount, error) {
		var c DeedCount
		return c, sc.Scan(&c.UnitName, &c.Deeds)
	})
	if err != nil {
		return nil, fmt.Errorf("good deeds by community: %w", err)
	}
	return out, nil
}

// Correction is a volunteer's open request to correct an entry.
type Correction struct {
	ID          int64     `json:"id"`
	EntryID     int64     `json:"entry_id"`
	AskedBy     string    `json:"asked_by"`
	Reason      string    `json:"reason"`
	WantMinutes int       `json:"want_minutes,omitempty"`
	AskedAt     time.Time `json:"asked_at"`
}

// OpenCorrections lists the open correction requests of a person's entries.
func (s *Service) OpenCorrections(ctx context.Context, personID int64) ([]Correction, error) {
	rows, err := s.db.Query(ctx, `SELECT c.id, c.entry_id, c.asked_by, c.reason, COALESCE(c.want_minutes, 0), c.asked_at
		FROM volunteer_corrections c JOIN volunteer_entries e ON e.id = c.entry_id JOIN volunteers w ON w.id = e.volunteer_id
		WHERE w.person_id = ? AND c.status = 'open' ORDER BY c.id`, personID)
	out, err := store.Collect(rows, err, func(sc store.Scanner) (Correction, error) {
		var c Correction
		var at int64
		err := sc.Scan(&c.ID, &c.EntryID, &c.AskedBy, &c.Reason, &c.WantMinutes, &at)
		c.AskedAt = store.Time(at).In(shanghai)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("open corrections of %d: %w", personID, err)
	}
	return out, nil
}
