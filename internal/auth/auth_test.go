package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/auth"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// clock is a settable time for the Service.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// fixture is a small tree: the county (1), two townships (2, 3) and a
// community under the first (4), plus a service with a settable clock.
type fixture struct {
	db    *store.DB
	svc   *auth.Service
	clock *clock
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	units := []struct {
		id     int64
		code   string
		name   string
		kind   string
		parent any
		path   string
	}{
		{1, "350722000000", "浦城县", "county", nil, "/1/"},
		{2, "350722001000", "南浦街道", "street", 1, "/1/2/"},
		{3, "350722100000", "富岭镇", "township", 1, "/1/3/"},
		{4, "350722001001", "城北社区", "community", 2, "/1/2/4/"},
	}
	for _, u := range units {
		if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)`,
			u.id, u.code, u.name, u.kind, u.parent, u.path, strings.Count(u.path, "/")-1); err != nil {
			t.Fatalf("insert unit %s: %v", u.code, err)
		}
	}
	c := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	return &fixture{db: db, svc: auth.NewService(db, auth.WithClock(c.now), auth.WithHashParams(auth.FastHashParams())), clock: c}
}

// user creates an account as the system and returns its actor.
func (f *fixture) user(t *testing.T, username, unit string, roles ...string) access.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := f.svc.CreateUser(ctx, access.System, auth.NewUser{Username: username, Password: "correct horse battery", Name: username, UnitCode: unit, Roles: roles})
	if err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	a, err := f.svc.ActorForUser(ctx, u.ID)
	if err != nil {
		t.Fatalf("actor of %s: %v", username, err)
	}
	return a
}

func TestHashPassword(t *testing.T) {
	p := auth.FastHashParams()
	h1, err := auth.HashPassword("correct horse battery", p)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := auth.HashPassword("correct horse battery", p)
	if h1 == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=256,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string with its parameters", h1)
	}
	if d := auth.DefaultHashParams(); d.Memory != 64*1024 || d.Iterations != 1 || d.Threads != 2 {
		t.Errorf("default parameters = %+v", d)
	}
	for _, tc := range []struct {
		name, hash, password string
		ok, wantErr          bool
	}{
		{"right", h1, "correct horse battery", true, false},
		{"wrong", h1, "correct horse batterY", false, false},
		{"empty", h1, "", false, false},
		{"malformed", "$argon2id$v=19$m=256$abc", "x", false, true},
		{"other algorithm", "$2a$10$abcdefghijklmnopqrstuv", "x", false, true},
		{"absurd memory", strings.Replace(h1, "m=256", "m=999999999", 1), "correct horse battery", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := auth.VerifyPassword(tc.hash, tc.password)
			if ok != tc.ok || (err != nil) != tc.wantErr {
				t.Errorf("VerifyPassword = %v, %v; want %v, error %v", ok, err, tc.ok, tc.wantErr)
			}
		})
	}
	if pw := auth.RandomPassword(); len(pw) != 16 || strings.ContainsAny(pw, "0O1lI") {
		t.Errorf("RandomPassword() = %q", pw)
	}
}

func TestCreateUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		countyAdmin := f.user(t, "county_admin", "350722000000", "admin")
		townAdmin := f.user(t, "nanpu_admin", "350722001000", "admin")
		clerk := f.user(t, "nanpu_clerk", "350722001000", "township")
		ok := auth.NewUser{Username: "wang.wei", Password: "0123456789", Name: "王伟", UnitCode: "350722001001", Roles: []string{"community", "grid"}}
		with := func(mod func(*auth.NewUser)) auth.NewUser { n := ok; mod(&n); return n }
		for _, tc := range []struct {
			name  string
			actor access.Actor
			in    auth.NewUser
			kind  error
		}{
			{"bad username", countyAdmin, with(func(n *auth.NewUser) { n.Username = "1x" }), store.ErrInvalid},
			{"short password", countyAdmin, with(func(n *auth.NewUser) { n.Password = "123456789" }), store.ErrInvalid},
			{"no name", countyAdmin, with(func(n *auth.NewUser) { n.Name = " " }), store.ErrInvalid},
			{"unknown unit", countyAdmin, with(func(n *auth.NewUser) { n.UnitCode = "350722999999" }), store.ErrNotFound},
			{"unknown role", countyAdmin, with(func(n *auth.NewUser) { n.Roles = []string{"mayor"} }), store.ErrInvalid},
			{"no role", countyAdmin, with(func(n *auth.NewUser) { n.Roles = nil }), store.ErrInvalid},
			{"not an admin", clerk, ok, store.ErrForbidden},
			{"township admin at another township", townAdmin, with(func(n *auth.NewUser) { n.UnitCode = "350722100000" }), store.ErrForbidden},
			{"township admin grants a county role", townAdmin, with(func(n *auth.NewUser) { n.Roles = []string{"supervisor"} }), store.ErrForbidden},
			{"township admin in own subtree", townAdmin, ok, nil},
			{"duplicate username", countyAdmin, with(func(n *auth.NewUser) { n.Username = "Wang.Wei" }), store.ErrConflict},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.CreateUser(ctx, tc.actor, tc.in)
				if tc.kind == nil && err != nil {
					t.Fatalf("CreateUser: %v", err)
				}
				if tc.kind != nil {
					if !errors.Is(err, tc.kind) {
						t.Fatalf("CreateUser error = %v, want %v", err, tc.kind)
					}
					if _, ok := store.UserMessage(err); !ok {
						t.Errorf("error %v carries no message for the user", err)
					}
				}
			})
		}
		recs, err := audit.List(ctx, db, "", "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var created int
		for _, r := range recs {
			if strings.Contains(r.AfterJSON, "0123456789") || strings.Contains(r.AfterJSON, "correct horse") || strings.Contains(r.AfterJSON, "argon2") {
				t.Errorf("audit entry %d holds the password: %s", r.ID, r.AfterJSON)
			}
			if r.Action == "user.create" {
				created++
			}
		}
		if created != 4 {
			t.Errorf("%d user.create audit entries, want 4", created)
		}
		// Entries written on PostgreSQL wait for the chainer (audit.Chain).
		if _, err := audit.Chain(ctx, db); err != nil {
			t.Fatal(err)
		}
		if n, err := audit.Verify(ctx, db); err != nil || n == 0 {
			t.Errorf("audit verify = %d, %v", n, err)
		}
	})
}

func TestActorForUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		got := f.user(t, "grid_li", "350722001001", "grid", "community")
		want := access.Actor{UserID: got.UserID, Username: "grid_li", Name: "grid_li", UnitID: 4, UnitCode: "350722001001",
			UnitName: "城北社区", UnitKind: "community", UnitPath: "/1/2/4/", Roles: []access.Role{access.RoleCommunity, access.RoleGrid}}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("ActorForUser (-want +got):\n%s", d)
		}
		if _, err := f.svc.ActorForUser(context.Background(), 9999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ActorForUser(unknown) = %v, want not found", err)
		}
	})
}

// TestLoginThrottle: failures are counted per (username, address) and per
// address, with a growing wait rather than a lock; an attacker elsewhere
// cannot keep an account's owner out.
func TestLoginThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.user(t, "alice", "350722001000", "township")
		const right = "correct horse battery"
		if _, err := f.svc.Login(ctx, "alice", right, "10.0.0.1"); err != nil {
			t.Fatalf("login with the right password: %v", err)
		}
		if _, err := f.svc.Login(ctx, "nobody", right, "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("unknown user: %v", err)
		}
		waitOf := func(err error) time.Duration {
			t.Helper()
			var te *auth.ThrottleError
			if !errors.As(err, &te) || !errors.Is(err, auth.ErrThrottled) || !errors.Is(err, store.ErrForbidden) {
				t.Fatalf("got %v, want throttled", err)
			}
			return te.Wait
		}

		// An attacker at one address uses up alice's free failures there.
		for i := range auth.MaxPairFailures {
			if _, err := f.svc.Login(ctx, "alice", "wrong password", "198.51.100.66"); !errors.Is(err, auth.ErrBadCredentials) || !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("failure %d: %v, want bad credentials", i+1, err)
			}
		}
		_, err := f.svc.Login(ctx, "alice", right, "198.51.100.66")
		if w := waitOf(err); w != auth.ThrottleBase {
			t.Errorf("first wait = %v, want %v", w, auth.ThrottleBase)
		}
		if msg, _ := store.UserMessage(err); msg != "登录失败次数过多，请1秒后再试" {
			t.Errorf("throttle message = %q", msg)
		}
		// alice herself, elsewhere, is not held up at all.
		if _, err := f.svc.Login(ctx, "alice", right, "10.0.0.1"); err != nil {
			t.Fatalf("the owner at her own address: %v, want signed in", err)
		}

		// The wait doubles with every further failure from the attacker's
		// address and never passes the cap.
		want := auth.ThrottleBase
		for i := range 10 { // 811 s in all: the first failures stay in the window
			f.clock.advance(want - time.Millisecond)
			if _, err := f.svc.Login(ctx, "alice", "wrong password", "198.51.100.66"); !errors.Is(err, auth.ErrThrottled) {
				t.Fatalf("round %d: just before the wait ends: %v, want throttled", i, err)
			}
			f.clock.advance(time.Millisecond)
			if _, err := f.svc.Login(ctx, "alice", "wrong password", "198.51.100.66"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("round %d: after the wait: %v, want the password checked", i, err)
			}
			want = min(2*want, auth.ThrottleCap)
			_, err = f.svc.Login(ctx, "alice", right, "198.51.100.66")
			if w := waitOf(err); w != want {
				t.Fatalf("round %d: wait = %v, want %v", i, w, want)
			}
			if _, err := f.svc.Login(ctx, "alice", right, "10.0.0.1"); err != nil {
				t.Fatalf("round %d: the owner: %v", i, err)
			}
		}
		if want != auth.ThrottleCap {
			t.Fatalf("the wait stopped at %v, want the cap %v", want, auth.ThrottleCap)
		}
		if msg, _ := store.UserMessage(err); msg != "登录失败次数过多，请5分钟后再试" {
			t.Errorf("capped throttle message = %q", msg)
		}
		// Once the failures leave the window, the address starts afresh.
		f.clock.advance(auth.ThrottleWindow)
		if n, _ := f.svc.ThrottleRemaining(ctx, "alice", "198.51.100.66"); n != auth.MaxPairFailures {
			t.Errorf("after the window %d free failures remain, want %d", n, auth.MaxPairFailures)
		}

		// A success clears the pair's failures, and only the pair's.
		for range 3 {
			f.svc.Login(ctx, "alice", "wrong password", "10.0.0.1")
			f.svc.Login(ctx, "alice", "wrong password", "10.0.0.2")
		}
		if _, err := f.svc.Login(ctx, "alice", right, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.svc.ThrottleRemaining(ctx, "alice", "10.0.0.1"); n != auth.MaxPairFailures {
			t.Errorf("after a success %d free failures remain, want %d", n, auth.MaxPairFailures)
		}
		if n, _ := f.svc.ThrottleRemaining(ctx, "alice", "10.0.0.2"); n != auth.MaxPairFailures-3 {
			t.Errorf("another address's failures: %d free remain, want %d", n, auth.MaxPairFailures-3)
		}

		// One address trying many usernames is slowed too, and only it.
		for i := range auth.MaxIPFailures {
			if _, err := f.svc.Login(ctx, "guess"+string(rune('a'+i)), "wrong password", "10.9.9.9"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("ip failure %d: %v", i+1, err)
			}
		}
		_, err = f.svc.Login(ctx, "alice", right, "10.9.9.9")
		if w := waitOf(err); w != auth.ThrottleBase {
			t.Errorf("after %d failures from one address: wait %v, want %v", auth.MaxIPFailures, w, auth.ThrottleBase)
		}
		if _, err := f.svc.Login(ctx, "alice", right, "10.0.0.4"); err != nil {
			t.Errorf("another address is not throttled: %v", err)
		}

		// IPv6 clients count by their /64.
		for i := range auth.MaxPairFailures {
			f.svc.Login(ctx, "alice", "wrong password", fmt.Sprintf("2001:db8:1:2::%x", i+1))
		}
		if _, err := f.svc.Login(ctx, "alice", right, "2001:db8:1:2::ffff"); !errors.Is(err, auth.ErrThrottled) {
			t.Errorf("another address in the same /64: %v, want throttled", err)
		}
		if _, err := f.svc.Login(ctx, "alice", right, "2001:db8:1:3::1"); err != nil {
			t.Errorf("another /64: %v", err)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		bob := f.user(t, "bob", "350722100000", "township")
		login := func() string {
			t.Helper()
			tok, err := f.svc.Login(ctx, "bob", "correct horse battery", "10.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		lastSeen := func(tok string) int64 {
			t.Helper()
			sum := sha256.Sum256([]byte(tok))
			var ms int64
			if err := db.QueryRow(ctx, `SELECT last_seen_at FROM sessions WHERE id = ?`, hex.EncodeToString(sum[:])).Scan(&ms); err != nil {
				t.Fatalf("read session row (is the id the token's SHA-256?): %v", err)
			}
			return ms
		}

		tok := login()
		a, csrf, err := f.svc.Session(ctx, tok)
		if err != nil || a.UserID != bob.UserID || len(csrf) < 32 {
			t.Fatalf("Session = %+v, %q, %v", a, csrf, err)
		}
		start := lastSeen(tok)
		f.clock.advance(30 * time.Second)
		f.svc.Session(ctx, tok)
		if got := lastSeen(tok); got != start {
			t.Errorf("last_seen_at written after 30s: %d, want %d", got, start)
		}
		f.clock.advance(31 * time.Second)
		f.svc.Session(ctx, tok)
		if got := lastSeen(tok); got != store.Millis(f.clock.t) {
			t.Errorf("last_seen_at after 61s = %d, want %d", got, store.Millis(f.clock.t))
		}
		// Used every 110 minutes, the session lives until 12 hours after sign-in.
		for f.clock.t.Sub(store.Time(start)) < auth.SessionMax-110*time.Minute {
			f.clock.advance(110 * time.Minute)
			if _, _, err := f.svc.Session(ctx, tok); err != nil {
				t.Fatalf("session used within the idle limit ended at %v: %v", f.clock.t.Sub(store.Time(start)), err)
			}
		}
		f.clock.t = store.Time(start).Add(auth.SessionMax)
		if _, _, err := f.svc.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("after 12 hours: %v, want no session", err)
		}

		tok = login()
		f.clock.advance(auth.SessionIdle)
		if _, _, err := f.svc.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("after 2 idle hours: %v, want no session", err)
		}

		tok = login()
		if err := f.svc.Logout(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("after logout: %v", err)
		}
		if _, _, err := f.svc.Session(ctx, "made-up"); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("unknown token: %v", err)
		}

		t1, t2 := login(), login()
		if err := f.svc.LogoutEverywhere(ctx, bob, bob.UserID); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{t1, t2} {
			if _, _, err := f.svc.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
				t.Errorf("after logout everywhere: %v", err)
			}
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		admin := f.user(t, "root", "350722000000", "admin")
		carol := f.user(t, "carol", "350722001001", "community")
		other := f.user(t, "dave", "350722100000", "township")
		tok, err := f.svc.CreateToken(ctx, admin, "carol", "integration")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, "grt_") || len(tok) < 40 {
			t.Errorf("token %q", tok)
		}
		// Only the hash is at rest: no column of the row holds the token.
		var id, name, hash string
		if err := db.QueryRow(ctx, `SELECT CAST(id AS TEXT), name, token_hash FROM api_tokens`).Scan(&id, &name, &hash); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(tok))
		if hash != hex.EncodeToString(sum[:]) || strings.Contains(id+name+hash, tok[4:]) {
			t.Errorf("stored row (%s, %s, %s) is not just the token's SHA-256", id, name, hash)
		}
		got, err := f.svc.TokenActor(ctx, tok)
		if err != nil || got.UserID != carol.UserID || got.UnitCode != "350722001001" {
			t.Fatalf("TokenActor = %+v, %v", got, err)
		}
		for _, bad := range []string{"", "grt_", tok + "x", strings.TrimPrefix(tok, "grt_"), "Bearer " + tok} {
			if _, err := f.svc.TokenActor(ctx, bad); !errors.Is(err, auth.ErrBadToken) {
				t.Errorf("TokenActor(%q) = %v, want bad token", bad, err)
			}
		}
		if _, err := f.svc.CreateToken(ctx, other, "carol", ""); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a township user made a token for someone else: %v", err)
		}
		if _, err := f.svc.CreateToken(ctx, carol, "carol", "mine"); err != nil {
			t.Errorf("a user making their own token: %v", err)
		}

		// Deactivating the user stops the token; activating brings it back.
		if err := f.svc.SetActive(ctx, admin, carol.UserID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.TokenActor(ctx, tok); !errors.Is(err, auth.ErrBadToken) {
			t.Errorf("token of a deactivated user: %v", err)
		}
		if err := f.svc.SetActive(ctx, admin, carol.UserID, true); err != nil {
			t.Fatal(err)
		}
		toks, err := f.svc.ListTokens(ctx, admin, carol.UserID)
		if err != nil || len(toks) != 2 {
			t.Fatalf("ListTokens = %v, %v", toks, err)
		}
		if err := f.svc.RevokeToken(ctx, admin, toks[1].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.TokenActor(ctx, tok); !errors.Is(err, auth.ErrBadToken) {
			t.Errorf("revoked token: %v", err)
		}
	})
}

func TestManageUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		county := f.user(t, "county", "350722000000", "admin")
		town := f.user(t, "nanpu", "350722001000", "admin")
		erin := f.user(t, "erin", "350722001001", "grid")
		frank := f.user(t, "frank", "350722100000", "township")

		// Scope: the township admin lists and manages only its subtree.
		names := func(a access.Actor, flt auth.UserFilter) []string {
			t.Helper()
			us, err := f.svc.ListUsers(ctx, a, flt)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, u := range us {
				out = append(out, u.Username+":"+strings.Join(roleNames(u.Roles), ","))
			}
			return out
		}
		if d := cmp.Diff([]string{"nanpu:admin", "erin:grid"}, names(town, auth.UserFilter{})); d != "" {
			t.Errorf("township admin's list (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{"county:admin", "nanpu:admin"}, names(county, auth.UserFilter{Role: "admin"})); d != "" {
			t.Errorf("role filter (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{"frank:township"}, names(county, auth.UserFilter{UnitCode: "350722100000"})); d != "" {
			t.Errorf("unit filter (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{"erin:grid"}, names(county, auth.UserFilter{Query: "ri"})); d != "" {
			t.Errorf("query filter (-want +got):\n%s", d)
		}
		if _, err := f.svc.ListUsers(ctx, erin, auth.UserFilter{}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a grid worker listed users: %v", err)
		}
		for _, tc := range []struct {
			name string
			err  error
			kind error
		}{
			{"roles outside scope", f.svc.SetRoles(ctx, town, frank.UserID, []string{"township", "admin"}), store.ErrForbidden},
			{"deactivate outside scope", f.svc.SetActive(ctx, town, frank.UserID, false), store.ErrForbidden},
			{"drop own admin", f.svc.SetRoles(ctx, town, town.UserID, []string{"township"}), store.ErrForbidden},
			{"deactivate self", f.svc.SetActive(ctx, town, town.UserID, false), store.ErrForbidden},
			{"grant county role", f.svc.SetRoles(ctx, town, erin.UserID, []string{"department"}), store.ErrForbidden},
			{"bad role", f.svc.SetRoles(ctx, town, erin.UserID, []string{"king"}), store.ErrInvalid},
		} {
			if !errors.Is(tc.err, tc.kind) {
				t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.kind)
			}
		}

		if err := f.svc.SetRoles(ctx, town, erin.UserID, []string{"grid", "community"}); err != nil {
			t.Fatal(err)
		}
		if a, _ := f.svc.ActorForUser(ctx, erin.UserID); !a.Has(access.RoleCommunity) {
			t.Errorf("roles after SetRoles: %v", a.Roles)
		}

		// Reset: old sessions end, the old password stops, the new one works.
		tok, err := f.svc.Login(ctx, "erin", "correct horse battery", "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		pw, err := f.svc.ResetPassword(ctx, town, erin.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session after reset: %v", err)
		}
		if _, err := f.svc.Login(ctx, "erin", "correct horse battery", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("old password after reset: %v", err)
		}
		if tok, err = f.svc.Login(ctx, "erin", pw, "10.0.0.1"); err != nil {
			t.Fatalf("new password: %v", err)
		}

		// Deactivate: sessions end, login refused with a message.
		if err := f.svc.SetActive(ctx, town, erin.UserID, false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session after deactivation: %v", err)
		}
		if _, err := f.svc.Login(ctx, "erin", pw, "10.0.0.1"); !errors.Is(err, auth.ErrInactive) {
			t.Errorf("login when deactivated: %v", err)
		}
		if err := f.svc.LogoutEverywhere(ctx, town, frank.UserID); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("logout everywhere outside scope: %v", err)
		}

		if err := f.svc.ChangePassword(ctx, frank, "correct horse battery", "a brand new secret"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Login(ctx, "frank", "a brand new secret", "10.0.0.1"); err != nil {
			t.Errorf("login with changed password: %v", err)
		}

		recs, err := audit.List(ctx, db, "user", itoa(erin.UserID), 20)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range recs {
			actions = append(actions, r.Action)
		}
		want := []string{"user.deactivate", "user.password.reset", "user.roles.set", "user.create"}
		if d := cmp.Diff(want, actions); d != "" {
			t.Errorf("audit of erin (-want +got):\n%s", d)
		}
		// Entries written on PostgreSQL wait for the chainer (audit.Chain).
		if _, err := audit.Chain(ctx, db); err != nil {
			t.Fatal(err)
		}
		if n, err := audit.Verify(ctx, db); err != nil {
			t.Errorf("audit verify after %d: %v", n, err)
		}
	})
}

func TestRehashOnLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.user(t, "gina", "350722000000", "admin")
		stronger := auth.FastHashParams()
		stronger.Memory = 512
		svc := auth.NewService(db, auth.WithHashParams(stronger))
		if _, err := svc.Login(ctx, "gina", "correct horse battery", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		var h string
		if err := db.QueryRow(ctx, `SELECT password_hash FROM users WHERE username = 'gina'`).Scan(&h); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(h, "m=512,") {
			t.Errorf("hash not upgraded at login: %s", h)
		}
	})
}

func roleNames(rs []access.Role) []string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r))
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
