package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// User is an account: a person at a unit holding roles.
type User struct {
	ID          int64
	Username    string
	Name        string
	UnitID      int64
	UnitCode    string
	UnitName    string
	UnitKind    string
	UnitPath    string
	Roles       []access.Role
	Active      bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastLoginAt time.Time // zero if never signed in
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Username string
	Password string
	Name     string
	UnitCode string
	Roles    []string
}

// UserFilter narrows ListUsers. Zero fields do not filter.
type UserFilter struct {
	// UnitCode keeps users in that unit's subtree.
	UnitCode string
	// Role keeps users holding that role.
	Role string
	// Query keeps users whose username or name contains it.
	Query string
	// Limit caps the number of users (default 200, at most 1000).
	Limit int
}

// usernamePattern: 3-32 characters, lower-case letters, digits, '.', '_' or
// '-', starting with a letter.
var usernamePattern = regexp.MustCompile(`^[a-z][a-z0-9._-]{2,31}$`)

// NormalizeUsername trims and lower-cases a username as typed.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validateUsername(u string) error {
	if !usernamePattern.MatchString(u) {
		return store.Invalid("用户名须为3至32位小写字母、数字或 . _ -，并以字母开头")
	}
	return nil
}

func validatePassword(p string) error {
	if utf8.RuneCountInString(p) < MinPasswordLen {
		return store.Invalidf("密码至少需要%d个字符", MinPasswordLen)
	}
	if len(p) > maxPasswordBytes {
		return store.Invalidf("密码不能超过%d个字节", maxPasswordBytes)
	}
	return nil
}

// parseRoles validates role names and returns them in the standard order,
// without duplicates.
func parseRoles(names []string) ([]access.Role, error) {
	var out []access.Role
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			r, ok := access.ParseRole(part)
			if !ok {
				return nil, store.Invalidf("未知角色“%s”，可选：admin、supervisor、department、township、community、grid", strings.TrimSpace(part))
			}
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	if len(out) == 0 {
		return nil, store.Invalid("请至少选择一个角色")
	}
	slices.SortFunc(out, func(a, b access.Role) int { return slices.Index(access.Roles, a) - slices.Index(access.Roles, b) })
	return out, nil
}

// countyRoles may only be granted by a county-wide administrator: they act
// across townships.
var countyRoles = []access.Role{access.RoleSupervisor, access.RoleDepartment}

// checkGrant refuses roles the actor may not hand out.
func checkGrant(actor access.Actor, added []access.Role) error {
	if actor.CountyWide() {
		return nil
	}
	for _, r := range added {
		if slices.Contains(countyRoles, r) {
			return store.Forbiddenf("只有县级管理员可以授予“%s”角色", r)
		}
	}
	return nil
}

// mayManage refuses unless actor administers the unit at path.
func mayManage(actor access.Actor, unitPath string) error {
	if !actor.Has(access.RoleAdmin) {
		return store.Forbidden("只有管理员可以管理用户")
	}
	if !actor.SeesPath(unitPath) {
		return store.Forbidden("只能管理本单位及下级单位的用户")
	}
	return nil
}

// unitRow is a unit as accounts need it; org owns the units table.
type unitRow = org.Ref

func lookupUnit(ctx context.Context, q store.RowQueryer, code string) (unitRow, error) {
	u, err := org.RefByCode(ctx, q, code)
	if errors.Is(err, store.ErrNotFound) {
		return u, store.NotFoundf("找不到单位代码“%s”，请检查后重试", strings.TrimSpace(code))
	}
	if err != nil {
		return u, fmt.Errorf("look up unit %s: %w", code, err)
	}
	return u, nil
}

// rowScanner is what QueryRow returns on both DB and Tx.
type rowScanner = store.Scanner

func (s *Service) readRow(ctx context.Context, query string, args ...any) rowScanner {
	return s.db.QueryRow(ctx, query, args...)
}

func txRow(tx *store.Tx) func(ctx context.Context, query string, args ...any) rowScanner {
	return func(ctx context.Context, query string, args ...any) rowScanner {
		return tx.QueryRow(ctx, query, args...)
	}
}

// auditUser is what the audit trail records of a user: never the password.
type auditUser struct {
	Username string        `json:"username"`
	Name     string        `json:"name"`
	UnitCode string        `json:"unit_code"`
	Roles    []access.Role `json:"roles"`
	Active   bool          `json:"active"`
}

