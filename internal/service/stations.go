package service

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// Station is an online service station (网上服务站): a place with a
// terminal and a helper (帮办员) where residents of the villages it serves
// apply online, and from which proxy handling (代办) is started.
type Station struct {
	ID       int64     `json:"id"`
	UnitCode string    `json:"unit_code"`
	UnitName string    `json:"unit_name"`
	Name     string    `json:"name"`
	Address  string    `json:"address,omitempty"`
	Helper   string    `json:"helper,omitempty"`
	Phone    string    `json:"phone,omitempty"`
	Villages []org.Ref `json:"villages"`
}

// StationInput is a station as entered: the unit it stands in and the
// villages (communities) it serves, by code.
type StationInput struct {
	Unit     string   `json:"unit"`
	Name     string   `json:"name"`
	Address  string   `json:"address,omitempty"`
	Helper   string   `json:"helper,omitempty"`
	Phone    string   `json:"phone,omitempty"`
	Villages []string `json:"villages"`
}

// SaveStation records a new online station. A county administrator, or an
// administrator or township staff of the township it stands in; the
// villages it serves lie in that township.
func (s *Service) SaveStation(ctx context.Context, actor access.Actor, in StationInput) (Station, error) {
	if err := mustStaff(actor); err != nil {
		return Station{}, err
	}
	in.Unit, in.Name = strings.TrimSpace(in.Unit), strings.TrimSpace(in.Name)
	in.Address, in.Helper, in.Phone = strings.TrimSpace(in.Address), strings.TrimSpace(in.Helper), strings.TrimSpace(in.Phone)
	switch {
	case in.Name == "":
		return Station{}, store.Invalid("请填写网上服务站名称")
	case utf8.RuneCountInString(in.Name) > 100 || utf8.RuneCountInString(in.Address) > 200 || utf8.RuneCountInString(in.Helper) > 50 || len(in.Phone) > 30:
		return Station{}, store.Invalid("网上服务站的名称、地址、帮办员或电话过长")
	case in.Unit == "":
		return Station{}, store.Invalid("请选择网上服务站所在的村（社区）")
	case len(in.Villages) == 0:
		return Station{}, store.Invalid("请选择网上服务站服务的村（社区）")
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		u, err := org.RefByCode(ctx, tx, in.Unit)
		if err != nil {
			if isNotFound(err) {
				return store.Invalidf("找不到单位 %s", in.Unit)
			}
			return err
		}
		t, ok, err := s.townshipAt(ctx, tx, u.Path)
		if err != nil {
			return err
		}
		if !ok {
			return store.Invalid("网上服务站应设在乡镇（街道）的村（社区）")
		}
		if !actor.CountyAdmin() && !(actor.HasAny(access.RoleAdmin, access.RoleTownship) && !actor.Has(access.RoleDepartment) && actor.SeesPath(t.Path)) {
			return store.Forbidden("只有所在乡镇（街道）或县级管理员可以登记网上服务站")
		}
		if err := tx.QueryRow(ctx, `INSERT INTO service_stations (unit_id, name, address, helper, phone, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			u.ID, in.Name, in.Address, in.Helper, in.Phone, store.Millis(s.now())).Scan(&id); err != nil {
			if isConflict(err) {
				return store.Conflictf("已有名为“%s”的网上服务站", in.Name)
			}
			return fmt.Errorf("insert station: %w", err)
		}
		seen := map[int64]bool{}
		for _, code := range in.Villages {
			v, err := org.RefByCode(ctx, tx, strings.TrimSpace(code))
			if err != nil {
				if isNotFound(err) {
					return store.Invalidf("找不到村（社区）%s", code)
				}
				return err
			}
			if (v.Kind != "village" && v.Kind != "community") || !strings.HasPrefix(v.Path, t.Path) {
				return store.Invalidf("%s不是%s的村（社区）", v.Name, t.Name)
			}
			if seen[v.ID] {
				continue
			}
			seen[v.ID] = true
			if _, err := tx.Exec(ctx, `INSERT INTO service_station_villages (station_id, unit_id) VALUES (?, ?)`, id, v.ID); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "service.station.save", Entity: "service_station", EntityID: fmt.Sprint(id), After: in})
	})
	if err != nil {
		return Station{}, err
	}
	return s.Station(ctx, id)
}

const stationCols = `st.id, u.code, u.name, st.name, st.address, st.helper, st.phone`

func scanStation(sc interface{ Scan(...any) error }) (Station, error) {
	var x Station
	return x, sc.Scan(&x.ID, &x.UnitCode, &x.UnitName, &x.Name, &x.Address, &x.Helper, &x.Phone)
}

// Station returns the station with id and its villages.
func (s *Service) Station(ctx context.Context, id int64) (Station, error) {
	x, err := scanStation(s.db.QueryRow(ctx, `SELECT `+stationCols+` FROM service_stations st JOIN units u ON u.id = st.unit_id WHERE st.id = ?`, id))
	if err != nil {
		if isNotFound(err) {
			return Station{}, store.NotFound("找不到该网上服务站")
		}
		return Station{}, err
	}
	return x, s.fillStations(ctx, []*Station{&x})
}

// Stations lists the online stations, of one township when its code is
// given, with the villages each serves.
func (s *Service) Stations(ctx context.Context, township string) ([]Station, error) {
	q := `SELECT ` + stationCols + ` FROM service_stations st JOIN units u ON u.id = st.unit_id`
	var args []any
	if township != "" {
		t, err := org.RefByCode(ctx, s.db, township)
		if err != nil {
			if isNotFound(err) {
				return nil, store.NotFoundf("找不到单位 %s", township)
			}
			return nil, err
		}
		lo, hi := access.PathRange(t.Path)
		q += ` WHERE u.path >= ? AND u.path < ?`
		args = append(args, lo, hi)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY u.code, st.name`, args...)
	out, err := store.Collect(rows, err, scanStation)
	if err != nil {
		return nil, fmt.Errorf("stations: %w", err)
	}
	ptrs := make([]*Station, len(out))
	for i := range out {
		ptrs[i] = &out[i]
	}
	return out, s.fillStations(ctx, ptrs)
}

func (s *Service) fillStations(ctx context.Context, xs []*Station) error {
	for _, x := range xs {
		rows, err := s.db.Query(ctx, `SELECT u.id FROM service_station_villages v JOIN units u ON u.id = v.unit_id WHERE v.station_id = ? ORDER BY u.code`, x.ID)
		ids, err := store.Collect(rows, err, func(sc interface{ Scan(...any) error }) (int64, error) {
			var id int64
			return id, sc.Scan(&id)
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			r, err := org.RefByID(ctx, s.db, id)
			if err != nil {
				return err
			}
			x.Villages = append(x.Villages, r)
		}
	}
	return nil
}

// StationsFor lists the stations serving the village of a service point
// (where a proxy application may be started from).
func (s *Service) StationsFor(ctx context.Context, site Site) ([]Station, error) {
	rows, err := s.db.Query(ctx, `SELECT `+stationCols+` FROM service_stations st JOIN units u ON u.id = st.unit_id
		WHERE st.id IN (SELECT station_id FROM service_station_villages WHERE unit_id = ?) ORDER BY st.name`, site.UnitID)
	return store.Collect(rows, err, scanStation)
}

// stationServes checks that the station serves the village of the service
// point accepting a proxy application.
func (s *Service) stationServes(ctx context.Context, id int64, site Site) error {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM service_station_villages WHERE station_id = ? AND unit_id = ?`, id, site.UnitID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return store.Invalidf("所选网上服务站不服务%s", site.UnitName)
	}
	return nil
}
