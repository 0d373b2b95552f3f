package casework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/pii"
	"grassroots/internal/store"
)

// Create takes a new case in: it validates the input (with messages a clerk
// can act on), numbers it (350722-YYYYMMDD-NNNNN, per county and day in
// Asia/Shanghai), routes it (a point inside a grid gives the grid, its
// community and township; otherwise the place unit chosen by the caller),
// seals the reporter's phone, indexes it for search, writes the `receive`
// event and the audit entry, and — when asked — dispatches it or closes it
// as fixed on the spot, all in one transaction.
//
// Intake is idempotent by (source, external_id): the same external id again
// returns the existing case with created=false.
func (s *Service) Create(ctx context.Context, actor access.Actor, in NewCase) (Case, bool, error) {
	flow, err := s.checkNew(actor, &in)
	if err != nil {
		return Case{}, false, err
	}
	if in.ExternalID != "" {
		if c, err := loadCase(ctx, s.db, byExternalID, in.Source, in.ExternalID); err == nil {
			return c, false, nil
		} else if !isNotFound(err) {
			return Case{}, false, err
		}
	}
	if err := s.autoDispatch(ctx, flow, &in, actor.Anonymous()); err != nil {
		return Case{}, false, err
	}
	if flow.DispatchFromCategory && in.Dispatch == "" && in.Category != "" && !actor.Anonymous() {
		if p, err := s.Propose(ctx, in.Category); err == nil {
			in.Dispatch = p.Lead.Code
			if len(in.Supporting) == 0 {
				for _, u := range p.Supporting {
					in.Supporting = append(in.Supporting, u.Code)
				}
			}
		} else if !isNotFound(err) {
			return Case{}, false, err
		}
	}
	// The grid holding the point is found before the transaction: it reads
	// only the grids' boundaries, and inside it would hold SQLite's single
	// writer for a quarter of a millisecond per intake.
	var gridCode string
	if in.Lng != nil && s.deps.GridAt != nil {
		code, err := s.deps.GridAt(ctx, *in.Lng, *in.Lat)
		if err != nil && !isNotFound(err) {
			return Case{}, false, fmt.Errorf("find grid: %w", err)
		}
		gridCode = code
	}
	files, err := s.storeFiles(in.Attachments)
	if err != nil {
		return Case{}, false, err
	}
	num, err := s.numbers.before(ctx, s.db, s.now())
	if err != nil {
		return Case{}, false, err
	}
	var out Case
	var refused []AccessCheck
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		refused = refused[:0]
		c, err := s.create(ctx, tx, actor, flow, in, gridCode, files, num, &refused)
		out = c
		return err
	})
	if err != nil {
		s.recordRefusals(ctx, refused)
		// Two intakes of the same external id at once: the loser answers
		// with the winner's case.
		if in.ExternalID != "" && errors.Is(err, store.ErrConflict) {
			if c, err2 := loadCase(ctx, s.db, byExternalID, in.Source, in.ExternalID); err2 == nil {
				return c, false, nil
			}
		}
		return Case{}, false, err
	}
	s.log.InfoContext(ctx, "case received", "case_no", out.No, "flow", out.Flow, "channel", out.Channel, "user_id", actor.UserID)
	return out, true, nil
}

// The 12345 call centre (呼叫中心): the units whose staff take hotline calls
// and revisit, close and reopen hotline cases, and the roles they take them
// with. Both are comma-separated lists (unit codes; role names); an unset
// units setting means the county unit itself, an unset roles setting any
// role at those units.
const (
	SettingCallCentreUnits = "casework.call_centre.units"
	SettingCallCentreRoles = "casework.call_centre.roles"
)

