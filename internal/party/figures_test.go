package party_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

type totalsLedger struct{ fakeLedger }

func (l *totalsLedger) Totals(ctx context.Context, unitPath string, from, to time.Time) (int, int, int, error) {
	return 90, 30, 1, nil
}

func TestFiguresAndLetter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.p.UseClock(func() time.Time { return fx.Now })
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		if _, err := fx.p.SignAgreement(ctx, community, agreementIn()); err != nil {
			t.Fatal(err)
		}
		m, _ := fx.p.MemberByID(ctx, fx.member)
		r, err := fx.p.RegisterSelf(ctx, m, "350722001001", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.p.Accept(ctx, community, r.ID, "350722001001G01"); err != nil {
			t.Fatal(err)
		}
		start := fx.Now
		act, err := fx.p.PlanActivity(ctx, community, party.ActivityInput{Community: "350722001001", Title: "政策宣讲", Place: "仙楼社区党群服务中心",
			StartsAt: start, EndsAt: start.Add(time.Hour), Roster: []int64{fx.member}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.p.RecordAttendance(ctx, community, act.ID, fx.member, start, start.Add(45*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.p.SignOff(ctx, community, act.ID, party.SignOffInput{}); err != nil {
			t.Fatal(err)
		}
		from, to, _ := party.Quarter(2026, 4)
		unit := fx.actor(20, "350722D002", access.RoleDepartment)
		f, err := fx.p.Figures(ctx, unit, "350722D002", from, to)
		if err != nil {
			t.Fatal(err)
		}
		// D002 has one serving member, registered: 100%; one person-time; no ledger: hours unknown.
		if f.Agreements != 1 || f.Serving != 1 || f.RegisteredServing != 1 || f.RegistrationRate == nil || *f.RegistrationRate != 1 ||
			f.PersonTimes != 1 || f.VerifiedMinutes != nil || f.GoodDeeds != nil {
			t.Errorf("unit figures %+v", f)
		}
		county, err := fx.p.Figures(ctx, fx.actor(1, "350722000000", access.RoleAdmin), "350722000000", from, to)
		if err != nil || county.Serving != 2 || county.RegisteredServing != 1 || county.Registered != 1 || county.Activities != 1 {
			t.Errorf("county figures %+v %v", county, err)
		}
		if _, err := fx.p.Figures(ctx, fx.actor(12, "350722101000", access.RoleTownship), "350722001001", from, to); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another township reads: %v", err)
		}
		fx.p.UseLedger(&totalsLedger{})
		if f, err = fx.p.Figures(ctx, unit, "350722D002", from, to); err != nil || f.VerifiedMinutes == nil || *f.VerifiedMinutes != 90 || *f.GoodDeeds != 1 {
			t.Errorf("with a ledger %+v %v", f, err)
		}
		l, err := fx.p.FeedbackLetter(ctx, unit, "350722D002", 2026, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Lines) != 1 || l.Lines[0].Status != party.RegAccepted || l.Lines[0].Activities != 1 || l.Lines[0].Minutes != 45 || l.Lines[0].SlipNo == "" {
			t.Errorf("letter %+v", l.Lines)
		}
		var b bytes.Buffer
		if err := party.WriteLetter(l, &b); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows("党员报到情况")
		if err != nil || len(rows) != 3 || rows[2][4] != "已报到" {
			t.Errorf("letter sheet %v %v", rows, err)
		}
		if _, err := fx.p.FeedbackLetter(ctx, unit, "350722D002", 2026, 5); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("quarter 5: %v", err)
		}
	})
}
