package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/service"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/worktime"
)

// The authorisation walk of the API: every route, with a token of every role
// from several units (and none), checked against the rule — a township sees
// only its subtree and what is assigned to it, administrators what their
// level allows, anonymous callers nothing but the OpenAPI document. A route
// registered but missing from apiRules fails the test.

type apiRole string

const (
	apiAnon        apiRole = "no token"
	apiTownA       apiRole = "township A staff"
	apiTownB       apiRole = "township B staff"
	apiCommunity   apiRole = "community staff under A"
	apiGrid        apiRole = "grid worker under A"
	apiDept        apiRole = "department staff (lead of the case)"
	apiSupervisor  apiRole = "supervisor"
	apiCountyAdmin apiRole = "county administrator"
	apiTownAdmin   apiRole = "township A administrator"
)

var apiRoles = []apiRole{apiAnon, apiTownA, apiTownB, apiCommunity, apiGrid, apiDept, apiSupervisor, apiCountyAdmin, apiTownAdmin}

var (
	apiEveryone     = []apiRole{apiTownA, apiTownB, apiCommunity, apiGrid, apiDept, apiSupervisor, apiCountyAdmin, apiTownAdmin}
	apiAdmins       = []apiRole{apiCountyAdmin, apiTownAdmin}
	apiCountyAdmin1 = []apiRole{apiCountyAdmin}
	apiSeesCaseA    = []apiRole{apiTownA, apiCommunity, apiGrid, apiDept, apiSupervisor, apiCountyAdmin, apiTownAdmin}
	apiSeesUnitA    = []apiRole{apiTownA, apiDept, apiSupervisor, apiCountyAdmin, apiTownAdmin}
	apiCountyLevel  = []apiRole{apiDept, apiSupervisor, apiCountyAdmin}
	apiNobody       = []apiRole{}
	// The service window is worked by township, community and department
	// staff and administrators; grid workers and supervisors do not handle it.
	apiServiceStaff = []apiRole{apiTownA, apiTownB, apiCommunity, apiDept, apiCountyAdmin, apiTownAdmin}
)

// apiRule is who may call a route; see the web walk's rule.
type apiRule struct {
	Path   string
	Body   string
	Public bool
	Allow  []apiRole
	// NotFoundOK accepts 404 for allowed roles (ids the fixture lacks).
	NotFoundOK bool
	// ValidatesFirst: the handler checks its input before the role, so a
	// refused role may get 400 for the walk's body (a gap to close).
	ValidatesFirst bool
}

