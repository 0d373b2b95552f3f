package trust

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// fixture is a county with two townships, a department, a person in
// township A, and a case in township A led by the department.
type fixture struct {
	db     *store.DB
	sealer *pii.Sealer
	s      *Service
	units  map[string]access.Actor // a template actor per unit code
	person int64
	caseNo string
}

// fakeCases plays the engine's scope rule: the case is visible to county-wide
// actors, to township A's subtree and to the lead department.
type fakeCases struct{ fx *fixture }

func (f fakeCases) Get(ctx context.Context, actor access.Actor, no string) (casework.CaseDetail, error) {
	if no != f.fx.caseNo {
		return casework.CaseDetail{}, store.NotFound("找不到该工单")
	}
	lead := f.fx.units["D003"]
	if !actor.SeesPath(f.fx.units["A"].UnitPath+"9/") && actor.UnitID != lead.UnitID {
		return casework.CaseDetail{}, store.NotFound("找不到该工单")
	}
	return casework.CaseDetail{Case: casework.Case{No: no, Flow: "hotline", LeadUnitID: lead.UnitID},
		Assignments: []casework.Assignment{{UnitID: lead.UnitID, Role: casework.RoleLead, Status: "in_hand"}}}, nil
}

// CallCentreStaff plays the default call centre: anyone at the county unit.
func (f fakeCases) CallCentreStaff(ctx context.Context, actor access.Actor) (bool, error) {
	return actor.UnitKind == "county", nil
}

// CallCentreCase: the call centre takes 12345 cases in.
func (f fakeCases) CallCentreCase(ctx context.Context, actor access.Actor, d *casework.CaseDetail) (bool, error) {
	return actor.UnitKind == "county" && d.Case.Flow == "hotline", nil
}

// Inbox plays the engine's inbox for searches by phone number: the fixture's
// case when f carries its reporter's phone hash.
func (f fakeCases) Inbox(ctx context.Context, actor access.Actor, in casework.InboxFilter) (casework.InboxPage, error) {
	if in.PhoneHash != "" && in.PhoneHash == f.fx.sealer.Hash("13900001111") {
		return casework.InboxPage{Rows: []casework.InboxRow{{No: f.fx.caseNo}}}, nil
	}
	return casework.InboxPage{}, nil
}

func newFixture(t *testing.T, db *store.DB, sealer *pii.Sealer) *fixture {
	t.Helper()
	ctx := context.Background()
	fx := &fixture{db: db, sealer: sealer, units: map[string]access.Actor{}, caseNo: "350722-20261126-00001"}
	add := func(key, code, kind, parent string) {
		var parentID any
		path := "/"
		if parent != "" {
			parentID, path = fx.units[parent].UnitID, fx.units[parent].UnitPath
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0, 0) RETURNING id`,
				code, "单位"+key, kind, parentID, "tmp"+code).Scan(&id); err != nil {
				return err
			}
			path += strconv.FormatInt(id, 10) + "/"
			fx.units[key] = access.Actor{UnitID: id, UnitCode: code, UnitName: "单位" + key, UnitKind: kind, UnitPath: path}
			_, err := tx.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, path, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add("county", "350722000000", "county", "")
	add("D003", "350722D003", "department", "county")
	add("A", "350722001000", "street", "county")
	add("B", "350722101000", "township", "county")
	phone, _ := sealer.Seal("13812345678")
	idNo, _ := sealer.Seal("350722199001011234")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO people (name, unit_id, role, phone_enc, phone_hash, id_no_enc, created_at, updated_at) VALUES ('张三', ?, 'grid_worker', ?, ?, ?, 0, 0) RETURNING id`,
			fx.units["A"].UnitID, phone, sealer.Hash("13812345678"), idNo).Scan(&fx.person); err != nil {
			return err
		}
		rp, _ := sealer.Seal("13900001111")
		_, err := tx.Exec(ctx, `INSERT INTO cases (no, flow, title, channel, status, reporter_name, reporter_phone_enc, lead_unit_id, place_path, created_at, updated_at)
			VALUES (?, 'hotline', '路灯不亮', 'phone', 'in_hand', '李四', ?, ?, ?, 0, 0)`, fx.caseNo, rp, fx.units["D003"].UnitID, fx.units["A"].UnitPath)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.s = NewService(db, sealer, fakeCases{fx})
	return fx
}