func (u User) audit() auditUser {
	return auditUser{Username: u.Username, Name: u.Name, UnitCode: u.UnitCode, Roles: u.Roles, Active: u.Active}
}

// CreateUser adds an account at a unit in the actor's subtree.
func (s *Service) CreateUser(ctx context.Context, actor access.Actor, nu NewUser) (User, error) {
	username := NormalizeUsername(nu.Username)
	if err := validateUsername(username); err != nil {
		return User{}, err
	}
	name := strings.TrimSpace(nu.Name)
	if name == "" {
		return User{}, store.Invalid("请填写姓名")
	}
	if utf8.RuneCountInString(name) > 64 {
		return User{}, store.Invalid("姓名不能超过64个字符")
	}
	if err := validatePassword(nu.Password); err != nil {
		return User{}, err
	}
	roles, err := parseRoles(nu.Roles)
	if err != nil {
		return User{}, err
	}
	if strings.TrimSpace(nu.UnitCode) == "" {
		return User{}, store.Invalid("请填写单位代码")
	}
	if !actor.Has(access.RoleAdmin) {
		return User{}, store.Forbidden("只有管理员可以创建用户")
	}
	if err := checkGrant(actor, roles); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(nu.Password, s.params)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	var u User
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		unit, err := lookupUnit(ctx, tx, nu.UnitCode)
		if err != nil {
			return err
		}
		if err := mayManage(actor, unit.Path); err != nil {
			return err
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO users (username, name, unit_id, password_hash, active, created_at, updated_at)
			VALUES (?, ?, ?, ?, 1, ?, ?) RETURNING id`, username, name, unit.ID, hash, store.Millis(now), store.Millis(now)).Scan(&id)
		if errors.Is(err, store.ErrConflict) {
			return store.Conflictf("用户名“%s”已被使用，请换一个", username)
		} else if err != nil {
			return fmt.Errorf("create user %s: %w", username, err)
		}
		for _, r := range roles {
			if _, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role) VALUES (?, ?)`, id, string(r)); err != nil {
				return fmt.Errorf("create user %s: role %s: %w", username, r, err)
			}
		}
		u = User{ID: id, Username: username, Name: name, UnitID: unit.ID, UnitCode: unit.Code, UnitName: unit.Name,
			UnitKind: unit.Kind, UnitPath: unit.Path, Roles: roles, Active: true,
			CreatedAt: store.Time(store.Millis(now)), UpdatedAt: store.Time(store.Millis(now))}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "user.create", Entity: "user",
			EntityID: strconv.FormatInt(id, 10), After: u.audit()})
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

const userColumns = `u.id, u.username, u.name, u.active, u.created_at, u.updated_at, COALESCE(u.last_login_at, 0),
	un.id, un.code, un.name, un.kind, un.path`

func scanUser(sc rowScanner) (User, error) {
	var u User
	var active int
	var created, updated, last int64
	err := sc.Scan(&u.ID, &u.Username, &u.Name, &active, &created, &updated, &last,
		&u.UnitID, &u.UnitCode, &u.UnitName, &u.UnitKind, &u.UnitPath)
	u.Active = active == 1
	u.CreatedAt, u.UpdatedAt, u.LastLoginAt = store.Time(created), store.Time(updated), store.Time(last)
	return u, err
}