func apiRules(fx *apiWalkFixture) map[string]apiRule {
	no, townA := fx.caseNo, "350722001000"
	return map[string]apiRule{
		"GET /api/v1/openapi.json": {Public: true},
		"GET /api/v1/me":           {Allow: apiEveryone},
		"GET /api/v1/users":        {Allow: apiAdmins},
		"POST /api/v1/users":       {Allow: apiAdmins, ValidatesFirst: true},

		"GET /api/v1/units":                    {Allow: apiEveryone},
		"GET /api/v1/units/{code}":             {Path: "/api/v1/units/" + townA, Allow: apiSeesUnitA},
		"GET /api/v1/party-orgs/{code}":        {Path: "/api/v1/party-orgs/NOSUCH", Allow: apiEveryone, NotFoundOK: true},
		"GET /api/v1/grids/at":                 {Path: "/api/v1/grids/at?lng=118.53&lat=27.92", Allow: apiEveryone, NotFoundOK: true},
		"POST /api/v1/people/{id}/member-link": {Path: "/api/v1/people/999999/member-link", Allow: []apiRole{apiTownA, apiTownB, apiCommunity, apiCountyAdmin, apiTownAdmin}, NotFoundOK: true},

		"GET /api/v1/calendar":               {Allow: apiEveryone},
		"GET /api/v1/calendar/hours":         {Allow: apiEveryone},
		"PUT /api/v1/calendar/days/{day}":    {Path: "/api/v1/calendar/days/2026-10-01", Body: `{"kind":"holiday","name":"国庆节"}`, Allow: apiCountyAdmin1},
		"DELETE /api/v1/calendar/days/{day}": {Path: "/api/v1/calendar/days/2026-10-01", Allow: apiCountyAdmin1, NotFoundOK: true},
		"PUT /api/v1/calendar/hours":         {Body: `{"periods":[{"start":"08:30","end":"12:00"},{"start":"14:30","end":"17:30"}]}`, Allow: apiCountyAdmin1},

		"POST /api/v1/cases":                       {Allow: apiEveryone, ValidatesFirst: true},
		"GET /api/v1/cases/{no}":                   {Path: "/api/v1/cases/" + no, Allow: apiSeesCaseA},
		"POST /api/v1/cases/{no}/actions/{action}": {Path: "/api/v1/cases/" + no + "/actions/comment", Body: `{"note":"走访核实"}`, Allow: apiSeesCaseA},
		"POST /api/v1/cases/{no}/attachments":      {Path: "/api/v1/cases/" + no + "/attachments", Allow: apiSeesCaseA, ValidatesFirst: true},
		"GET /api/v1/attachments/{id}":             {Path: "/api/v1/attachments/999999", Allow: apiEveryone, NotFoundOK: true},
		"GET /api/v1/categories":                   {Allow: apiEveryone},

		"GET /api/v1/matters":                           {Allow: apiEveryone},
		"GET /api/v1/matters/{code}":                    {Path: "/api/v1/matters/NOSUCH", Allow: apiEveryone, NotFoundOK: true},
		"POST /api/v1/matters":                          {Allow: apiNobody, ValidatesFirst: true},
		"GET /api/v1/lists":                             {Allow: apiEveryone},
		"GET /api/v1/lists/{list}/items":                {Path: "/api/v1/lists/power/items", Allow: apiEveryone},
		"GET /api/v1/lists/{list}/versions":             {Path: "/api/v1/lists/power/versions", Allow: apiEveryone},
		"GET /api/v1/lists/{list}/compare":              {Path: "/api/v1/lists/power/compare", Allow: apiEveryone, ValidatesFirst: true},
		"GET /api/v1/lists/{list}/export":               {Path: "/api/v1/lists/power/export", Allow: apiEveryone},
		"POST /api/v1/lists/{list}/items":               {Path: "/api/v1/lists/power/items", Allow: apiAdmins, ValidatesFirst: true},
		"POST /api/v1/lists/{list}/items/remove":        {Path: "/api/v1/lists/power/items/remove", Allow: apiAdmins, ValidatesFirst: true, NotFoundOK: true},
		"POST /api/v1/lists/{list}/import":              {Path: "/api/v1/lists/power/import", Allow: apiAdmins, ValidatesFirst: true},
		"GET /api/v1/category-matters":                  {Allow: apiEveryone},
		"POST /api/v1/category-matters":                 {Allow: apiCountyAdmin1, ValidatesFirst: true},
		"GET /api/v1/routes/{category}":                 {Path: "/api/v1/routes/NOSUCH", Allow: apiEveryone, NotFoundOK: true},
		"POST /api/v1/access/check":                     {Allow: apiEveryone, ValidatesFirst: true, NotFoundOK: true},
		"GET /api/v1/access/attempts":                   {Allow: apiEveryone},
		"GET /api/v1/access/exceptions":                 {Allow: apiEveryone},
		"POST /api/v1/access/exceptions":                {Allow: apiNobody, ValidatesFirst: true},
		"POST /api/v1/access/exceptions/{id}/revoke":    {Path: "/api/v1/access/exceptions/999999/revoke", Allow: apiNobody},
		"GET /api/v1/empowerment/batches":               {Allow: apiEveryone},
		"POST /api/v1/empowerment/batches":              {Allow: apiCountyAdmin1, ValidatesFirst: true},
		"POST /api/v1/empowerment/grants":               {Allow: apiCountyAdmin1, ValidatesFirst: true},
		"POST /api/v1/empowerment/revoke":               {Allow: apiCountyAdmin1, ValidatesFirst: true, NotFoundOK: true},
		"GET /api/v1/empowerment/requests":              {Allow: apiEveryone},
		"POST /api/v1/empowerment/requests":             {Allow: apiEveryone, ValidatesFirst: true},
		"POST /api/v1/empowerment/requests/{id}/refuse": {Path: "/api/v1/empowerment/requests/999999/refuse", Allow: apiAdmins, NotFoundOK: true, ValidatesFirst: true},
		"GET /api/v1/empowerment/may-decide":            {Allow: apiEveryone, ValidatesFirst: true, NotFoundOK: true},

		"GET /api/v1/whistles":                {Allow: apiEveryone},
		"GET /api/v1/whistles/summonables":    {Allow: apiEveryone, ValidatesFirst: true},
		"GET /api/v1/whistle-rate":            {Allow: []apiRole{apiSupervisor, apiCountyAdmin}},
		"POST /api/v1/co-building":            {Allow: []apiRole{apiTownA, apiTownB, apiCommunity, apiCountyAdmin, apiTownAdmin}, ValidatesFirst: true},
		"GET /api/v1/township-calls":          {Allow: apiEveryone},
		"GET /api/v1/township-calls/proposal": {Allow: apiEveryone, ValidatesFirst: true, NotFoundOK: true},
		"GET /api/v1/enforcement-cases":       {Allow: apiEveryone},
		"GET /api/v1/enforcement-zones":       {Allow: apiEveryone},
		"GET /api/v1/reportcard":              {Allow: apiCountyLevel},

		// The service window is not wired in this fixture (it answers 404 "便民服务未启用").

		"GET /api/v1/service-items":                         {Allow: apiEveryone, NotFoundOK: true},
		"GET /api/v1/service-items/{code}":                  {Path: "/api/v1/service-items/NOSUCH", Allow: apiEveryone, NotFoundOK: true},
		"GET /api/v1/service-applications/{no}":             {Path: "/api/v1/service-applications/" + no, Allow: apiSeesCaseA, NotFoundOK: true},
		"POST /api/v1/service-applications/{no}/review":     {Path: "/api/v1/service-applications/" + no + "/review", Allow: apiServiceStaff, NotFoundOK: true, ValidatesFirst: true},
		"POST /api/v1/service-applications/{no}/supplement": {Path: "/api/v1/service-applications/" + no + "/supplement", Allow: apiServiceStaff, NotFoundOK: true, ValidatesFirst: true},
		"POST /api/v1/service-applications/{no}/delivery":   {Path: "/api/v1/service-applications/" + no + "/delivery", Allow: apiServiceStaff, NotFoundOK: true, ValidatesFirst: true},
		"POST /api/v1/service-notices":                      {Allow: apiServiceStaff, ValidatesFirst: true, NotFoundOK: true},
		"GET /api/v1/service-figures":                       {Allow: apiServiceStaff, NotFoundOK: true},
		// Service items are the county's: county administrators and the approval office maintain them.
		"PUT /api/v1/service-items/{code}": {Path: "/api/v1/service-items/NOSUCH", Allow: apiCountyAdmin1},

		"GET /api/v1/cases":                        {Allow: apiEveryone},
		"POST /api/v1/cases/search":                {Body: `{"phone":"13812345678"}`, Allow: []apiRole{apiSupervisor, apiCountyAdmin, apiTownAdmin}},
		"GET /api/v1/daily":                        {Allow: apiEveryone, ValidatesFirst: true, NotFoundOK: true},
		"GET /api/v1/stats/rates":                  {Allow: apiEveryone, ValidatesFirst: true, NotFoundOK: true},
		"POST /api/v1/categories":                  {Allow: apiCountyAdmin1, ValidatesFirst: true},
		"PUT /api/v1/categories/{code}/department": {Path: "/api/v1/categories/NOSUCH/department", Allow: apiCountyAdmin1, ValidatesFirst: true, NotFoundOK: true},
		"PUT /api/v1/categories/{code}/name":       {Path: "/api/v1/categories/NOSUCH/name", Body: `{"name":"供暖供气"}`, Allow: apiCountyAdmin1, NotFoundOK: true},
		"PUT /api/v1/categories/{code}/active":     {Path: "/api/v1/categories/B01001/active", Body: `{"active":true}`, Allow: apiCountyAdmin1},

		"GET /api/v1/webhooks":                           {Allow: apiCountyAdmin1},
		"POST /api/v1/webhooks":                          {Allow: apiCountyAdmin1, ValidatesFirst: true},
		"GET /api/v1/webhooks/{id}":                      {Path: "/api/v1/webhooks/999999", Allow: apiCountyAdmin1, NotFoundOK: true},
		"DELETE /api/v1/webhooks/{id}":                   {Path: "/api/v1/webhooks/999999", Allow: apiCountyAdmin1, NotFoundOK: true},
		"POST /api/v1/webhooks/{id}/active":              {Path: "/api/v1/webhooks/999999/active", Allow: apiCountyAdmin1, NotFoundOK: true, ValidatesFirst: true},
		"GET /api/v1/webhooks/{id}/deliveries":           {Path: "/api/v1/webhooks/999999/deliveries", Allow: apiCountyAdmin1, NotFoundOK: true},
		"POST /api/v1/webhook-deliveries/{id}/redeliver": {Path: "/api/v1/webhook-deliveries/999999/redeliver", Allow: apiCountyAdmin1, NotFoundOK: true},
		"GET /api/v1/province/cases/{platform_id}":       {Path: "/api/v1/province/cases/NOSUCH", Allow: apiCountyAdmin1, NotFoundOK: true},
		"POST /api/v1/province/cases":                    {Allow: apiCountyAdmin1, ValidatesFirst: true},

		"POST /api/v1/reveals": {Body: `{"subject":"case","ref":"` + no + `","field":"reporter_phone","reason":"回访核实联系方式"}`,
			Allow: []apiRole{apiDept, apiSupervisor, apiCountyAdmin, apiTownAdmin}},
		"GET /api/v1/reveals": {Allow: []apiRole{apiSupervisor, apiCountyAdmin, apiTownAdmin}},
	}
}

