package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/timers"
	"grassroots/internal/worktime"
)

// actx is one action in progress inside its transaction.
type actx struct {
	s     *Service
	tx    *store.Tx
	actor access.Actor
	flow  *Flow
	d     *CaseDetail
	c     *Case
	cal   Calendar
	set   settings
	now   time.Time
	// person is the person acting on their own part (PersonDo), else 0.
	person int64
	// outcome is the outcome being applied.
	outcome *Outcome
	// refused collects access-list refusals, recorded after the rollback.
	refused *[]AccessCheck
	// intake: the action is taken at intake, on a case not yet committed.
	intake bool
}

func (s *Service) newActx(ctx context.Context, tx *store.Tx, actor access.Actor, d *CaseDetail) (*actx, error) {
	flow, ok := s.flows[d.Case.Flow]
	if !ok {
		return nil, fmt.Errorf("case %s: flow %q is not registered", d.Case.No, d.Case.Flow)
	}
	cal, err := s.calendar(ctx)
	if err != nil {
		return nil, err
	}
	set, err := loadSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	d.set = set
	return &actx{s: s, tx: tx, actor: actor, flow: flow, d: d, c: &d.Case, cal: cal, set: set, now: s.now()}, nil
}

// Do takes an action on the case numbered no, in one transaction: it checks
// that the flow allows the action from the current status and that actor may
// take it, then changes the status, writes the event, schedules and cancels
// deadline timers and writes the audit entry — or, on any error, nothing.
func (s *Service) Do(ctx context.Context, actor access.Actor, no string, act Action) (Case, error) {
	no = strings.TrimSpace(no)
	files, err := s.storeFiles(act.Attachments)
	if err != nil {
		return Case{}, err
	}
	var out Case
	var refused []AccessCheck
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		refused = refused[:0]
		d, err := loadDetail(ctx, tx, false, "c.no = ?", no)
		if err != nil {
			if isNotFound(err) {
				return caseNotFound(no)
			}
			return err
		}
		if !CanSee(actor, &d) {
			return caseNotFound(no)
		}
		x, err := s.newActx(ctx, tx, actor, &d)
		if err != nil {
			return err
		}
		x.refused = &refused
		if err := x.apply(ctx, act, files); err != nil {
			return err
		}
		out, err = loadCase(ctx, tx, "c.id = ?", d.Case.ID)
		return err
	})
	if err != nil {
		s.recordRefusals(ctx, refused)
		return Case{}, err
	}
	s.log.InfoContext(ctx, "case action", "case_no", no, "action", act.Name, "user_id", actor.UserID, "status", out.Status)
	return out, nil
}

// permitted reports whether actor is one of the parties of spec for the
// case, on assignment a (nil for case actions).
func permitted(actor access.Actor, spec ActionSpec, d *CaseDetail, a *Assignment) bool {
	return permittedAs(actor, 0, spec, d, a)
}

// permittedAs is permitted for a person acting on their own part (person
// not 0): only ScopePerson parties admit them, on their own assignment.
func permittedAs(actor access.Actor, person int64, spec ActionSpec, d *CaseDetail, a *Assignment) bool {
	if person != 0 {
		for _, p := range spec.Who {
			if p.Scope == ScopePerson && a != nil && a.PersonID == person {
				return true
			}
		}
		return false
	}
	if actor.System {
		return true
	}
	for _, p := range spec.Who {
		if len(p.Roles) == 0 {
			if actor.Anonymous() {
				continue
			}
		} else if !actor.HasAny(p.Roles...) {
			continue
		}
		if inScope(actor, p.Scope, d, a) {
			return true
		}
	}
	return false
}

// within reports whether the unit at path lies in the subtree of the unit
// at top.
func within(path, top string) bool { return top != "" && path != "" && strings.HasPrefix(path, top) }

