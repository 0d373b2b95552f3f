package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/store"
)

// DeskInput is what the front desk (or the resident online) gives: the item,
// the applicant, and which materials are there.
type DeskInput struct {
	Item          string  `json:"item"`
	ApplicantName string  `json:"applicant_name"`
	Phone         string  `json:"phone"`
	Present       []int64 `json:"present"` // the ids of the materials checked as present
	WindowID      int64   `json:"window_id,omitempty"`
	Note          string  `json:"note,omitempty"`
	// Township is the township (unit code) an online application goes to.
	Township string `json:"township,omitempty"`
	// Proxy (代办) at a village service point: the resident's consent, and
	// the fee paid on their behalf (代缴).
	Consent     bool   `json:"consent,omitempty"`
	ConsentNote string `json:"consent_note,omitempty"`
	PaidByProxy bool   `json:"paid_by_proxy,omitempty"`
	PaymentRef  string `json:"payment_ref,omitempty"`
	// Residence is where the applicant lives or is registered (户籍/居住地):
	// a unit code of the county (a village, community, township or street).
	// ResidenceOther names a residence in another county instead: the
	// application is then a cross-county one (异地可办). Pickup is where the
	// applicant collects the result: PickupHere (the accepting centre, the
	// default) or PickupHome (the centre of the residence's township).
	Residence      string `json:"residence,omitempty"`
	ResidenceOther string `json:"residence_other,omitempty"`
	Pickup         string `json:"pickup,omitempty"`
	// Station is the online service station (网上服务站) a proxy
	// application was started from.
	Station int64 `json:"station,omitempty"`
	// Files are uploaded materials (online); Name is prefixed by the
	// material's id as "<id>:" by the caller that knows it (see MaterialFile).
	Files []casework.NewAttachment `json:"-"`
}

// MaterialFile names an uploaded file for material id.
func MaterialFile(materialID int64, name, contentType string, data []byte) casework.NewAttachment {
	return casework.NewAttachment{Name: fmt.Sprintf("%d-%s", materialID, name), ContentType: contentType, Data: data, Stage: "material"}
}

func (in *DeskInput) normalise() error {
	in.Item = strings.ToUpper(strings.TrimSpace(in.Item))
	in.ApplicantName = strings.TrimSpace(in.ApplicantName)
	in.Phone = pii.NormalizePhone(in.Phone)
	in.Note = strings.TrimSpace(in.Note)
	in.ConsentNote = strings.TrimSpace(in.ConsentNote)
	in.PaymentRef = strings.TrimSpace(in.PaymentRef)
	in.Residence = strings.TrimSpace(in.Residence)
	in.ResidenceOther = strings.TrimSpace(in.ResidenceOther)
	switch {
	case in.Item == "":
		return store.Invalid("请选择服务事项")
	case in.ApplicantName == "":
		return store.Invalid("请填写申请人姓名")
	case utf8.RuneCountInString(in.ApplicantName) > 50:
		return store.Invalid("申请人姓名不能超过50字")
	case in.Phone == "":
		return store.Invalid("请填写申请人联系电话，以便查询办理进度")
	case !pii.ValidPhone(in.Phone):
		return store.Invalid("联系电话格式不正确")
	case utf8.RuneCountInString(in.Note) > 2000:
		return store.Invalid("备注不能超过2000字")
	case utf8.RuneCountInString(in.ConsentNote) > 500 || utf8.RuneCountInString(in.PaymentRef) > 100:
		return store.Invalid("授权说明或缴费凭证号过长")
	case utf8.RuneCountInString(in.ResidenceOther) > 100:
		return store.Invalid("外县居住地不能超过100字")
	case in.Residence != "" && in.ResidenceOther != "":
		return store.Invalid("居住地请选择本县的村（社区）或填写外县，二者选一")
	case in.Pickup != "" && in.Pickup != PickupHere && in.Pickup != PickupHome:
		return store.Invalid("领取地点应为受理中心(here)或居住地乡镇中心(home)")
	}
	return nil
}

// CheckResult is the materials of an item checked against what the
// applicant brought.
type CheckResult struct {
	Item Item
	// Missing are the required materials not there that may be asked for.
	Missing []Material
	// Waived are required materials not there that an earlier one-time
	// notice could have named and did not: they may not be asked for now
	// (容缺受理).
	Waived []Material
	// Prior are the open one-time notices of this applicant for this item.
	Prior []Notice
}

