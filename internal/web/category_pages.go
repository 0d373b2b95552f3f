package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"grassroots/internal/catalog"
	"grassroots/internal/store"
)

// AdminCategoriesPage is the case category tree as administrators maintain
// it: the GB/T 47678.5 管理部件 and 管理事项 with the county's own 民生诉求,
// each category's responsible county department, the forms that rename a
// 民生诉求 category and take a category out of use or back, and the form to
// add a 民生诉求 category.
type AdminCategoriesPage struct {
	Page
	Roots       []CategoryRow
	Departments []CategoryDept
	// Parents are the 民生诉求 categories a new category may go under.
	Parents []CategoryParent
	// Query filters the tree by code, name or department.
	Query string
	// Leaves counts the leaves shown (all of them without a query).
	Leaves int
	// Focus is the category just changed or being edited: the branches
	// leading to it start open.
	Focus string
	// Edit is the category whose department form is open; EditDept is the
	// department it shows selected, DeptError the refusal of the last try.
	Edit      string
	EditDept  string
	DeptError string
	// Rename is the category whose rename was refused: RenameName is the
	// name typed, RenameError the refusal.
	Rename, RenameName, RenameError string
	// Toggled is the category whose deactivation or reactivation was
	// refused, ActiveError the refusal.
	Toggled, ActiveError string
	// Form is the add form as typed, FormError its refusal.
	Form      catalog.NewCategory
	FormError string
}

// CategoryRow is one category of the tree as the page shows it.
type CategoryRow struct {
	catalog.Category
	Rows   []CategoryRow
	Leaves int  // leaves under it
	Open   bool // its <details> starts open: a filter or an edit reaches into it
	// P is the page, for the rows' translations, CSRF field and departments.
	P *AdminCategoriesPage
}

// Editing reports whether the row's department form (and, for a 民生诉求
// category, its rename form) is open.
func (r CategoryRow) Editing() bool { return r.P != nil && r.P.Edit == r.Code }

// Selected is the department the row's form shows selected: what was typed
// when a try was refused, else the one in force.
func (r CategoryRow) Selected() string {
	if r.P != nil && r.P.DeptError != "" && r.Editing() {
		return r.P.EditDept
	}
	return r.DeptCode
}

// Renamable reports whether the row offers the rename form: the county's own
// 民生诉求 categories, not their root; the standard's keep their names.
func (r CategoryRow) Renamable() bool {
	return r.Kind == catalog.KindLivelihood && r.ParentCode != ""
}

// Renaming reports whether the row's rename form is open: it is being
// edited, or its last rename was refused.
func (r CategoryRow) Renaming() bool {
	return r.Renamable() && (r.Editing() || r.RenameRefusal() != "")
}

// NameValue is the name the row's rename form shows: what was typed when a
// rename was refused, else the name in force.
func (r CategoryRow) NameValue() string {
	if r.P != nil && r.P.RenameError != "" && r.P.Rename == r.Code {
		return r.P.RenameName
	}
	return r.Name
}

// RenameRefusal is the refusal of the row's last rename, if any.
func (r CategoryRow) RenameRefusal() string {
	if r.P != nil && r.P.Rename == r.Code {
		return r.P.RenameError
	}
	return ""
}

// ActiveRefusal is the refusal of the row's last deactivation or
// reactivation, if any.
func (r CategoryRow) ActiveRefusal() string {
	if r.P != nil && r.P.Toggled == r.Code {
		return r.P.ActiveError
	}
	return ""
}

// CategoryDept is a county department a category may name as responsible.
type CategoryDept struct {
	Code, Name string
}

// CategoryParent is a 民生诉求 category offered as the parent of a new one.
type CategoryParent struct {
	Code, Name string
	Depth      int
}

// Label shows the parent indented by its depth in the 民生诉求 tree.
func (p CategoryParent) Label() string {
	return strings.Repeat("　", p.Depth) + p.Name + "（" + p.Code + "）"
}

// categoryRoutes registers the administration of the case categories.
func (s *Server) categoryRoutes() {
	s.mux.HandleFunc("GET /admin/categories", s.categoryAdmin(s.adminCategories))
	s.mux.HandleFunc("POST /admin/categories", s.categoryAdmin(s.adminCategoryAdd))
	s.mux.HandleFunc("POST /admin/categories/{code}/department", s.categoryAdmin(s.adminCategoryDepartment))
	s.mux.HandleFunc("POST /admin/categories/{code}/name", s.categoryAdmin(s.adminCategoryName))
	s.mux.HandleFunc("POST /admin/categories/{code}/active", s.categoryAdmin(s.adminCategoryActive))
}

// categoryAdmin wraps a category page: the categories are the county's, so
// only county-level administrators maintain them (the service checks the
// role again).
func (s *Server) categoryAdmin(fn handler) http.HandlerFunc {
	return s.staff(func(w http.ResponseWriter, r *http.Request) error {
		if !actorOf(r).CountyAdmin() {
			return store.Forbidden(s.Msgs.T(langOf(r), "categories.admin_only"))
		}
		if s.Cases == nil || s.Org == nil {
			return errors.New("categories: no case or organisation service")
		}
		return fn(w, r)
	})
}

