package volunteer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

// SettingStarHours holds the counted hours of the five star levels, comma
// separated; the default is Fujian's (福建省星级志愿者认定).
const SettingStarHours = "volunteer.star_hours"

// DefaultStarHours are Fujian's thresholds for one to five stars.
var DefaultStarHours = []int{100, 300, 600, 1000, 1500}

// StarThresholds returns the counted hours each level needs.
func (s *Service) StarThresholds(ctx context.Context) ([]int, error) {
	v, err := settings.String(ctx, s.db, SettingStarHours, "")
	if err != nil || strings.TrimSpace(v) == "" {
		return DefaultStarHours, err
	}
	parts := strings.Split(v, ",")
	if len(parts) != 5 {
		return DefaultStarHours, fmt.Errorf("setting %s: %q needs five numbers", SettingStarHours, v)
	}
	out := make([]int, 5)
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= 0 || (i > 0 && n <= out[i-1]) {
			return DefaultStarHours, fmt.Errorf("setting %s: %q must be five rising whole numbers", SettingStarHours, v)
		}
		out[i] = n
	}
	return out, nil
}

// GranterKind names who grants a star level: one and two stars the
// community (or village), three and four the township or street, five the
// county.
func GranterKind(level int) string {
	switch {
	case level <= 2:
		return "community"
	case level <= 4:
		return "township"
	}
	return "county"
}

// mayGrant reports whether the actor's unit is of the kind that grants level.
func mayGrant(actor access.Actor, level int) bool {
	if actor.System {
		return true
	}
	if !actor.HasAny(access.RoleCommunity, access.RoleTownship, access.RoleAdmin) {
		return false
	}
	switch GranterKind(level) {
	case "community":
		return actor.UnitKind == "community" || actor.UnitKind == "village"
	case "township":
		return actor.UnitKind == "township" || actor.UnitKind == "street"
	}
	return actor.UnitKind == "county"
}

func (s *Service) star(ctx context.Context, volunteerID int64) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(MAX(level), 0) FROM volunteer_stars WHERE volunteer_id = ?`, volunteerID).Scan(&n); err != nil {
		return 0, fmt.Errorf("star of volunteer %d: %w", volunteerID, err)
	}
	return n, nil
}

// GrantStar grants a person the star level their counted hours reach, by
// the unit whose kind grants it and whose subtree holds the record.
func (s *Service) GrantStar(ctx context.Context, actor access.Actor, personID int64, level int) error {
	if level < 1 || level > 5 {
		return store.Invalid("星级应为1至5")
	}
	h, err := s.Hours(ctx, actor, personID)
	if err != nil {
		return err
	}
	if !mayGrant(actor, level) || !actor.SeesPath(h.Volunteer.UnitPath) {
		return store.Forbiddenf("%d星级志愿者由%s认定", level, granterName(level))
	}
	th, err := s.StarThresholds(ctx)
	if err != nil {
		return err
	}
	if h.CountedMinutes < th[level-1]*60 {
		return store.Invalidf("计入星级的服务时长%s小时，未达到%d星级的%d小时", HoursText(h.CountedMinutes), level, th[level-1])
	}
	if h.Star >= level {
		return store.Invalidf("该志愿者已是%d星级", h.Star)
	}
	_, err = s.db.Exec(ctx, `INSERT INTO volunteer_stars (volunteer_id, level, minutes, granted_by, grant_unit_id, granted_at) VALUES (?, ?, ?, ?, ?, ?)`,
		h.Volunteer.ID, level, h.CountedMinutes, actor.Recorded(), grantUnit(actor, h.Volunteer.UnitID), store.Millis(s.now()))
	if err != nil {
		err = store.Normalize(err)
		if errors.Is(err, store.ErrConflict) {
			return store.Invalidf("该志愿者已是%d星级", level)
		}
		return fmt.Errorf("grant star %d to person %d: %w", level, personID, err)
	}
	return nil
}

func grantUnit(actor access.Actor, fallback int64) int64 {
	if actor.UnitID != 0 {
		return actor.UnitID
	}
	return fallback
}

func granterName(level int) string {
	switch GranterKind(level) {
	case "community":
		return "社区（村）"
	case "township":
		return "乡镇（街道）"
	}
	return "县志愿服务主管部门"
}
