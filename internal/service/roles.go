package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Window roles (前台综合受理、后台分类办理、统一窗口出件) assigned to a
// centre's staff.
const (
	RoleFront    = "front"    // 前台综合受理: checks materials and accepts
	RoleBack     = "back"     // 后台分类办理: handles the applications of an office (科室)
	RoleDelivery = "delivery" // 统一出件: hands the result over at the delivery window
)

// WindowRoles lists the roles in display order.
var WindowRoles = []string{RoleFront, RoleBack, RoleDelivery}

// StaffInput assigns a window role at a site to a user (by username).
type StaffInput struct {
	SiteID   int64  `json:"site_id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	// Office is the back office's 科室 ("" for every office of the site).
	Office   string `json:"office,omitempty"`
	WindowID int64  `json:"window_id,omitempty"`
	Post     string `json:"post,omitempty"`
}

// CanAssignRoles reports whether actor may assign window roles at site: a
// county administrator, or an administrator or township staff of the
// site's own township.
func CanAssignRoles(actor access.Actor, site Site) bool {
	if actor.CountyAdmin() {
		return true
	}
	return actor.HasAny(access.RoleAdmin, access.RoleTownship) && !actor.Has(access.RoleDepartment) && actor.SeesPath(site.UnitPath)
}

// AssignRole gives a user a window role at a site (a user may hold several
// roles, one row each).
func (s *Service) AssignRole(ctx context.Context, actor access.Actor, in StaffInput) (Staff, error) {
	if err := mustStaff(actor); err != nil {
		return Staff{}, err
	}
	in.Username, in.Office, in.Post = strings.TrimSpace(in.Username), strings.TrimSpace(in.Office), strings.TrimSpace(in.Post)
	site, err := s.Site(ctx, in.SiteID)
	if err != nil {
		return Staff{}, err
	}
	if !CanAssignRoles(actor, site) {
		return Staff{}, store.Forbidden("只有本中心所在乡镇（街道）或县级管理员可以分配窗口岗位")
	}
	switch {
	case !slices.Contains(WindowRoles, in.Role):
		return Staff{}, store.Invalid("窗口岗位应为前台受理(front)、后台办理(back)或出件(delivery)")
	case in.Username == "":
		return Staff{}, store.Invalid("请填写工作人员的用户名")
	case in.Role != RoleBack && in.Office != "":
		return Staff{}, store.Invalid("只有后台办理岗位需要填写科室")
	case utf8.RuneCountInString(in.Office) > 100 || utf8.RuneCountInString(in.Post) > 100:
		return Staff{}, store.Invalid("科室或职务不能超过100字")
	}
	if in.WindowID != 0 && !slices.ContainsFunc(site.Windows, func(w Window) bool { return w.ID == in.WindowID }) {
		return Staff{}, store.Invalid("所选窗口不属于该服务中心")
	}
	var st Staff
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var unitPath string
		if err := tx.QueryRow(ctx, `SELECT u.id, u.name, un.path FROM users u JOIN units un ON un.id = u.unit_id WHERE u.username = ? AND u.active = 1`,
			in.Username).Scan(&st.UserID, &st.Name, &unitPath); err != nil {
			if isNotFound(err) {
				return store.Invalidf("找不到用户 %s", in.Username)
			}
			return err
		}
		if !strings.HasPrefix(unitPath, site.UnitPath) {
			return store.Invalidf("%s不在%s工作，不能分配该中心的岗位", st.Name, site.Name)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM service_staff WHERE site_id = ? AND user_id = ? AND role = ? AND office = ?`,
			site.ID, st.UserID, in.Role, in.Office).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Conflict("该工作人员已有这个岗位")
		}
		if err := tx.QueryRow(ctx, `INSERT INTO service_staff (site_id, window_id, user_id, name, post, role, office) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			site.ID, store.NullID(in.WindowID), st.UserID, st.Name, in.Post, in.Role, in.Office).Scan(&st.ID); err != nil {
			return fmt.Errorf("assign role: %w", err)
		}
		st.Role, st.Office, st.WindowID, st.Post = in.Role, in.Office, in.WindowID, in.Post
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "service.role.assign", Entity: "service_site", EntityID: fmt.Sprint(site.ID),
			After: map[string]any{"user": in.Username, "role": in.Role, "office": in.Office}})
	})
	return st, err
}

// RemoveRole takes a window role back.
func (s *Service) RemoveRole(ctx context.Context, actor access.Actor, staffID int64) error {
	if err := mustStaff(actor); err != nil {
		return err
	}
	var siteID int64
	if err := s.db.QueryRow(ctx, `SELECT site_id FROM service_staff WHERE id = ?`, staffID).Scan(&siteID); err != nil {
		if isNotFound(err) {
			return store.NotFound("找不到该岗位")
		}
		return err
	}
	site, err := s.Site(ctx, siteID)
	if err != nil {
		return err
	}
	if !CanAssignRoles(actor, site) {
		return store.Forbidden("只有本中心所在乡镇（街道）或县级管理员可以分配窗口岗位")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM service_staff WHERE id = ?`, staffID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "service.role.remove", Entity: "service_site", EntityID: fmt.Sprint(site.ID),
			Before: map[string]any{"staff": staffID}})
	})
}

