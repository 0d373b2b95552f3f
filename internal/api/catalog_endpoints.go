package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// catalogEndpoints registers the matters and the executable lists: reading
// and changing every list, versions and comparison, imports and exports, the
// access check with its attempts and exceptions, routing, and empowerment.
func (s *Server) catalogEndpoints() {
	s.route("GET /api/v1/matters", s.authed(s.apiMatters))
	s.route("POST /api/v1/matters", s.authed(s.apiMatterSave))
	s.route("GET /api/v1/matters/{code}", s.authed(s.apiMatter))
	s.route("GET /api/v1/lists", s.authed(s.apiLists))
	s.route("GET /api/v1/lists/{list}/items", s.authed(s.apiListItems))
	s.route("POST /api/v1/lists/{list}/items", s.authed(s.apiListItemSave))
	s.route("POST /api/v1/lists/{list}/items/remove", s.authed(s.apiListItemRemove))
	s.route("POST /api/v1/lists/{list}/import", s.authed(s.apiListImport))
	s.route("GET /api/v1/lists/{list}/export", s.authed(s.apiListExport))
	s.route("GET /api/v1/lists/{list}/versions", s.authed(s.apiListVersions))
	s.route("GET /api/v1/lists/{list}/compare", s.authed(s.apiListCompare))
	s.route("GET /api/v1/category-matters", s.authed(s.apiCategoryMatters))
	s.route("POST /api/v1/category-matters", s.authed(s.apiCategoryMatterSave))
	s.route("GET /api/v1/routes/{category}", s.authed(s.apiRoute))
	s.route("POST /api/v1/access/check", s.authed(s.apiAccessCheck))
	s.route("GET /api/v1/access/attempts", s.authed(s.apiAccessAttempts))
	s.route("GET /api/v1/access/exceptions", s.authed(s.apiExceptions))
	s.route("POST /api/v1/access/exceptions", s.authed(s.apiExceptionGrant))
	s.route("POST /api/v1/access/exceptions/{id}/revoke", s.authed(s.apiExceptionRevoke))
	s.route("GET /api/v1/empowerment/may-decide", s.authed(s.apiMayDecide))
	s.route("GET /api/v1/empowerment/batches", s.authed(s.apiBatches))
	s.route("POST /api/v1/empowerment/batches", s.authed(s.apiBatchCreate))
	s.route("GET /api/v1/empowerment/requests", s.authed(s.apiRequests))
	s.route("POST /api/v1/empowerment/requests", s.authed(s.apiRequestCreate))
	s.route("POST /api/v1/empowerment/requests/{id}/refuse", s.authed(s.apiRequestRefuse))
	s.route("POST /api/v1/empowerment/grants", s.authed(s.apiGrant))
	s.route("POST /api/v1/empowerment/revoke", s.authed(s.apiRevoke))
	s.dutyEndpoints()
}

// MatterJSON is a matter as the API shows it.
type MatterJSON struct {
	Code         string `json:"code"`
	Type         string `json:"type"`
	TypeName     string `json:"type_name"`
	Name         string `json:"name"`
	Basis        string `json:"basis"`
	BasisLaw     string `json:"basis_law"`
	BasisArticle string `json:"basis_article"`
	Demo         bool   `json:"demo"`
}

func matterJSON(m catalog.Matter) MatterJSON {
	return MatterJSON{Code: m.Code, Type: m.Type, TypeName: m.TypeName, Name: m.Name, Basis: m.Basis(), BasisLaw: m.BasisLaw, BasisArticle: m.BasisArticle, Demo: m.Demo}
}

type itemsBody[T any] struct {
	Items []T `json:"items"`
}

func (s *Server) apiMatters(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	ms, err := s.Lists.Matters(r.Context(), actor, catalog.MatterFilter{Type: r.URL.Query().Get("type"), Q: r.URL.Query().Get("q")})
	if err != nil {
		return err
	}
	out := itemsBody[MatterJSON]{Items: []MatterJSON{}}
	for _, m := range ms {
		out.Items = append(out.Items, matterJSON(m))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiMatter(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if actor.Anonymous() {
		return errUnauthorized
	}
	m, err := s.Lists.Matter(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, matterJSON(m))
}

// MatterSave is the body that registers or changes a matter.
type MatterSave struct {
	catalog.MatterInput
	Reason string `json:"reason"`
}

func (s *Server) apiMatterSave(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in MatterSave
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	m, created, err := s.Lists.SaveMatter(r.Context(), actor, in.MatterInput, in.Reason)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, matterJSON(m))
}

func (s *Server) apiLists(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	ls, err := s.Lists.Overview(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, itemsBody[catalog.ListSummary]{Items: ls})
}

func pathList(r *http.Request) (catalog.ListKind, error) {
	return catalog.ParseList(r.PathValue("list"))
}

// versionParam reads ?version=N or ?at=DATE (the version in force at the end
// of that day); 0 is the current list.
func (s *Server) versionParam(r *http.Request, list catalog.ListKind) (int, error) {
	q := r.URL.Query()
	if v := q.Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, store.Invalid("version 必须是非负整数")
		}
		return n, nil
	}
	if at := q.Get("at"); at != "" {
		t, err := parseWhen(at)
		if err != nil {
			return 0, err
		}
		v, err := s.Lists.VersionAt(r.Context(), list, t)
		if err == nil && v == 0 {
			v = -1 // before the list's first version: empty
		}
		return v, err
	}
	return 0, nil
}

// parseWhen reads an RFC 3339 time or a date (the end of that day in
// Asia/Shanghai).
func parseWhen(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := catalog.ParseDate(v)
	if err != nil {
		return time.Time{}, err
	}
	return d.AddDate(0, 0, 1).Add(-time.Millisecond), nil
}

