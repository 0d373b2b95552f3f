package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"grassroots/internal/catalog"
	"grassroots/internal/service"
	"grassroots/internal/store"
)

// The maintenance of service items (办事指南): county administrators and the
// approval office create an item for a matter of the catalogue or change
// one — kind, level and responsible department, legal and promised limits,
// fee, the ways it can be handled, the 下沉 mark and the list of materials.
// Rows of materials are added and removed by posting the form back
// (op=add, or a row's "remove" box), so the page needs no script.

// maxMaterialRows bounds the rows a form may post (the domain allows 50).
const maxMaterialRows = 60

// ServiceItemEditPage creates (New) or changes a service item.
type ServiceItemEditPage struct {
	Page
	New         bool
	Form        ServiceItemForm
	Error       string
	Departments []catalog.UnitRef // county departments, when the catalogue is wired
	Matters     []catalog.Matter  // the catalogue's matters, offered for a new item's code
}

// ServiceItemForm is the item as entered, kept as typed when the form is
// shown again.
type ServiceItemForm struct {
	Code, Name, Kind, Level, DeptCode, Office string
	LegalDays, PromisedDays, Fee              string
	FeeNote, Conditions                       string
	Online, OneVisit, Proxy, Nearby           bool
	Citywide, CrossRegion, Devolved           bool
	Materials                                 []ServiceMaterialRow
}

// ServiceMaterialRow is one row of the materials table.
type ServiceMaterialRow struct {
	Name, Form, Copies, Sample string
	Required                   bool
}

// blank reports whether nothing was entered in the row.
func (m ServiceMaterialRow) blank() bool {
	return strings.TrimSpace(m.Name) == "" && strings.TrimSpace(m.Sample) == ""
}

// Kinds lists the item kinds, promised first.
func (ServiceItemEditPage) Kinds() []string {
	return []string{service.KindPromised, service.KindImmediate}
}

// Levels lists the levels that handle an item.
func (ServiceItemEditPage) Levels() []string {
	return []string{service.LevelCounty, service.LevelTownship, service.LevelVillage}
}

// Forms lists the forms a material is handed in.
func (ServiceItemEditPage) Forms() []string {
	return []string{service.FormOriginal, service.FormCopy, service.FormOriginalCopy, service.FormElectronic}
}

// HasDepartment reports whether the current department is in the picker.
func (p ServiceItemEditPage) HasDepartment() bool {
	for _, d := range p.Departments {
		if d.Code == p.Form.DeptCode {
			return true
		}
	}
	return p.Form.DeptCode == ""
}

// CanMaintainServiceItems reports whether the signed-in user may create and
// change service items (the item page's "编辑" link).
func (p Page) CanMaintainServiceItems() bool { return service.CanMaintainItems(p.Actor) }

// serviceItemAdminRoutes registers the item maintenance pages.
func (s *Server) serviceItemAdminRoutes() {
	s.mux.HandleFunc("GET /service/items/new", s.staff(s.serviceItemNew))
	s.mux.HandleFunc("POST /service/items/new", s.staff(s.serviceItemSave))
	s.mux.HandleFunc("GET /service/items/{code}/edit", s.staff(s.serviceItemEdit))
	s.mux.HandleFunc("POST /service/items/{code}/edit", s.staff(s.serviceItemSave))
}

func mayMaintainItems(r *http.Request) error {
	if !service.CanMaintainItems(actorOf(r)) {
		return store.Forbidden("只有县级管理员或县委编办可以维护服务事项")
	}
	return nil
}