// loadUser reads one user with their roles, inside tx when tx is not nil.
func (s *Service) loadUser(ctx context.Context, tx *store.Tx, id int64) (User, error) {
	row := s.readRow
	query := s.db.Query
	if tx != nil {
		row = txRow(tx)
		query = tx.Query
	}
	u, err := scanUser(row(ctx, `SELECT `+userColumns+` FROM users u JOIN units un ON un.id = u.unit_id WHERE u.id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return User{}, store.NotFound("找不到该用户")
	}
	if err != nil {
		return User{}, fmt.Errorf("load user %d: %w", id, err)
	}
	rows, err := query(ctx, `SELECT role FROM user_roles WHERE user_id = ?`, id)
	if err != nil {
		return User{}, fmt.Errorf("load roles of user %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return User{}, err
		}
		u.Roles = append(u.Roles, access.Role(r))
	}
	sortRoles(u.Roles)
	return u, rows.Err()
}

func sortRoles(rs []access.Role) {
	slices.SortFunc(rs, func(a, b access.Role) int {
		ia, ib := slices.Index(access.Roles, a), slices.Index(access.Roles, b)
		if ia < 0 {
			ia = len(access.Roles)
		}
		if ib < 0 {
			ib = len(access.Roles)
		}
		return ia - ib
	})
}

// GetUser returns one user the actor administers.
func (s *Service) GetUser(ctx context.Context, actor access.Actor, id int64) (User, error) {
	u, err := s.loadUser(ctx, nil, id)
	if err != nil {
		return User{}, err
	}
	if actor.UserID == id {
		return u, nil
	}
	if err := mayManage(actor, u.UnitPath); err != nil {
		return User{}, err
	}
	return u, nil
}

// ListUsers returns the users at units in the actor's subtree that match f,
// ordered by unit and username. Only administrators may list users.
func (s *Service) ListUsers(ctx context.Context, actor access.Actor, f UserFilter) ([]User, error) {
	if !actor.Has(access.RoleAdmin) {
		return nil, store.Forbidden("只有管理员可以查看用户列表")
	}
	cond, args := actor.SubtreeFilter("un.path")
	where := []string{cond}
	if strings.TrimSpace(f.UnitCode) != "" {
		unit, err := lookupUnit(ctx, s.db, f.UnitCode)
		if err != nil {
			return nil, err
		}
		lo, hi := access.PathRange(unit.Path)
		where = append(where, "un.path >= ? AND un.path < ?")
		args = append(args, lo, hi)
	}
	if strings.TrimSpace(f.Role) != "" {
		r, ok := access.ParseRole(f.Role)
		if !ok {
			return nil, store.Invalidf("未知角色“%s”", f.Role)
		}
		where = append(where, "EXISTS (SELECT 1 FROM user_roles fr WHERE fr.user_id = u.id AND fr.role = ?)")
		args = append(args, string(r))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
		where = append(where, `(u.username LIKE ? ESCAPE '\' OR u.name LIKE ? ESCAPE '\')`)
		args = append(args, like, like)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	limit = min(limit, 1000)
	args = append(args, limit)
	rows, err := s.db.Query(ctx, `SELECT `+userColumns+` FROM users u JOIN units un ON un.id = u.unit_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY un.path, u.username LIMIT ?`, args...)
	users, err := store.Collect(rows, err, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if len(users) == 0 {
		return users, nil
	}
	index := make(map[int64]int, len(users))
	ids := make([]any, len(users))
	for i, u := range users {
		index[u.ID] = i
		ids[i] = u.ID
	}
	rrows, err := s.db.Query(ctx, `SELECT user_id, role FROM user_roles WHERE user_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, ids...)
	if err != nil {
		return nil, fmt.Errorf("list users: roles: %w", err)
	}
	defer rrows.Close()
	for rrows.Next() {
		var id int64
		var r string
		if err := rrows.Scan(&id, &r); err != nil {
			return nil, fmt.Errorf("list users: roles: %w", err)
		}
		users[index[id]].Roles = append(users[index[id]].Roles, access.Role(r))
	}
	for i := range users {
		sortRoles(users[i].Roles)
	}
	return users, rrows.Err()
}

// change loads user id inside a write transaction, checks the actor may
// manage them, runs fn and writes the audit entry with the before and after
// states fn leaves.
func (s *Service) change(ctx context.Context, actor access.Actor, id int64, action, reason string, fn func(tx *store.Tx, u *User) error) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		u, err := s.loadUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := mayManage(actor, u.UnitPath); err != nil {
			return err
		}
		before := u.audit()
		before.Roles = slices.Clone(u.Roles)
		if err := fn(tx, &u); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: action, Entity: "user",
			EntityID: strconv.FormatInt(id, 10), Before: before, After: u.audit(), Reason: reason})
	})
}

// SetRoles replaces the roles of a user the actor administers. Administrators
// cannot take their own admin role away, and only county-wide administrators
// grant the supervisor and department roles.
func (s *Service) SetRoles(ctx context.Context, actor access.Actor, userID int64, roles []string) error {
	rs, err := parseRoles(roles)
	if err != nil {
		return err
	}
	if actor.UserID == userID && !slices.Contains(rs, access.RoleAdmin) {
		return store.Forbidden("不能取消自己的管理员角色，请让其他管理员操作")
	}
	return s.change(ctx, actor, userID, "user.roles.set", "", func(tx *store.Tx, u *User) error {
		var added []access.Role
		for _, r := range rs {
			if !slices.Contains(u.Roles, r) {
				added = append(added, r)
			}
		}
		if err := checkGrant(actor, added); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_roles WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("set roles of user %d: %w", userID, err)
		}
		for _, r := range rs {
			if _, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role) VALUES (?, ?)`, userID, string(r)); err != nil {
				return fmt.Errorf("set roles of user %d: %w", userID, err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET updated_at = ? WHERE id = ?`, store.Millis(s.now()), userID); err != nil {
			return fmt.Errorf("set roles of user %d: %w", userID, err)
		}
		u.Roles = rs
		return nil
	})
}

// SetActive activates or deactivates a user the actor administers. A
// deactivated user is signed out everywhere and their API tokens stop
// working until they are activated again.
func (s *Service) SetActive(ctx context.Context, actor access.Actor, userID int64, active bool) error {
	if actor.UserID == userID && !active {
		return store.Forbidden("不能停用自己的账号")
	}
	action := "user.deactivate"
	if active {
		action = "user.activate"
	}
	return s.change(ctx, actor, userID, action, "", func(tx *store.Tx, u *User) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET active = ?, updated_at = ? WHERE id = ?`, store.BoolInt(active), store.Millis(s.now()), userID); err != nil {
			return fmt.Errorf("set user %d active: %w", userID, err)
		}
		if !active {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
				return fmt.Errorf("sign out user %d: %w", userID, err)
			}
		}
		u.Active = active
		return nil
	})
}

// ResetPassword gives a user the actor administers a new random password,
// signs them out everywhere, and returns the password to show once.
func (s *Service) ResetPassword(ctx context.Context, actor access.Actor, userID int64) (string, error) {
	password := RandomPassword()
	hash, err := HashPassword(password, s.params)
	if err != nil {
		return "", err
	}
	err = s.change(ctx, actor, userID, "user.password.reset", "", func(tx *store.Tx, u *User) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, store.Millis(s.now()), userID); err != nil {
			return fmt.Errorf("reset password of user %d: %w", userID, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("sign out user %d: %w", userID, err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return password, nil
}

// ChangePassword lets a signed-in user replace their own password, given the
// current one. Their other sessions end.
func (s *Service) ChangePassword(ctx context.Context, actor access.Actor, current, next string) error {
	if actor.UserID == 0 {
		return store.Forbidden("请先登录")
	}
	if err := validatePassword(next); err != nil {
		return err
	}
	var stored string
	if err := s.db.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = ?`, actor.UserID).Scan(&stored); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if ok, err := VerifyPassword(stored, current); err != nil || !ok {
		return &store.UserError{Kind: store.ErrInvalid, Message: "当前密码不正确", Cause: ErrBadCredentials}
	}
	hash, err := HashPassword(next, s.params)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, store.Millis(s.now()), actor.UserID); err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "user.password.change", Entity: "user",
			EntityID: strconv.FormatInt(actor.UserID, 10)})
	})
}

// CountUsers returns how many accounts exist (the first start creates an
// administrator when there are none).
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// UserExists reports whether an account with this username exists.
func (s *Service) UserExists(ctx context.Context, username string) (bool, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE username = ?`, NormalizeUsername(username)).Scan(&n); err != nil {
		return false, fmt.Errorf("look up user %s: %w", username, err)
	}
	return n > 0, nil
}

// ActorForUser builds the actor of an active user from the database: their
// unit (id, code, name, kind, path) and roles.
func (s *Service) ActorForUser(ctx context.Context, userID int64) (access.Actor, error) {
	u, err := s.loadUser(ctx, nil, userID)
	if err != nil {
		return access.Actor{}, err
	}
	if !u.Active {
		return access.Actor{}, &store.UserError{Kind: store.ErrForbidden, Message: "该账号已停用，请联系管理员", Cause: ErrInactive}
	}
	return access.Actor{UserID: u.ID, Username: u.Username, Name: u.Name, UnitID: u.UnitID, UnitCode: u.UnitCode,
		UnitName: u.UnitName, UnitKind: u.UnitKind, UnitPath: u.UnitPath, Roles: u.Roles}, nil
}
