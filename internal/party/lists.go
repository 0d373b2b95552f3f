package party

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// The three lists (需求清单、资源清单、项目清单): the community publishes
// residents' needs (what, where, when, skills wanted, headcount); units
// publish the resources and projects they offer a community; members and
// units claim them. Matches suggests members for a need: those living in
// the need's community, ranked by the need's grid against their home grid,
// its skills against their skills and its words against their service
// intentions (busy members, already on an activity at the need's time,
// rank last).

// Item kinds and statuses.
const (
	ItemNeed     = "need"
	ItemResource = "resource"
	ItemProject  = "project"

	ItemOpen    = "open"
	ItemClaimed = "claimed"
	ItemDone    = "done"
)

// Item is one line of the three lists.
type Item struct {
	ID            int64      `json:"id"`
	Kind          string     `json:"kind"`
	CommunityCode string     `json:"community_code"`
	CommunityName string     `json:"community_name"`
	OwnerCode     string     `json:"owner_code"`
	OwnerName     string     `json:"owner_name"`
	GridCode      string     `json:"grid_code,omitempty"`
	GridName      string     `json:"grid_name,omitempty"`
	CommitmentID  int64      `json:"commitment_id,omitempty"`
	Title         string     `json:"title"`
	Detail        string     `json:"detail,omitempty"`
	Skills        string     `json:"skills,omitempty"`
	Headcount     int        `json:"headcount"`
	StartsAt      *time.Time `json:"starts_at,omitempty"`
	EndsAt        *time.Time `json:"ends_at,omitempty"`
	Status        string     `json:"status"`
	Claims        int        `json:"claims"`
}

// ItemInput is a new line of the lists.
type ItemInput struct {
	Kind         string     `json:"kind"`
	Community    string     `json:"community"`
	Owner        string     `json:"owner"` // the publishing unit; a need's is the community
	Grid         string     `json:"grid"`
	CommitmentID int64      `json:"commitment_id"`
	Title        string     `json:"title"`
	Detail       string     `json:"detail"`
	Skills       string     `json:"skills"`
	Headcount    int        `json:"headcount"`
	StartsAt     *time.Time `json:"starts_at"`
	EndsAt       *time.Time `json:"ends_at"`
	Demo         bool       `json:"-"`
}

