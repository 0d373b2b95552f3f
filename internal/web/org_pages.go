package web

import (
	"bytes"
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// OrgIndexPage is the organisation browser's start: the county with its
// township-level units and departments, or the results of a search.
type OrgIndexPage struct {
	Page
	Query       string
	Searched    bool
	Results     []org.Unit
	County      org.Unit
	Counts      org.Counts
	Townships   []OrgChildRow
	Departments []OrgChildRow
}

// OrgChildRow is one child unit in a table, with the figures of its subtree.
type OrgChildRow struct {
	Unit     org.Unit
	Villages int // villages and communities below
	Grids    int
	People   int
	Children int // direct children
}

// OrgCrumb is one ancestor in a breadcrumb; Link is false for units the
// user may not open.
type OrgCrumb struct {
	Code, Name string
	Link       bool
}

// OrgRoleCount is the number of people in one role.
type OrgRoleCount struct {
	Role  string
	Count int
}

// OrgUnitPage is one unit: where it sits, its children with their figures,
// its modules and institutions, party organisations and people.
type OrgUnitPage struct {
	Page
	Unit           org.Unit
	Crumbs         []OrgCrumb
	Counts         org.Counts
	Roles          []OrgRoleCount
	Children       []OrgChildRow
	Modules        []org.Module
	PartyOrgs      []org.PartyOrg // tied to the unit itself
	ChildPartyOrgs []org.PartyOrg // tied to its children (grid branches, party groups)
	People         []org.Person   // tied to the unit itself
	Registered     []org.Person   // party members registered here (dual registration)
	CanEdit        bool
	CanSetType     bool
	TownshipTypes  []string
}

// IsGrid reports whether the page shows a grid.
func (p OrgUnitPage) IsGrid() bool { return p.Unit.Kind == org.KindGrid }

// OrgPartyPage is one party organisation: its chain upwards, its unit, the
// organisations under it and its members.
type OrgPartyPage struct {
	Page
	Org      org.PartyOrg
	Crumbs   []org.PartyOrg
	Children []org.PartyOrg
	Members  []org.Person
	// The register (internal/party), when the party registry is wired:
	// members of the organisation and those below it, with counts.
	Register    []party.PartyMember
	Count       party.OrgCount
	ChildCounts map[string]party.OrgCount
	Levels      []party.LevelCount
	MayKeep     bool
	// MayLink: community and township staff (and administrators) issue a
	// member's personal link from the register, for a member with a home
	// community (the party registry decides whose).
	MayLink     bool
	Import      *party.ImportResult
	ImportError string
	// Filter is the register's filter (name, home community, skill,
	// registered or not); FilterQuery carries it to the Excel export,
	// which exports what is filtered.
	Filter      party.MemberFilter
	FilterQuery template.URL // url.Values.Encode: safe in an href
	Filtered    bool
}

// memberFilter reads the register's filter from the query, for the
// organisation of code and those below it.
func memberFilter(r *http.Request, code string) (party.MemberFilter, string) {
	q := r.URL.Query()
	f := party.MemberFilter{OrgCode: code, Name: strings.TrimSpace(q.Get("name")), HomeCode: strings.TrimSpace(q.Get("home")),
		Skill: strings.TrimSpace(q.Get("skill")), Registered: strings.TrimSpace(q.Get("registered"))}
	v := url.Values{}
	for k, x := range map[string]string{"name": f.Name, "home": f.HomeCode, "skill": f.Skill, "registered": f.Registered} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return f, v.Encode()
}

// registerShown bounds the register rows a party organisation page lists
// (the Excel export has them all).
const registerShown = 300

// orgRoutes registers the organisation browser.
func (s *Server) orgRoutes() {
	s.mux.HandleFunc("GET /org", s.staff(s.orgIndex))
	s.mux.HandleFunc("GET /org/{code}", s.staff(s.orgUnit))
	s.mux.HandleFunc("GET /org/party/{code}", s.staff(s.orgParty))
	s.mux.HandleFunc("GET /org/party/{code}/members.xlsx", s.staff(s.orgPartyExport))
	s.mux.HandleFunc("POST /org/party/{code}/import", s.staff(s.orgPartyImport))
	s.mux.HandleFunc("POST /org/{code}/name", s.staff(s.orgRename))
	s.mux.HandleFunc("POST /org/{code}/township-type", s.staff(s.orgTownshipType))
	s.mux.HandleFunc("POST /org/{code}/institutions/{id}/name", s.staff(s.orgRenameInstitution))
	s.mux.HandleFunc("POST /org/{code}/modules/{id}/name", s.staff(s.orgRenameModule))
}

func (s *Server) orgIndex(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	q := r.URL.Query().Get("q")
	p := OrgIndexPage{Page: s.page(r, "org.title", "org"), Query: q}
	if q != "" {
		res, err := s.Org.Search(r.Context(), actor, q, 100)
		if err != nil {
			return err
		}
		p.Searched, p.Results = true, res
		return s.render(w, r, "org_index", p)
	}
	if !org.ReadsAll(actor) {
		// Below the county the browser starts at the user's own unit.
		http.Redirect(w, r, "/org/"+url.PathEscape(actor.UnitCode), http.StatusSeeOther)
		return nil
	}
	county, err := s.Org.County(r.Context())
	if err != nil {
		return err
	}
	p.County = county
	if p.Counts, err = s.Org.Counts(r.Context(), county.ID); err != nil {
		return err
	}
	children, err := s.Org.Children(r.Context(), actor, county.ID)
	if err != nil {
		return err
	}
	rows, err := s.childRows(r, children)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if row.Unit.Kind == org.KindDepartment {
			p.Departments = append(p.Departments, row)
		} else {
			p.Townships = append(p.Townships, row)
		}
	}
	return s.render(w, r, "org_index", p)
}