// Complete reports whether the application may be accepted.
func (c CheckResult) Complete() bool { return len(c.Missing) == 0 }

// Check checks the materials present against the item's list, taking the
// applicant's earlier one-time notices into account.
func (s *Service) Check(ctx context.Context, actor access.Actor, in DeskInput) (CheckResult, error) {
	if err := mustStaff(actor); err != nil {
		return CheckResult{}, err
	}
	if err := in.normalise(); err != nil {
		return CheckResult{}, err
	}
	it, err := s.Item(ctx, in.Item)
	if err != nil {
		return CheckResult{}, err
	}
	return s.check(ctx, s.db, it, s.sealer.Hash(in.Phone), in.Present)
}

func (s *Service) check(ctx context.Context, q store.Querier, it Item, phoneHash string, present []int64) (CheckResult, error) {
	res := CheckResult{Item: it}
	prior, err := s.openNotices(ctx, q, it.ID, phoneHash)
	if err != nil {
		return res, err
	}
	res.Prior = prior
	listed, named := map[int64]bool{}, map[int64]bool{}
	if len(prior) > 0 {
		for _, id := range prior[0].Listed {
			listed[id] = true
		}
		for _, n := range prior {
			for _, m := range n.Missing {
				named[m.ID] = true
			}
		}
	}
	for _, m := range it.Required() {
		if slices.Contains(present, m.ID) {
			continue
		}
		if listed[m.ID] && !named[m.ID] {
			res.Waived = append(res.Waived, m)
			continue
		}
		res.Missing = append(res.Missing, m)
	}
	return res, nil
}

func materialNames(ms []Material) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = "“" + m.Name + "”"
	}
	return strings.Join(names, "、")
}

// deskSite is where a clerk works, required for accepting and notices.
func (s *Service) deskSite(ctx context.Context, actor access.Actor) (Site, error) {
	site, ok, err := s.SiteOf(ctx, actor)
	if err != nil {
		return Site{}, err
	}
	if !ok {
		return Site{}, store.Forbidden("您所在单位没有便民服务中心或服务点，不能受理申请")
	}
	return site, nil
}

func (s *Service) window(site Site, id int64) (Window, error) {
	if id == 0 {
		for _, w := range site.Windows {
			if w.Kind != "delivery" {
				return w, nil
			}
		}
		return Window{}, nil
	}
	for _, w := range site.Windows {
		if w.ID == id {
			return w, nil
		}
	}
	return Window{}, store.Invalid("所选窗口不属于您所在的服务中心")
}

