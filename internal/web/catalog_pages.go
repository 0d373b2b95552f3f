package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/catalog"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// catalogRoutes registers the executable lists: the overview, each list with
// its items, history, comparison, Excel import and export; the matters; the
// access attempts and exceptions; the empowerment requests and batches.
func (s *Server) catalogRoutes() {
	s.dutyRoutes()
	s.mux.HandleFunc("GET /lists", s.staff(s.listsIndex))
	s.mux.HandleFunc("GET /lists/matters", s.staff(s.listsMatters))
	s.mux.HandleFunc("POST /lists/matters", s.staff(s.listsMatterSave))
	s.mux.HandleFunc("POST /lists/categories", s.staff(s.listsCategorySave))
	s.mux.HandleFunc("GET /lists/attempts", s.staff(s.listsAttempts))
	s.mux.HandleFunc("POST /lists/exceptions", s.staff(s.listsExceptionGrant))
	s.mux.HandleFunc("POST /lists/exceptions/{id}/revoke", s.staff(s.listsExceptionRevoke))
	s.mux.HandleFunc("GET /lists/requests", s.staff(s.listsRequests))
	s.mux.HandleFunc("POST /lists/requests", s.staff(s.listsRequestCreate))
	s.mux.HandleFunc("POST /lists/requests/grant", s.staff(s.listsRequestsGrant))
	s.mux.HandleFunc("POST /lists/requests/{id}/refuse", s.staff(s.listsRequestRefuse))
	s.mux.HandleFunc("POST /lists/batches", s.staff(s.listsBatchCreate))
	s.mux.HandleFunc("GET /lists/{list}", s.staff(s.listsList))
	s.mux.HandleFunc("GET /lists/{list}/item", s.staff(s.listsItemForm))
	s.mux.HandleFunc("POST /lists/{list}/items", s.staff(s.listsItemSave))
	s.mux.HandleFunc("POST /lists/{list}/items/remove", s.staff(s.listsItemRemove))
	s.mux.HandleFunc("GET /lists/{list}/history", s.staff(s.listsHistory))
	s.mux.HandleFunc("GET /lists/{list}/compare", s.staff(s.listsCompare))
	s.mux.HandleFunc("GET /lists/{list}/export", s.staff(s.listsExport))
	s.mux.HandleFunc("GET /lists/{list}/template", s.staff(s.listsTemplate))
	s.mux.HandleFunc("POST /lists/{list}/import", s.staff(s.listsImport))
	s.mux.HandleFunc("GET /lists/{list}/imports/{id}", s.staff(s.listsImportStatus))
}

// ListTab is one list in the lists' tab bar.
type ListTab struct {
	List   catalog.ListKind
	Active bool
}

// ListsPage is what every lists page shares.
type ListsPage struct {
	Page
	CanEdit bool
	Tabs    []ListTab
	Active  string // a list kind, or matters, attempts, requests
}

func (s *Server) listsPage(r *http.Request, titleKey, active string) ListsPage {
	p := ListsPage{Page: s.page(r, titleKey, "lists"), Active: active}
	p.CanEdit = catalog.CanEdit(p.Actor)
	for _, l := range catalog.Lists {
		p.Tabs = append(p.Tabs, ListTab{List: l, Active: string(l) == active})
	}
	if ok := r.URL.Query().Get("ok"); ok != "" {
		p.Flash = p.T("lists.flash." + ok)
	}
	return p
}

// ListTitle is a list's name in the page's language.
func (p ListsPage) ListTitle(l catalog.ListKind) string { return p.T("lists.kind." + string(l)) }

// ListsIndexPage is the overview of every list.
type ListsIndexPage struct {
	ListsPage
	Lists []catalog.ListSummary
}

func (s *Server) listsIndex(w http.ResponseWriter, r *http.Request) error {
	p := ListsIndexPage{ListsPage: s.listsPage(r, "lists.title", "")}
	var err error
	if p.Lists, err = s.Lists.Overview(r.Context(), p.Actor); err != nil {
		return err
	}
	return s.render(w, r, "lists_index", p)
}