// childRows adds each child's subtree figures.
func (s *Server) childRows(r *http.Request, children []org.Unit) ([]OrgChildRow, error) {
	rows := make([]OrgChildRow, 0, len(children))
	for _, c := range children {
		cnt, err := s.Org.Counts(r.Context(), c.ID)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, v := range cnt.Children {
			n += v
		}
		rows = append(rows, OrgChildRow{Unit: c, Villages: cnt.Subtree[org.KindVillage] + cnt.Subtree[org.KindCommunity],
			Grids: cnt.Grids(), People: cnt.TotalPeople(), Children: n})
	}
	return rows, nil
}

func (s *Server) orgUnit(w http.ResponseWriter, r *http.Request) error {
	ctx, actor := r.Context(), actorOf(r)
	u, err := s.Org.UnitByCode(ctx, actor, r.PathValue("code"))
	if err != nil {
		return err
	}
	p := OrgUnitPage{Page: s.page(r, "", "org"), Unit: u, CanEdit: org.CanEdit(actor, u),
		CanSetType: u.IsTownshipLevel() && actor.Has(access.RoleAdmin) && actor.CountyWide(), TownshipTypes: org.TownshipTypes()}
	p.Title = u.Name
	if r.URL.Query().Get("saved") != "" {
		p.Flash = s.Msgs.T(p.Lang, "org.saved")
	}
	ancestors, err := s.Org.Ancestors(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, a := range ancestors {
		p.Crumbs = append(p.Crumbs, OrgCrumb{Code: a.Code, Name: a.Name, Link: org.CanRead(actor, a)})
	}
	if p.Counts, err = s.Org.Counts(ctx, u.ID); err != nil {
		return err
	}
	for _, role := range org.PersonRoles() {
		if n := p.Counts.People[role]; n > 0 {
			p.Roles = append(p.Roles, OrgRoleCount{Role: role, Count: n})
		}
	}
	children, err := s.Org.Children(ctx, actor, u.ID)
	if err != nil {
		return err
	}
	if p.Children, err = s.childRows(r, children); err != nil {
		return err
	}
	if u.IsTownshipLevel() {
		if p.Modules, err = s.Org.Modules(ctx, actor, u.ID); err != nil {
			return err
		}
	}
	if p.PartyOrgs, err = s.Org.PartyOrgsOfUnit(ctx, actor, u.ID); err != nil {
		return err
	}
	if u.Kind == org.KindGrid || u.IsVillageLevel() {
		if p.ChildPartyOrgs, err = s.Org.PartyOrgsUnder(ctx, actor, u.ID); err != nil {
			return err
		}
	}
	if p.People, err = s.Org.People(ctx, actor, u.ID, ""); err != nil {
		return err
	}
	if u.IsVillageLevel() {
		if p.Registered, err = s.Org.PartyMembersRegisteredAt(ctx, u.ID); err != nil {
			return err
		}
	}
	return s.render(w, r, "org_unit", p)
}

func (s *Server) orgParty(w http.ResponseWriter, r *http.Request) error {
	ctx, actor := r.Context(), actorOf(r)
	o, err := s.Org.PartyOrgByCode(ctx, actor, r.PathValue("code"))
	if err != nil {
		return err
	}
	p := OrgPartyPage{Page: s.page(r, "", "org"), Org: o}
	p.Title = o.Name
	if p.Crumbs, err = s.Org.PartyOrgAncestors(ctx, o); err != nil {
		return err
	}
	if p.Children, err = s.Org.PartyOrgChildren(ctx, actor, o.ID); err != nil {
		return err
	}
	if p.Members, err = s.Org.PartyOrgMembers(ctx, actor, o.ID); err != nil {
		return err
	}
	if err := s.partyRegister(r, &p); err != nil {
		return err
	}
	return s.render(w, r, "org_party", p)
}

// partyRegister fills the register part of a party organisation's page.
func (s *Server) partyRegister(r *http.Request, p *OrgPartyPage) error {
	if s.Party == nil {
		return nil
	}
	ctx, actor := r.Context(), actorOf(r)
	var children []party.OrgCount
	var err error
	if p.Count, children, p.Levels, err = s.Party.MemberCounts(ctx, actor, p.Org.Code); err != nil {
		return err
	}
	p.ChildCounts = map[string]party.OrgCount{}
	for _, c := range children {
		p.ChildCounts[c.Code] = c
	}
	var query string
	p.Filter, query = memberFilter(r, p.Org.Code)
	p.FilterQuery, p.Filtered = template.URL(query), query != ""
	f := p.Filter
	f.Limit = registerShown
	if p.Register, err = s.Party.Members(ctx, actor, f); err != nil {
		return err
	}
	p.MayKeep, err = s.Party.MayKeepOrg(ctx, actor, p.Org.Code)
	p.MayLink = actor.HasAny(access.RoleCommunity, access.RoleTownship, access.RoleAdmin)
	return err
}

// orgPartyExport sends the register of an organisation and those below
// it, filtered as the page is.
func (s *Server) orgPartyExport(w http.ResponseWriter, r *http.Request) error {
	if s.Party == nil {
		return store.NotFound("党员名册未启用")
	}
	o, err := s.Org.PartyOrgByCode(r.Context(), actorOf(r), r.PathValue("code"))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	f, _ := memberFilter(r, o.Code)
	if err := s.Party.ExportMembers(r.Context(), actorOf(r), f, &b); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(time.Now(), "党员名册", o.Name), b.Bytes())
	return nil
}

