package web

import (
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