// ListsListPage shows one list, current or as of a version, filtered.
type ListsListPage struct {
	ListsPage
	List          catalog.ListKind
	Items         []catalog.Item
	Filter        catalog.Filter
	Version       int // the version shown
	Current       int // the current version
	At            string
	TownshipTypes []string
	Departments   []catalog.UnitRef
	ExportQuery   template.URL // the filter and version, already encoded
	ImportErrors  []catalog.RowError
	ImportMessage string
}

// Historic reports whether the page shows an earlier version.
func (p ListsListPage) Historic() bool { return p.Version != p.Current }

// ByTownshipType reports whether the list is kept per township type.
func (p ListsListPage) ByTownshipType() bool {
	return p.List == catalog.PowerList || p.List == catalog.EmpowermentList
}

// ByDepartment reports whether the list is kept per department.
func (p ListsListPage) ByDepartment() bool {
	return p.List == catalog.TerritorialList || p.List == catalog.AccessList
}

func listOf(r *http.Request) (catalog.ListKind, error) { return catalog.ParseList(r.PathValue("list")) }

func (s *Server) listsList(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	p, err := s.listPageData(r, list)
	if err != nil {
		return err
	}
	return s.render(w, r, "lists_list", p)
}

func (s *Server) listPageData(r *http.Request, list catalog.ListKind) (ListsListPage, error) {
	ctx := r.Context()
	q := r.URL.Query()
	p := ListsListPage{ListsPage: s.listsPage(r, "lists.kind."+string(list), string(list)), List: list, TownshipTypes: catalog.TownshipTypes,
		Filter: catalog.Filter{TownshipType: q.Get("township_type"), UnitCode: q.Get("unit"), Q: strings.TrimSpace(q.Get("q"))}, At: q.Get("at")}
	var err error
	if p.Current, err = s.Lists.CurrentVersion(ctx, list); err != nil {
		return p, err
	}
	p.Version = p.Current
	if v := q.Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > p.Current {
			return p, store.Invalid(fmt.Sprintf("版本号“%s”不正确", v))
		}
		p.Version = n
	}
	if p.At != "" { // a date typed while a version is shown wins
		t, err := catalog.ParseDate(p.At)
		if err != nil {
			return p, err
		}
		if p.Version, p.Items, err = s.Lists.ItemsAsOf(ctx, p.Actor, list, t.AddDate(0, 0, 1).Add(-time.Millisecond), p.Filter); err != nil {
			return p, err
		}
	} else if p.Items, err = s.Lists.ItemsAt(ctx, p.Actor, list, p.Version, p.Filter); err != nil {
		return p, err
	}
	if p.Departments, err = s.Lists.Departments(ctx); err != nil {
		return p, err
	}
	eq := url.Values{}
	for k, v := range map[string]string{"township_type": p.Filter.TownshipType, "unit": p.Filter.UnitCode, "q": p.Filter.Q} {
		if v != "" {
			eq.Set(k, v)
		}
	}
	if p.Historic() {
		v := p.Version
		if v == 0 {
			v = -1 // before the first version: an empty export
		}
		eq.Set("version", strconv.Itoa(v))
	}
	p.ExportQuery = template.URL(eq.Encode())
	return p, nil
}

// ListsItemPage is the form that adds or changes an item.
type ListsItemPage struct {
	ListsPage
	List          catalog.ListKind
	Key           string // "" for a new item
	Form          catalog.ItemInput
	SupportUnits  string
	Reason        string
	Error         string
	TownshipTypes []string
	Departments   []catalog.UnitRef
	Matters       []catalog.Matter
	Batches       []catalog.Batch
}

func (s *Server) listsItemForm(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	p := ListsItemPage{ListsPage: s.listsPage(r, "lists.item.title", string(list)), List: list}
	if !p.CanEdit {
		return store.Forbidden(p.T("lists.readonly"))
	}
	if key := r.URL.Query().Get("key"); key != "" {
		it, err := s.Lists.Item(r.Context(), p.Actor, list, key)
		if err != nil {
			return err
		}
		p.Key, p.Form = key, catalog.InputOf(it)
		p.SupportUnits = strings.Join(it.SupportUnits, "、")
	}
	return s.renderItemForm(w, r, http.StatusOK, p)
}