// PublishItem adds a need (by the community's side) or a resource or
// project (by the offering unit's own staff or the community's side).
func (s *Service) PublishItem(ctx context.Context, actor access.Actor, in ItemInput) (Item, error) {
	in.Title, in.Detail, in.Skills = strings.TrimSpace(in.Title), strings.TrimSpace(in.Detail), cleanList(in.Skills)
	switch {
	case in.Kind != ItemNeed && in.Kind != ItemResource && in.Kind != ItemProject:
		return Item{}, store.Invalid("清单类型应为需求、资源或项目")
	case in.Title == "" || utf8.RuneCountInString(in.Title) > 100:
		return Item{}, store.Invalid("请填写标题（最多100字）")
	case utf8.RuneCountInString(in.Detail) > 1000 || utf8.RuneCountInString(in.Skills) > 200:
		return Item{}, store.Invalid("说明最多1000字，技能要求最多200字")
	case in.Headcount < 0 || in.Headcount > 500:
		return Item{}, store.Invalid("需要人数应为1至500")
	case in.StartsAt != nil && in.EndsAt != nil && !in.EndsAt.After(*in.StartsAt):
		return Item{}, store.Invalid("结束时间应晚于开始时间")
	}
	if in.Headcount == 0 {
		in.Headcount = 1
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := unitByCode(ctx, tx, in.Community)
		if err != nil {
			return err
		}
		if c.Kind != "community" && c.Kind != "village" {
			return store.Invalidf("%s不是社区或村", c.Name)
		}
		forCommunity, err := s.mayCommunity(ctx, actor, c.Path)
		if err != nil {
			return err
		}
		owner := c
		if in.Kind != ItemNeed && strings.TrimSpace(in.Owner) != "" {
			if owner, err = unitByCode(ctx, tx, in.Owner); err != nil {
				return err
			}
		}
		switch {
		case in.Kind == ItemNeed && !forCommunity:
			return store.Forbiddenf("需求清单由%s发布", c.Name)
		case in.Kind != ItemNeed && !forCommunity && (actor.Anonymous() || actor.UnitID != owner.ID):
			return store.Forbiddenf("无权以%s的名义发布", owner.Name)
		}
		var gridID int64
		if strings.TrimSpace(in.Grid) != "" {
			g, err := unitByCode(ctx, tx, in.Grid)
			if err != nil {
				return err
			}
			if g.Kind != "grid" || !strings.HasPrefix(g.Path, c.Path) {
				return store.Invalidf("%s不是%s的网格", g.Name, c.Name)
			}
			gridID = g.ID
		}
		if in.CommitmentID != 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM co_building_commitments m JOIN co_building b ON b.id = m.agreement_id
				WHERE m.id = ? AND b.community_unit_id = ? AND b.unit_id = ?`, in.CommitmentID, c.ID, owner.ID).Scan(&n); err != nil {
				return fmt.Errorf("commitment: %w", err)
			}
			if n == 0 {
				return store.Invalid("该承诺不属于此单位与社区的共建协议")
			}
		}
		status := ItemOpen
		err = tx.QueryRow(ctx, `INSERT INTO party_items (kind, community_unit_id, owner_unit_id, commitment_id, grid_id, title, detail, skills, headcount,
			starts_at, ends_at, status, demo, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.Kind, c.ID, owner.ID, store.NullID(in.CommitmentID), store.NullID(gridID), in.Title, in.Detail, in.Skills, in.Headcount,
			optMillis(in.StartsAt), optMillis(in.EndsAt), status, store.BoolInt(in.Demo), store.NullID(actor.UserID), store.Millis(s.now())).Scan(&id)
		if err != nil {
			return fmt.Errorf("publish: %w", store.Normalize(err))
		}
		if in.Demo {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.item.publish", Entity: "party_item", EntityID: fmt.Sprint(id),
			After: map[string]any{"kind": in.Kind, "community": c.Code, "owner": owner.Code, "title": in.Title}})
	})
	if err != nil {
		return Item{}, err
	}
	return s.item(ctx, id)
}

func optMillis(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return store.Millis(*t)
}

// ItemFilter narrows the lists.
type ItemFilter struct {
	Community string
	Kind      string
	Status    string
}

// Items lists the three lists of communities the actor may read (their
// subtree, and those their own unit publishes in; all for county-wide
// users and county departments).
func (s *Service) Items(ctx context.Context, actor access.Actor, f ItemFilter) ([]Item, error) {
	if actor.Anonymous() && !actor.System {
		return nil, store.Forbidden("请先登录")
	}
	where, args := []string{"1 = 1"}, []any{}
	if v := strings.TrimSpace(f.Community); v != "" {
		where, args = append(where, "c.code = ?"), append(args, v)
	}
	if f.Kind != "" {
		where, args = append(where, "i.kind = ?"), append(args, f.Kind)
	}
	if f.Status != "" {
		where, args = append(where, "i.status = ?"), append(args, f.Status)
	}
	if !readsAll(actor) {
		where, args = append(where, "(c.path LIKE ? OR o.path LIKE ?)"), append(args, actor.UnitPath+"%", actor.UnitPath+"%")
	}
	return s.items(ctx, strings.Join(where, " AND "), args...)
}

func (s *Service) item(ctx context.Context, id int64) (Item, error) {
	list, err := s.items(ctx, "i.id = ?", id)
	if err != nil {
		return Item{}, err
	}
	if len(list) == 0 {
		return Item{}, store.NotFound("找不到该清单条目")
	}
	return list[0], nil
}