// ItemsPage is a list as of a version.
type ItemsPage struct {
	List    catalog.ListKind `json:"list"`
	Version int              `json:"version"`
	Items   []catalog.Item   `json:"items"`
}

func filterOf(q url.Values) catalog.Filter {
	return catalog.Filter{TownshipType: q.Get("township_type"), UnitCode: q.Get("unit"), Q: q.Get("q")}
}

func (s *Server) apiListItems(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	list, err := pathList(r)
	if err != nil {
		return err
	}
	var v int
	var items []catalog.Item
	if at := r.URL.Query().Get("at"); at != "" && r.URL.Query().Get("version") == "" {
		t, err := parseWhen(at)
		if err != nil {
			return err
		}
		if v, items, err = s.Lists.ItemsAsOf(r.Context(), actor, list, t, filterOf(r.URL.Query())); err != nil {
			return err
		}
		if items == nil {
			items = []catalog.Item{}
		}
		return writeJSON(w, http.StatusOK, ItemsPage{List: list, Version: v, Items: items})
	}
	if v, err = s.versionParam(r, list); err != nil {
		return err
	}
	if items, err = s.Lists.ItemsAt(r.Context(), actor, list, v, filterOf(r.URL.Query())); err != nil {
		return err
	}
	if v == 0 {
		if v, err = s.Lists.CurrentVersion(r.Context(), list); err != nil {
			return err
		}
	}
	if items == nil {
		items = []catalog.Item{}
	}
	return writeJSON(w, http.StatusOK, ItemsPage{List: list, Version: v, Items: items})
}

// ItemSave adds or changes an item.
type ItemSave struct {
	Item   catalog.ItemInput `json:"item"`
	Reason string            `json:"reason"`
}

// ItemSaved is the saved item and the version it made.
type ItemSaved struct {
	Item    catalog.Item    `json:"item"`
	Summary catalog.Summary `json:"summary"`
}

func (s *Server) apiListItemSave(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	list, err := pathList(r)
	if err != nil {
		return err
	}
	var in ItemSave
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	it, sum, err := s.Lists.SaveItem(r.Context(), actor, list, in.Item, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ItemSaved{Item: it, Summary: sum})
}

// ItemRemove takes an item off a list.
type ItemRemove struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

func (s *Server) apiListItemRemove(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	list, err := pathList(r)
	if err != nil {
		return err
	}
	var in ItemRemove
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sum, err := s.Lists.RemoveItem(r.Context(), actor, list, in.Key, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sum)
}

// ImportBody is a whole import: every row is checked first.
type ImportBody struct {
	Rows    []catalog.ImportRow `json:"rows"`
	Replace bool                `json:"replace"`
	Reason  string              `json:"reason"`
}

// ImportRefused is the 400 answer of an import with bad rows.
type ImportRefused struct {
	Error ErrorDetail        `json:"error"`
	Rows  []catalog.RowError `json:"rows"`
}

func (s *Server) apiListImport(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	list, err := pathList(r)
	if err != nil {
		return err
	}
	var in ImportBody
	if err := decodeJSONBody(w, r, maxImportBody, &in); err != nil {
		return err
	}
	res, err := s.Lists.Import(r.Context(), actor, list, in.Rows, catalog.ImportOptions{Replace: in.Replace, Reason: in.Reason})
	var ie *catalog.ImportError
	if errors.As(err, &ie) {
		return writeJSON(w, http.StatusBadRequest, ImportRefused{Error: ErrorDetail{Code: "invalid", Message: ie.Error()}, Rows: ie.Errors})
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) apiListExport(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	list, err := pathList(r)
	if err != nil {
		return err
	}
	v, err := s.versionParam(r, list)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := s.Lists.Export(r.Context(), actor, list, v, filterOf(r.URL.Query()), &b); err != nil {
		return err
	}
	name := list.Title()
	if v > 0 {
		name += fmt.Sprintf("-第%d版", v)
	}
	xlsx.Serve(w, xlsx.FileName(time.Now(), name), b.Bytes())
	return nil
}

func (s *Server) apiListVersions(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	list, err := pathList(r)
	if err != nil {
		return err
	}
	vs, err := s.Lists.Versions(r.Context(), actor, list)
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []catalog.Version{}
	}
	return writeJSON(w, http.StatusOK, itemsBody[catalog.Version]{Items: vs})
}

func (s *Server) apiListCompare(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	list, err := pathList(r)
	if err != nil {
		return err
	}
	a, _ := strconv.Atoi(r.URL.Query().Get("a"))
	b, _ := strconv.Atoi(r.URL.Query().Get("b"))
	ds, err := s.Lists.Compare(r.Context(), actor, list, a, b)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []catalog.Diff{}
	}
	return writeJSON(w, http.StatusOK, itemsBody[catalog.Diff]{Items: ds})
}

func (s *Server) apiCategoryMatters(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	cms, err := s.Lists.CategoryMatters(r.Context(), actor)
	if err != nil {
		return err
	}
	if cms == nil {
		cms = []catalog.CategoryMatter{}
	}
	return writeJSON(w, http.StatusOK, itemsBody[catalog.CategoryMatter]{Items: cms})
}

// CategoryMatterSave maps a category to a matter ("" removes the mapping).
type CategoryMatterSave struct {
	CategoryCode string `json:"category_code"`
	MatterCode   string `json:"matter_code"`
}

func (s *Server) apiCategoryMatterSave(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in CategoryMatterSave
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Lists.SetCategoryMatter(r.Context(), actor, in.CategoryCode, in.MatterCode); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, in)
}

func (s *Server) apiRoute(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if actor.Anonymous() {
		return errUnauthorized
	}
	rt, err := s.Lists.Route(r.Context(), r.PathValue("category"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rt)
}