// roleRow is a role a user holds at a site.
type roleRow struct {
	site   int64
	role   string
	office string
}

func rolesOf(ctx context.Context, q store.Querier, userID int64) ([]roleRow, error) {
	if userID == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT site_id, role, office FROM service_staff WHERE user_id = ? AND role <> ''`, userID)
	return store.Collect(rows, err, func(sc interface{ Scan(...any) error }) (roleRow, error) {
		var r roleRow
		return r, sc.Scan(&r.site, &r.role, &r.office)
	})
}

// Roles returns the window roles the actor holds (role → offices; an empty
// office means every office).
func (s *Service) Roles(ctx context.Context, actor access.Actor) (map[string][]string, error) {
	rs, err := rolesOf(ctx, s.db, actor.UserID)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, r := range rs {
		out[r.role] = append(out[r.role], r.office)
	}
	return out, nil
}

// mayHandle holds the back office's rule for a step of handling (sign, ask
// for supplements, approve, refuse): a user who holds window roles must
// hold the back-office role for the application's office; a front desk or
// delivery clerk does not handle. Users without window roles (a county
// department's staff, an administrator) keep the flow's own rule.
func mayHandle(ctx context.Context, q store.Querier, actor access.Actor, office string) error {
	if actor.System {
		return nil
	}
	rs, err := rolesOf(ctx, q, actor.UserID)
	if err != nil || len(rs) == 0 {
		return err
	}
	for _, r := range rs {
		if r.role == RoleBack && (r.office == "" || r.office == office) {
			return nil
		}
	}
	return store.Forbiddenf("您的窗口岗位不是“%s”的后台办理岗，不能办理该申请", office)
}

// mayDeliver holds the delivery rule (统一窗口出件): the result is handed
// over by the staff of the centre the applicant collects it at (the
// accepting centre unless they chose another); a county department's staff
// cannot deliver at a township's window, nor can a clerk whose window roles
// are only the back office's.
func mayDeliver(ctx context.Context, q store.Querier, actor access.Actor, site Site) error {
	if actor.System || actor.CountyAdmin() {
		return nil
	}
	if actor.Has(access.RoleDepartment) && !actor.HasAny(access.RoleTownship, access.RoleCommunity) {
		return store.Forbiddenf("县直部门工作人员不能在%s的窗口出件，请由该中心统一出件窗口出件", site.Name)
	}
	if !strings.HasPrefix(actor.UnitPath, site.UnitPath) {
		return store.Forbiddenf("该申请在%s统一出件，您不在该中心工作", site.Name)
	}
	rs, err := rolesOf(ctx, q, actor.UserID)
	if err != nil || len(rs) == 0 {
		return err
	}
	for _, r := range rs {
		if r.site == site.ID && (r.role == RoleDelivery || r.role == RoleFront) {
			return nil
		}
	}
	return store.Forbidden("您的窗口岗位不含出件，请由统一出件窗口出件")
}

// Queue lists the back office's applications to handle: those dispatched
// to a unit in the actor's subtree and not yet decided, of the offices the
// actor's back-office roles name (all offices without such a role), the
// oldest due first.
func (s *Service) Queue(ctx context.Context, actor access.Actor) ([]Application, error) {
	if err := mustStaff(actor); err != nil {
		return nil, err
	}
	cond, args := actor.SubtreeFilter("hu.path")
	q := `SELECT ` + appCols + appFrom + ` WHERE c.status IN ('dispatched', 'in_hand', 'supplement') AND (` + cond + `)`
	rs, err := rolesOf(ctx, s.db, actor.UserID)
	if err != nil {
		return nil, err
	}
	var offices []string
	all := false
	for _, r := range rs {
		if r.role == RoleBack {
			if r.office == "" {
				all = true
			}
			offices = append(offices, r.office)
		}
	}
	if len(offices) > 0 && !all {
		q += ` AND a.office IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(offices)), ", ") + `)`
		for _, o := range offices {
			args = append(args, o)
		}
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY c.handle_due_at, a.id LIMIT 200`, args...)
	out, err := store.Collect(rows, err, scanApp)
	if err != nil {
		return nil, fmt.Errorf("back office queue: %w", err)
	}
	return out, nil
}

// Allowed trims a case's allowed actions to what the window roles let the
// actor do on the application: the back office's steps, delivery.
func (s *Service) Allowed(ctx context.Context, actor access.Actor, a Application, actions []string) ([]string, error) {
	var out []string
	for _, name := range actions {
		switch name {
		case "sign", "ask_supplement", "approve", "refuse", "return":
			if err := mayHandle(ctx, s.db, actor, a.Office); err != nil {
				if errors.Is(err, store.ErrForbidden) {
					continue
				}
				return nil, err
			}
		case "deliver":
			if a.PickupSiteID != 0 {
				site, err := s.Site(ctx, a.PickupSiteID)
				if err != nil {
					return nil, err
				}
				if err := mayDeliver(ctx, s.db, actor, site); err != nil {
					if errors.Is(err, store.ErrForbidden) {
						continue
					}
					return nil, err
				}
			}
		}
		out = append(out, name)
	}
	return out, nil
}
