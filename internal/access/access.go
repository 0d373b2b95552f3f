// Package access holds who is acting and what the organisation tree lets them
// see. Every domain package takes an Actor and asks it, so scope is enforced
// in the domain layer, not by hiding links.
package access

import (
	"slices"
	"strings"
)

// Role is a named set of permissions a user holds at their unit.
type Role string

// The roles, as named in the CLI and the API.
const (
	RoleAdmin      Role = "admin"      // system administration at the user's level
	RoleSupervisor Role = "supervisor" // county supervision office (督查)
	RoleDepartment Role = "department" // county department staff (县直部门)
	RoleTownship   Role = "township"   // township / street staff
	RoleCommunity  Role = "community"  // community / village staff
	RoleGrid       Role = "grid"       // grid worker (网格员)
)

// Roles lists every role in a stable order.
var Roles = []Role{RoleAdmin, RoleSupervisor, RoleDepartment, RoleTownship, RoleCommunity, RoleGrid}

// ParseRole returns the role named s, or false.
func ParseRole(s string) (Role, bool) {
	r := Role(strings.TrimSpace(s))
	return r, slices.Contains(Roles, r)
}

// Actor is the person behind a request: a signed-in user, an API token's
// user, or the system itself (background jobs). The zero Actor is anonymous
// and may see nothing internal.
type Actor struct {
	UserID   int64
	Username string
	Name     string
	UnitID   int64
	UnitCode string
	UnitName string
	UnitKind string
	// UnitPath is the materialised path of the user's unit, "/1/5/78/".
	UnitPath string
	Roles    []Role
	// System marks background work, which may touch everything.
	System bool
}

// System is the actor for background jobs and start-up work.
var System = Actor{Name: "system", System: true}

// Recorded is the name a record keeps for who acted: the person's name,
// else the account, else "system".
func (a Actor) Recorded() string {
	switch {
	case a.Name != "":
		return a.Name
	case a.Username != "":
		return a.Username
	}
	return "system"
}

// Anonymous reports whether no one is signed in.
func (a Actor) Anonymous() bool { return a.UserID == 0 && !a.System }

// Has reports whether the actor holds role r.
func (a Actor) Has(r Role) bool { return a.System || slices.Contains(a.Roles, r) }

// HasAny reports whether the actor holds any of rs.
func (a Actor) HasAny(rs ...Role) bool {
	for _, r := range rs {
		if a.Has(r) {
			return true
		}
	}
	return false
}

// CountyAdmin reports whether the actor administers the whole county: an
// administrator at the county level (or above), or system work. What
// belongs to the county as a whole (the case categories, the webhooks)
// only they change.
func (a Actor) CountyAdmin() bool {
	return a.System || (a.Has(RoleAdmin) && a.CountyWide())
}

// CountyWide reports whether the actor sees the whole county: system work, a
// user whose unit is the county itself (or above it), or the county
// supervision office (role supervisor), whose work is to watch every unit.
func (a Actor) CountyWide() bool {
	if a.System || a.Has(RoleSupervisor) {
		return true
	}
	switch a.UnitKind {
	case "county", "city", "province":
		return true
	}
	return false
}

// SeesPath reports whether a unit with materialised path p lies in the
// actor's subtree (or the actor is county-wide).
func (a Actor) SeesPath(p string) bool {
	if a.CountyWide() {
		return true
	}
	return a.UnitPath != "" && strings.HasPrefix(p, a.UnitPath)
}

// SubtreeFilter returns an SQL condition and its arguments that keep rows
// whose path column lies in the actor's subtree, e.g.
// ("u.path >= ? AND u.path < ?", ["/1/5/", "/1/50"]). County-wide actors get
// "1=1". Paths are compared as byte strings ("C" collation on PostgreSQL), so
// the condition is a plain index range scan on both engines.
func (a Actor) SubtreeFilter(column string) (string, []any) {
	if a.CountyWide() {
		return "1=1", nil
	}
	if a.UnitPath == "" {
		return "1=0", nil
	}
	lo, hi := PathRange(a.UnitPath)
	return column + " >= ? AND " + column + " < ?", []any{lo, hi}
}

// PathRange returns the half-open range [lo, hi) of paths under p ("/1/5/"
// gives "/1/5/" and "/1/50": '0' is the byte after '/').
func PathRange(p string) (lo, hi string) {
	return p, strings.TrimSuffix(p, "/") + "0"
}