func (s *Server) renderItemForm(w http.ResponseWriter, r *http.Request, status int, p ListsItemPage) error {
	ctx := r.Context()
	var err error
	p.TownshipTypes = catalog.TownshipTypes
	if p.Departments, err = s.Lists.Departments(ctx); err != nil {
		return err
	}
	if p.Matters, err = s.Lists.Matters(ctx, p.Actor, catalog.MatterFilter{}); err != nil {
		return err
	}
	if p.Batches, err = s.Lists.Batches(ctx, p.Actor); err != nil {
		return err
	}
	s.renderStatus(w, r, status, "lists_item", p)
	return nil
}

func (s *Server) listsItemSave(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	p := ListsItemPage{ListsPage: s.listsPage(r, "lists.item.title", string(list)), List: list, Key: r.PostFormValue("key")}
	p.Form = catalog.ItemInput{
		TownshipType: r.PostFormValue("township_type"), UnitCode: r.PostFormValue("unit"), MatterCode: r.PostFormValue("matter"),
		BatchNo: r.PostFormValue("batch"), Subject: r.PostFormValue("subject"), Duties: r.PostFormValue("duties"),
		Accountability: r.PostFormValue("accountability"), SupportDuties: r.PostFormValue("support_duties"), Note: r.PostFormValue("note"),
	}
	p.SupportUnits = r.PostFormValue("support_units")
	p.Form.SupportUnits = splitNames(p.SupportUnits)
	p.Reason = r.PostFormValue("reason")
	_, _, err = s.Lists.SaveItem(r.Context(), p.Actor, list, p.Form, p.Reason)
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok || errors.Is(err, store.ErrForbidden) {
			return err
		}
		p.Error = msg
		return s.renderItemForm(w, r, Status(err), p)
	}
	http.Redirect(w, r, "/lists/"+string(list)+"?ok=saved", http.StatusSeeOther)
	return nil
}

func splitNames(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == '、' || r == ',' || r == '，' || r == ' ' || r == '\n' })
}

func (s *Server) listsItemRemove(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	if _, err := s.Lists.RemoveItem(r.Context(), actorOf(r), list, r.PostFormValue("key"), r.PostFormValue("reason")); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/"+string(list)+"?ok=removed", http.StatusSeeOther)
	return nil
}

// ListsHistoryPage lists a list's versions.
type ListsHistoryPage struct {
	ListsPage
	List     catalog.ListKind
	Versions []catalog.Version
}

func (s *Server) listsHistory(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	p := ListsHistoryPage{ListsPage: s.listsPage(r, "lists.history.title", string(list)), List: list}
	if p.Versions, err = s.Lists.Versions(r.Context(), p.Actor, list); err != nil {
		return err
	}
	return s.render(w, r, "lists_history", p)
}

// ListsComparePage shows two versions' differences item by item.
type ListsComparePage struct {
	ListsPage
	List  catalog.ListKind
	A, B  int
	Diffs []catalog.Diff
}

func (s *Server) listsCompare(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	p := ListsComparePage{ListsPage: s.listsPage(r, "lists.compare.title", string(list)), List: list}
	p.A, _ = strconv.Atoi(r.URL.Query().Get("a"))
	p.B, _ = strconv.Atoi(r.URL.Query().Get("b"))
	if p.Diffs, err = s.Lists.Compare(r.Context(), p.Actor, list, p.A, p.B); err != nil {
		return err
	}
	return s.render(w, r, "lists_compare", p)
}