func splitList(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == ';' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// callCentre reports whether actor is staff of the 12345 call centre.
func (st settings) callCentre(actor access.Actor) bool {
	if actor.Anonymous() || actor.System || actor.UnitCode == "" {
		return false
	}
	if units := splitList(st[SettingCallCentreUnits]); len(units) > 0 {
		if !slices.Contains(units, actor.UnitCode) {
			return false
		}
	} else if actor.UnitKind != "county" {
		return false
	}
	roles := splitList(st[SettingCallCentreRoles])
	if len(roles) == 0 {
		return true
	}
	return slices.ContainsFunc(roles, func(r string) bool { return actor.Has(access.Role(r)) })
}

// mayOpenHere checks the flow's OpenScope for a signed-in opener once the
// case is routed: the call centre (or a county administrator) takes 12345
// cases; grid events are opened inside the opener's own grid or subtree.
func mayOpenHere(actor access.Actor, flow *Flow, set settings, grid, place unitRef) error {
	if actor.System || actor.Anonymous() {
		return nil
	}
	switch flow.OpenScope {
	case ScopeCallCentre:
		if !set.callCentre(actor) && !actor.CountyAdmin() {
			return store.Forbidden("12345热线工单由热线呼叫中心受理；乡镇、社区和网格发现的问题请上报网格事件或发起本单位的流程")
		}
	case ScopePlace:
		if actor.CountyWide() || actor.UnitKind == "department" {
			// County-level units (the county, its departments, the
			// supervision office) work across every township.
			return nil
		}
		at := place.Path
		if grid.ID != 0 {
			at = grid.Path
		}
		if actor.UnitKind == "grid" || actor.UnitKind == "building" {
			// A grid worker reports in their own grid only.
			at = grid.Path
			if at == "" {
				return store.Forbidden("只能在本人负责的网格或本单位辖区内上报事件")
			}
		}
		if at == "" {
			// A case about no place (a township's call about its own
			// work): nothing lies outside the opener's area.
			return nil
		}
		if !within(at, actor.UnitPath) {
			return store.Forbidden("只能在本人负责的网格或本单位辖区内上报事件")
		}
	}
	return nil
}

// byExternalID finds a case by (source, external_id). Its first term (the
// external id is not empty) lets both engines use the partial unique index
// cases_external; without it the look-up read every case, since a planner
// cannot prove that a bound parameter is not the empty string.
const byExternalID = "c.external_id <> '' AND c.source = ? AND c.external_id = ?"

// checkNew validates and normalises the input that needs no database.
func (s *Service) checkNew(actor access.Actor, in *NewCase) (*Flow, error) {
	in.Flow = strings.TrimSpace(in.Flow)
	if in.Flow == "" {
		in.Flow = "hotline"
	}
	flow, ok := s.flows[in.Flow]
	if !ok {
		return nil, store.Invalidf("不支持的流程：%s（可选：%s）", in.Flow, strings.Join(s.FlowNames(), "、"))
	}
	switch {
	case actor.System:
	case actor.Anonymous():
		if !flow.Public {
			return nil, store.Forbidden("请先登录")
		}
		if len(flow.PublicKinds) > 0 && !slices.Contains(flow.PublicKinds, in.Kind) {
			return nil, store.Forbidden("请先登录")
		}
	case len(flow.OpenedBy) > 0 && !actor.HasAny(flow.OpenedBy...):
		return nil, store.Forbidden("您的角色不能发起此类工单")
	}
	in.Title = strings.TrimSpace(in.Title)
	in.Body = strings.TrimSpace(in.Body)
	if in.Title == "" {
		return nil, store.Invalid("请填写标题")
	}
	if utf8.RuneCountInString(in.Title) > 200 {
		return nil, store.Invalid("标题不能超过200字")
	}
	if utf8.RuneCountInString(in.Body) > 10000 {
		return nil, store.Invalid("内容不能超过10000字")
	}
	if utf8.RuneCountInString(in.Address) > 300 {
		return nil, store.Invalid("地址不能超过300字")
	}
	if len(flow.Kinds) > 0 || in.Kind != "" {
		if !slices.Contains(flow.Kinds, in.Kind) {
			return nil, store.Invalidf("类型“%s”不适用于此流程", in.Kind)
		}
	}
	in.RequestType = strings.TrimSpace(in.RequestType)
	if in.RequestType == "" && flow.NeedsRequestType {
		return nil, store.Invalid("请选择诉求类型：咨询、求助、投诉举报或意见建议")
	}
	if in.RequestType != "" && !slices.Contains(RequestTypes, in.RequestType) {
		return nil, store.Invalid("诉求类型应为咨询(consult)、求助(help)、投诉举报(complaint)或意见建议(suggestion)")
	}
	if in.Priority == "" {
		in.Priority = PriorityNormal
	}
	if !slices.Contains(Priorities, in.Priority) {
		return nil, store.Invalid("紧急程度应为紧急(urgent)、一般(normal)或复杂(complex)")
	}
	in.ReporterPhone = pii.NormalizePhone(in.ReporterPhone)
	if in.ReporterPhone != "" && !pii.ValidPhone(in.ReporterPhone) {
		return nil, store.Invalid("联系电话格式不正确")
	}
	if actor.Anonymous() && in.ReporterPhone == "" {
		return nil, store.Invalid("请填写联系电话，以便查询办理进度")
	}
	if utf8.RuneCountInString(in.ReporterName) > 50 {
		return nil, store.Invalid("姓名不能超过50字")
	}
	if err := checkPoint(in.Lng, in.Lat); err != nil {
		return nil, err
	}
	if in.Channel == "" {
		switch {
		case actor.Anonymous():
			in.Channel = "portal"
		case flow.channelFor(actor) != "":
			in.Channel = flow.channelFor(actor)
		case in.Source != "":
			in.Channel = "api"
		default:
			in.Channel = "phone"
		}
	}
	if actor.Anonymous() {
		in.Channel = "portal"
		in.Dispatch, in.OnSpot = "", false
		in.Summon, in.SummonPeople, in.Supporting = nil, nil, nil
	}
	in.Source, in.ExternalID = strings.TrimSpace(in.Source), strings.TrimSpace(in.ExternalID)
	if len(in.ExternalID) > 100 || len(in.Source) > 50 {
		return nil, store.Invalid("来源或外部编号过长")
	}
	if in.DataJSON != "" && !json.Valid([]byte(in.DataJSON)) {
		return nil, store.Invalid("附加数据不是有效的JSON")
	}
	in.Matter, in.Basis = strings.ToUpper(strings.TrimSpace(in.Matter)), strings.TrimSpace(in.Basis)
	for _, f := range flow.CreateFields() {
		if !f.Required {
			continue
		}
		switch {
		case f.Name == FieldMatter && in.Matter == "":
			return nil, store.Invalid("请选择事项（事项目录中的事项编码）")
		case f.Name == FieldBasis && in.Basis == "":
			return nil, store.Invalid("请填写交办依据（法律法规或政策文件）")
		case f.Name == FieldLimit && in.LimitDays == 0:
			return nil, store.Invalid("请填写办理时限（工作日）")
		}
	}
	if in.LimitDays < 0 || in.LimitDays > 365 {
		return nil, store.Invalid("办理时限应为1至365个工作日")
	}
	if utf8.RuneCountInString(in.Basis) > 2000 {
		return nil, store.Invalid("交办依据不能超过2000字")
	}
	if in.LimitDays > 0 || in.Basis != "" {
		data := map[string]any{}
		if in.DataJSON != "" {
			if err := json.Unmarshal([]byte(in.DataJSON), &data); err != nil {
				return nil, store.Invalid("附加数据不是有效的JSON对象")
			}
		}
		if in.LimitDays > 0 {
			data["limits"] = map[string]string{"handle": fmt.Sprintf("%dd", in.LimitDays)}
		}
		if in.Basis != "" {
			data["basis"] = in.Basis
		}
		b, _ := json.Marshal(data)
		in.DataJSON = string(b)
	}
	if in.OnSpot {
		if _, ok := flow.Action("fix_on_spot"); !ok {
			return nil, store.Invalid("此类工单不能即办")
		}
	}
	return flow, nil
}

// receivingUnit is the unit that takes the case in (cases.opened_by_unit_id):
// for a 12345 case the call centre, whoever typed it (its own staff's unit,
// else the first unit of the setting, else the county); for a resident's
// case of another flow the place's township (a resident's whistle is taken
// by the township); otherwise the opener's unit.
func receivingUnit(ctx context.Context, tx *store.Tx, actor access.Actor, flow *Flow, set settings, township unitRef) (int64, error) {
	if flow.OpenScope == ScopeCallCentre {
		if set.callCentre(actor) {
			return actor.UnitID, nil
		}
		if units := splitList(set[SettingCallCentreUnits]); len(units) > 0 {
			u, err := unitByCode(ctx, tx, units[0])
			if err == nil {
				return u.ID, nil
			}
			if !isNotFound(err) {
				return 0, err
			}
		}
		county, err := countyUnit(ctx, tx)
		if err != nil {
			return 0, err
		}
		return county.ID, nil
	}
	if actor.Anonymous() {
		return township.ID, nil
	}
	return actor.UnitID, nil
}

func (s *Service) create(ctx context.Context, tx *store.Tx, actor access.Actor, flow *Flow, in NewCase, gridCode string, files []stored, num caseNumber, refused *[]AccessCheck) (Case, error) {
	now := num.now
	var categoryID int64
	if in.Category != "" {
		var active int
		err := tx.QueryRow(ctx, `SELECT id, active FROM categories WHERE code = ?`, in.Category).Scan(&categoryID, &active)
		if err != nil {
			if isNotFound(err) {
				return Case{}, store.Invalidf("找不到问题分类 %s", in.Category)
			}
			return Case{}, fmt.Errorf("category: %w", err)
		}
		if active != 1 {
			return Case{}, store.Invalidf("问题分类 %s 已停用，请另选分类", in.Category)
		}
	} else if flow.NeedsCategory {
		return Case{}, store.Invalid("请选择问题分类")
	}

	// Routing: the grid holding the point, else the unit the caller chose.
	var grid, place, township unitRef
	if gridCode != "" {
		var err error
		if grid, err = unitByCode(ctx, tx, gridCode); err != nil {
			return Case{}, fmt.Errorf("grid %s: %w", gridCode, err)
		}
	}
	if grid.ID == 0 && in.PlaceUnit != "" {
		u, err := unitForUser(ctx, tx, in.PlaceUnit)
		if err != nil {
			return Case{}, err
		}
		switch u.Kind {
		case "grid", "building":
			grid = u
		case "province", "city":
			return Case{}, store.Invalid("请选择县内的乡镇、社区或网格")
		default:
			place = u
		}
	}
	if grid.ID == 0 && place.ID == 0 && actor.UnitKind == "grid" {
		u, err := unitByID(ctx, tx, actor.UnitID)
		if err != nil {
			return Case{}, err
		}
		grid = u
	}
	if grid.ID == 0 && place.ID == 0 && in.Dispatch != "" {
		// No point and no place: a case dispatched at intake to a township,
		// community or village happened there, so it is collected in that
		// unit's daily list rather than nowhere.
		if u, err := unitByCode(ctx, tx, in.Dispatch); err == nil {
			switch u.Kind {
			case "township", "street", "community", "village":
				place = u
			case "grid", "building":
				grid = u
			}
		}
	}
	if grid.ID != 0 {
		p, err := placeOf(ctx, tx, grid)
		if err != nil {
			return Case{}, err
		}
		place = p
	}
	if place.ID != 0 {
		t, ok, err := townshipOf(ctx, tx, place.Path)
		if err != nil {
			return Case{}, err
		}
		if ok {
			township = t
		}
	}
	if flow.DispatchToPlace && in.Dispatch == "" && township.ID != 0 && !actor.Anonymous() {
		in.Dispatch = township.Code
	}
	if in.Matter != "" {
		if err := s.checkMatter(ctx, in.Matter); err != nil {
			return Case{}, err
		}
	}
	if flow.NeedsPlace && place.ID == 0 {
		return Case{}, store.Invalid("请在地图上选择位置，或选择所在社区、村或网格")
	}
	set, err := loadSettings(ctx, tx)
	if err != nil {
		return Case{}, err
	}
	if err := mayOpenHere(actor, flow, set, grid, place); err != nil {
		return Case{}, err
	}
	receiver, err := receivingUnit(ctx, tx, actor, flow, set, township)
	if err != nil {
		return Case{}, err
	}

	county, err := countyUnit(ctx, tx)
	if err != nil {
		return Case{}, err
	}
	cc := countyCode(county.Code)
	day := now.In(shanghai).Format("20060102")
	n, err := num.inTx(ctx, tx, cc, day)
	if err != nil {
		return Case{}, err
	}
	no := fmt.Sprintf("%s-%s-%05d", cc, day, n)

	var phoneEnc, phoneHash, last4 string
	if in.ReporterPhone != "" {
		if s.deps.Sealer == nil {
			return Case{}, errors.New("no personal-data sealer wired")
		}
		if phoneEnc, err = s.deps.Sealer.Seal(in.ReporterPhone); err != nil {
			return Case{}, fmt.Errorf("seal phone: %w", err)
		}
		phoneHash = s.deps.Sealer.Hash(in.ReporterPhone)
		last4 = in.ReporterPhone[max(0, len(in.ReporterPhone)-4):]
	}
	ms := store.Millis(now)
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO cases (no, flow, kind, request_type, category_id, title, body, priority, channel, source, external_id,
		address, lng, lat, grid_unit_id, place_unit_id, place_path, township_unit_id, reporter_name, reporter_phone_enc, reporter_phone_hash,
		reporter_phone_last4, status, created_by, opened_by_unit_id, data_json, created_at, updated_at, matter_code)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		no, flow.Name, in.Kind, in.RequestType, store.NullID(categoryID), in.Title, in.Body, in.Priority, in.Channel, in.Source, in.ExternalID,
		in.Address, nullFloat(in.Lng), nullFloat(in.Lat), store.NullID(grid.ID), store.NullID(place.ID), place.Path, store.NullID(township.ID),
		strings.TrimSpace(in.ReporterName), phoneEnc, phoneHash, last4, flow.Start, store.NullID(actor.UserID), store.NullID(receiver), in.DataJSON, ms, ms, in.Matter).Scan(&id)
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return Case{}, err
		}
		return Case{}, fmt.Errorf("insert case: %w", err)
	}
	if err := IndexCase(ctx, tx, id, in.Title, in.Body, in.Address); err != nil {
		return Case{}, err
	}
	evID, err := insertEventID(ctx, tx, Event{CaseID: id, At: now, UserID: actor.UserID, ActorName: actorName(actor), ActorUnitID: actor.UnitID,
		Action: "receive", ToStatus: flow.Start, Data: map[string]any{"channel": in.Channel},
		Public: true, PublicText: fmt.Sprintf("您的诉求已受理，工单编号 %s", no)}, 0)
	if err != nil {
		return Case{}, err
	}
	if err := s.changed(ctx, tx, id, Change{Flow: flow.Name, Source: in.Source, ExternalID: in.ExternalID, Channel: in.Channel,
		EventID: evID, Action: "receive", ToStatus: flow.Start, At: now, Created: true, Actor: actor}); err != nil {
		return Case{}, err
	}
	for _, f := range files {
		if _, err := insertAttachment(ctx, tx, id, evID, actor.UserID, f, now); err != nil {
			return Case{}, err
		}
	}
	if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "case.receive", Entity: "case", EntityID: no,
		After: map[string]any{"flow": flow.Name, "title": in.Title, "status": flow.Start, "channel": in.Channel, "source": in.Source, "external_id": in.ExternalID}}); err != nil {
		return Case{}, err
	}

	// The actions taken at intake: dispatch (or the on-the-spot fix),
	// summons, supporting units — each in this same transaction.
	var acts []Action
	switch {
	case in.OnSpot:
		act := Action{Name: "fix_on_spot", Note: in.Note}
		if act.Note == "" {
			act.Note = "现场即办"
		}
		acts = append(acts, act)
	case in.Dispatch != "":
		acts = append(acts, Action{Name: "dispatch", UnitCode: in.Dispatch, Note: in.Note})
	case in.auto != nil:
		acts = append(acts, Action{Name: "dispatch", UnitCode: in.auto.unit, Note: in.auto.note(), auto: in.auto})
	}
	if len(in.Summon) > 0 || len(in.SummonPeople) > 0 {
		if _, ok := flow.Action("summon"); !ok {
			return Case{}, store.Invalid("此类工单不能召集单位")
		}
		acts = append(acts, Action{Name: "summon", UnitCodes: in.Summon, People: in.SummonPeople, Note: in.Note})
	}
	for _, code := range in.Supporting {
		acts = append(acts, Action{Name: "add_supporting", UnitCode: code})
	}
	for _, act := range acts {
		d, err := loadDetail(ctx, tx, false, "c.id = ?", id)
		if err != nil {
			return Case{}, err
		}
		by := actor
		if act.auto != nil {
			by = autoActor
		}
		x, err := s.newActx(ctx, tx, by, &d)
		if err != nil {
			return Case{}, err
		}
		x.now, x.refused, x.intake = now, refused, true
		if err := x.apply(ctx, act, nil); err != nil {
			return Case{}, err
		}
	}
	if err := refreshLead(ctx, tx, id); err != nil {
		return Case{}, err
	}
	return loadCase(ctx, tx, "c.id = ?", id)
}