// serviceItemEditPage builds the page around form, with the pickers.
func (s *Server) serviceItemEditPage(r *http.Request, isNew bool, f ServiceItemForm) (ServiceItemEditPage, error) {
	pg := ServiceItemEditPage{Page: s.page(r, "service.edit.new_title", serviceArea), New: isNew, Form: f}
	if !isNew {
		pg.TitleKey, pg.Title = "", pg.T("service.edit.title", f.Code)
	}
	if len(pg.Form.Materials) < 50 {
		pg.Form.Materials = append(pg.Form.Materials, ServiceMaterialRow{Form: service.FormOriginal, Copies: "1", Required: true})
	}
	if s.Lists != nil {
		var err error
		if pg.Departments, err = s.Lists.Departments(r.Context()); err != nil {
			return pg, err
		}
		if isNew {
			if pg.Matters, err = s.Lists.Matters(r.Context(), actorOf(r), catalog.MatterFilter{}); err != nil {
				return pg, err
			}
		}
	}
	return pg, nil
}

func (s *Server) serviceItemNew(w http.ResponseWriter, r *http.Request) error {
	if err := mayMaintainItems(r); err != nil {
		return err
	}
	f := ServiceItemForm{Code: strings.TrimSpace(r.URL.Query().Get("code")), Kind: service.KindPromised, Level: service.LevelTownship, Fee: "0"}
	pg, err := s.serviceItemEditPage(r, true, f)
	if err != nil {
		return err
	}
	return s.render(w, r, "service_item_edit", pg)
}

func (s *Server) serviceItemEdit(w http.ResponseWriter, r *http.Request) error {
	if err := mayMaintainItems(r); err != nil {
		return err
	}
	it, err := s.Service.Item(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	pg, err := s.serviceItemEditPage(r, false, formOfItem(service.InputOf(it)))
	if err != nil {
		return err
	}
	return s.render(w, r, "service_item_edit", pg)
}

// serviceItemSave saves the item (op=save), or shows the form again with a
// row added (op=add) or the rows marked "remove" taken out.
func (s *Server) serviceItemSave(w http.ResponseWriter, r *http.Request) error {
	if err := mayMaintainItems(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单内容有误")
	}
	isNew := r.PathValue("code") == ""
	f := itemFormOf(r)
	if !isNew {
		f.Code = strings.ToUpper(strings.TrimSpace(r.PathValue("code")))
	}
	show := func(status int, msg string, extraRow bool) error {
		if extraRow {
			f.Materials = append(f.Materials, ServiceMaterialRow{Form: service.FormOriginal, Copies: "1", Required: true})
		}
		pg, err := s.serviceItemEditPage(r, isNew, f)
		if err != nil {
			return err
		}
		pg.Error = msg
		s.renderStatus(w, r, status, "service_item_edit", pg)
		return nil
	}
	if r.PostFormValue("op") == "add" {
		return show(http.StatusOK, "", true)
	}
	var it service.Item
	in, err := f.input()
	if err == nil {
		it, err = s.Service.SaveItem(r.Context(), actorOf(r), in)
	}
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok || Status(err) == http.StatusForbidden {
			return err
		}
		return show(Status(err), msg, false)
	}
	http.Redirect(w, r, "/service/items/"+url.PathEscape(it.Code), http.StatusSeeOther)
	return nil
}

// itemFormOf reads the posted form. Rows marked "remove" and rows left
// blank are dropped.
func itemFormOf(r *http.Request) ServiceItemForm {
	v := func(k string) string { return r.PostFormValue(k) }
	on := func(k string) bool { return r.PostFormValue(k) == "1" }
	f := ServiceItemForm{Code: v("code"), Name: v("name"), Kind: v("kind"), Level: v("level"), DeptCode: v("dept_code"), Office: v("office"),
		LegalDays: v("legal_days"), PromisedDays: v("promised_days"), Fee: v("fee"), FeeNote: v("fee_note"), Conditions: v("conditions"),
		Online: on("online"), OneVisit: on("one_visit"), Proxy: on("proxy"), Nearby: on("nearby"), Citywide: on("citywide"),
		CrossRegion: on("cross_region"), Devolved: on("devolved")}
	n, _ := strconv.Atoi(v("rows"))
	n = min(max(n, 0), maxMaterialRows)
	for i := range n {
		p := "m" + strconv.Itoa(i) + "_"
		if on(p + "remove") {
			continue
		}
		m := ServiceMaterialRow{Name: v(p + "name"), Form: v(p + "form"), Copies: v(p + "copies"), Sample: v(p + "sample"), Required: on(p + "required")}
		if !m.blank() {
			f.Materials = append(f.Materials, m)
		}
	}
	return f
}