func (s *Service) items(ctx context.Context, where string, args ...any) ([]Item, error) {
	rows, err := s.db.Query(ctx, `SELECT i.id, i.kind, c.code, c.name, o.code, o.name, COALESCE(g.code, ''), COALESCE(g.name, ''), COALESCE(i.commitment_id, 0),
		i.title, i.detail, i.skills, i.headcount, COALESCE(i.starts_at, 0), COALESCE(i.ends_at, 0), i.status,
		(SELECT COUNT(*) FROM party_claims k WHERE k.item_id = i.id)
		FROM party_items i JOIN units c ON c.id = i.community_unit_id JOIN units o ON o.id = i.owner_unit_id LEFT JOIN units g ON g.id = i.grid_id
		WHERE `+where+` ORDER BY i.created_at DESC, i.id DESC LIMIT 2000`, args...)
	list, err := store.Collect(rows, err, func(sc store.Scanner) (Item, error) {
		var it Item
		var from, to int64
		err := sc.Scan(&it.ID, &it.Kind, &it.CommunityCode, &it.CommunityName, &it.OwnerCode, &it.OwnerName, &it.GridCode, &it.GridName, &it.CommitmentID,
			&it.Title, &it.Detail, &it.Skills, &it.Headcount, &from, &to, &it.Status, &it.Claims)
		it.StartsAt, it.EndsAt = optTime(from), optTime(to)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("party items: %w", err)
	}
	return list, nil
}

func optTime(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := time.UnixMilli(ms).In(shanghai)
	return &t
}

// itemRef is what claims and activities need of an item.
type itemRef struct {
	id, communityID, ownerID int64
	kind, status             string
	communityPath, title     string
	commitmentID             int64
	headcount                int
	startsAt, endsAt         int64
	gridID                   int64
	skills                   string
}

func loadItem(ctx context.Context, q querier, id int64) (itemRef, error) {
	var it itemRef
	err := q.QueryRow(ctx, `SELECT i.id, i.community_unit_id, i.owner_unit_id, i.kind, i.status, c.path, i.title, COALESCE(i.commitment_id, 0), i.headcount,
		COALESCE(i.starts_at, 0), COALESCE(i.ends_at, 0), COALESCE(i.grid_id, 0), i.skills FROM party_items i JOIN units c ON c.id = i.community_unit_id WHERE i.id = ?`, id).
		Scan(&it.id, &it.communityID, &it.ownerID, &it.kind, &it.status, &it.communityPath, &it.title, &it.commitmentID, &it.headcount, &it.startsAt, &it.endsAt, &it.gridID, &it.skills)
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return it, store.NotFound("找不到该清单条目")
		}
		return it, fmt.Errorf("item %d: %w", id, err)
	}
	return it, nil
}

// ClaimAsMember claims a need for the member (on the phone).
func (s *Service) ClaimAsMember(ctx context.Context, m Member, itemID int64) (Item, error) {
	return s.claim(ctx, access.Actor{Name: m.Name + "（党员本人）"}, itemID, m.PersonID, 0)
}

// ClaimAsUnit claims a need for the actor's own unit (a co-building unit
// taking it on).
func (s *Service) ClaimAsUnit(ctx context.Context, actor access.Actor, itemID int64) (Item, error) {
	if actor.Anonymous() || actor.UnitID == 0 {
		return Item{}, store.Forbidden("请先登录")
	}
	return s.claim(ctx, actor, itemID, 0, actor.UnitID)
}