func inScope(actor access.Actor, scope Scope, d *CaseDetail, a *Assignment) bool {
	c := &d.Case
	opener := (c.CreatedBy != 0 && c.CreatedBy == actor.UserID) || (c.OpenedByUnitID != 0 && c.OpenedByUnitID == actor.UnitID)
	switch scope {
	case ScopeAny:
		return true
	case ScopeCounty:
		return actor.CountyWide()
	case ScopeViewer:
		return CanSee(actor, d)
	case ScopePerson:
		return false // only the person, through permittedAs
	case ScopeOpener:
		return opener
	case ScopeCallCentre:
		return d.set.callCentre(actor)
	case ScopePlace:
		return c.PlacePath != "" && within(c.PlacePath, actor.UnitPath)
	case ScopeGrid:
		return opener || (c.GridPath != "" && within(c.GridPath, actor.UnitPath))
	case ScopeLead:
		return LeadStaff(actor, d)
	case ScopeAssignment, ScopeUnit:
		t := a
		if t == nil {
			if lead, ok := d.Lead(); ok {
				t = &lead
			}
		}
		if t == nil {
			return false
		}
		if scope == ScopeUnit {
			return t.UnitID != 0 && t.UnitID == actor.UnitID
		}
		return within(actor.UnitPath, t.UnitPath)
	case ScopeDispatcher:
		if a == nil {
			if lead, ok := d.Lead(); ok {
				a = &lead
			}
		}
		// The dispatching unit itself, or a unit above it — not every unit
		// below it (the county dispatches, its departments do not approve).
		return a != nil && a.DispatcherPath != "" && within(a.DispatcherPath, actor.UnitPath)
	}
	return false
}

// candidates are the assignments an assignment action could target now.
func candidates(spec ActionSpec, d *CaseDetail) []*Assignment {
	var out []*Assignment
	for i := range d.Assignments {
		a := &d.Assignments[i]
		if !a.Open() {
			continue
		}
		if spec.AssignmentRole != "" && a.Role != spec.AssignmentRole {
			continue
		}
		if len(spec.AssignmentFrom) > 0 && !slices.Contains(spec.AssignmentFrom, a.Status) {
			continue
		}
		out = append(out, a)
	}
	return out
}

func statusAllowed(flow *Flow, spec ActionSpec, c *Case) bool {
	if c.Closed() || flow.Terminal(c.Status) {
		return false
	}
	return len(spec.From) == 0 || slices.Contains(spec.From, c.Status)
}

// guard checks the action's extra conditions on assignment a, returning a
// message for the user when one fails.
func (s *Service) guard(spec ActionSpec, c *Case, a *Assignment, set settings, now time.Time) error {
	if spec.WithinDispatch != "" && a != nil && a.ReturnBy != nil && now.After(*a.ReturnBy) {
		return store.Invalidf("已超过退回时限（派单后%s内），不能再退回，请联系派单单位协调", s.limitText(set, spec.WithinDispatch, c))
	}
	if spec.MaxExtensions > 0 && c.Extensions >= set.int(SettingExtensionMax, spec.MaxExtensions) {
		return store.Invalid("该工单已延期过，不能再次申请延期")
	}
	if spec.NoPendingExtension && a != nil && a.ExtRequested > 0 {
		return store.Invalid("已有延期申请待审批")
	}
	if spec.PendingExtension && (a == nil || a.ExtRequested == 0) {
		return store.Invalid("没有待审批的延期申请")
	}
	return nil
}

func (s *Service) limitText(set settings, deadline string, c *Case) string {
	l, err := s.caseLimit(set, deadline, c)
	if err != nil {
		return deadline
	}
	switch {
	case l.Days > 0:
		return fmt.Sprintf("%d个工作日", l.Days)
	case l.Natural > 0:
		return fmt.Sprintf("%.0f小时", l.Natural.Hours())
	}
	return fmt.Sprintf("%d个工作分钟", l.Minutes)
}