// IssueNotice gives the applicant a one-time notice (一次性告知书) naming
// every required material that is missing. When an earlier notice exists,
// materials it could have named and did not are not asked for again.
func (s *Service) IssueNotice(ctx context.Context, actor access.Actor, in DeskInput) (Notice, error) {
	if err := mustStaff(actor); err != nil {
		return Notice{}, err
	}
	if err := in.normalise(); err != nil {
		return Notice{}, err
	}
	site, err := s.deskSite(ctx, actor)
	if err != nil {
		return Notice{}, err
	}
	win, err := s.window(site, in.WindowID)
	if err != nil {
		return Notice{}, err
	}
	it, err := s.Item(ctx, in.Item)
	if err != nil {
		return Notice{}, err
	}
	hash := s.sealer.Hash(in.Phone)
	var id int64
	var no string
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		chk, err := s.check(ctx, tx, it, hash, in.Present)
		if err != nil {
			return err
		}
		if chk.Complete() {
			if len(chk.Waived) > 0 {
				return store.Invalidf("材料%s未在首次一次性告知书中列明，不得再要求补充，请直接受理", materialNames(chk.Waived))
			}
			return store.Invalid("材料齐全，请直接受理")
		}
		var listed []int64
		for _, m := range it.Required() {
			listed = append(listed, m.ID)
		}
		missing, _ := json.Marshal(chk.Missing)
		listedJSON, _ := json.Marshal(listed)
		now := s.now()
		if err := tx.QueryRow(ctx, `INSERT INTO service_notices (no, item_id, site_id, window_id, applicant_name, phone_hash, phone_last4, missing_json,
			listed_json, note, issued_by, issuer_name, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			fmt.Sprintf("tmp-%d", now.UnixNano()), it.ID, site.ID, store.NullID(win.ID), in.ApplicantName, hash, in.Phone[len(in.Phone)-4:], string(missing),
			string(listedJSON), in.Note, store.NullID(actor.UserID), actor.Recorded(), store.Millis(now)).Scan(&id); err != nil {
			return fmt.Errorf("insert notice: %w", err)
		}
		no = fmt.Sprintf("GZ%s%06d", now.In(shanghai).Format("20060102"), id)
		if _, err := tx.Exec(ctx, `UPDATE service_notices SET no = ? WHERE id = ?`, no, id); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "service.notice", Entity: "service_notice", EntityID: no,
			After: map[string]any{"item": it.Code, "site": site.Name, "missing": chk.Missing, "applicant": in.ApplicantName}})
	})
	if err != nil {
		return Notice{}, err
	}
	s.log.InfoContext(ctx, "one-time notice issued", "notice_no", no, "item", it.Code, "user_id", actor.UserID)
	return s.Notice(ctx, actor, no)
}

// handling is the back office an application goes to.
type handling struct {
	unit          unitRef
	office        string
	townshipLevel bool
}

// unitRef is a unit as the desk needs it; org owns the units table and its
// reads (org/ref.go).
type unitRef = org.Ref

// townshipAt returns the township or street at or above the unit at path.
func (s *Service) townshipAt(ctx context.Context, q store.Querier, path string) (unitRef, bool, error) {
	ids := org.PathIDs(path)
	for i := len(ids) - 1; i >= 0; i-- {
		u, err := org.RefByID(ctx, q, ids[i])
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return unitRef{}, false, err
		}
		if u.Kind == "township" || u.Kind == "street" {
			return u, true, nil
		}
	}
	return unitRef{}, false, nil
}

// route decides the back office of an item applied for at place.
func (s *Service) route(ctx context.Context, q store.Querier, it Item, place unitRef) (handling, error) {
	switch {
	case it.countyBackOffice():
		u, err := org.RefByCode(ctx, q, it.DeptCode)
		if err != nil {
			return handling{}, fmt.Errorf("department %s: %w", it.DeptCode, err)
		}
		return handling{unit: u, office: u.Name}, nil
	case it.Level == LevelVillage && it.Transfer == "":
		if place.Kind != "village" && place.Kind != "community" {
			return handling{}, store.Invalid("村级事项请在所在村（社区）便民服务点办理")
		}
		return handling{unit: place, office: place.Name + "便民服务点", townshipLevel: true}, nil
	}
	t, ok, err := s.townshipAt(ctx, q, place.Path)
	if err != nil {
		return handling{}, err
	}
	if !ok {
		return handling{}, store.Invalid("请选择办理的乡镇（街道）")
	}
	office := it.Office
	if office == "" {
		office = "综合便民服务中心"
	}
	return handling{unit: t, office: office, townshipLevel: true}, nil
}

// appData is the service side of an application, carried by the case's
// data into the change hook that writes it in the case's own transaction.
type appData struct {
	Item          int64         `json:"item"`
	Kind          string        `json:"kind"`
	Channel       string        `json:"channel"`
	Site          int64         `json:"site,omitempty"`
	Centre        int64         `json:"centre,omitempty"`
	Window        int64         `json:"window,omitempty"`
	Unit          int64         `json:"unit"`
	Office        string        `json:"office"`
	TownshipLevel bool          `json:"township_level"`
	Applicant     string        `json:"applicant"`
	PhoneHash     string        `json:"phone_hash"`
	Materials     []AppMaterial `json:"materials"`
	Consent       bool          `json:"consent,omitempty"`
	ConsentNote   string        `json:"consent_note,omitempty"`
	FeeCents      int64         `json:"fee_cents,omitempty"`
	PaidByProxy   bool          `json:"paid_by_proxy,omitempty"`
	PaymentRef    string        `json:"payment_ref,omitempty"`
	Notices       []int64       `json:"notices,omitempty"`
	Visits        int           `json:"visits"`
	// Residence, ResidenceOther, Reach, Forwarded, Pickup and Station: see
	// DeskInput and reach.go.
	Residence      int64  `json:"residence,omitempty"`
	ResidenceOther string `json:"residence_other,omitempty"`
	Reach          string `json:"reach,omitempty"`
	Forwarded      bool   `json:"forwarded,omitempty"`
	Pickup         int64  `json:"pickup,omitempty"`
	Station        int64  `json:"station,omitempty"`
}

// AppMaterial is one material of an application and how it stands.
type AppMaterial struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"` // present, uploaded, waived, absent (optional ones)
}

func materialsOf(it Item, present []int64, waived []Material, status string) []AppMaterial {
	var out []AppMaterial
	for _, m := range it.Materials {
		st := "absent"
		switch {
		case slices.Contains(present, m.ID):
			st = status
		case slices.ContainsFunc(waived, func(w Material) bool { return w.ID == m.ID }):
			st = "waived"
		}
		out = append(out, AppMaterial{ID: m.ID, Name: m.Name, Status: st})
	}
	return out
}

// Accept accepts an application at the actor's window (a centre) or, by
// proxy, at a village service point: the materials must be complete (save
// those an earlier notice failed to name), a proxy needs the resident's
// consent. A promised item goes to its back office at once with its
// promised limit; an immediate item is finished and delivered at the window.
func (s *Service) Accept(ctx context.Context, actor access.Actor, in DeskInput) (casework.Case, error) {
	if err := mustStaff(actor); err != nil {
		return casework.Case{}, err
	}
	if err := in.normalise(); err != nil {
		return casework.Case{}, err
	}
	site, err := s.deskSite(ctx, actor)
	if err != nil {
		return casework.Case{}, err
	}
	win, err := s.window(site, in.WindowID)
	if err != nil {
		return casework.Case{}, err
	}
	it, err := s.Item(ctx, in.Item)
	if err != nil {
		return casework.Case{}, err
	}
	channel := ChannelWindow
	if site.Kind == SitePoint {
		channel = ChannelProxy
		if !it.Proxy {
			return casework.Case{}, store.Invalidf("“%s”不能代办，请引导群众到便民服务中心办理", it.Name)
		}
		if !in.Consent {
			return casework.Case{}, store.Invalid("代办须经群众本人同意，请记录授权委托情况")
		}
		if in.ConsentNote == "" {
			in.ConsentNote = "群众本人签署代办委托书"
		}
	} else {
		in.Consent, in.ConsentNote, in.PaidByProxy, in.PaymentRef = false, "", false, ""
	}
	if in.PaidByProxy && it.FeeCents == 0 {
		return casework.Case{}, store.Invalid("该事项免费，无需代缴")
	}
	if in.PaidByProxy && in.PaymentRef == "" {
		return casework.Case{}, store.Invalid("代缴请填写缴费凭证号")
	}
	hash := s.sealer.Hash(in.Phone)
	chk, err := s.check(ctx, s.db, it, hash, in.Present)
	if err != nil {
		return casework.Case{}, err
	}
	if !chk.Complete() {
		return casework.Case{}, store.Invalidf("缺少材料%s，请出具一次性告知书", materialNames(chk.Missing))
	}
	place := unitRef{ID: site.UnitID, Code: site.UnitCode, Name: site.UnitName, Kind: site.UnitKind, Path: site.UnitPath}
	rc, err := s.reachOf(ctx, s.db, it, site, in)
	if err != nil {
		return casework.Case{}, err
	}
	h, err := s.route(ctx, s.db, it, rc.responsible(place))
	if err != nil {
		return casework.Case{}, err
	}
	if rc.reach == ReachCross {
		// Sent on through the provincial exchange: the accepting township
		// keeps it (代收) until the other county's answer comes back.
		t, _, err := s.townshipAt(ctx, s.db, site.UnitPath)
		if err != nil {
			return casework.Case{}, err
		}
		h = handling{unit: t, office: CrossOffice, townshipLevel: true}
	}
	centre, _, err := s.centreFor(ctx, s.db, site.UnitPath)
	if err != nil {
		return casework.Case{}, err
	}
	rc.forwarded = rc.reach == ReachCounty && h.townshipLevel
	pickup := site.ID
	if in.Pickup == PickupHome && rc.homeCentre.ID != 0 {
		pickup = rc.homeCentre.ID
	}
	d := appData{Item: it.ID, Kind: it.Kind, Channel: channel, Site: site.ID, Centre: centre.ID, Window: win.ID, Unit: h.unit.ID, Office: h.office,
		TownshipLevel: h.townshipLevel, Applicant: in.ApplicantName, PhoneHash: hash, Materials: materialsOf(it, in.Present, chk.Waived, "present"),
		Consent: in.Consent, ConsentNote: in.ConsentNote, FeeCents: it.FeeCents, PaidByProxy: in.PaidByProxy, PaymentRef: in.PaymentRef,
		Residence: rc.residence.ID, ResidenceOther: in.ResidenceOther, Reach: rc.reach, Forwarded: rc.forwarded, Pickup: pickup}
	if in.Station != 0 && channel == ChannelProxy {
		if err := s.stationServes(ctx, in.Station, site); err != nil {
			return casework.Case{}, err
		}
		d.Station = in.Station
	}
	for _, n := range chk.Prior {
		d.Notices = append(d.Notices, n.ID)
		if n.SiteKind == SiteCentre {
			d.Visits++
		}
	}
	if channel == ChannelWindow {
		d.Visits++
	}
	nc := casework.NewCase{Flow: casework.ServiceFlowName, Kind: it.Kind, Title: it.Name + "（" + in.ApplicantName + "）", Body: in.Note, Channel: channel,
		PlaceUnit: site.UnitCode, ReporterName: in.ApplicantName, ReporterPhone: in.Phone}
	days := it.LimitDays()
	switch {
	case rc.reach == ReachCross:
		// The other county decides, even an item immediate there.
		nc.Dispatch = h.unit.Code
		days = max(days, 1)
	case it.Immediate():
		nc.OnSpot, nc.Note = true, "即办件，窗口当场办结出件"
	default:
		nc.Dispatch = h.unit.Code
	}
	return s.create(ctx, actor, nc, d, it, days)
}

func (s *Service) create(ctx context.Context, actor access.Actor, nc casework.NewCase, d appData, it Item, days int) (casework.Case, error) {
	payload := map[string]any{"service": d}
	if days > 0 {
		payload["limits"] = map[string]string{"handle": fmt.Sprintf("%dd", days)}
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return casework.Case{}, err
	}
	nc.DataJSON = string(b)
	c, _, err := s.cases.Create(ctx, actor, nc)
	if err != nil {
		return casework.Case{}, err
	}
	s.log.InfoContext(ctx, "service application accepted", "case_no", c.No, "item", it.Code, "channel", d.Channel, "user_id", actor.UserID)
	return c, nil
}

// ApplyOnline takes a resident's application from the phone (掌上办): the
// item must allow it (fully online, or at most one visit), every required
// material must be uploaded, and a township item names its township. It is
// accepted by the system and goes to the back office at once; an immediate
// item gets one working day.
func (s *Service) ApplyOnline(ctx context.Context, in DeskInput) (casework.Case, error) {
	if err := in.normalise(); err != nil {
		return casework.Case{}, err
	}
	it, err := s.Item(ctx, in.Item)
	if err != nil {
		return casework.Case{}, err
	}
	if !it.Online && !it.OneVisit {
		return casework.Case{}, store.Invalidf("“%s”暂不支持网上申请，请到便民服务中心办理", it.Name)
	}
	var present []int64
	for _, f := range in.Files {
		idText, _, ok := strings.Cut(f.Name, "-")
		var id int64
		if _, err := fmt.Sscan(idText, &id); ok && err == nil && slices.ContainsFunc(it.Materials, func(m Material) bool { return m.ID == id }) {
			present = append(present, id)
		}
	}
	var missing []Material
	for _, m := range it.Required() {
		if !slices.Contains(present, m.ID) {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		return casework.Case{}, store.Invalidf("请上传材料%s", materialNames(missing))
	}
	var place unitRef
	if in.Township != "" {
		place, err = org.RefByCode(ctx, s.db, in.Township)
		if err != nil {
			if isNotFound(err) {
				return casework.Case{}, store.Invalid("请选择所在乡镇（街道）")
			}
			return casework.Case{}, err
		}
		if place.Kind != "township" && place.Kind != "street" {
			return casework.Case{}, store.Invalid("请选择所在乡镇（街道）")
		}
	} else if it.Level != LevelCounty {
		return casework.Case{}, store.Invalid("请选择所在乡镇（街道）")
	}
	h, err := s.route(ctx, s.db, it, place)
	if err != nil {
		return casework.Case{}, err
	}
	var centre Site
	if place.ID != 0 {
		if centre, _, err = s.centreFor(ctx, s.db, place.Path); err != nil {
			return casework.Case{}, err
		}
	}
	hash := s.sealer.Hash(in.Phone)
	d := appData{Item: it.ID, Kind: it.Kind, Channel: ChannelOnline, Centre: centre.ID, Unit: h.unit.ID, Office: h.office, TownshipLevel: h.townshipLevel,
		Applicant: in.ApplicantName, PhoneHash: hash, Materials: materialsOf(it, present, nil, "uploaded"), FeeCents: it.FeeCents,
		Residence: place.ID, Reach: ReachNearby, Pickup: centre.ID}
	nc := casework.NewCase{Flow: casework.ServiceFlowName, Kind: it.Kind, Title: it.Name + "（" + in.ApplicantName + "）", Body: in.Note, Channel: ChannelOnline,
		PlaceUnit: place.Code, ReporterName: in.ApplicantName, ReporterPhone: in.Phone, Dispatch: h.unit.Code, Attachments: in.Files}
	days := it.LimitDays()
	if it.Immediate() || days == 0 {
		days = 1
	}
	return s.create(ctx, onlineActor, nc, d, it, days)
}

// onlineActor receives residents' online applications and their online
// steps, after the portal has checked who they are (number and phone).
var onlineActor = access.Actor{Name: "网上申请", System: true}

// Supply records that the applicant gave the supplements asked for, at the
// window (a visit) or through the back office; the handling clock restarts
// with the time that was left.
func (s *Service) Supply(ctx context.Context, actor access.Actor, no, note, via string, files []casework.NewAttachment) (casework.Case, error) {
	if err := mustStaff(actor); err != nil {
		return casework.Case{}, err
	}
	if via == "" {
		via = "window"
	}
	if !slices.Contains([]string{"window", "post", "online"}, via) {
		return casework.Case{}, store.Invalid("补正方式应为窗口(window)、邮寄(post)或网上(online)")
	}
	if strings.TrimSpace(note) == "" {
		note = "申请人已补正材料"
	}
	return s.cases.Do(ctx, actor, no, casework.Action{Name: "give_supplement", Note: note, Fields: map[string]string{"via": via}, Attachments: files})
}

// SupplyOnline is Supply by the resident from the phone, who proves who
// they are with the number and the phone's last four digits.
func (s *Service) SupplyOnline(ctx context.Context, no, last4, note string, files []casework.NewAttachment) (casework.Case, error) {
	if _, err := s.cases.Track(ctx, no, last4); err != nil {
		return casework.Case{}, err
	}
	if len(files) == 0 {
		return casework.Case{}, store.Invalid("请上传补正材料")
	}
	if strings.TrimSpace(note) == "" {
		note = "申请人网上补正材料"
	}
	for i := range files {
		files[i].Stage = "material"
	}
	return s.cases.Do(ctx, onlineActor, no, casework.Action{Name: "give_supplement", Note: note, Fields: map[string]string{"via": "online"}, Attachments: files})
}

// Deliver records the delivery of the result (统一出件): at the window, by
// post (with the tracking number) or online (the e-licence or result notice).
func (s *Service) Deliver(ctx context.Context, actor access.Actor, no, method, ref string) (casework.Case, error) {
	return s.DeliverAt(ctx, actor, no, method, ref, 0)
}

// DeliverAt is Deliver at a chosen window of the centre where the applicant
// collects the result (0: its delivery window). The window and the clerk
// are recorded; only that centre's staff deliver (see mayDeliver).
func (s *Service) DeliverAt(ctx context.Context, actor access.Actor, no, method, ref string, windowID int64) (casework.Case, error) {
	if err := mustStaff(actor); err != nil {
		return casework.Case{}, err
	}
	ref = strings.TrimSpace(ref)
	if !slices.Contains(Deliveries, method) {
		return casework.Case{}, store.Invalid("出件方式应为窗口领取(window)、邮寄送达(post)或网上送达(online)")
	}
	if method == DeliverPost && ref == "" {
		return casework.Case{}, store.Invalid("邮寄送达请填写邮件单号")
	}
	if utf8.RuneCountInString(ref) > 100 {
		return casework.Case{}, store.Invalid("单号不能超过100字")
	}
	return s.cases.Do(withWindow(ctx, windowID), actor, no, casework.Action{Name: "deliver", Note: ref, Fields: map[string]string{"delivery": method}})
}