// input turns the form into the domain's input; the checks of the values
// themselves are the domain's.
func (f ServiceItemForm) input() (service.ItemInput, error) {
	in := service.ItemInput{Code: f.Code, Name: f.Name, Kind: f.Kind, Level: f.Level, DeptCode: strings.TrimSpace(f.DeptCode), Office: f.Office,
		FeeNote: strings.TrimSpace(f.FeeNote), Conditions: strings.TrimSpace(f.Conditions),
		Online: f.Online, OneVisit: f.OneVisit, Proxy: f.Proxy, Nearby: f.Nearby, Citywide: f.Citywide, CrossRegion: f.CrossRegion, Devolved: f.Devolved}
	var err error
	if in.LegalDays, err = days(f.LegalDays, "法定时限"); err != nil {
		return in, err
	}
	if in.PromisedDays, err = days(f.PromisedDays, "承诺时限"); err != nil {
		return in, err
	}
	if in.FeeCents, err = parseYuan(f.Fee); err != nil {
		return in, err
	}
	for i, m := range f.Materials {
		copies := 1
		if t := strings.TrimSpace(m.Copies); t != "" {
			c, err := strconv.Atoi(t)
			if err != nil || c < 1 || c > 99 {
				return in, store.Invalid(fmt.Sprintf("第%d项材料的份数应为1至99的整数", i+1))
			}
			copies = c
		}
		in.Materials = append(in.Materials, service.MaterialInput{Name: m.Name, Form: m.Form, Copies: copies, Required: m.Required, Sample: strings.TrimSpace(m.Sample)})
	}
	return in, nil
}

// days reads a number of working days ("" is none).
func days(s, what string) (int, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "个工作日"))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, store.Invalid(what + "应填写工作日天数（整数），不限时请留空或填0")
	}
	return n, nil
}

// parseYuan reads an amount in yuan ("12.5", "12.50元", "" for free) as fen.
func parseYuan(s string) (int64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "元"))
	if s == "" || s == "免费" {
		return 0, nil
	}
	bad := store.Invalid("收费金额应为以元计的数字，最多两位小数，例如 12.50；免费填0")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || strings.HasPrefix(whole, "-") || strings.HasPrefix(whole, "+") {
		return 0, bad
	}
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || y > 100_000_000 {
		return 0, bad
	}
	var f int64
	if frac != "" {
		if f, err = strconv.ParseInt(frac, 10, 64); err != nil || strings.ContainsAny(frac, "+-") {
			return 0, bad
		}
		if len(frac) == 1 {
			f *= 10
		}
	}
	return y*100 + f, nil
}

// formOfItem shows a saved item in the form.
func formOfItem(in service.ItemInput) ServiceItemForm {
	f := ServiceItemForm{Code: in.Code, Name: in.Name, Kind: in.Kind, Level: in.Level, DeptCode: in.DeptCode, Office: in.Office,
		FeeNote: in.FeeNote, Conditions: in.Conditions, Online: in.Online, OneVisit: in.OneVisit, Proxy: in.Proxy, Nearby: in.Nearby,
		Citywide: in.Citywide, CrossRegion: in.CrossRegion, Devolved: in.Devolved,
		LegalDays: strconv.Itoa(in.LegalDays), PromisedDays: strconv.Itoa(in.PromisedDays), Fee: fmt.Sprintf("%d.%02d", in.FeeCents/100, in.FeeCents%100)}
	if in.FeeCents == 0 {
		f.Fee = "0"
	}
	for _, m := range in.Materials {
		f.Materials = append(f.Materials, ServiceMaterialRow{Name: m.Name, Form: m.Form, Copies: strconv.Itoa(m.Copies), Sample: m.Sample, Required: m.Required})
	}
	return f
}