// AllowedActions lists the actions actor may take on the case now, with, for
// assignment actions, the parts they may take them on. The UI shows exactly
// these; Do accepts exactly these.
func (s *Service) AllowedActions(actor access.Actor, d CaseDetail) []ActionSpec {
	flow, ok := s.flows[d.Case.Flow]
	if !ok || actor.Anonymous() {
		return nil
	}
	set := d.set
	if set == nil {
		set = settings{}
	}
	now := s.now()
	var out []ActionSpec
	for _, spec := range flow.Actions {
		if !statusAllowed(flow, spec, &d.Case) {
			continue
		}
		if spec.On == OnCase {
			var lead *Assignment
			if l, ok := d.Lead(); ok {
				lead = &l
			}
			if permitted(actor, spec, &d, nil) && s.guard(spec, &d.Case, lead, set, now) == nil {
				out = append(out, spec)
			}
			continue
		}
		spec.Assignments = nil
		for _, a := range candidates(spec, &d) {
			if permitted(actor, spec, &d, a) && s.guard(spec, &d.Case, a, set, now) == nil {
				spec.Assignments = append(spec.Assignments, a.ID)
			}
		}
		if len(spec.Assignments) > 0 {
			out = append(out, spec)
		}
	}
	return out
}

// stored is a file already written to disk, waiting for its row.
type stored struct {
	NewAttachment
	contentType, sha, key string
	size                  int64
}