func (s *Server) adminCategories(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := s.categoriesPage(r, q.Get("q"), q.Get("edit"), q.Get("saved"))
	if err != nil {
		return err
	}
	if saved := q.Get("saved"); saved != "" {
		key := "categories.saved"
		switch q.Get("done") {
		case doneDeactivated:
			key = "categories.deactivated"
		case doneActivated:
			key = "categories.activated"
		}
		p.Flash = p.T(key, saved)
	}
	return s.render(w, r, "admin_categories", p)
}

// categoriesPage gathers the page, with the tree filtered by query and the
// department form of edit open.
func (s *Server) categoriesPage(r *http.Request, query, edit, focus string) (*AdminCategoriesPage, error) {
	ctx := r.Context()
	tree, err := s.Lists.Categories(ctx)
	if err != nil {
		return nil, err
	}
	units, err := s.Org.ByKind(ctx, "department")
	if err != nil {
		return nil, err
	}
	depts := make([]CategoryDept, len(units))
	for i, u := range units {
		depts[i] = CategoryDept{Code: u.Code, Name: u.Name}
	}
	p := &AdminCategoriesPage{Page: s.page(r, "categories.title", "categories")}
	fillCategoriesPage(p, tree, depts, query, edit, focus)
	return p, nil
}

// fillCategoriesPage builds the page's tree and pickers from the category
// tree; the page test uses it too.
func fillCategoriesPage(p *AdminCategoriesPage, tree []catalog.Category, depts []CategoryDept, query, edit, focus string) {
	p.Query, p.Edit, p.Departments = strings.TrimSpace(query), edit, depts
	p.Focus = cmp.Or(edit, focus)
	if p.Form.ParentCode == "" {
		p.Form.ParentCode = "L"
	}
	p.Roots, p.Leaves = nil, 0
	for _, c := range tree {
		if row, ok := categoryRowOf(p, c, strings.ToLower(p.Query), false); ok {
			p.Roots = append(p.Roots, row)
			p.Leaves += row.Leaves
		}
		if c.Kind == catalog.KindLivelihood {
			p.Parents = append(p.Parents, livelihoodParents(c, 0)...)
		}
	}
}

// categoryRowOf makes the row of c, keeping only what matches query: a
// category that matches keeps all its subtree; one that does not is kept if
// something under it matches. ok says whether c is shown.
func categoryRowOf(p *AdminCategoriesPage, c catalog.Category, query string, ancestorMatched bool) (row CategoryRow, ok bool) {
	shownAll := ancestorMatched || query == "" || categoryMatches(c, query)
	row = CategoryRow{Category: c, P: p}
	row.Children = nil
	for _, child := range c.Children {
		cr, ok := categoryRowOf(p, child, query, shownAll)
		if !ok {
			continue
		}
		row.Rows = append(row.Rows, cr)
		if len(cr.Rows) == 0 {
			row.Leaves++
		} else {
			row.Leaves += cr.Leaves
		}
		if cr.Open || cr.Code == p.Focus {
			row.Open = true
		}
	}
	// A filter opens the branches where it found something.
	if query != "" && !ancestorMatched && len(row.Rows) > 0 {
		row.Open = true
	}
	return row, shownAll || len(row.Rows) > 0
}

// categoryMatches reports whether c's code, standard code, name or
// department contains query (lower-cased).
func categoryMatches(c catalog.Category, query string) bool {
	for _, v := range []string{c.Code, c.StdCode, c.Name, c.DeptName, c.DeptCode} {
		if v != "" && strings.Contains(strings.ToLower(v), query) {
			return true
		}
	}
	return false
}

// livelihoodParents lists c and the categories under it, depth first, those
// in use only (a category is not added under one out of use).
func livelihoodParents(c catalog.Category, depth int) []CategoryParent {
	if !c.Active {
		return nil
	}
	out := []CategoryParent{{Code: c.Code, Name: c.Name, Depth: depth}}
	for _, child := range c.Children {
		out = append(out, livelihoodParents(child, depth+1)...)
	}
	return out
}

// What categoriesBack tells the page was done, beyond "saved".
const (
	doneDeactivated = "deactivated"
	doneActivated   = "activated"
)

// showsControls reports whether the page shows the row of code with its
// forms (every row but the roots), where a refusal can be shown.
func (p *AdminCategoriesPage) showsControls(code string) bool {
	var find func([]CategoryRow) (found, shows bool)
	find = func(rows []CategoryRow) (bool, bool) {
		for _, r := range rows {
			if r.Code == code {
				return true, r.ParentCode != ""
			}
			if found, shows := find(r.Rows); found {
				return true, shows
			}
		}
		return false, false
	}
	_, shows := find(p.Roots)
	return shows
}

// categoriesBack redirects to the tree after a change, at the category
// changed; done ("" for a plain save) picks the page's message.
func categoriesBack(w http.ResponseWriter, r *http.Request, code, query, done string) {
	target := "/admin/categories?saved=" + url.QueryEscape(code)
	if done != "" {
		target += "&done=" + url.QueryEscape(done)
	}
	if query != "" {
		target += "&q=" + url.QueryEscape(query)
	}
	http.Redirect(w, r, target+"#cat-"+url.PathEscape(code), http.StatusSeeOther)
}