func (s *Server) listsExport(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	version, _ := strconv.Atoi(q.Get("version"))
	f := catalog.Filter{TownshipType: q.Get("township_type"), UnitCode: q.Get("unit"), Q: q.Get("q")}
	var buf bytes.Buffer
	if err := s.Lists.Export(r.Context(), actorOf(r), list, version, f, &buf); err != nil {
		return err
	}
	unit := f.UnitCode
	if unit != "" && s.Org != nil {
		// The file is named by the unit's name, never its code.
		if u, err := s.Org.UnitByCode(r.Context(), actorOf(r), unit); err == nil {
			unit = u.Name
		}
	}
	xlsx.Serve(w, listFileName(list, version, f, unit), buf.Bytes())
	return nil
}

// listFileName names a list's export by the list, its version and its
// filters (unit is the filtered unit's name), and the day:
// 权责清单-第3版-城关型-20261203.xlsx.
func listFileName(list catalog.ListKind, version int, f catalog.Filter, unit string) string {
	v := ""
	if version > 0 {
		v = fmt.Sprintf("第%d版", version)
	}
	return xlsx.FileName(time.Now(), list.Title(), v, f.TownshipType, unit, f.Q)
}

func (s *Server) listsTemplate(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := catalog.Template(list, &buf); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(time.Time{}, list.Title()+"模板"), buf.Bytes())
	return nil
}

// maxImportFile bounds an uploaded spreadsheet.
const maxImportFile = 20 << 20