func (s *Service) claim(ctx context.Context, actor access.Actor, itemID, personID, unitID int64) (Item, error) {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		it, err := loadItem(ctx, tx, itemID)
		if err != nil {
			return err
		}
		if it.kind != ItemNeed {
			return store.Invalid("只有需求可以认领")
		}
		if it.status != ItemOpen && it.status != ItemClaimed {
			return store.Conflict("该需求已完成或已关闭")
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM party_claims WHERE item_id = ?`, itemID).Scan(&n); err != nil {
			return fmt.Errorf("claims of %d: %w", itemID, err)
		}
		if personID != 0 && n >= it.headcount {
			return store.Conflictf("该需求已有%d人认领，人数已满", n)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO party_claims (item_id, person_id, unit_id, created_at) VALUES (?, ?, ?, ?)`,
			itemID, store.NullID(personID), store.NullID(unitID), store.Millis(s.now())); err != nil {
			if errors.Is(store.Normalize(err), store.ErrConflict) {
				return store.Conflict("已认领过该需求")
			}
			return fmt.Errorf("claim %d: %w", itemID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE party_items SET status = ? WHERE id = ?`, ItemClaimed, itemID); err != nil {
			return fmt.Errorf("claim %d: %w", itemID, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.item.claim", Entity: "party_item", EntityID: fmt.Sprint(itemID),
			After: map[string]any{"person": personID, "unit": unitID}})
	})
	if err != nil {
		return Item{}, err
	}
	return s.item(ctx, itemID)
}

// Match is a member suggested for a need, with why.
type Match struct {
	PersonID int64    `json:"person_id"`
	Name     string   `json:"name"`
	UnitName string   `json:"unit_name"`
	GridName string   `json:"grid_name,omitempty"`
	Score    int      `json:"score"`
	Reasons  []string `json:"reasons"`
}

// Matches suggests members for a need (at most limit): members living in
// the need's community and not yet claiming it, ranked by grid (3), each
// skill wanted they have (2), each intention the need's words name (1), and
// last those already on an activity overlapping the need's time.
func (s *Service) Matches(ctx context.Context, actor access.Actor, itemID int64, limit int) ([]Match, error) {
	it, err := loadItem(ctx, s.db, itemID)
	if err != nil {
		return nil, err
	}
	if ok, err := s.mayCommunity(ctx, actor, it.communityPath); err != nil {
		return nil, err
	} else if !ok {
		return nil, store.NotFound("找不到该清单条目")
	}
	rows, err := s.db.Query(ctx, `SELECT p.id, p.name, u.name, COALESCE(m.home_grid_id, 0), COALESCE(g.name, ''), COALESCE(m.skills, ''), COALESCE(m.intentions, ''),
		(SELECT COUNT(*) FROM party_attendance a JOIN party_activities v ON v.id = a.activity_id
			WHERE a.person_id = p.id AND v.status = 'planned' AND v.starts_at < ? AND v.ends_at > ?)
		FROM people p JOIN units u ON u.id = p.unit_id LEFT JOIN party_members m ON m.person_id = p.id LEFT JOIN units g ON g.id = m.home_grid_id
		WHERE p.home_unit_id = ? AND p.role = 'party_member'
			AND NOT EXISTS (SELECT 1 FROM party_claims k WHERE k.item_id = ? AND k.person_id = p.id)
		ORDER BY p.id LIMIT 5000`, it.endsAt, it.startsAt, it.communityID, it.id)
	type cand struct {
		Match
		busy int
	}
	wanted := strings.Split(it.skills, "、")
	cands, err := store.Collect(rows, err, func(sc store.Scanner) (cand, error) {
		var c cand
		var grid int64
		var skills, intentions string
		if err := sc.Scan(&c.PersonID, &c.Name, &c.UnitName, &grid, &c.GridName, &skills, &intentions, &c.busy); err != nil {
			return c, err
		}
		c.Reasons = []string{}
		if grid != 0 && grid == it.gridID {
			c.Score += 3
			c.Reasons = append(c.Reasons, "同一网格")
		}
		have := map[string]bool{}
		for _, k := range strings.Split(skills, "、") {
			have[k] = k != ""
		}
		for _, w := range wanted {
			if w != "" && have[w] {
				c.Score += 2
				c.Reasons = append(c.Reasons, "特长："+w)
			}
		}
		for _, k := range strings.Split(intentions, "、") {
			if k != "" && strings.Contains(it.title, k) {
				c.Score++
				c.Reasons = append(c.Reasons, "意向："+k)
			}
		}
		if c.busy > 0 {
			c.Reasons = append(c.Reasons, "该时段已有活动")
		}
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("matches of %d: %w", itemID, err)
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if (cands[i].busy > 0) != (cands[j].busy > 0) {
			return cands[j].busy > 0
		}
		return cands[i].Score > cands[j].Score
	})
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	out := []Match{}
	for i := 0; i < len(cands) && i < limit; i++ {
		out = append(out, cands[i].Match)
	}
	return out, nil
}