func (fx *fixture) actor(uid int64, unit string, roles ...access.Role) access.Actor {
	a := fx.units[unit]
	a.UserID, a.Username, a.Name, a.Roles = uid, "u"+strconv.FormatInt(uid, 10), "用户"+strconv.FormatInt(uid, 10), roles
	return a
}

func TestReveal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sealer, _ := pii.New(make([]byte, pii.KeySize))
		fx := newFixture(t, db, sealer)
		person := strconv.FormatInt(fx.person, 10)
		reason := "回访核实联系方式"
		for _, tc := range []struct {
			name   string
			actor  access.Actor
			req    RevealRequest
			want   string
			errIs  error
			record bool
		}{
			{"county admin reveals a person's ID", fx.actor(1, "county", access.RoleAdmin), RevealRequest{SubjectPerson, person, FieldIDNo, reason}, "350722199001011234", nil, true},
			{"supervisor reveals a reporter phone", fx.actor(2, "county", access.RoleSupervisor), RevealRequest{SubjectCase, fx.caseNo, FieldReporterPhone, reason}, "13900001111", nil, true},
			{"lead department reveals its case's reporter", fx.actor(3, "D003", access.RoleDepartment), RevealRequest{SubjectCase, fx.caseNo, FieldReporterPhone, reason}, "13900001111", nil, true},
			{"the call centre reveals the reporter of a 12345 case it took in", fx.actor(7, "county", access.RoleDepartment), RevealRequest{SubjectCase, fx.caseNo, FieldReporterPhone, reason}, "13900001111", nil, true},
			{"township A staff see the case but do not lead it", fx.actor(4, "A", access.RoleTownship), RevealRequest{SubjectCase, fx.caseNo, FieldReporterPhone, reason}, "", store.ErrForbidden, false},
			{"township B admin cannot see the case", fx.actor(5, "B", access.RoleAdmin), RevealRequest{SubjectCase, fx.caseNo, FieldReporterPhone, reason}, "", store.ErrNotFound, false},
			{"township A admin reveals its person's phone", fx.actor(6, "A", access.RoleAdmin), RevealRequest{SubjectPerson, person, FieldPhone, reason}, "13812345678", nil, true},
			{"township B admin cannot see A's person", fx.actor(5, "B", access.RoleAdmin), RevealRequest{SubjectPerson, person, FieldPhone, reason}, "", store.ErrNotFound, false},
			{"department staff may not reveal people", fx.actor(3, "D003", access.RoleDepartment), RevealRequest{SubjectPerson, person, FieldPhone, reason}, "", store.ErrNotFound, false},
			{"township staff may not reveal people", fx.actor(4, "A", access.RoleTownship), RevealRequest{SubjectPerson, person, FieldPhone, reason}, "", store.ErrForbidden, false},
			{"a reason is required", fx.actor(1, "county", access.RoleAdmin), RevealRequest{SubjectPerson, person, FieldPhone, " 看 "}, "", store.ErrInvalid, false},
			{"unknown field", fx.actor(1, "county", access.RoleAdmin), RevealRequest{SubjectCase, fx.caseNo, FieldIDNo, reason}, "", store.ErrInvalid, false},
			{"anonymous", access.Actor{}, RevealRequest{SubjectCase, fx.caseNo, FieldReporterPhone, reason}, "", store.ErrForbidden, false},
			{"no such person", fx.actor(1, "county", access.RoleAdmin), RevealRequest{SubjectPerson, "999999", FieldPhone, reason}, "", store.ErrNotFound, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var before int
				db.QueryRow(ctx, `SELECT COUNT(*) FROM pii_reveals`).Scan(&before)
				got, err := fx.s.Reveal(ctx, tc.actor, tc.req)
				if tc.errIs != nil {
					if !errors.Is(err, tc.errIs) {
						t.Fatalf("Reveal = %+v, %v; want %v", got, err, tc.errIs)
					}
					if _, ok := store.UserMessage(err); !ok {
						t.Errorf("error %v carries no message for the user", err)
					}
				} else if err != nil || got.Value != tc.want || strings.Contains(got.Masked, tc.want[4:7]) {
					t.Fatalf("Reveal = %+v, %v; want %s", got, err, tc.want)
				}
				var after int
				db.QueryRow(ctx, `SELECT COUNT(*) FROM pii_reveals`).Scan(&after)
				if recorded := after == before+1; recorded != tc.record {
					t.Errorf("recorded = %v, want %v", recorded, tc.record)
				}
			})
		}
		// The report: county admin sees all five, township A admin only its own,
		// township staff nothing.
		all, err := fx.s.Reveals(ctx, fx.actor(1, "county", access.RoleAdmin), RevealFilter{})
		if err != nil || len(all) != 5 {
			t.Fatalf("county report: %d rows, %v", len(all), err)
		}
		if all[0].Reason != reason || all[0].Whose != "张三" || all[0].UnitName != "单位A" {
			t.Errorf("newest reveal = %+v", all[0])
		}
		mine, err := fx.s.Reveals(ctx, fx.actor(6, "A", access.RoleAdmin), RevealFilter{})
		if err != nil || len(mine) != 1 || mine[0].UserID != 6 {
			t.Errorf("township A report = %+v, %v", mine, err)
		}
		page, _ := fx.s.Reveals(ctx, fx.actor(1, "county", access.RoleAdmin), RevealFilter{Before: all[0].ID, Subject: SubjectCase})
		if len(page) != 3 {
			t.Errorf("page after %d of case reveals: %d rows", all[0].ID, len(page))
		}
		if _, err := fx.s.Reveals(ctx, fx.actor(4, "A", access.RoleTownship), RevealFilter{}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("township staff report: %v", err)
		}
		// Every reveal is in the audit trail too, and the chain holds.
		var n int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'pii.reveal'`).Scan(&n)
		if n != 5 {
			t.Errorf("audit has %d reveals, want 5", n)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Error(err)
		}
	})
}

func TestResealAfterRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keyFile := filepath.Join(t.TempDir(), "grassroots.key")
		server, err := pii.LoadOrCreateKey(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		fx := newFixture(t, db, server)
		cols, err := SealedColumns(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cols {
			names = append(names, c.String())
		}
		for _, want := range []string{"cases.reporter_phone_enc", "people.id_no_enc", "people.phone_enc"} {
			if !strings.Contains(strings.Join(names, " "), want) {
				t.Errorf("sealed columns %v lack %s", names, want)
			}
		}
		// More rows than one batch, plus a value that is not sealed at all.
		for i := range 7 {
			p, _ := server.Seal("1380000000" + strconv.Itoa(i))
			if _, err := db.Exec(ctx, `INSERT INTO people (name, unit_id, role, phone_enc, created_at, updated_at) VALUES (?, ?, 'party_member', ?, 0, 0)`,
				"党员"+strconv.Itoa(i), fx.units["B"].UnitID, p); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Exec(ctx, `INSERT INTO people (name, unit_id, role, phone_enc, created_at, updated_at) VALUES ('旧数据', ?, 'cadre', 'plain-text', 0, 0)`, fx.units["B"].UnitID); err != nil {
			t.Fatal(err)
		}
		if _, err := pii.AddKeyVersion(keyFile); err != nil {
			t.Fatal(err)
		}
		rotator, err := pii.LoadOrCreateKey(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Reseal(ctx, db, rotator, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		// 8 people phones, 1 ID number, 1 reporter phone.
		if res.Total() != 10 || res.Resealed["people.phone_enc"] != 8 {
			t.Errorf("resealed %v, want 10 values", res.Resealed)
		}
		left, err := Remaining(ctx, db, rotator)
		if err != nil {
			t.Fatal(err)
		}
		if left["people.phone_enc"] != 1 || left["people.id_no_enc"] != 0 || left["cases.reporter_phone_enc"] != 0 {
			t.Errorf("remaining %v: only the unsealed legacy value should be left", left)
		}
		again, _ := Reseal(ctx, db, rotator, 3, nil)
		if again.Total() != 0 {
			t.Errorf("a second pass re-sealed %v", again.Resealed)
		}
		// The server that only loaded v1 still reveals the re-sealed values.
		fx.s = NewService(db, server, fakeCases{fx})
		got, err := fx.s.Reveal(ctx, fx.actor(1, "county", access.RoleAdmin), RevealRequest{SubjectPerson, strconv.FormatInt(fx.person, 10), FieldIDNo, "核对身份信息"})
		if err != nil || got.Value != "350722199001011234" {
			t.Fatalf("reveal after rotation = %+v, %v", got, err)
		}
		var sealed string
		db.QueryRow(ctx, `SELECT id_no_enc FROM people WHERE id = ?`, fx.person).Scan(&sealed)
		if pii.VersionOf(sealed) != "v2" {
			t.Errorf("ID number sealed as %q, want v2", sealed[:3])
		}
	})
}