func (s *Server) listsImport(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	actor := actorOf(r)
	if !catalog.CanEdit(actor) {
		return store.Forbidden(s.Msgs.T(langOf(r), "lists.readonly"))
	}
	if r.MultipartForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxImportFile)
		if err := r.ParseMultipartForm(maxImportFile); err != nil {
			return store.Invalid("上传的文件过大或格式不正确（不超过20MB的 .xlsx 文件）")
		}
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return store.Invalid("请选择要导入的 Excel 文件")
	}
	defer file.Close()
	rows, err := catalog.ParseFile(r.Context(), list, file)
	if err == nil && len(rows) == 0 {
		err = store.Invalid("文件中没有数据行")
	}
	var rowErrs []catalog.RowError
	if err == nil {
		rowErrs, err = s.Lists.CheckImport(r.Context(), actor, list, rows)
	}
	if err != nil || len(rowErrs) > 0 {
		p, perr := s.listPageData(r, list)
		if perr != nil {
			return perr
		}
		p.ImportErrors = rowErrs
		if err != nil {
			msg, ok := userMessage(r, err)
			if !ok {
				return err
			}
			p.ImportMessage = msg
		} else {
			p.ImportMessage = (&catalog.ImportError{Errors: rowErrs}).Error()
		}
		s.renderStatus(w, r, http.StatusBadRequest, "lists_list", p)
		return nil
	}
	id, err := s.Lists.StartImport(actor, list, rows, catalog.ImportOptions{Replace: r.PostFormValue("replace") == "1", Reason: r.PostFormValue("reason")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/"+string(list)+"/imports/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

// ListsImportPage shows an import's progress and outcome.
type ListsImportPage struct {
	ListsPage
	List catalog.ListKind
	Job  catalog.ImportJob
}

func (s *Server) listsImportStatus(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	p := ListsImportPage{ListsPage: s.listsPage(r, "lists.import.title", string(list)), List: list}
	job, ok := s.Lists.ImportStatus(p.Actor, r.PathValue("id"))
	if !ok {
		return store.NotFound(p.T("lists.import.gone"))
	}
	p.Job = job
	return s.render(w, r, "lists_import", p)
}

// ListsMattersPage is the catalogue of matters with its forms.
type ListsMattersPage struct {
	ListsPage
	Matters    []catalog.Matter
	Types      []catalog.MatterType
	Filter     catalog.MatterFilter
	Form       catalog.MatterInput
	Reason     string // kept when the form is refused
	Error      string
	Categories []catalog.CategoryMatter
}

func (s *Server) listsMatters(w http.ResponseWriter, r *http.Request) error {
	p := ListsMattersPage{ListsPage: s.listsPage(r, "lists.matters.title", "matters")}
	p.Filter = catalog.MatterFilter{Type: r.URL.Query().Get("type"), Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	if code := r.URL.Query().Get("edit"); code != "" {
		m, err := s.Lists.Matter(r.Context(), code)
		if err != nil {
			return err
		}
		p.Form = catalog.MatterInput{Code: m.Code, Name: m.Name, BasisLaw: m.BasisLaw, BasisArticle: m.BasisArticle}
	}
	return s.renderMatters(w, r, http.StatusOK, p)
}

func (s *Server) renderMatters(w http.ResponseWriter, r *http.Request, status int, p ListsMattersPage) error {
	var err error
	p.Types = catalog.MatterTypes
	if p.Matters, err = s.Lists.Matters(r.Context(), p.Actor, p.Filter); err != nil {
		return err
	}
	if p.Categories, err = s.Lists.CategoryMatters(r.Context(), p.Actor); err != nil {
		return err
	}
	s.renderStatus(w, r, status, "lists_matters", p)
	return nil
}

func (s *Server) listsMatterSave(w http.ResponseWriter, r *http.Request) error {
	p := ListsMattersPage{ListsPage: s.listsPage(r, "lists.matters.title", "matters")}
	p.Form = catalog.MatterInput{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"), BasisLaw: r.PostFormValue("basis_law"), BasisArticle: r.PostFormValue("basis_article")}
	p.Reason = r.PostFormValue("reason")
	if _, _, err := s.Lists.SaveMatter(r.Context(), p.Actor, p.Form, p.Reason); err != nil {
		msg, ok := userMessage(r, err)
		if !ok || errors.Is(err, store.ErrForbidden) {
			return err
		}
		p.Error = msg
		return s.renderMatters(w, r, Status(err), p)
	}
	http.Redirect(w, r, "/lists/matters?ok=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) listsCategorySave(w http.ResponseWriter, r *http.Request) error {
	if err := s.Lists.SetCategoryMatter(r.Context(), actorOf(r), r.PostFormValue("category"), r.PostFormValue("matter")); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/matters?ok=saved", http.StatusSeeOther)
	return nil
}

// ListsAttemptsPage is the access attempts report and the exceptions.
type ListsAttemptsPage struct {
	ListsPage
	From, To     string
	Department   string
	Report       []catalog.DepartmentAttempts
	Attempts     []catalog.Attempt
	Exceptions   []catalog.Exception
	CanGrant     bool
	Departments  []catalog.UnitRef
	Townships    []catalog.UnitRef
	Matters      []catalog.Matter
	TotalRefused int
}

func (s *Server) listsAttempts(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := ListsAttemptsPage{ListsPage: s.listsPage(r, "lists.attempts.title", "attempts")}
	p.CanGrant = catalog.CanGrantExceptions(p.Actor)
	q := r.URL.Query()
	now := time.Now()
	from := now.AddDate(0, -3, 0)
	to := now
	p.From, p.To, p.Department = q.Get("from"), q.Get("to"), q.Get("unit")
	if p.From != "" {
		t, err := catalog.ParseDate(p.From)
		if err != nil {
			return err
		}
		from = t
	}
	if p.To != "" {
		t, err := catalog.ParseDate(p.To)
		if err != nil {
			return err
		}
		to = t
	}
	to = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, to.Location()).AddDate(0, 0, 1)
	p.From, p.To = from.Format("2006-01-02"), to.AddDate(0, 0, -1).Format("2006-01-02")
	var err error
	if p.Report, err = s.Lists.AttemptsReport(ctx, p.Actor, from, to); err != nil {
		return err
	}
	for _, d := range p.Report {
		p.TotalRefused += d.Refused
	}
	if p.Attempts, err = s.Lists.Attempts(ctx, p.Actor, from, to, p.Department, 200); err != nil {
		return err
	}
	if p.Exceptions, err = s.Lists.Exceptions(ctx, p.Actor); err != nil {
		return err
	}
	if p.Departments, err = s.Lists.Departments(ctx); err != nil {
		return err
	}
	if p.CanGrant {
		if p.Townships, err = s.Lists.Townships(ctx); err != nil {
			return err
		}
		if p.Matters, err = s.Lists.Matters(ctx, p.Actor, catalog.MatterFilter{}); err != nil {
			return err
		}
	}
	return s.render(w, r, "lists_attempts", p)
}

func (s *Server) listsExceptionGrant(w http.ResponseWriter, r *http.Request) error {
	in := catalog.ExceptionInput{FromCode: r.PostFormValue("from"), ToCode: r.PostFormValue("to"), MatterCode: r.PostFormValue("matter"), Reason: r.PostFormValue("reason")}
	if v := r.PostFormValue("expires"); v != "" {
		t, err := catalog.ParseDate(v)
		if err != nil {
			return err
		}
		in.ExpiresAt = t.AddDate(0, 0, 1)
	}
	if _, err := s.Lists.GrantException(r.Context(), actorOf(r), in); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/attempts?ok=exception", http.StatusSeeOther)
	return nil
}

func (s *Server) listsExceptionRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("没有这项例外")
	}
	if err := s.Lists.RevokeException(r.Context(), actorOf(r), id, r.PostFormValue("reason")); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/attempts?ok=revoked", http.StatusSeeOther)
	return nil
}

// ListsRequestsPage is the empowerment workflow: townships ask (基层点单),
// the approval office grants in a batch (赋权下单) or refuses.
type ListsRequestsPage struct {
	ListsPage
	Requests    []catalog.Request
	Batches     []catalog.Batch
	Matters     []catalog.Matter
	CanRequest  bool
	Status      string
	PendingSeen int
}

func (s *Server) listsRequests(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := ListsRequestsPage{ListsPage: s.listsPage(r, "lists.requests.title", "requests"), Status: r.URL.Query().Get("status")}
	p.CanRequest = catalog.IsTownshipLevel(p.Actor.UnitKind)
	var err error
	if p.Requests, err = s.Lists.Requests(ctx, p.Actor, p.Status); err != nil {
		return err
	}
	for _, q := range p.Requests {
		if q.Status == "pending" {
			p.PendingSeen++
		}
	}
	if p.Batches, err = s.Lists.Batches(ctx, p.Actor); err != nil {
		return err
	}
	if p.Matters, err = s.Lists.Matters(ctx, p.Actor, catalog.MatterFilter{}); err != nil {
		return err
	}
	return s.render(w, r, "lists_requests", p)
}

func (s *Server) listsRequestCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Lists.RequestEmpowerment(r.Context(), actorOf(r), catalog.RequestInput{MatterCode: r.PostFormValue("matter"), Reason: r.PostFormValue("reason")}); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/requests?ok=requested", http.StatusSeeOther)
	return nil
}

func (s *Server) listsRequestsGrant(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单有误")
	}
	var ids []int64
	for _, v := range r.PostForm["request"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return store.Invalid("表单有误")
		}
		ids = append(ids, id)
	}
	in := catalog.GrantInput{BatchNo: r.PostFormValue("batch"), RequestIDs: ids, Note: r.PostFormValue("note"), Single: r.PostFormValue("scope") == "single"}
	if _, err := s.Lists.GrantTo(r.Context(), actorOf(r), in); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/requests?ok=granted", http.StatusSeeOther)
	return nil
}

func (s *Server) listsRequestRefuse(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("没有这项申请")
	}
	if err := s.Lists.Refuse(r.Context(), actorOf(r), id, r.PostFormValue("note")); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/requests?ok=refused", http.StatusSeeOther)
	return nil
}

func (s *Server) listsBatchCreate(w http.ResponseWriter, r *http.Request) error {
	in := catalog.BatchInput{BatchNo: r.PostFormValue("batch_no"), DocNo: r.PostFormValue("doc_no"), Note: r.PostFormValue("note")}
	if v := r.PostFormValue("effective"); v != "" {
		t, err := catalog.ParseDate(v)
		if err != nil {
			return err
		}
		in.EffectiveAt = t
	}
	if _, err := s.Lists.CreateBatch(r.Context(), actorOf(r), in); err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/requests?ok=batch", http.StatusSeeOther)
	return nil
}