// apply runs one action inside x's transaction.
func (x *actx) apply(ctx context.Context, act Action, files []stored) error {
	c, d, flow := x.c, x.d, x.flow
	spec, ok := flow.Action(act.Name)
	if !ok {
		return store.Invalidf("“%s”流程没有“%s”操作", label(flow.LabelKey()), act.Name)
	}
	if !statusAllowed(flow, spec, c) {
		return store.Conflictf("工单当前状态为“%s”，不能进行“%s”操作", stateLabel(flow, c.Status), actionLabel(spec))
	}
	if act.Version != 0 && act.Version != c.Version {
		return store.Conflict("工单已被他人更新，请刷新后重试")
	}
	var target *Assignment
	if spec.On == OnAssignment {
		cands := candidates(spec, d)
		if act.AssignmentID != 0 {
			for _, a := range cands {
				if a.ID == act.AssignmentID {
					target = a
				}
			}
			if target == nil {
				if _, exists := d.Assignment(act.AssignmentID); !exists {
					return store.NotFound("找不到该承办记录")
				}
				return store.Conflictf("该承办记录当前不能进行“%s”操作", actionLabel(spec))
			}
		} else {
			var mine []*Assignment
			for _, a := range cands {
				if permittedAs(x.actor, x.person, spec, d, a) {
					mine = append(mine, a)
				}
			}
			switch {
			case len(mine) == 1:
				target = mine[0]
			case len(mine) > 1:
				for _, a := range mine {
					if a.Role == RoleLead {
						target = a
					}
				}
				if target == nil {
					return store.Invalid("请指明要操作的承办记录（assignment_id）")
				}
			case len(cands) == 0:
				return store.Conflictf("没有可以进行“%s”操作的承办记录", actionLabel(spec))
			default:
				return store.Forbidden("您无权进行此操作")
			}
		}
	}
	if !permittedAs(x.actor, x.person, spec, d, target) {
		return store.Forbiddenf("您无权对该工单进行“%s”操作", actionLabel(spec))
	}
	if target != nil && spec.WithinDispatch != "" {
		l, err := x.s.caseLimit(x.set, spec.WithinDispatch, c)
		if err != nil {
			return err
		}
		by := x.cal.Add(target.DispatchedAt, l)
		target.ReturnBy = &by
	}
	if err := x.s.guard(spec, c, target, x.set, x.now); err != nil {
		return err
	}
	act.Note = strings.TrimSpace(act.Note)
	if err := x.validate(spec, act, files); err != nil {
		return err
	}
	out := spec.Done
	if spec.Needs.Outcome && !*act.Resolved && spec.Failed != nil {
		out = *spec.Failed
	}
	x.outcome = &out

	before := map[string]any{"status": c.Status}
	if target != nil {
		before["assignment_status"] = target.Status
	}
	data := map[string]any{}
	for _, k := range spec.Needs.Fields {
		data[k] = strings.TrimSpace(act.Fields[k])
	}
	if act.auto != nil {
		maps.Copy(data, act.auto.data())
	}
	if spec.Needs.Matter {
		if err := x.setMatter(ctx, act.Fields[FieldMatter]); err != nil {
			return err
		}
		if x.c.MatterCode != "" {
			data[FieldMatter] = x.c.MatterCode
		}
	}
	if err := x.checkDecision(ctx, spec); err != nil {
		return err
	}
	var created []*Assignment
	for _, e := range out.Effects {
		cr, err := x.effect(ctx, e, act, target, data)
		if err != nil {
			return err
		}
		created = append(created, cr...)
	}
	fromStatus := c.Status
	if out.To != "" && out.To != c.Status {
		if _, err := x.tx.Exec(ctx, `UPDATE cases SET status = ? WHERE id = ?`, out.To, c.ID); err != nil {
			return fmt.Errorf("set status: %w", err)
		}
		c.Status = out.To
	}
	if target != nil && out.AssignmentTo != "" {
		if _, err := x.tx.Exec(ctx, `UPDATE assignments SET status = ?, updated_at = ? WHERE id = ?`, out.AssignmentTo, store.Millis(x.now), target.ID); err != nil {
			return fmt.Errorf("set assignment status: %w", err)
		}
		target.Status = out.AssignmentTo
	}
	for _, k := range out.Stops {
		subject := target
		if subject == nil {
			if l, ok := d.Lead(); ok {
				subject = &l
			}
		}
		if err := x.stopDeadline(ctx, k, subject); err != nil {
			return err
		}
	}
	if err := x.pauseResume(ctx, out, target); err != nil {
		return err
	}
	for _, st := range out.Starts {
		l, err := x.s.caseLimit(x.set, st.Deadline, c)
		if err != nil {
			return err
		}
		var subjects []*Assignment
		switch {
		case deadlineKinds[st.Deadline].onCase:
			subjects = []*Assignment{nil}
		case st.OnLead:
			if lead, ok := x.lead(); ok {
				subjects = []*Assignment{lead}
			}
		case len(created) > 0:
			subjects = created
		case target != nil:
			subjects = []*Assignment{target}
		}
		for _, a := range subjects {
			due, err := x.startDeadline(ctx, st.Deadline, a, x.now, l)
			if err != nil {
				return err
			}
			data[st.Deadline+"_due_at"] = due.In(shanghai).Format(time.RFC3339)
		}
	}
	if flow.Terminal(c.Status) && !c.Closed() {
		if _, err := x.effect(ctx, EffClose, act, target, data); err != nil {
			return err
		}
	}
	var eventAssignment int64
	switch {
	case target != nil:
		eventAssignment = target.ID
	case len(created) > 0:
		eventAssignment = created[0].ID
	}
	public := out.Public
	if public != "" {
		unitName := ""
		if target != nil {
			unitName = target.UnitName
		} else if len(created) > 0 {
			unitName = created[0].UnitName
		}
		public = strings.NewReplacer("{unit}", unitName, "{no}", c.No, "{answer}", act.Note).Replace(public)
	}
	ev := Event{CaseID: c.ID, AssignmentID: eventAssignment, At: x.now, UserID: x.actor.UserID, ActorName: actorName(x.actor),
		ActorUnitID: x.actor.UnitID, Action: spec.Name, FromStatus: fromStatus, ToStatus: c.Status, Note: act.Note,
		Data: data, Public: public != "", PublicText: public}
	if len(data) == 0 {
		ev.Data = nil
	}
	evID, err := insertEventID(ctx, x.tx, ev, 0)
	if err != nil {
		return err
	}
	if err := x.changedByAction(ctx, spec, out, target, fromStatus, evID, act.Note, public); err != nil {
		return err
	}
	for _, f := range files {
		if _, err := insertAttachment(ctx, x.tx, c.ID, evID, x.actor.UserID, f, x.now); err != nil {
			return err
		}
	}
	if _, err := x.tx.Exec(ctx, `UPDATE cases SET updated_at = ?, version = version + 1 WHERE id = ?`, store.Millis(x.now), c.ID); err != nil {
		return fmt.Errorf("touch case: %w", err)
	}
	// Every change to the case's assignments passes through here: keep the
	// case's copy of its lead assignment (the rates read it) in step.
	if err := refreshLead(ctx, x.tx, c.ID); err != nil {
		return err
	}
	after := map[string]any{"status": c.Status}
	if target != nil {
		after["assignment_id"] = target.ID
		after["assignment_status"] = target.Status
	}
	for k, v := range data {
		after[k] = v
	}
	if err := audit.Write(ctx, x.tx, audit.Entry{Actor: x.actor, Action: "case." + spec.Name, Entity: "case", EntityID: c.No,
		Before: before, After: after, Reason: act.Note}); err != nil {
		return err
	}
	return nil
}