// userMistake returns the message of an error the user can correct on the
// form (invalid input, a conflict, a unit not found); refusals and internal
// errors go to the error page.
func userMistake(r *http.Request, err error) (string, bool) {
	msg, ok := userMessage(r, err)
	if !ok || errors.Is(err, store.ErrForbidden) {
		return "", false
	}
	return msg, true
}

func (s *Server) adminCategoryAdd(w http.ResponseWriter, r *http.Request) error {
	form := catalog.NewCategory{
		Code: strings.TrimSpace(r.PostFormValue("code")),
		Name: strings.TrimSpace(r.PostFormValue("name")),
		// "L" is the root of the 民生诉求 categories, the service's default.
		ParentCode: cmp.Or(r.PostFormValue("parent"), "L"),
		DeptCode:   r.PostFormValue("dept"),
	}
	p, err := s.categoriesPage(r, r.PostFormValue("q"), "", "")
	if err != nil {
		return err
	}
	// The domain refuses a unit that is not a county department.
	if _, err = s.Lists.AddCategory(r.Context(), actorOf(r), form); err != nil {
		msg, ok := userMistake(r, err)
		if !ok {
			return err
		}
		p.Form, p.FormError = form, msg
		s.renderStatus(w, r, Status(err), "admin_categories", p)
		return nil
	}
	categoriesBack(w, r, form.Code, "", "")
	return nil
}

func (s *Server) adminCategoryDepartment(w http.ResponseWriter, r *http.Request) error {
	code, dept, query := r.PathValue("code"), r.PostFormValue("dept"), r.PostFormValue("q")
	p, err := s.categoriesPage(r, query, code, "")
	if err != nil {
		return err
	}
	if err = s.Lists.SetCategoryDepartment(r.Context(), actorOf(r), code, dept); err != nil {
		msg, ok := userMistake(r, err)
		if !ok || errors.Is(err, store.ErrNotFound) {
			return err
		}
		p.EditDept, p.DeptError = dept, msg
		s.renderStatus(w, r, Status(err), "admin_categories", p)
		return nil
	}
	categoriesBack(w, r, code, query, "")
	return nil
}

func (s *Server) adminCategoryName(w http.ResponseWriter, r *http.Request) error {
	code, name, query := r.PathValue("code"), r.PostFormValue("name"), r.PostFormValue("q")
	// The domain refuses the standard's categories and a bad name.
	if err := s.Lists.RenameCategory(r.Context(), actorOf(r), code, name); err != nil {
		return s.categoryRefused(w, r, err, code, query, func(p *AdminCategoriesPage, msg string) {
			p.Rename, p.RenameName, p.RenameError = code, name, msg
		})
	}
	categoriesBack(w, r, code, query, "")
	return nil
}

func (s *Server) adminCategoryActive(w http.ResponseWriter, r *http.Request) error {
	code, query := r.PathValue("code"), r.PostFormValue("q")
	var active bool
	done := doneDeactivated
	switch r.PostFormValue("active") {
	case "1":
		active, done = true, doneActivated
	case "0":
	default:
		return store.Invalid(s.Msgs.T(langOf(r), "error.invalid"))
	}
	// The domain refuses reactivating under an inactive parent.
	if err := s.Lists.SetCategoryActive(r.Context(), actorOf(r), code, active); err != nil {
		return s.categoryRefused(w, r, err, code, query, func(p *AdminCategoriesPage, msg string) {
			p.Toggled, p.ActiveError = code, msg
		})
	}
	categoriesBack(w, r, code, query, done)
	return nil
}

// categoryRefused shows a refused rename or (de)activation of code next to
// its row, set telling the page which; an error that is not the user's to
// mend, or whose category has no row with forms (a root), gets the error
// page.
func (s *Server) categoryRefused(w http.ResponseWriter, r *http.Request, err error, code, query string, set func(p *AdminCategoriesPage, msg string)) error {
	msg, ok := userMistake(r, err)
	if !ok || errors.Is(err, store.ErrNotFound) {
		return err
	}
	p, perr := s.categoriesPage(r, query, "", code)
	if perr != nil {
		return perr
	}
	if !p.showsControls(code) {
		return err
	}
	set(p, msg)
	s.renderStatus(w, r, Status(err), "admin_categories", p)
	return nil
}

// LeafRows are the row's children without children of their own, shown as
// a table.
func (r CategoryRow) LeafRows() []CategoryRow {
	var out []CategoryRow
	for _, c := range r.Rows {
		if len(c.Rows) == 0 {
			out = append(out, c)
		}
	}
	return out
}

// BranchRows are the row's children that have children, shown as nested
// branches.
func (r CategoryRow) BranchRows() []CategoryRow {
	var out []CategoryRow
	for _, c := range r.Rows {
		if len(c.Rows) > 0 {
			out = append(out, c)
		}
	}
	return out
}