// orgPartyImport imports organisations and members from an .xlsx file;
// a file with a bad row imports nothing and the page lists the rows.
func (s *Server) orgPartyImport(w http.ResponseWriter, r *http.Request) error {
	if s.Party == nil {
		return store.NotFound("党员名册未启用")
	}
	ctx, actor := r.Context(), actorOf(r)
	o, err := s.Org.PartyOrgByCode(ctx, actor, r.PathValue("code"))
	if err != nil {
		return err
	}
	if ok, err := s.Party.MayKeepOrg(ctx, actor, o.Code); err != nil {
		return err
	} else if !ok {
		return store.Forbiddenf("无权登记%s的党员", o.Name)
	}
	if r.MultipartForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, 10<<20+1<<16)
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			return store.Invalid("上传的文件过大或格式不正确（不超过10MB的 .xlsx 文件）")
		}
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return store.Invalid("请选择要导入的 Excel 文件")
	}
	defer file.Close()
	res, ierr := s.Party.ImportRegister(ctx, actor, file)
	p := OrgPartyPage{Page: s.page(r, "", "org"), Org: o}
	p.Title = o.Name
	if p.Crumbs, err = s.Org.PartyOrgAncestors(ctx, o); err != nil {
		return err
	}
	if p.Children, err = s.Org.PartyOrgChildren(ctx, actor, o.ID); err != nil {
		return err
	}
	if err := s.partyRegister(r, &p); err != nil {
		return err
	}
	status := http.StatusOK
	if ierr != nil {
		msg, ok := userMessage(r, ierr)
		if !ok {
			return ierr
		}
		p.ImportError, status = msg, http.StatusBadRequest
	} else {
		p.Import = &res
		for i, re := range res.Errors {
			if msg, ok := userMessage(r, re.Err); ok {
				res.Errors[i].Message = msg
			}
		}
		if len(res.Errors) > 0 {
			status = http.StatusBadRequest
		}
	}
	s.renderStatus(w, r, status, "org_party", p)
	return nil
}