func actorName(a access.Actor) string {
	if a.Name == "" && a.Username == "" && !a.System {
		return "群众"
	}
	return a.Recorded()
}

// lead returns the case's current lead part (not returned, not closed).
func (x *actx) lead() (*Assignment, bool) {
	for i := range x.d.Assignments {
		a := &x.d.Assignments[i]
		if a.Role == RoleLead && a.Status != "returned" && a.Open() {
			return a, true
		}
	}
	return nil, false
}

// validate checks the action's inputs against what it needs.
func (x *actx) validate(spec ActionSpec, act Action, files []stored) error {
	n := spec.Needs
	if n.Note && act.Note == "" {
		return store.Invalidf("“%s”需要填写说明", actionLabel(spec))
	}
	if utf8.RuneCountInString(act.Note) > 5000 {
		return store.Invalid("说明不能超过5000字")
	}
	if n.Outcome && act.Resolved == nil {
		return store.Invalidf("“%s”需要选择结果（是否解决/通过）", actionLabel(spec))
	}
	if n.NoteOnFail && act.Resolved != nil && !*act.Resolved && act.Note == "" {
		return store.Invalid("未解决或未通过时请填写原因")
	}
	if n.Unit && strings.TrimSpace(act.UnitCode) == "" {
		return store.Invalid("请选择承办单位")
	}
	if n.Units && strings.TrimSpace(act.UnitCode) == "" && len(act.UnitCodes) == 0 && len(act.People) == 0 {
		return store.Invalid("请选择至少一个单位或人员")
	}
	for _, f := range n.Fields {
		v := strings.TrimSpace(act.Fields[f])
		if v == "" {
			return store.Invalidf("“%s”需要填写%s", actionLabel(spec), fieldName(f))
		}
		if utf8.RuneCountInString(v) > 2000 {
			return store.Invalidf("%s不能超过2000字", fieldName(f))
		}
	}
	if n.Days {
		maxDays := x.set.int(SettingExtensionMaxDays, 10)
		if act.Days < 1 || act.Days > maxDays {
			return store.Invalidf("延期天数应为1至%d个工作日", maxDays)
		}
	}
	if n.Satisfaction && !slices.Contains([]string{Satisfied, Basic, Unsatisfied}, act.Satisfaction) {
		if !n.Unreached {
			return store.Invalid("请选择满意度：满意、基本满意或不满意")
		}
		if act.Satisfaction != Unreached {
			return store.Invalid("请选择满意度：满意、基本满意、不满意或未联系上")
		}
	}
	if n.Rating && (act.Rating < 1 || act.Rating > 5) {
		return store.Invalid("评价应为1至5分")
	}
	if n.Point {
		if act.Lng == nil || act.Lat == nil {
			return store.Invalid("请提供所在位置")
		}
		if err := checkPoint(act.Lng, act.Lat); err != nil {
			return err
		}
	}
	if n.Attachment != "" {
		has := slices.ContainsFunc(files, func(f stored) bool { return f.Stage == n.Attachment })
		if !has {
			has = slices.ContainsFunc(x.d.Attachments, func(a Attachment) bool { return a.Stage == n.Attachment })
		}
		if !has {
			return store.Invalidf("请上传%s照片", stageLabel(n.Attachment))
		}
	}
	return nil
}

func checkPoint(lng, lat *float64) error {
	if (lng == nil) != (lat == nil) {
		return store.Invalid("经纬度须同时填写")
	}
	if lng != nil && (*lng < -180 || *lng > 180 || *lat < -90 || *lat > 90) {
		return store.Invalid("经纬度超出范围")
	}
	return nil
}

