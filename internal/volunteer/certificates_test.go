package volunteer_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/volunteer"
)

func TestMain(m *testing.M) {
	if err := audit.SetKey(make([]byte, 32)); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// tamper changes the stated minutes of a payload and keeps its signature.
func tamper(t *testing.T, payload string, minutes int) string {
	t.Helper()
	body, sig, _ := strings.Cut(strings.TrimPrefix(payload, volunteer.PayloadPrefix), ".")
	b, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["minutes"] = minutes
	b, _ = json.Marshal(m)
	return volunteer.PayloadPrefix + base64.RawURLEncoding.EncodeToString(b) + "." + sig
}

func TestCertificates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		if err := fx.signOff(1, 90, nil); err != nil {
			t.Fatal(err)
		}
		if err := fx.signOff(2, 30, nil); err != nil {
			t.Fatal(err)
		}
		staff := fx.actor(10, "X", access.RoleCommunity)
		staff.UnitName = "仙楼社区"
		req := volunteer.CertRequest{From: "2026-01-01", To: "2026-12-31", Responsible: "社区书记"}
		if _, err := fx.v.RegisterCertificate(ctx, fx.actor(12, "T", access.RoleTownship), fx.member, req); !isKind(err, store.ErrForbidden) {
			t.Fatalf("a township that organised nothing certifies: %v", err)
		}
		if _, err := fx.v.RegisterCertificate(ctx, staff, fx.member, volunteer.CertRequest{From: "2020-01-01", To: "2020-12-31", Responsible: "社区书记"}); !isKind(err, store.ErrInvalid) {
			t.Fatalf("a period without service: %v", err)
		}
		c, err := fx.v.RegisterCertificate(ctx, staff, fx.member, req)
		if err != nil {
			t.Fatal(err)
		}
		if c.Stated.Minutes != 120 || c.Stated.Times != 2 || c.Stated.VolunteerNo != volunteer.Number(fx.member) || c.Stated.Issuer != "仙楼社区" ||
			!strings.HasPrefix(c.Stated.No, "ZYZM2026") || c.Status != "publicised" {
			t.Fatalf("registered %+v", c)
		}
		if _, err := fx.v.IssueCertificate(ctx, staff, c.Stated.No); !isKind(err, store.ErrInvalid) {
			t.Fatalf("issued during publicity: %v", err)
		}
		fx.now = fx.now.AddDate(0, 0, 7)
		if _, err := fx.v.IssueCertificate(ctx, fx.actor(12, "T", access.RoleTownship), c.Stated.No); !isKind(err, store.ErrForbidden) {
			t.Fatalf("another township issues: %v", err)
		}
		c, err = fx.v.IssueCertificate(ctx, staff, c.Stated.No)
		if err != nil {
			t.Fatal(err)
		}
		st, err := fx.v.Verify(ctx, c.Payload)
		if err != nil || st.Minutes != 120 || st.Name != "党员张某某" || st.Date != "2026-12-03" {
			t.Fatalf("verify %+v %v", st, err)
		}
		pub, _ := volunteer.PublicKey()
		if _, err := volunteer.CheckSignature(pub, c.Payload); err != nil {
			t.Fatalf("offline check: %v", err)
		}
		bad := tamper(t, c.Payload, 6000)
		if _, err := fx.v.Verify(ctx, bad); !isKind(err, store.ErrInvalid) {
			t.Fatalf("tampered payload: %v", err)
		}
		if _, err := volunteer.CheckSignature(pub, bad); err == nil {
			t.Fatal("tampered payload passes the offline check")
		}
		if err := fx.v.RevokeCertificate(ctx, staff, c.Stated.No, "时长登记有误"); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.v.Verify(ctx, c.Payload); !isKind(err, store.ErrInvalid) {
			t.Fatalf("revoked certificate: %v", err)
		}
	})
}
