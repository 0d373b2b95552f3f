package report

import (
	"grassroots/internal/casework/caserows"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/casework/casetest"
	"grassroots/internal/store"
)

// newViewsFixture is the plain-SQL fixture of the views' tests
// (caserows), with the engine's search index.
func newViewsFixture(t testing.TB, db *store.DB) *caserows.Fixture {
	return caserows.New(t, db, casework.IndexCase)
}

// engFixture is casetest's county run by the real engine through its
// public API, with this package's service over it, for the report card.
type engFixture struct {
	*casetest.County
	t     testing.TB
	cases *casework.Service
	r     *Service
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func newEngine(t testing.TB, db *store.DB) *engFixture {
	t.Helper()
	c := casetest.New(t, db)
	return &engFixture{County: c, t: t, cases: c.Cases, r: New(db, c.Cases)}
}

// actor is a user with id uid at the unit code holding roles.
func (fx *engFixture) actor(uid int64, code string, roles ...access.Role) access.Actor {
	return fx.Actor(uid, code, roles...)
}

func (fx *engFixture) create(actor access.Actor, in casework.NewCase) casework.Case {
	fx.t.Helper()
	return fx.Create(actor, in)
}

func (fx *engFixture) do(actor access.Actor, no string, act casework.Action) casework.Case {
	fx.t.Helper()
	return fx.Do(actor, no, act)
}

// part returns the case's part of the unit with the given code.
func (fx *engFixture) part(no, unit string) casework.Assignment {
	fx.t.Helper()
	return fx.Part(no, unit, 0)
}

func ptrTrue() *bool { v := true; return &v }