// effect applies one engine primitive; it returns the assignments it created.
func (x *actx) effect(ctx context.Context, e Effect, act Action, a *Assignment, data map[string]any) ([]*Assignment, error) {
	c, tx, now := x.c, x.tx, store.Millis(x.now)
	needTarget := func() error {
		if a == nil {
			return fmt.Errorf("effect %s needs an assignment", e)
		}
		return nil
	}
	switch e {
	case EffDispatch, EffAddSupporting, EffSummon:
		role := map[Effect]string{EffDispatch: RoleLead, EffAddSupporting: RoleSupporting, EffSummon: RoleSummoned}[e]
		codes := act.UnitCodes
		if act.UnitCode != "" {
			codes = append([]string{act.UnitCode}, codes...)
		}
		if e != EffSummon && len(codes) > 1 {
			codes = codes[:1]
		}
		status := "to_sign"
		if o := x.outcome; o != nil && o.CreatedStatus != "" {
			status = o.CreatedStatus
		}
		spec, _ := x.flow.Action(act.Name)
		if role == RoleLead {
			if _, ok := x.lead(); ok {
				return nil, store.Conflict("该工单已有承办单位")
			}
		}
		var out []*Assignment
		var names []string
		for _, code := range codes {
			u, err := unitForUser(ctx, tx, code)
			if err != nil {
				return nil, err
			}
			switch u.Kind {
			case "province", "city", "county":
				return nil, store.Invalidf("不能派给%s，请选择具体的部门、乡镇或社区", u.Name)
			}
			for _, ex := range x.d.Assignments {
				if ex.UnitID == u.ID && ex.PersonID == 0 && ex.Open() && ex.Status != "returned" {
					return nil, store.Conflictf("%s已在承办该工单", u.Name)
				}
			}
			if err := x.checkAssign(ctx, spec, u, 0); err != nil {
				return nil, err
			}
			na, err := x.insertAssignment(ctx, u, 0, "", role, status)
			if err != nil {
				return nil, err
			}
			x.d.Assignments = append(x.d.Assignments, na)
			out = append(out, &x.d.Assignments[len(x.d.Assignments)-1])
			names = append(names, u.Code)
			if role == RoleLead {
				if _, err := tx.Exec(ctx, `UPDATE cases SET lead_unit_id = ? WHERE id = ?`, u.ID, c.ID); err != nil {
					return nil, err
				}
				c.LeadUnitID = u.ID
			}
		}
		var people []int64
		if e == EffSummon {
			people = act.People
		}
		for _, pid := range people {
			p, err := x.personForSummons(ctx, pid)
			if err != nil {
				return nil, err
			}
			for _, ex := range x.d.Assignments {
				if ex.PersonID == pid && ex.Open() && ex.Status != "returned" {
					return nil, store.Conflictf("%s已被召集", p.name)
				}
			}
			if err := x.checkAssign(ctx, spec, p.unit, pid); err != nil {
				return nil, err
			}
			na, err := x.insertAssignment(ctx, p.unit, pid, p.name, role, status)
			if err != nil {
				return nil, err
			}
			x.d.Assignments = append(x.d.Assignments, na)
			out = append(out, &x.d.Assignments[len(x.d.Assignments)-1])
			names = append(names, p.name)
		}
		// Re-point: appending may have moved the slice.
		for i, na := range out {
			for j := range x.d.Assignments {
				if x.d.Assignments[j].ID == na.ID {
					out[i] = &x.d.Assignments[j]
				}
			}
		}
		data["units"] = names
		return out, nil
	case EffSign:
		if err := needTarget(); err != nil {
			return nil, err
		}
		_, err := tx.Exec(ctx, `UPDATE assignments SET signed_at = COALESCE(signed_at, ?), updated_at = ? WHERE id = ?`, now, now, a.ID)
		return nil, err
	case EffAnswer:
		if err := needTarget(); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE assignments SET answer = ?, answered_at = ?, updated_at = ? WHERE id = ?`, act.Note, now, now, a.ID); err != nil {
			return nil, err
		}
		if a.Role == RoleLead {
			// Every answer is judged now, against the deadline in force
			// (the limit plus approved extensions): a reopen's new
			// deadline cannot make a late answer on time (docs/RATES.md).
			if _, err := tx.Exec(ctx, `UPDATE cases SET answer = ?, answered_at = ?,
				late_answers = late_answers + CASE WHEN ? > COALESCE((SELECT handle_due_at FROM assignments WHERE id = ?), handle_due_at) THEN 1 ELSE 0 END
				WHERE id = ?`, act.Note, now, now, a.ID, c.ID); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case EffContact:
		if err := needTarget(); err != nil {
			return nil, err
		}
		data["reached"] = *act.Resolved
		_, err := tx.Exec(ctx, `UPDATE assignments SET contacted_at = COALESCE(contacted_at, ?), updated_at = ? WHERE id = ?`, now, now, a.ID)
		return nil, err
	case EffReturn:
		if err := needTarget(); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE assignments SET returned_at = ?, return_reason = ?, closed_at = ?, updated_at = ? WHERE id = ?`, now, act.Note, now, now, a.ID); err != nil {
			return nil, err
		}
		a.ClosedAt = &x.now
		if a.Role == RoleLead {
			if _, err := tx.Exec(ctx, `UPDATE cases SET lead_unit_id = NULL, handle_due_at = NULL WHERE id = ?`, c.ID); err != nil {
				return nil, err
			}
		}
		// A returned part's deadlines end with it.
		if err := timers.Cancel(ctx, tx, c.ID, a.ID); err != nil {
			return nil, fmt.Errorf("cancel timers: %w", err)
		}
		return nil, nil
	case EffRequestExtend:
		if err := needTarget(); err != nil {
			return nil, err
		}
		data["days"] = act.Days
		_, err := tx.Exec(ctx, `UPDATE assignments SET ext_requested_days = ?, updated_at = ? WHERE id = ?`, act.Days, now, a.ID)
		return nil, err
	case EffApproveExtend:
		if err := needTarget(); err != nil {
			return nil, err
		}
		days := a.ExtRequested
		from := x.now
		if a.HandleDueAt != nil {
			from = *a.HandleDueAt
		}
		due, err := x.startDeadline(ctx, "handle", a, from, worktime.Limit{Days: days})
		if err != nil {
			return nil, err
		}
		data["days"] = days
		data["handle_due_at"] = due.In(shanghai).Format(time.RFC3339)
		if _, err := tx.Exec(ctx, `UPDATE assignments SET extension_days = extension_days + ?, ext_requested_days = 0, warned = 0, updated_at = ? WHERE id = ?`, days, now, a.ID); err != nil {
			return nil, err
		}
		_, err = tx.Exec(ctx, `UPDATE cases SET extensions = extensions + 1 WHERE id = ?`, c.ID)
		return nil, err
	case EffRefuseExtend:
		if err := needTarget(); err != nil {
			return nil, err
		}
		data["days"] = a.ExtRequested
		_, err := tx.Exec(ctx, `UPDATE assignments SET ext_requested_days = 0, updated_at = ? WHERE id = ?`, now, a.ID)
		return nil, err
	case EffSupervise:
		_, err := tx.Exec(ctx, `UPDATE cases SET supervisions = supervisions + 1 WHERE id = ?`, c.ID)
		return nil, err
	case EffRevisit:
		data["resolved"] = *act.Resolved
		if act.Satisfaction != "" {
			data["satisfaction"] = act.Satisfaction
		}
		// The latest revisit counts; the first one's result is kept too
		// (一次解决率).
		_, err := tx.Exec(ctx, `UPDATE cases SET resolved = ?, first_resolved = COALESCE(first_resolved, ?), satisfaction = ?, revisited_at = ? WHERE id = ?`,
			store.BoolInt(*act.Resolved), store.BoolInt(*act.Resolved), act.Satisfaction, now, c.ID)
		return nil, err
	case EffReopen, EffLeadBackInHand:
		lead, ok := x.lead()
		if !ok {
			return nil, store.Conflict("该工单没有承办单位，无法退回重办，请重新派单")
		}
		if _, err := tx.Exec(ctx, `UPDATE assignments SET status = 'in_hand', closed_at = NULL, updated_at = ? WHERE id = ?`, now, lead.ID); err != nil {
			return nil, err
		}
		lead.Status = "in_hand"
		if e == EffReopen {
			_, err := tx.Exec(ctx, `UPDATE cases SET reopens = reopens + 1 WHERE id = ?`, c.ID)
			return nil, err
		}
		return nil, nil
	case EffOnSpot:
		_, err := tx.Exec(ctx, `UPDATE cases SET on_spot = 1 WHERE id = ?`, c.ID)
		return nil, err
	case EffReportIn:
		if err := needTarget(); err != nil {
			return nil, err
		}
		if err := checkPoint(act.Lng, act.Lat); err != nil {
			return nil, err
		}
		if act.Lng != nil {
			data["lng"], data["lat"] = *act.Lng, *act.Lat
		}
		_, err := tx.Exec(ctx, `UPDATE assignments SET reported_at = ?, report_lng = ?, report_lat = ?, updated_at = ? WHERE id = ?`,
			now, nullFloat(act.Lng), nullFloat(act.Lat), now, a.ID)
		return nil, err
	case EffRate:
		if err := needTarget(); err != nil {
			return nil, err
		}
		data["rating"] = act.Rating
		_, err := tx.Exec(ctx, `UPDATE assignments SET rating = ?, rating_note = ?, updated_at = ? WHERE id = ?`, act.Rating, act.Note, now, a.ID)
		return nil, err
	case EffClosePart:
		if err := needTarget(); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE assignments SET status = 'done', closed_at = ?, updated_at = ? WHERE id = ?`, now, now, a.ID); err != nil {
			return nil, err
		}
		a.Status, a.ClosedAt = "done", &x.now
		return nil, timers.Cancel(ctx, tx, c.ID, a.ID)
	case EffCloseIfAllDone:
		for _, p := range x.d.Assignments {
			if p.Open() {
				return nil, nil
			}
		}
		if x.flow.HasState("closed") {
			if _, err := tx.Exec(ctx, `UPDATE cases SET status = 'closed' WHERE id = ?`, c.ID); err != nil {
				return nil, err
			}
			c.Status = "closed"
		}
		return x.effect(ctx, EffClose, act, a, data)
	case EffVolunteer:
		if err := needTarget(); err != nil {
			return nil, err
		}
		return nil, x.volunteerHours(ctx, a, data)
	case EffClose:
		if _, err := tx.Exec(ctx, `UPDATE cases SET closed_at = ? WHERE id = ?`, now, c.ID); err != nil {
			return nil, err
		}
		c.ClosedAt = &x.now
		if _, err := tx.Exec(ctx, `UPDATE assignments SET status = CASE WHEN status = 'returned' THEN status ELSE 'done' END, closed_at = ?, updated_at = ?
			WHERE case_id = ? AND closed_at IS NULL`, now, now, c.ID); err != nil {
			return nil, err
		}
		for i := range x.d.Assignments {
			if x.d.Assignments[i].ClosedAt == nil {
				x.d.Assignments[i].ClosedAt = &x.now
			}
		}
		if err := timers.Cancel(ctx, tx, c.ID, 0); err != nil {
			return nil, fmt.Errorf("cancel timers: %w", err)
		}
		return nil, nil
	}
	return nil, fmt.Errorf("effect %q is not implemented", e)
}

// insertEvent appends an event; timerID, when not 0, makes it the once-only
// event of that timer.
func insertEvent(ctx context.Context, tx *store.Tx, e Event, timerID int64) error {
	_, err := insertEventID(ctx, tx, e, timerID)
	return err
}

func insertEventID(ctx context.Context, tx *store.Tx, e Event, timerID int64) (int64, error) {
	dataJSON := e.DataJSON
	if dataJSON == "" && len(e.Data) > 0 {
		b, err := json.Marshal(e.Data)
		if err != nil {
			return 0, err
		}
		dataJSON = string(b)
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO case_events (case_id, assignment_id, at, user_id, actor_name, actor_unit_id, action, from_status, to_status, note, data_json, public, public_text, timer_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.CaseID, store.NullID(e.AssignmentID), store.Millis(e.At), store.NullID(e.UserID), e.ActorName, store.NullID(e.ActorUnitID), e.Action,
		e.FromStatus, e.ToStatus, e.Note, dataJSON, store.BoolInt(e.Public), e.PublicText, store.NullID(timerID)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("write %s event: %w", e.Action, err)
	}
	return id, nil
}