type apiWalkFixture struct {
	s      *Server
	tokens map[apiRole]string
	caseNo string
}

func newAPIWalkFixture(t *testing.T, db *store.DB) *apiWalkFixture {
	t.Helper()
	ctx := context.Background()
	paths := map[string]string{}
	for _, u := range [][4]string{
		{"350722000000", "浦城县", "county", ""},
		{"350722D003", "县城市管理和综合执法局", "department", "350722000000"},
		{"350722001000", "南浦街道", "street", "350722000000"},
		{"350722001001", "仙楼社区", "community", "350722001000"},
		{"350722001001G01", "仙楼社区第一网格", "grid", "350722001001"},
		{"350722101000", "富岭镇", "township", "350722000000"},
	} {
		var parentID any
		path := "/"
		if u[3] != "" {
			p := paths[u[3]]
			id, _ := strconv.ParseInt(strings.Split(strings.Trim(p, "/"), "/")[strings.Count(p, "/")-2], 10, 64)
			parentID, path = id, p
		}
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, 0) RETURNING id`,
			u[0], u[1], u[2], parentID, "tmp"+u[0], strings.Count(path, "/")-1).Scan(&id); err != nil {
			t.Fatal(err)
		}
		path += strconv.FormatInt(id, 10) + "/"
		if _, err := db.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, path, id); err != nil {
			t.Fatal(err)
		}
		paths[u[0]] = path
	}
	work, err := worktime.NewService(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := pii.New(make([]byte, pii.KeySize))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases, err := casework.NewService(db, casework.Deps{
		Calendar: func(context.Context) (casework.Calendar, error) { return work.Calendar(), nil },
		Sealer:   sealer, Log: log, AttachDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cases.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	authSvc := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
	fx := &apiWalkFixture{tokens: map[apiRole]string{},
		s: New(Deps{DB: db, Log: log, Org: org.NewService(db, sealer), Auth: authSvc, Work: work, Cases: cases, Lists: catalog.NewService(db),
			Service: service.New(db, cases, sealer, log)})}
	for i, u := range []struct {
		role       apiRole
		unit, kind string
	}{
		{apiTownA, "350722001000", "township"}, {apiTownB, "350722101000", "township"}, {apiCommunity, "350722001001", "community"},
		{apiGrid, "350722001001G01", "grid"}, {apiDept, "350722D003", "department"}, {apiSupervisor, "350722000000", "supervisor"},
		{apiCountyAdmin, "350722000000", "admin"}, {apiTownAdmin, "350722001000", "admin"},
	} {
		name := fmt.Sprintf("walk%d", i)
		if _, err := authSvc.CreateUser(ctx, access.System, auth.NewUser{Username: name, Password: name + "-password", Name: string(u.role),
			UnitCode: u.unit, Roles: []string{u.kind}}); err != nil {
			t.Fatal(err)
		}
		tok, err := authSvc.CreateToken(ctx, access.System, name, "walk")
		if err != nil {
			t.Fatal(err)
		}
		fx.tokens[u.role] = tok
	}
	admin, err := authSvc.TokenActor(ctx, fx.tokens[apiCountyAdmin])
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := cases.Create(ctx, admin, casework.NewCase{Flow: "hotline", RequestType: "help", Title: "仙楼路灯不亮",
		ReporterName: "李四", ReporterPhone: "13800005678", PlaceUnit: "350722001001G01", Dispatch: "350722D003"})
	if err != nil {
		t.Fatal(err)
	}
	fx.caseNo = c.No
	return fx
}

func TestAuthorisationWalkAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newAPIWalkFixture(t, db)
		rules := apiRules(fx)
		patterns := fx.s.Patterns()
		for _, p := range patterns {
			if _, ok := rules[p]; !ok {
				t.Errorf("API route %q is not in the authorisation walk: add it to apiRules with who may use it", p)
			}
		}
		for p := range rules {
			if !slices.Contains(patterns, p) {
				t.Errorf("apiRules names %q, which is no longer a route: remove it", p)
			}
		}
		slices.SortStableFunc(patterns, func(a, b string) int {
			return strings.Compare(strings.Split(a, " ")[0], strings.Split(b, " ")[0])
		})
		for _, p := range patterns {
			rl, ok := rules[p]
			if !ok {
				continue
			}
			method, target, _ := strings.Cut(p, " ")
			if rl.Path != "" {
				target = rl.Path
			}
			for _, role := range apiRoles {
				wantAllow := rl.Public || slices.Contains(rl.Allow, role)
				body := rl.Body
				if body == "" && method != http.MethodGet && method != http.MethodDelete {
					body = "{}"
				}
				r := httptest.NewRequest(method, target, strings.NewReader(body))
				if body != "" {
					r.Header.Set("Content-Type", "application/json")
				}
				if tok := fx.tokens[role]; tok != "" {
					r.Header.Set("Authorization", "Bearer "+tok)
				}
				w := httptest.NewRecorder()
				func() {
					defer func() {
						if v := recover(); v != nil {
							t.Errorf("%s %s as %s: panic %v", method, target, role, v)
						}
					}()
					fx.s.Handler().ServeHTTP(w, r)
				}()
				status := w.Code
				if status >= 500 {
					t.Errorf("%s %s as %s: server error %d %s", method, target, role, status, w.Body.String())
					continue
				}
				refused := status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound
				switch {
				case wantAllow && refused && !(status == http.StatusNotFound && rl.NotFoundOK):
					t.Errorf("%s %s as %s: %d, want it served: %s", method, target, role, status, w.Body.String())
				case !wantAllow && !refused && !(rl.ValidatesFirst && status == http.StatusBadRequest):
					t.Errorf("%s %s as %s: %d, want 401/403/404", method, target, role, status)
				case !wantAllow && role == apiAnon && status != http.StatusUnauthorized:
					t.Errorf("%s %s without a token: %d, want 401", method, target, status)
				}
			}
		}
	})
}

// --- The flow walk: every action of every flow, and every intake ---------------
//
// docs/AUTHORIZATION.md is the table; flowWalkRows below is it written out
// by hand, row by row, for the walk's cast: a user of every role at the own
// unit, a unit below it and another township (and the call centre, the
// county and the supervision office). Every case is placed in township A's
// grid. Each row brings a fresh case to a status the action may be taken
// from (as the system), then every member of the cast tries the action
// through the API: an allowed one succeeds (and the next gets a fresh case),
// a refused one gets 403 or 404 and the case is unchanged.

type castMember string

const (
	castCentre      castMember = "call centre staff (D020)"
	castCountyAdmin castMember = "county administrator"
	castSupervisor  castMember = "supervisor (county)"
	castDeptD003    castMember = "department D003 staff"
	castDeptD002    castMember = "department D002 staff"
	castTownA       castMember = "township A staff"
	castTownAAdmin  castMember = "township A administrator"
	castCommunityA  castMember = "community A1 staff (below A)"
	castGridA       castMember = "grid A1-01 worker (below A1)"
	castTownB       castMember = "township B staff"
	castCommunityB  castMember = "village B1 staff (other township)"
	castGridB       castMember = "grid B1-01 worker (other township)"
)

var castOrder = []castMember{castCentre, castCountyAdmin, castSupervisor, castDeptD003, castDeptD002, castTownA, castTownAAdmin,
	castCommunityA, castGridA, castTownB, castCommunityB, castGridB}

// The walk's units beyond the API walk's: the call centre, a second
// department, and a village with a grid in township B.
var castUnits = map[castMember][2]string{
	castCentre: {"350722D020", "department"}, castCountyAdmin: {"350722000000", "admin"}, castSupervisor: {"350722000000", "supervisor"},
	castDeptD003: {"350722D003", "department"}, castDeptD002: {"350722D002", "department"}, castTownA: {"350722001000", "township"},
	castTownAAdmin: {"350722001000", "admin"}, castCommunityA: {"350722001001", "community"}, castGridA: {"350722001001G01", "grid"},
	castTownB: {"350722101000", "township"}, castCommunityB: {"350722101200", "community"}, castGridB: {"350722101200G01", "grid"},
}

// flowStep is one step of a row's set-up, taken as the system (or as by,
// when the step's author matters: the dispatcher approves extensions).
type flowStep struct {
	act  casework.Action
	part string // the unit whose part the step acts on
	by   castMember
}

// flowWalkRow is one row of the table: the action (or intake) and who may.
type flowWalkRow struct {
	flow, action string
	open         castMember // who opens the row's case
	in           casework.NewCase
	setup        []flowStep
	part         string // the unit of the part the action is tried on
	body         casework.Action
	allow        []castMember
}

var wpng = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
	0, 0, 0, 13, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82}

func photo(stage string) flowStep {
	return flowStep{act: casework.Action{Name: "comment", Note: "照片", Attachments: []casework.NewAttachment{{Name: stage + ".png", ContentType: "image/png", Data: wpng, Stage: stage}}}}
}

func st(name string, mod ...func(*casework.Action)) flowStep {
	a := casework.Action{Name: name, Note: "说明"}
	for _, m := range mod {
		m(&a)
	}
	return flowStep{act: a}
}

func unit(code string) func(*casework.Action) { return func(a *casework.Action) { a.UnitCode = code } }
func units(codes ...string) func(*casework.Action) {
	return func(a *casework.Action) { a.UnitCodes = codes }
}
func resolved(v bool) func(*casework.Action) {
	return func(a *casework.Action) { a.Resolved = &v }
}
func fields(kv ...string) func(*casework.Action) {
	return func(a *casework.Action) {
		a.Fields = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			a.Fields[kv[i]] = kv[i+1]
		}
	}
}
func on(s flowStep, part string) flowStep  { s.part = part; return s }
func by(s flowStep, m castMember) flowStep { s.by = m; return s }

const (
	uTownA, uCommA, uGridA = "350722001000", "350722001001", "350722001001G01"
	uD002, uD003           = "350722D002", "350722D003"
)

func flowWalkRows() []flowWalkRow {
	var rows []flowWalkRow
	add := func(r flowWalkRow) { rows = append(rows, r) }
	sees := func(extra ...castMember) []castMember {
		return append([]castMember{castCountyAdmin, castSupervisor, castTownA, castTownAAdmin, castCommunityA, castGridA}, extra...)
	}

	// 12345 hotline: received by the call centre, dispatched to township A.
	hot := casework.NewCase{Flow: "hotline", RequestType: "help", Title: "路灯不亮", PlaceUnit: uGridA, ReporterPhone: "13800001234"}
	h := func(action string, setup []flowStep, part string, body flowStep, allow ...castMember) {
		add(flowWalkRow{flow: "hotline", action: action, open: castCentre, in: hot, setup: setup, part: part, body: body.act, allow: allow})
	}
	disp := by(st("dispatch", unit(uTownA)), castCentre)
	signed := []flowStep{disp, st("sign")}
	answered := append(slices.Clone(signed), st("answer"))
	unresolved := append(slices.Clone(answered), st("revisit", resolved(false), func(a *casework.Action) { a.Satisfaction = "unsatisfied" }))
	ext := append(slices.Clone(signed), st("request_extension", func(a *casework.Action) { a.Days = 2 }))
	withSupport := []flowStep{disp, st("add_supporting", unit(uCommA))}
	h("dispatch", nil, "", st("dispatch", unit(uD003)), castCentre, castCountyAdmin)
	h("sign", []flowStep{disp}, uTownA, st("sign"), castTownA)
	h("sign_support", withSupport, uCommA, st("sign_support"), castCommunityA)
	h("return", []flowStep{disp}, uTownA, st("return"), castTownA)
	h("request_extension", signed, uTownA, st("request_extension", func(a *casework.Action) { a.Days = 2 }), castTownA)
	h("approve_extension", ext, uTownA, st("approve_extension"), castCentre, castCountyAdmin, castSupervisor)
	h("refuse_extension", ext, uTownA, st("refuse_extension"), castCentre, castCountyAdmin, castSupervisor)
	h("add_supporting", []flowStep{disp}, "", st("add_supporting", unit(uD002)), castTownA, castCentre, castCountyAdmin)
	h("support_done", append(slices.Clone(withSupport), on(st("sign_support"), uCommA)), uCommA, st("support_done"), castCommunityA)
	h("supervise", []flowStep{disp}, "", st("supervise"), castSupervisor)
	h("comment", nil, "", st("comment"), sees(castCentre)...)
	h("answer", signed, uTownA, st("answer"), castTownA)
	h("revisit", answered, "", st("revisit", resolved(false), func(a *casework.Action) { a.Satisfaction = "unsatisfied" }), castCentre, castCountyAdmin)
	h("reopen", unresolved, "", st("reopen"), castCentre, castCountyAdmin)
	h("close", unresolved, "", st("close"), castCentre, castCountyAdmin)

	// Grid events: reported by grid A1-01's worker, dispatched by township A
	// to community A1.
	ev := casework.NewCase{Flow: "grid_event", Category: "S06001", Title: "垃圾散落", PlaceUnit: uGridA}
	g := func(action string, setup []flowStep, part string, body flowStep, allow ...castMember) {
		add(flowWalkRow{flow: "grid_event", action: action, open: castGridA, in: ev, setup: setup, part: part, body: body.act, allow: allow})
	}
	setUp := []castMember{castTownA, castTownAAdmin, castCommunityA, castCountyAdmin, castSupervisor}
	reg := st("register")
	gdisp := []flowStep{reg, by(st("dispatch", unit(uCommA)), castTownA)}
	gsigned := append(slices.Clone(gdisp), st("sign"))
	gext := append(slices.Clone(gsigned), st("request_extension", func(a *casework.Action) { a.Days = 2 }))
	gsupport := append(slices.Clone(gdisp), st("add_supporting", unit(uGridA)))
	g("fix_on_spot", nil, "", st("fix_on_spot"), castGridA)
	g("register", nil, "", st("register"), setUp...)
	g("dismiss", nil, "", st("dismiss"), setUp...)
	g("dispatch", []flowStep{reg}, "", st("dispatch", unit(uD003)), setUp...)
	g("sign", gdisp, uCommA, st("sign"), castCommunityA)
	g("sign_support", gsupport, uGridA, st("sign_support"), castGridA)
	g("return", gdisp, uCommA, st("return"), castCommunityA)
	g("request_extension", gsigned, uCommA, st("request_extension", func(a *casework.Action) { a.Days = 2 }), castCommunityA)
	g("approve_extension", gext, uCommA, st("approve_extension"), castTownA, castTownAAdmin, castCountyAdmin, castSupervisor)
	g("refuse_extension", gext, uCommA, st("refuse_extension"), castTownA, castTownAAdmin, castCountyAdmin, castSupervisor)
	g("add_supporting", gdisp, "", st("add_supporting", unit(uD002)), castCommunityA, castTownA, castTownAAdmin, castCountyAdmin, castSupervisor)
	g("support_done", append(slices.Clone(gsupport), on(st("sign_support"), uGridA)), uGridA, st("support_done"), castGridA)
	g("supervise", gdisp, "", st("supervise"), castSupervisor)
	g("comment", nil, "", st("comment"), sees()...)
	g("report_handled", append(slices.Clone(gsigned), photo("after")), uCommA, st("report_handled"), castCommunityA)
	g("check", append(slices.Clone(gsigned), photo("after"), st("report_handled")), "", st("check", resolved(true)), castGridA, castCommunityA)

	// Whistles: township A blows a street whistle summoning community A1
	// and department D003; the part tried is community A1's.
	wh := casework.NewCase{Flow: "whistle", Kind: "street", Title: "燃气泄漏", PlaceUnit: uGridA}
	w := func(action string, setup []flowStep, part string, body flowStep, allow ...castMember) {
		add(flowWalkRow{flow: "whistle", action: action, open: castTownA, in: wh, setup: append([]flowStep{st("summon", units(uCommA, uD003))}, setup...),
			part: part, body: body.act, allow: allow})
	}
	reported := []flowStep{on(st("report_in"), uCommA)}
	resulted := append(slices.Clone(reported), on(st("report_result"), uCommA))
	whistler := []castMember{castTownA, castTownAAdmin}
	w("summon", nil, "", st("summon", units(uD002)), castTownA, castTownAAdmin, castCountyAdmin)
	w("accept_summons", nil, uCommA, st("accept_summons"), castCommunityA)
	w("refuse_summons", nil, uCommA, st("refuse_summons"), castCommunityA)
	w("report_in", nil, uCommA, st("report_in"), castCommunityA)
	w("report_result", reported, uCommA, st("report_result"), castCommunityA)
	w("accept_result", resulted, uCommA, st("accept_result", func(a *casework.Action) { a.Rating = 5 }), whistler...)
	w("reject_result", resulted, uCommA, st("reject_result"), whistler...)
	w("cancel", nil, "", st("cancel"), whistler...)
	w("supervise", nil, "", st("supervise"), castSupervisor)
	w("comment", nil, "", st("comment"), sees(castDeptD003)...)

	// Township calls: township A calls, department D003 responds.
	tc := casework.NewCase{Flow: "township_call", Title: "违建拆除需县级支持", PlaceUnit: uGridA}
	t := func(action string, setup []flowStep, part string, body flowStep, allow ...castMember) {
		add(flowWalkRow{flow: "township_call", action: action, open: castTownA, in: tc, setup: setup, part: part, body: body.act, allow: allow})
	}
	tdisp := by(st("dispatch", unit(uD003)), castTownA)
	tsigned := []flowStep{tdisp, st("sign")}
	tanswered := append(slices.Clone(tsigned), st("answer"))
	text := append(slices.Clone(tsigned), st("request_extension", func(a *casework.Action) { a.Days = 2 }))
	tsupport := []flowStep{tdisp, st("add_supporting", unit(uD002))}
	t("dispatch", nil, "", st("dispatch", unit(uD003)), castTownA, castSupervisor)
	t("sign", []flowStep{tdisp}, uD003, st("sign"), castDeptD003)
	t("sign_support", tsupport, uD002, st("sign_support"), castDeptD002)
	t("return", []flowStep{tdisp}, uD003, st("return"), castDeptD003)
	t("request_extension", tsigned, uD003, st("request_extension", func(a *casework.Action) { a.Days = 2 }), castDeptD003)
	t("approve_extension", text, uD003, st("approve_extension"), castTownA, castTownAAdmin, castCountyAdmin, castSupervisor)
	t("refuse_extension", text, uD003, st("refuse_extension"), castTownA, castTownAAdmin, castCountyAdmin, castSupervisor)
	t("add_supporting", []flowStep{tdisp}, "", st("add_supporting", unit(uD002)), castDeptD003, castTownA, castSupervisor)
	t("support_done", append(slices.Clone(tsupport), on(st("sign_support"), uD002)), uD002, st("support_done"), castDeptD002)
	t("supervise", []flowStep{tdisp}, "", st("supervise"), castSupervisor)
	t("comment", nil, "", st("comment"), sees()...)
	t("answer", tsigned, uD003, st("answer"), castDeptD003)
	t("rate", tanswered, uD003, st("rate", resolved(true), func(a *casework.Action) { a.Rating = 5 }), castTownA)
	t("reassign", []flowStep{tdisp}, uD003, st("reassign", unit(uD002)), castSupervisor)
	t("withdraw", nil, "", st("withdraw"), castTownA)

	// Enforcement: township A's team opens a case and transfers it to D003.
	en := casework.NewCase{Flow: "enforcement", Title: "占道经营", PlaceUnit: uGridA}
	e := func(action string, setup []flowStep, part string, body flowStep, allow ...castMember) {
		add(flowWalkRow{flow: "enforcement", action: action, open: castTownA, in: en, setup: setup, part: part, body: body.act, allow: allow})
	}
	transfer := st("transfer", unit(uD003), fields("basis", "《城市管理执法办法》"))
	transferred := []flowStep{photo("evidence"), transfer}
	returned := append(slices.Clone(transferred), st("return_transfer"))
	e("transfer", []flowStep{photo("evidence")}, "", transfer, castTownA)
	e("accept_transfer", transferred, uD003, st("accept_transfer"), castDeptD003)
	e("return_transfer", transferred, uD003, st("return_transfer"), castDeptD003)
	e("dispute", returned, "", st("dispute"), castTownA)
	e("settle", append(slices.Clone(returned), st("dispute")), "", st("settle", unit(uD003)), castSupervisor)
	e("conclude", append(slices.Clone(transferred), st("accept_transfer")), uD003, st("conclude"), castDeptD003)
	e("close_own", nil, "", st("close_own"), castTownA)
	e("supervise", nil, "", st("supervise"), castSupervisor)
	e("comment", nil, "", st("comment"), sees()...)

	// Service applications: accepted at township A's window, handled by D003.
	sv := casework.NewCase{Flow: "service", Kind: "promised", Title: "低保申请", PlaceUnit: uGridA}
	s := func(action string, setup []flowStep, part string, body flowStep, allow ...castMember) {
		add(flowWalkRow{flow: "service", action: action, open: castTownA, in: sv, setup: setup, part: part, body: body.act, allow: allow})
	}
	window := []castMember{castTownA, castTownAAdmin, castCountyAdmin, castSupervisor}
	sdisp := st("dispatch", unit(uD003))
	ssigned := []flowStep{sdisp, st("sign")}
	s("dispatch", nil, "", sdisp, window...)
	s("fix_on_spot", nil, "", st("fix_on_spot"), castTownA, castTownAAdmin)
	s("sign", []flowStep{sdisp}, uD003, st("sign"), castDeptD003)
	s("return", []flowStep{sdisp}, uD003, st("return"), castDeptD003)
	s("ask_supplement", ssigned, uD003, st("ask_supplement"), castDeptD003)
	s("give_supplement", append(slices.Clone(ssigned), st("ask_supplement")), "", st("give_supplement", fields("via", "窗口")),
		castTownA, castTownAAdmin, castDeptD003, castCountyAdmin, castSupervisor)
	s("approve", ssigned, uD003, st("approve"), castDeptD003)
	s("refuse", ssigned, uD003, st("refuse"), castDeptD003)
	s("deliver", append(slices.Clone(ssigned), st("approve")), "", st("deliver", fields("delivery", "窗口领取")),
		castTownA, castTownAAdmin, castDeptD003, castCountyAdmin, castSupervisor)
	s("withdraw", nil, "", st("withdraw"), window...)
	s("supervise", []flowStep{sdisp}, "", st("supervise"), castSupervisor)
	s("comment", nil, "", st("comment"), sees()...)
	return rows
}

// flowIntakes is who may open a case of each flow in township A's grid.
func flowIntakes() map[string][]castMember {
	return map[string][]castMember{
		"hotline":    {castCentre, castCountyAdmin},
		"grid_event": {castCountyAdmin, castTownA, castTownAAdmin, castCommunityA, castGridA},
		// Whistles, township calls and enforcement transfers are opened for
		// a place inside the opener's area (county units: anywhere); service
		// applications ask the opener's role only, since any window accepts
		// any resident's application (同城通办, docs/AUTHORIZATION.md).
		"whistle":       {castCentre, castCountyAdmin, castSupervisor, castDeptD003, castDeptD002, castTownA, castTownAAdmin, castCommunityA},
		"township_call": {castCountyAdmin, castTownA, castTownAAdmin},
		"enforcement":   {castCentre, castCountyAdmin, castDeptD003, castDeptD002, castTownA, castTownAAdmin},
		"service":       {castCentre, castCountyAdmin, castDeptD003, castDeptD002, castTownA, castTownAAdmin, castCommunityA, castTownB, castCommunityB},
	}
}

type flowWalk struct {
	t      *testing.T
	s      *Server
	cases  *casework.Service
	tokens map[castMember]string
	actors map[castMember]access.Actor
}

func newFlowWalk(t *testing.T, db *store.DB) *flowWalk {
	t.Helper()
	ctx := context.Background()
	fx := newAPIWalkFixture(t, db)
	for _, u := range [][4]string{
		{"350722D020", "县12345便民服务中心", "department", "350722000000"},
		{"350722D002", "县住房和城乡建设局", "department", "350722000000"},
		{"350722101200", "某村", "village", "350722101000"},
		{"350722101200G01", "某村第一网格", "grid", "350722101200"},
	} {
		var parentID int64
		var parentPath string
		if err := db.QueryRow(ctx, `SELECT id, path FROM units WHERE code = ?`, u[3]).Scan(&parentID, &parentPath); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, 0) RETURNING id`,
			u[0], u[1], u[2], parentID, "tmp"+u[0], strings.Count(parentPath, "/")-1).Scan(&id); err != nil {
			t.Fatal(err)
		}
		path := parentPath + strconv.FormatInt(id, 10) + "/"
		if _, err := db.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, path, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('casework.call_centre.units', '350722D020', 0)`); err != nil {
		t.Fatal(err)
	}
	// The engine without the service window's hook, so that service
	// applications open without an item (the window's own checks are
	// internal/service's tests); the API serves the actions through it.
	cases, err := casework.NewService(db, casework.Deps{
		Calendar: func(context.Context) (casework.Calendar, error) { return fx.s.Work.Calendar(), nil },
		Sealer:   fx.s.Org.Sealer(), Log: fx.s.Log, AttachDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.s.Cases = cases
	w := &flowWalk{t: t, s: fx.s, cases: cases, tokens: map[castMember]string{}, actors: map[castMember]access.Actor{}}
	for i, m := range castOrder {
		name := fmt.Sprintf("cast%d", i)
		if _, err := fx.s.Auth.CreateUser(ctx, access.System, auth.NewUser{Username: name, Password: name + "-password", Name: string(m),
			UnitCode: castUnits[m][0], Roles: []string{castUnits[m][1]}}); err != nil {
			t.Fatal(err)
		}
		tok, err := fx.s.Auth.CreateToken(ctx, access.System, name, "walk")
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[m] = tok
		if w.actors[m], err = fx.s.Auth.TokenActor(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *flowWalk) post(m castMember, target string, body any) (int, string) {
	b, err := json.Marshal(body)
	if err != nil {
		w.t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+w.tokens[m])
	rec := httptest.NewRecorder()
	w.s.Handler().ServeHTTP(rec, r)
	return rec.Code, rec.Body.String()
}

// partOf is the id of the open part of unit code on case no.
func (w *flowWalk) partOf(no, code string) int64 {
	w.t.Helper()
	d, err := w.cases.Get(context.Background(), access.System, no)
	if err != nil {
		w.t.Fatal(err)
	}
	for i := len(d.Assignments) - 1; i >= 0; i-- {
		if a := d.Assignments[i]; a.UnitCode == code && a.PersonID == 0 {
			return a.ID
		}
	}
	w.t.Fatalf("%s has no part of %s", no, code)
	return 0
}

// prepare opens the row's case and takes its set-up steps.
func (w *flowWalk) prepare(r flowWalkRow) (no string, body casework.Action) {
	w.t.Helper()
	ctx := context.Background()
	c, _, err := w.cases.Create(ctx, w.actors[r.open], r.in)
	if err != nil {
		w.t.Fatalf("%s/%s: open as %s: %v", r.flow, r.action, r.open, err)
	}
	for _, s := range r.setup {
		act := s.act
		if s.part != "" {
			act.AssignmentID = w.partOf(c.No, s.part)
		}
		actor := access.System
		if s.by != "" {
			actor = w.actors[s.by]
		}
		if _, err := w.cases.Do(ctx, actor, c.No, act); err != nil {
			w.t.Fatalf("%s/%s: set-up %s: %v", r.flow, r.action, act.Name, err)
		}
	}
	body = r.body
	if r.part != "" {
		body.AssignmentID = w.partOf(c.No, r.part)
	}
	return c.No, body
}

func (w *flowWalk) state(no string) (int, int) {
	d, err := w.cases.Get(context.Background(), access.System, no)
	if err != nil {
		w.t.Fatal(err)
	}
	return d.Case.Version, len(d.Events)
}

func TestAuthorisationWalkFlowActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newFlowWalk(t, db)
		rows := flowWalkRows()
		// The walk covers the table whole: every action of every flow.
		covered := map[string]bool{}
		for _, r := range rows {
			covered[r.flow+"/"+r.action] = true
		}
		for _, f := range casework.BuiltinFlows() {
			for _, a := range f.Actions {
				if !covered[f.Name+"/"+a.Name] {
					t.Errorf("action %s/%s is not in the flow walk: add its row", f.Name, a.Name)
				}
			}
			if _, ok := flowIntakes()[f.Name]; !ok {
				t.Errorf("intake of %s is not in the flow walk", f.Name)
			}
		}
		for _, r := range rows {
			no, body := w.prepare(r)
			for _, m := range castOrder {
				allowed := slices.Contains(r.allow, m)
				v0, e0 := w.state(no)
				code, msg := w.post(m, "/api/v1/cases/"+no+"/actions/"+r.action, body)
				switch {
				case allowed && code != http.StatusOK:
					t.Errorf("%s/%s as %s: %d %s, want it done", r.flow, r.action, m, code, msg)
				case !allowed && code != http.StatusForbidden && code != http.StatusNotFound:
					t.Errorf("%s/%s as %s: %d %s, want 403/404", r.flow, r.action, m, code, msg)
				case !allowed:
					if v, e := w.state(no); v != v0 || e != e0 {
						t.Errorf("%s/%s as %s: refused, but the case changed (version %d→%d, events %d→%d)", r.flow, r.action, m, v0, v, e0, e)
					}
				}
				if code == http.StatusOK {
					no, body = w.prepare(r)
				}
			}
		}
		for flow, allow := range flowIntakes() {
			var in casework.NewCase
			for _, r := range rows {
				if r.flow == flow {
					in = r.in
				}
			}
			for _, m := range castOrder {
				var before int
				if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM cases`).Scan(&before); err != nil {
					t.Fatal(err)
				}
				code, msg := w.post(m, "/api/v1/cases", in)
				if flow == "service" {
					// The API takes applications only with the window's
					// service fields (internal/service checks those); the
					// engine's own rule is walked directly.
					_, _, err := w.cases.Create(context.Background(), w.actors[m], in)
					code, msg = http.StatusCreated, ""
					if err != nil {
						code, msg = http.StatusInternalServerError, err.Error()
						if errors.Is(err, store.ErrForbidden) {
							code = http.StatusForbidden
						}
					}
				}
				allowed := slices.Contains(allow, m)
				var after int
				if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM cases`).Scan(&after); err != nil {
					t.Fatal(err)
				}
				switch {
				case allowed && code != http.StatusCreated:
					t.Errorf("open %s as %s: %d %s, want 201", flow, m, code, msg)
				case !allowed && code != http.StatusForbidden:
					t.Errorf("open %s as %s: %d %s, want 403", flow, m, code, msg)
				case !allowed && after != before:
					t.Errorf("open %s as %s: refused, but %d cases were taken in", flow, m, after-before)
				}
			}
		}
	})
}