// orgSaved sends the user back to the unit page after a change.
func orgSaved(w http.ResponseWriter, r *http.Request, code string) error {
	http.Redirect(w, r, "/org/"+url.PathEscape(code)+"?saved=1", http.StatusSeeOther)
	return nil
}

func (s *Server) orgRename(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Org.UnitByCode(r.Context(), actorOf(r), r.PathValue("code"))
	if err != nil {
		return err
	}
	if err := s.Org.RenameUnit(r.Context(), actorOf(r), u.ID, r.PostFormValue("name")); err != nil {
		return err
	}
	return orgSaved(w, r, u.Code)
}

func (s *Server) orgTownshipType(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Org.UnitByCode(r.Context(), actorOf(r), r.PathValue("code"))
	if err != nil {
		return err
	}
	if err := s.Org.SetTownshipType(r.Context(), actorOf(r), u.ID, r.PostFormValue("township_type")); err != nil {
		return err
	}
	return orgSaved(w, r, u.Code)
}

func (s *Server) orgRenameInstitution(w http.ResponseWriter, r *http.Request) error {
	return s.orgRenameChild(w, r, false, s.Org.RenameInstitution)
}

func (s *Server) orgRenameModule(w http.ResponseWriter, r *http.Request) error {
	return s.orgRenameChild(w, r, true, s.Org.RenameModule)
}

// orgRenameChild renames a module or an institution of the unit in the path,
// refusing ids that belong to another unit.
func (s *Server) orgRenameChild(w http.ResponseWriter, r *http.Request, module bool, rename func(ctx context.Context, a access.Actor, id int64, name string) error) error {
	ctx, actor := r.Context(), actorOf(r)
	u, err := s.Org.UnitByCode(ctx, actor, r.PathValue("code"))
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到该机构或模块")
	}
	mods, err := s.Org.Modules(ctx, actor, u.ID)
	if err != nil {
		return err
	}
	found := false
	for _, m := range mods {
		found = found || (module && m.ID == id)
		for _, in := range m.Institutions {
			found = found || (!module && in.ID == id)
		}
	}
	if !found {
		return store.NotFound("该乡镇（街道）没有这个机构或模块")
	}
	if err := rename(ctx, actor, id, r.PostFormValue("name")); err != nil {
		return err
	}
	return orgSaved(w, r, u.Code)
}

// Centre shows the unit's centre point (GCJ-02), or "".
func (p OrgUnitPage) Centre() string {
	if p.Unit.Lng == nil || p.Unit.Lat == nil {
		return ""
	}
	return strconv.FormatFloat(*p.Unit.Lng, 'f', 6, 64) + ", " + strconv.FormatFloat(*p.Unit.Lat, 'f', 6, 64)
}

// ShowVillages reports whether any child has villages or communities below
// it (else the column is left out).
func (p OrgUnitPage) ShowVillages() bool {
	for _, c := range p.Children {
		if c.Villages > 0 {
			return true
		}
	}
	return false
}

// ShowGrids reports whether any child has grids below it (or is one).
func (p OrgUnitPage) ShowGrids() bool {
	for _, c := range p.Children {
		if c.Grids > 0 {
			return true
		}
	}
	return false
}
