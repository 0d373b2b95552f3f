package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/dispatch"

	"grassroots/internal/civility/civilitytest"
	"grassroots/internal/org"
	"grassroots/internal/party"
	"grassroots/internal/service"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/volunteer"
)

// The authorisation walk: every route of the web UI, with every role from
// several units, checked against the rule — a township sees only its
// subtree and what is assigned to it, residents only their own cases by
// number + phone, administrators what their level allows. A route that is
// registered but missing from webRules fails the test: adding an endpoint
// means saying here who may use it.

// walkRole names one of the walk's users.
type walkRole string

const (
	roleAnon        walkRole = "anonymous"
	roleTownA       walkRole = "township A staff"
	roleTownB       walkRole = "township B staff"
	roleCommunity   walkRole = "community staff under A"
	roleGrid        walkRole = "grid worker under A"
	roleDept        walkRole = "department staff (lead of the case)"
	roleSupervisor  walkRole = "supervisor"
	roleCountyAdmin walkRole = "county administrator"
	roleTownAdmin   walkRole = "township A administrator"
)

var walkRoles = []walkRole{roleAnon, roleTownA, roleTownB, roleCommunity, roleGrid, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}

// The outcomes the walk tells apart.
type outcome string

const (
	allow outcome = "allow" // served: not refused, not sent to log in, no server error
	deny  outcome = "deny"  // 403 or 404
	login outcome = "login" // sent to the login page
)

// rule is who may use a route. The sets name the roles that are allowed;
// anonymous visitors are sent to log in unless Public.
type rule struct {
	// Path is the concrete URL walked, with the fixture's ids for the
	// pattern's wildcards ("{no}" is the case placed in township A, "{code}"
	// township A); "" means the pattern itself.
	Path string
	// Public routes serve everyone, anonymous visitors included.
	Public bool
	// Allow lists the signed-in roles that may use the route; the others are
	// refused (403/404).
	Allow []walkRole
	// NotFoundOK accepts a 404 for allowed roles (ids the fixture cannot
	// make, e.g. an import that never ran).
	NotFoundOK bool
	// Accept lists further statuses that mean "served" (a failed login's
	// 401, a logout's redirect).
	Accept []int
	// Form is the body of a POST, so that validation does not answer before
	// authorisation does.
	Form url.Values
	// ValidatesFirst marks a handler that checks its input before the
	// actor's role, so that a refused role may get 400 for the walk's form
	// instead of 403. It is a gap to close (report it), not a rule.
	ValidatesFirst bool
}

var (
	everyone  = []walkRole{roleTownA, roleTownB, roleCommunity, roleGrid, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}
	admins    = []walkRole{roleCountyAdmin, roleTownAdmin}
	seesCaseA = []walkRole{roleTownA, roleCommunity, roleGrid, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}
	// County departments are county-level units: they read the whole tree.
	seesUnitA   = []walkRole{roleTownA, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}
	countyAdmin = []walkRole{roleCountyAdmin}
	// Those who see township A in the area tree (stats, cockpit).
	seesTreeA   = []walkRole{roleTownA, roleSupervisor, roleCountyAdmin, roleTownAdmin}
	countyLevel = []walkRole{roleDept, roleSupervisor, roleCountyAdmin}
	nobody      = []walkRole{}
	// The service window is worked by township, community and department
	// staff and administrators; grid workers and supervisors do not handle it.
	serviceStaff = []walkRole{roleTownA, roleTownB, roleCommunity, roleDept, roleCountyAdmin, roleTownAdmin}
	gridOnly     = []walkRole{roleCommunity, roleGrid}
	adminsSupv   = []walkRole{roleSupervisor, roleCountyAdmin, roleTownAdmin}
	// The front line's records of a grid (contact groups) are kept by its
	// own grid worker, its community, its township and administrators.
	frontLine = []walkRole{roleTownA, roleCommunity, roleGrid, roleCountyAdmin, roleTownAdmin}
)

// webRules is every web route and who may use it.
func webRules(fx *walkFixture) map[string]rule {
	no := fx.caseNo
	vol := fmt.Sprintf("/volunteers/%d", fx.volunteer)
	civ := fmt.Sprintf("/civility/entries/%d", fx.civ.EntryID)
	civPerson := fmt.Sprintf("/civility/people/%d", fx.volunteer)
	rules := map[string]rule{
		"GET /static/":     {Path: "/static/app.css", Public: true},
		"GET /lang/{lang}": {Path: "/lang/en", Public: true},
		"GET /{$}":         {Path: "/", Allow: everyone},
		// Boundaries and tiles are geography: every signed-in user's maps
		// draw them (the fixture's county has no boundary, and no tiles).
		"GET /geo/county":        {Allow: everyone, NotFoundOK: true},
		"GET /tiles/{z}/{x}/{y}": {Path: "/tiles/12/3400/1700", Allow: everyone, NotFoundOK: true},
		"GET /login":             {Public: true},
		"POST /login":            {Public: true, Accept: []int{http.StatusUnauthorized}},
		"POST /logout":           {Public: true, Accept: []int{http.StatusSeeOther}},

		"GET /admin/users":                {Allow: admins},
		"POST /admin/users":               {Allow: admins},
		"GET /admin/users/{id}":           {Path: fmt.Sprintf("/admin/users/%d", fx.userA), Allow: admins},
		"POST /admin/users/{id}/roles":    {Path: fmt.Sprintf("/admin/users/%d/roles", fx.userA), Allow: admins},
		"POST /admin/users/{id}/active":   {Path: fmt.Sprintf("/admin/users/%d/active", fx.userA), Allow: admins},
		"POST /admin/users/{id}/password": {Path: fmt.Sprintf("/admin/users/%d/password", fx.userA), Allow: admins},
		"POST /admin/users/{id}/logout":   {Path: fmt.Sprintf("/admin/users/%d/logout", fx.userA), Allow: admins},
		"GET /admin/calendar":             {Allow: admins},
		// The working calendar is the county's: township administrators read it only.
		"POST /admin/calendar/days":              {Allow: countyAdmin},
		"POST /admin/calendar/days/{day}/delete": {Path: "/admin/calendar/days/2026-10-01/delete", Allow: countyAdmin, NotFoundOK: true},
		"POST /admin/calendar/hours":             {Allow: countyAdmin, Form: url.Values{"year": {"2026"}, "start": {"08:30", "14:30"}, "end": {"12:00", "17:30"}}},
		// The case categories are the county's: county administrators only.
		"GET /admin/categories":                    {Allow: countyAdmin},
		"POST /admin/categories":                   {Allow: countyAdmin, Accept: []int{http.StatusBadRequest}},
		"POST /admin/categories/{code}/department": {Path: "/admin/categories/B01001/department", Allow: countyAdmin, Form: url.Values{"dept": {"350722D003"}}},
		"POST /admin/categories/{code}/name":       {Path: "/admin/categories/L01/name", Allow: countyAdmin, Form: url.Values{"name": {"供暖供气"}}},
		"POST /admin/categories/{code}/active":     {Path: "/admin/categories/L01/active", Allow: countyAdmin, Form: url.Values{"active": {"1"}}},

		"GET /cases":                        {Allow: everyone},
		"GET /cases/export.xlsx":            {Allow: everyone},
		"POST /cases/search":                {Allow: adminsSupv, Form: url.Values{"q": {"13812345678"}}},
		"GET /cases/new":                    {Allow: everyone},
		"POST /cases/new":                   {Allow: everyone},
		"GET /cases/nearby":                 {Allow: everyone},
		"GET /cases/{no}":                   {Path: "/cases/" + no, Allow: seesCaseA},
		"GET /cases/{no}/map.json":          {Path: "/cases/" + no + "/map.json", Allow: seesCaseA},
		"POST /cases/{no}/actions/{action}": {Path: "/cases/" + no + "/actions/comment", Allow: seesCaseA},
		"GET /attachments/{id}":             {Path: "/attachments/999999", Allow: everyone, NotFoundOK: true},
		"GET /units/search":                 {Path: "/units/search?q=南浦", Allow: everyone},

		"GET /lists":             {Allow: everyone},
		"GET /lists/matters":     {Allow: everyone},
		"POST /lists/matters":    {Allow: countyAdmin, ValidatesFirst: true},
		"POST /lists/categories": {Allow: countyAdmin, ValidatesFirst: true},
		"GET /lists/attempts":    {Allow: everyone},
		// Duty documents: everyone reads (scoped); registering validates the
		// form first; clean-ups are the approval office's and county admins'.
		"GET /lists/duties":               {Allow: everyone},
		"POST /lists/duties":              {Allow: everyone, ValidatesFirst: true},
		"POST /lists/duties/{id}/cleanup": {Path: "/lists/duties/999999/cleanup", Allow: countyAdmin, ValidatesFirst: true, NotFoundOK: true},
		// Only the county staffing office (编办) grants access-list exceptions; none of the walk's users works there.
		"POST /lists/exceptions":             {Allow: nobody},
		"POST /lists/exceptions/{id}/revoke": {Path: "/lists/exceptions/999999/revoke", Allow: nobody},
		"GET /lists/requests":                {Allow: everyone},
		"POST /lists/requests":               {Allow: everyone},
		"POST /lists/requests/grant":         {Allow: countyAdmin, ValidatesFirst: true},
		"POST /lists/requests/{id}/refuse":   {Path: "/lists/requests/999999/refuse", Allow: admins, NotFoundOK: true},
		"POST /lists/batches":                {Allow: countyAdmin, ValidatesFirst: true},
		"GET /lists/{list}":                  {Path: "/lists/power", Allow: everyone},
		"GET /lists/{list}/item":             {Path: "/lists/power/item", Allow: admins},
		"POST /lists/{list}/items":           {Path: "/lists/power/items", Allow: admins},
		"POST /lists/{list}/items/remove":    {Path: "/lists/power/items/remove", Allow: admins, NotFoundOK: true},
		"GET /lists/{list}/history":          {Path: "/lists/power/history", Allow: everyone},
		"GET /lists/{list}/compare":          {Path: "/lists/power/compare", Allow: everyone},
		"GET /lists/{list}/export":           {Path: "/lists/power/export", Allow: everyone},
		"GET /lists/{list}/template":         {Path: "/lists/power/template", Allow: everyone},
		"POST /lists/{list}/import":          {Path: "/lists/power/import", Allow: admins},
		"GET /lists/{list}/imports/{id}":     {Path: "/lists/power/imports/999999", Allow: everyone, NotFoundOK: true},

		"GET /m":         {Allow: gridOnly},
		"GET /m/cases":   {Allow: gridOnly},
		"GET /m/report":  {Allow: gridOnly},
		"POST /m/report": {Allow: gridOnly},
		// The patrol log: the grid's own workers and community staff; no
		// patrol of that id (its rules: internal/patrol TestPatrolDay).
		"GET /m/patrol":             {Allow: gridOnly},
		"POST /m/patrol":            {Allow: gridOnly, NotFoundOK: true},
		"POST /m/patrol/{id}/notes": {Path: "/m/patrol/999999/notes", Allow: gridOnly, NotFoundOK: true},
		"POST /m/patrol/{id}/end":   {Path: "/m/patrol/999999/end", Allow: gridOnly, NotFoundOK: true},
		// The service worker's script holds no data: anyone may fetch it.
		"GET /m/sw.js": {Public: true},
		// A hotline case is not a grid event to check: the grid worker gets past authorisation to a 404.
		"GET /m/check/{no}":  {Path: "/m/check/" + no, Allow: gridOnly, NotFoundOK: true},
		"POST /m/check/{no}": {Path: "/m/check/" + no, Allow: gridOnly, NotFoundOK: true},
		// 每日一反馈 on the phone: the flow's feedback action decides who
		// gives it (internal/web TestMobileFeedback); a case the worker
		// cannot see is a 404.
		"GET /m/feedback/{no}":  {Path: "/m/feedback/" + no, Allow: gridOnly, NotFoundOK: true},
		"POST /m/feedback/{no}": {Path: "/m/feedback/" + no, Allow: gridOnly, NotFoundOK: true},

		// The grid page reads like the grid; contact groups are recorded by the
		// grid's own staff and those above it (not departments, supervisors
		// or another township).
		// The cockpit of a unit is read by those who see the unit in the tree
		// (township A's: its own staff, supervisors, the county administrator;
		// not its communities, not B, not a department, whose own cockpit is
		// its department's), as /stats.
		"GET /cockpit":                          {Path: "/cockpit?unit=" + fx.townA, Allow: seesTreeA},
		"GET /cockpit/panels/{panel}":           {Path: "/cockpit/panels/overdue?unit=" + fx.townA, Allow: seesTreeA},
		"GET /cockpit/cases":                    {Path: "/cockpit/cases?list=overdue&unit=" + fx.townA, Allow: seesTreeA},
		"GET /cockpit/reports":                  {Allow: everyone},
		"GET /cockpit/reports/{id}":             {Path: "/cockpit/reports/999999", Allow: seesTreeA, NotFoundOK: true},
		"GET /cockpit/reports/{id}/export.xlsx": {Path: "/cockpit/reports/999999/export.xlsx", Allow: seesTreeA, NotFoundOK: true},
		"GET /grids/{code}":                     {Path: "/grids/350722001001G01", Allow: seesCaseA},
		"GET /grids/{code}/ledger":              {Path: "/grids/350722001001G01/ledger?period=week", Allow: seesCaseA},
		"GET /grids/{code}/ledger.xlsx":         {Path: "/grids/350722001001G01/ledger.xlsx?period=month", Allow: seesCaseA},
		"POST /grids/{code}/groups":             {Path: "/grids/350722001001G01/groups", Allow: frontLine, Form: url.Values{"kind": {"owners"}, "name": {"业主群"}, "members": {"20"}}},
		"POST /grids/{code}/groups/{id}":        {Path: "/grids/350722001001G01/groups/999999", Allow: frontLine, NotFoundOK: true, Form: url.Values{"kind": {"owners"}, "name": {"业主群"}}},
		// A building or street leader's personal link: issued by those who keep the grid's front-line records (no such leader here: 404 past authorisation).
		"POST /grids/{code}/leaders/{id}/link": {Path: "/grids/350722001001G01/leaders/999999/link", Allow: frontLine, NotFoundOK: true},
		// The grid's households and residents (the workbook's 住户 and 居民 sheets): read like the grid, imported by its front line (a post with no file is a 400 past authorisation).
		"GET /grids/{code}/households":       {Path: "/grids/350722001001G01/households", Allow: seesCaseA},
		"GET /grids/{code}/households.xlsx":  {Path: "/grids/350722001001G01/households.xlsx", Allow: seesCaseA},
		"POST /grids/{code}/households":      {Path: "/grids/350722001001G01/households", Allow: frontLine, Accept: []int{http.StatusBadRequest}},
		"GET /org":                           {Allow: everyone},
		"GET /org/{code}":                    {Path: "/org/" + fx.townA, Allow: seesUnitA},
		"GET /org/party/{code}":              {Path: "/org/party/NOSUCH", Allow: everyone, NotFoundOK: true},
		"GET /org/party/{code}/members.xlsx": {Path: "/org/party/PWALK/members.xlsx", Allow: seesUnitA},
		// The register is kept by the organisation department (county administrators here) and by staff whose subtree holds the organisation's unit.
		"POST /org/party/{code}/import": {Path: "/org/party/PWALK/import", Allow: []walkRole{roleTownA, roleCountyAdmin, roleTownAdmin}, Accept: []int{http.StatusBadRequest}},
		// The party desk: the user's own unit by default; figures of a unit readable by those who read it.
		"GET /party":                            {Path: "/party?unit=350722001001", Allow: []walkRole{roleTownA, roleCommunity, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}},
		"POST /party/registrations/{id}/accept": {Path: "/party/registrations/999999/accept", Allow: []walkRole{roleTownA, roleCommunity, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}, NotFoundOK: true, Form: url.Values{"unit": {"350722001001"}, "grid": {"350722001001G01"}}},
		"POST /party/needs":                     {Allow: []walkRole{roleTownA, roleCommunity, roleCountyAdmin, roleTownAdmin}, Form: url.Values{"unit": {"350722001001"}, "title": {"助老理发"}, "headcount": {"2"}}},
		// The member's own page: the link's token is the credential (a made-up one is 404 for everyone).
		"POST /m/member/{token}/register": {Path: "/m/member/gm_nosuch/register", Public: true, NotFoundOK: true, Accept: []int{http.StatusNotFound}},
		// A building or street leader's own page: the same kind of key (internal/web TestLeaderReports).
		"GET /m/leader/{token}":                        {Path: "/m/leader/gm_nosuch", Public: true, NotFoundOK: true, Accept: []int{http.StatusNotFound}},
		"POST /m/leader/{token}/report":                {Path: "/m/leader/gm_nosuch/report", Public: true, NotFoundOK: true, Accept: []int{http.StatusNotFound}},
		"POST /m/member/{token}/reconfirm":             {Path: "/m/member/gm_nosuch/reconfirm", Public: true, NotFoundOK: true, Accept: []int{http.StatusNotFound}},
		"POST /m/member/{token}/needs/{id}/claim":      {Path: "/m/member/gm_nosuch/needs/1/claim", Public: true, NotFoundOK: true, Accept: []int{http.StatusNotFound}},
		"POST /m/member/{token}/activities/{id}/{dir}": {Path: "/m/member/gm_nosuch/activities/1/in", Public: true, NotFoundOK: true, Accept: []int{http.StatusNotFound}},
		"POST /party/activities/{id}/signoff":          {Path: "/party/activities/999999/signoff", Allow: []walkRole{roleTownA, roleCommunity, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}, NotFoundOK: true, Form: url.Values{"unit": {"350722001001"}}},
		"GET /party/letter":                            {Path: "/party/letter?unit=350722D003&year=2026&q=4", Allow: countyLevel},
		"GET /party/letter.xlsx":                       {Path: "/party/letter.xlsx?unit=350722D003&year=2026&q=4", Allow: countyLevel},
		"POST /org/{code}/name":                        {Path: "/org/" + fx.townA + "/name", Allow: admins, Form: url.Values{"name": {"南浦街道"}}},
		"POST /org/{code}/township-type":               {Path: "/org/" + fx.townA + "/township-type", Allow: countyAdmin, Form: url.Values{"township_type": {org.TownshipTypes()[0]}}},
		"POST /org/{code}/institutions/{id}/name":      {Path: "/org/" + fx.townA + "/institutions/999999/name", Allow: admins, NotFoundOK: true},
		"POST /org/{code}/modules/{id}/name":           {Path: "/org/" + fx.townA + "/modules/999999/name", Allow: admins, NotFoundOK: true},

		"GET /portal":             {Public: true},
		"GET /portal/report":      {Public: true},
		"POST /portal/report":     {Public: true},
		"GET /portal/report/done": {Public: true, NotFoundOK: true},
		"GET /portal/categories":  {Public: true},
		"GET /portal/track":       {Public: true},
		// Residents by number + phone: TestResidentSeesOnlyOwnCase.
		"POST /portal/track":      {Public: true, NotFoundOK: true},
		"POST /portal/track/rate": {Public: true, NotFoundOK: true},
		"GET /portal/feedback":    {Public: true},

		"GET /stats":             {Allow: everyone},
		"GET /stats/export.xlsx": {Allow: everyone},
		// The cases behind a count, in the actor's scope (TestRates).
		"GET /stats/cases":             {Allow: everyone},
		"GET /stats/cases/export.xlsx": {Allow: everyone},
		"GET /daily":                   {Allow: everyone},
		"GET /daily/export.xlsx":       {Allow: everyone},

		"GET /coord/{no}":                  {Path: "/coord/" + no, Allow: seesCaseA},
		"GET /enforcement":                 {Allow: everyone},
		"GET /enforcement/export.xlsx":     {Allow: everyone},
		"GET /enforcement/new":             {Allow: everyone},
		"POST /enforcement/new":            {Allow: []walkRole{roleTownA, roleTownB, roleDept, roleCountyAdmin, roleTownAdmin}},
		"GET /enforcement/zones":           {Allow: everyone},
		"GET /township-calls":              {Allow: everyone},
		"GET /township-calls/export.xlsx":  {Allow: everyone},
		"GET /township-calls/new":          {Allow: everyone},
		"POST /township-calls/new":         {Allow: []walkRole{roleTownA, roleTownB, roleCountyAdmin, roleTownAdmin}},
		"GET /whistles":                    {Allow: everyone},
		"GET /whistles/export.xlsx":        {Allow: everyone},
		"GET /whistles/members":            {Allow: everyone},
		"GET /whistles/new":                {Allow: everyone},
		"POST /whistles/new":               {Allow: []walkRole{roleTownA, roleTownB, roleCommunity, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}},
		"POST /whistles/cobuilding":        {Allow: []walkRole{roleTownA, roleTownB, roleCommunity, roleCountyAdmin, roleTownAdmin}},
		"POST /whistles/members/{id}/link": {Path: "/whistles/members/999999/link", Allow: []walkRole{roleTownA, roleTownB, roleCommunity, roleCountyAdmin, roleTownAdmin}, NotFoundOK: true},
		"GET /reportcard":                  {Allow: countyLevel},
		"GET /reportcard/export.xlsx":      {Allow: countyLevel},
		// A party member's personal link: the token is the credential, so
		// anyone holding it is served and a wrong one finds nothing.
		"GET /m/member/{token}":                   {Path: "/m/member/not-a-token", Public: true, NotFoundOK: true},
		"POST /m/member/{token}/actions/{action}": {Path: "/m/member/not-a-token/actions/report_in", Public: true, NotFoundOK: true},

		"GET /portal/service":               {Public: true},
		"GET /portal/service/done":          {Public: true, NotFoundOK: true},
		"GET /portal/service/items/{code}":  {Path: "/portal/service/items/NOSUCH", Public: true, NotFoundOK: true},
		"POST /portal/service/items/{code}": {Path: "/portal/service/items/NOSUCH", Public: true, NotFoundOK: true, Accept: []int{http.StatusBadRequest}},
		"GET /portal/service/track":         {Public: true},
		"POST /portal/service/track":        {Public: true, NotFoundOK: true},
		"POST /portal/service/review":       {Public: true, NotFoundOK: true},
		"POST /portal/service/supply":       {Public: true, NotFoundOK: true},
		"POST /portal/service/result":       {Public: true, NotFoundOK: true},

		"GET /service":                             {Allow: everyone},
		"GET /service/items/{code}":                {Path: "/service/items/NOSUCH", Allow: serviceStaff, NotFoundOK: true},
		"POST /service/items/{code}":               {Path: "/service/items/NOSUCH", Allow: serviceStaff, NotFoundOK: true},
		"GET /service/applications/{no}":           {Path: "/service/applications/" + no, Allow: serviceStaff, NotFoundOK: true},
		"POST /service/applications/{no}/{action}": {Path: "/service/applications/" + no + "/review", Allow: serviceStaff, NotFoundOK: true},
		"GET /service/applications/{no}/receipt":   {Path: "/service/applications/" + no + "/receipt", Allow: serviceStaff, NotFoundOK: true},
		"GET /service/notices/{no}":                {Path: "/service/notices/NOSUCH", Allow: serviceStaff, NotFoundOK: true},
		"GET /service/network":                     {Allow: everyone},
		"GET /service/figures":                     {Allow: serviceStaff},
		"GET /service/figures.xlsx":                {Allow: serviceStaff},
		// The back office's queue, the window roles and the online stations
		// (issue 21); who may assign a role or record a station at which
		// centre is the domain's (internal/service window_test.go).
		"GET /service/queue":              {Allow: serviceStaff},
		"GET /service/staff":              {Allow: everyone}, // like the network page
		"POST /service/staff":             {Allow: serviceStaff, NotFoundOK: true},
		"POST /service/staff/{id}/remove": {Path: "/service/staff/0/remove", Allow: serviceStaff, NotFoundOK: true},
		"GET /service/stations":           {Allow: everyone},
		"POST /service/stations":          {Allow: serviceStaff, Accept: []int{http.StatusBadRequest}},
		// Service items are the county's: county administrators and the approval office maintain them.
		"GET /service/items/new":          {Allow: countyAdmin},
		"POST /service/items/new":         {Allow: countyAdmin},
		"GET /service/items/{code}/edit":  {Path: "/service/items/NOSUCH/edit", Allow: countyAdmin, NotFoundOK: true},
		"POST /service/items/{code}/edit": {Path: "/service/items/NOSUCH/edit", Allow: countyAdmin},

		"GET /admin/apikeys":                                        {Allow: countyAdmin},
		"POST /admin/apikeys":                                       {Allow: countyAdmin, ValidatesFirst: true},
		"POST /admin/apikeys/{id}/revoke":                           {Path: "/admin/apikeys/999999/revoke", Allow: countyAdmin, NotFoundOK: true},
		"GET /admin/webhooks":                                       {Allow: countyAdmin},
		"POST /admin/webhooks":                                      {Allow: countyAdmin, ValidatesFirst: true},
		"GET /admin/webhooks/{id}":                                  {Path: "/admin/webhooks/999999", Allow: countyAdmin, NotFoundOK: true},
		"POST /admin/webhooks/{id}/active":                          {Path: "/admin/webhooks/999999/active", Allow: countyAdmin, NotFoundOK: true},
		"POST /admin/webhooks/{id}/delete":                          {Path: "/admin/webhooks/999999/delete", Allow: countyAdmin, NotFoundOK: true},
		"POST /admin/webhooks/{id}/deliveries/{delivery}/redeliver": {Path: "/admin/webhooks/999999/deliveries/999999/redeliver", Allow: countyAdmin, NotFoundOK: true},

		"GET /dispatch/suggest":                    {Path: "/dispatch/suggest?title=%E8%B7%AF%E7%81%AF", Allow: everyone},
		"GET /admin/dispatch":                      {Allow: countyAdmin},
		"POST /admin/dispatch/retrain":             {Allow: countyAdmin},
		"POST /admin/dispatch/models/{id}/restore": {Path: "/admin/dispatch/models/999999/restore", Allow: countyAdmin, NotFoundOK: true},

		"GET /reveal":        {Path: "/reveal?subject=case&ref=" + no + "&field=reporter_phone", Allow: everyone},
		"POST /reveal":       {Path: "/reveal?subject=case&ref=" + no + "&field=reporter_phone", Allow: []walkRole{roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}},
		"GET /admin/reveals": {Allow: adminsSupv},

		// The fixture's volunteer served at 仙楼社区 (under township A).
		"GET /volunteers":      {Allow: everyone},
		"GET /volunteers/{id}": {Path: vol, Allow: []walkRole{roleTownA, roleCommunity, roleSupervisor, roleCountyAdmin, roleTownAdmin}},
		// An organising unit back-fills the service of its own activities, for anyone who served in them.
		"POST /volunteers/{id}/backfill": {Path: vol + "/backfill", Allow: []walkRole{roleTownA, roleTownB, roleCommunity, roleCountyAdmin, roleTownAdmin},
			Form: url.Values{"start": {"2026-01-05T09:00"}, "end": {"2026-01-05T11:00"}, "minutes": {"60"}, "content": {"敬老院探访"}, "reason": {"未签到"}}},
		"POST /volunteers/{id}/entries/{entry}/approve": {Path: vol + "/entries/999999/approve", Allow: []walkRole{roleTownA, roleTownB, roleCommunity, roleSupervisor, roleCountyAdmin, roleTownAdmin}, NotFoundOK: true},
		"POST /volunteers/{id}/certificates": {Path: vol + "/certificates", Allow: []walkRole{roleTownA, roleCommunity, roleCountyAdmin, roleTownAdmin},
			Form: url.Values{"from": {"2000-01-01"}, "to": {"2099-12-31"}, "responsible": {"社区书记"}}},
		"POST /certificates/{no}/issue": {Path: "/certificates/NOSUCH/issue", Allow: everyone, NotFoundOK: true},
		"GET /certificates/{no}":        {Path: "/certificates/NOSUCH", Allow: everyone, NotFoundOK: true},
		"GET /verify/{payload}":         {Path: "/verify/not-a-certificate", Public: true},
		// The CSV export and the good deeds are the user's own subtree.
		"GET /volunteers/export.csv": {Allow: everyone},
		// Corrections of unknown ids: 404 to those who may read the volunteer's record at all (the record is refused first).
		"POST /volunteers/{id}/entries/{entry}/correction":      {Path: vol + "/entries/999999/correction", Allow: []walkRole{roleTownA, roleTownB, roleCommunity, roleSupervisor, roleCountyAdmin, roleTownAdmin}, NotFoundOK: true, Form: url.Values{"reason": {"时长有误"}}},
		"POST /volunteers/{id}/corrections/{correction}/decide": {Path: vol + "/corrections/999999/decide", Allow: []walkRole{roleTownA, roleTownB, roleCommunity, roleSupervisor, roleCountyAdmin, roleTownAdmin}, NotFoundOK: true, Form: url.Values{"decision": {"refuse"}, "note": {"核实无误"}}},
		// One star is the community's to grant (the walk's volunteer has not the hours: 400).
		"POST /volunteers/{id}/stars":    {Path: vol + "/stars", Allow: []walkRole{roleCommunity}, Form: url.Values{"level": {"1"}}},
		"POST /certificates/{no}/revoke": {Path: "/certificates/NOSUCH/revoke", Allow: everyone, NotFoundOK: true, Form: url.Values{"reason": {"错误"}}},
		// The street's committee: read by those who read the street; kept by its staff and administrators.
		"GET /party/committees/{code}": {Path: "/party/committees/PWALK", Allow: seesUnitA},
		"POST /party/committees/{code}/members": {Path: "/party/committees/PWALK/members", Allow: []walkRole{roleTownA, roleCountyAdmin, roleTownAdmin},
			Form: url.Values{"name": {"兼职委员"}, "part_time": {"1"}, "from_unit": {"350722D003"}, "term_from": {"2026-01-01"}, "term_to": {"2028-12-31"}}},
		"POST /party/committees/{code}/meetings": {Path: "/party/committees/PWALK/meetings", Allow: []walkRole{roleTownA, roleCountyAdmin, roleTownAdmin},
			Form: url.Values{"held_on": {"2026-01-05"}, "title": {"联席会议"}, "attendees": {"书记、委员"}, "decisions": {"推进共建"}}},
		"POST /party/followups/{id}/case": {Path: "/party/followups/999999/case", Allow: everyone, NotFoundOK: true},
		// Centres, agreements and activities of 仙楼社区: its own staff, the street and administrators.
		"POST /party/centres": {Allow: []walkRole{roleTownA, roleCommunity, roleCountyAdmin, roleTownAdmin}, Form: url.Values{"unit": {"350722001001"}, "name": {"仙楼社区党群服务中心"}}},
		"POST /party/agreements": {Allow: []walkRole{roleTownA, roleCommunity, roleCountyAdmin, roleTownAdmin}, Form: url.Values{"unit": {"350722001001"}, "partner": {"350722D002"},
			"term_from": {"2026-01-01"}, "term_to": {"2027-12-31"}, "liaison": {"联络员"}, "c_kind": {"people"}, "c_what": {"组织服务"}, "c_target": {"10"}}},
		"POST /party/commitments/{id}/progress": {Path: "/party/commitments/999999/progress", Allow: []walkRole{roleTownA, roleCommunity, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}, NotFoundOK: true, Form: url.Values{"unit": {"350722001001"}, "done": {"1"}}},
		"POST /party/agreements/{id}/evaluate":  {Path: "/party/agreements/999999/evaluate", Allow: []walkRole{roleTownA, roleCommunity, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}, NotFoundOK: true, Form: url.Values{"unit": {"350722001001"}, "year": {"2026"}, "grade": {"好"}}},
		"POST /party/activities": {Allow: []walkRole{roleTownA, roleCommunity, roleCountyAdmin, roleTownAdmin}, Form: url.Values{"unit": {"350722001001"}, "title": {"义诊"}, "place": {"仙楼社区"},
			"starts_at": {"2026-01-05T09:00"}, "ends_at": {"2026-01-05T11:00"}}},
		"POST /party/activities/{id}/attendance": {Path: "/party/activities/999999/attendance", Allow: []walkRole{roleTownA, roleCommunity, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}, NotFoundOK: true,
			Form: url.Values{"unit": {"350722001001"}, "person": {"1"}, "in": {"2026-01-05T09:00"}, "out": {"2026-01-05T10:00"}}},
		"GET /deeds": {Allow: everyone},
		// No deed of that id: a photo is 404 to everyone (TestPartyWebForms covers who sees one).
		"GET /deeds/{id}/photo": {Path: "/deeds/999999/photo", Allow: everyone, NotFoundOK: true},
		"POST /deeds": {Allow: []walkRole{roleTownA, roleCommunity, roleCountyAdmin, roleTownAdmin}, Form: url.Values{"community": {"350722001001"}, "doer_unit": {"350722D003"},
			"beneficiary": {"独居老人"}, "problem": {"楼道灯不亮"}}},
		// Marking a case as a good deed is the case's community's (the walk's case is open: 400 to them).
		"POST /cases/{no}/deed": {Path: "/cases/" + no + "/deed", Allow: []walkRole{roleTownA, roleCommunity, roleCountyAdmin, roleTownAdmin}, Form: url.Values{"doer": {"u1"}}},

		// Civility (docs/AUTHORIZATION.md, "Civic behaviour records"): the
		// fixture's entry is about the volunteer of 仙楼社区 (under township
		// A). Recorders are the person's community and township staff and
		// the grid workers of the community; reviewers its community and
		// township staff; county-level users see figures, not people.
		"GET /civility":                        {Allow: everyone},
		"POST /civility/entries":               {Allow: civRecorders, Form: civEntry(fx)},
		"GET /civility/entries.xlsx":           {Allow: []walkRole{roleTownA, roleTownB, roleCommunity, roleGrid}},
		"GET /civility/entries/{id}":           {Path: civ, Allow: civRecorders},
		"POST /civility/entries/{id}/review":   {Path: civ + "/review", Allow: civReviewers, Form: url.Values{"decision": {"approve"}, "note": {"属实"}}},
		"POST /civility/entries/{id}/appeal":   {Path: civ + "/appeal", Allow: civReviewers, Form: url.Values{"reason": {"不是本人"}}},
		"POST /civility/entries/{id}/effect":   {Path: civ + "/effect", Allow: civReviewers},
		"POST /civility/entries/{id}/repair":   {Path: civ + "/repair", Allow: civReviewers},
		"GET /civility/entries/{id}/notice":    {Path: civ + "/notice", Allow: civRecorders},
		"GET /civility/people/{id}":            {Path: civPerson, Allow: civReviewers},
		"POST /civility/people/{id}/collect":   {Path: civPerson + "/collect", Allow: civReviewers, Form: url.Values{"volunteer_entry": {fmt.Sprint(fx.served)}}},
		"POST /civility/people/{id}/card":      {Path: fmt.Sprintf("/civility/people/%d/card", fx.resident), Allow: civReviewers, Form: url.Values{"pin": {"135790"}, "consent": {"1"}}},
		"POST /civility/people/{id}/volunteer": {Path: civPerson + "/volunteer", Allow: civReviewers},
		// The form lists the user's own area's people; recording checks the person.
		"GET /civility/cases/{no}":  {Path: "/civility/cases/" + no, Allow: []walkRole{roleTownA, roleTownB, roleCommunity, roleGrid}},
		"POST /civility/cases/{no}": {Path: "/civility/cases/" + no, Allow: civRecorders, Form: civEntry(fx)},
		"GET /civility/counter":     {Allow: everyone},
		"POST /civility/counter": {Allow: civReviewers, Form: url.Values{"store": {fmt.Sprint(fx.civ.StoreID)}, "goods": {fmt.Sprint(fx.civ.GoodsID)},
			"card": {fx.civ.CardNo}, "quantity": {"1"}}},
		"GET /civility/catalogue": {Allow: everyone},
		"POST /civility/catalogue": {Allow: countyAdmin, Form: url.Values{"code": {"P-WALK"}, "name": {"演示条目"}, "kind": {"positive"},
			"points": {"1"}, "validity_days": {"30"}}},
		"POST /civility/incentives": {Allow: countyAdmin, Form: url.Values{"basis": {"balance"}, "threshold": {"10"}, "benefit": {"优先"}}},
		"GET /civility/figures":     {Allow: everyone},
		"GET /portal/civility":      {Public: true},
		"POST /portal/civility":     {Public: true, Form: url.Values{"card": {fx.civ.CardNo}, "pin": {civilitytest.PIN}}},
		"POST /portal/civility/appeal": {Public: true, Form: url.Values{"card": {fx.civ.CardNo}, "pin": {civilitytest.PIN},
			"entry": {fmt.Sprint(fx.civ.EntryID)}, "reason": {"不是本人"}}},
	}
	for k, v := range orgLedgerRules(fx) {
		rules[k] = v
	}
	return rules
}

var (
	civRecorders = []walkRole{roleTownA, roleCommunity, roleGrid}
	civReviewers = []walkRole{roleTownA, roleCommunity}
)

// civEntry is a patrol entry about the fixture's volunteer.
func civEntry(fx *walkFixture) url.Values {
	return url.Values{"person": {fmt.Sprint(fx.volunteer)}, "item": {"N-LITTER"}, "source": {"patrol"}, "occurred_at": {"2026-01-05T09:00"},
		"place": {"仙楼社区"}, "evidence": {"照片"}}
}

// walkFixture is the caseFixture's county with a user per role and a case
// placed in township A's grid, led by the department.
type walkFixture struct {
	*caseFixture
	actors map[walkRole]access.Actor
	caseNo string
	townA  string
	userA  int64
	// volunteer is a person with an activity of 仙楼社区 on record.
	volunteer int64
	// ledgers are the organisational ledgers' records.
	ledgers orgLedgerIDs

	// civ are the civility records about the volunteer; served is their
	// verified service entry.
	civ    civilitytest.Data
	served int64
	// resident is a second person of 仙楼社区, whose card the walk issues.
	resident int64
}

func newWalkFixture(t *testing.T, db *store.DB) *walkFixture {
	t.Helper()
	ctx := context.Background()
	fx := &walkFixture{caseFixture: newCaseFixture(t, db), townA: "350722001000"}
	// Every optional area wired, so that every route is registered.
	d := fx.s.Deps
	d.Lists = catalog.NewService(db)
	d.Service = service.New(db, d.Cases, d.Org.Sealer(), d.Log)
	d.Dispatch = dispatch.NewService(db, d.Log, func(context.Context) ([]dispatch.Example, error) {
		return []dispatch.Example{{Text: "路灯不亮", Label: "B01001"}, {Text: "噪音扰民", Label: "B02"}}, nil
	})
	s, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	fx.s = s
	t.Cleanup(d.Dispatch.Wait) // a retraining the walk starts ends first
	// The volunteer ledger, as cmd/grassroots wires it (good deeds from cases).
	s.Party.UseLedger(party.VolunteerLedger(s.Volunteer))
	fx.actors = map[walkRole]access.Actor{
		roleAnon:        {},
		roleTownA:       fx.actor(11, "350722001000", "street", access.RoleTownship),
		roleTownB:       fx.actor(12, "350722101000", "township", access.RoleTownship),
		roleCommunity:   fx.actor(13, "350722001001", "community", access.RoleCommunity),
		roleGrid:        fx.actor(14, "350722001001G01", "grid", access.RoleGrid),
		roleDept:        fx.actor(15, "350722D003", "department", access.RoleDepartment),
		roleSupervisor:  fx.actor(16, "350722000000", "county", access.RoleSupervisor),
		roleCountyAdmin: fx.actor(17, "350722000000", "county", access.RoleAdmin),
		roleTownAdmin:   fx.actor(18, "350722001000", "street", access.RoleAdmin),
	}
	u, err := fx.s.Auth.CreateUser(ctx, access.System, auth.NewUser{Username: "walk.a", Password: "walk-password-1", Name: "街道用户",
		UnitCode: "350722001000", Roles: []string{"township"}})
	if err != nil {
		t.Fatal(err)
	}
	fx.userA = u.ID
	// A 民生诉求 category of the county's own, for the routes that rename one.
	if _, err := fx.s.Lists.AddCategory(ctx, fx.actors[roleCountyAdmin], catalog.NewCategory{Code: "L01", Name: "供暖供气"}); err != nil {
		t.Fatal(err)
	}
	c, _, err := fx.s.Cases.Create(ctx, fx.actors[roleCountyAdmin], casework.NewCase{Flow: "hotline", RequestType: "help", Title: "仙楼路灯不亮",
		ReporterName: "李四", ReporterPhone: "13800005678", PlaceUnit: "350722001001G01", Dispatch: "350722D003"})
	if err != nil {
		t.Fatal(err)
	}
	fx.caseNo = c.No
	// The street's party working committee, for the party register's routes.
	if _, err := db.Exec(ctx, `INSERT INTO party_orgs (code, name, kind, path, depth, unit_id, created_at)
		SELECT 'PWALK', '南浦街道党工委', 'working_committee', '/walk/', 0, id, 0 FROM units WHERE code = ?`, fx.townA); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `INSERT INTO people (name, unit_id, role, created_at, updated_at) SELECT '志愿者赵某', id, 'party_member', 0, 0
		FROM units WHERE code = '350722001001' RETURNING id`).Scan(&fx.volunteer); err != nil {
		t.Fatal(err)
	}
	var xianlou int64
	if err := db.QueryRow(ctx, `SELECT id FROM units WHERE code = '350722001001'`).Scan(&xianlou); err != nil {
		t.Fatal(err)
	}
	in := time.Now().Add(-3 * time.Hour)
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		return fx.s.Volunteer.ActivitySignedOff(ctx, tx, volunteer.Activity{ID: 1, Title: "清理楼道", UnitID: xianlou, At: in.Add(2 * time.Hour),
			Attendees: []volunteer.Attendee{{PersonID: fx.volunteer, In: in, Out: in.Add(time.Hour)}}})
	}); err != nil {
		t.Fatal(err)
	}
	fx.ledgers = seedOrgLedgers(t, db, fx.s.Pairing, fx.s.TaskForce, fx.s.Staffing)

	fx.civ = civilitytest.Seed(t, db, fx.s.Civility, fx.volunteer, xianlou)
	if err := db.QueryRow(ctx, `INSERT INTO people (name, unit_id, role, created_at, updated_at) VALUES ('居民钱某', ?, 'resident', 0, 0) RETURNING id`, xianlou).Scan(&fx.resident); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT e.id FROM volunteer_entries e JOIN volunteers w ON w.id = e.volunteer_id WHERE w.person_id = ?`, fx.volunteer).Scan(&fx.served); err != nil {
		t.Fatal(err)
	}
	return fx
}

// serve sends one request as role through the UI's mux (the session layer
// is skipped; the CSRF walk below goes through it).
func (fx *walkFixture) serve(role walkRole, method, target string, form url.Values) (status int, location string, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	var r *http.Request
	if method == http.MethodGet {
		r = httptest.NewRequest(method, target, nil)
	} else {
		// The form carries the query's fields too (forms post them in the
		// body), and a reason for the actions that need one.
		body := url.Values{"reason": {"回访核实联系方式"}, "note": {"走访核实"}}
		if u, err := url.Parse(target); err == nil {
			for k, v := range u.Query() {
				body[k] = v
			}
		}
		for k, v := range form {
			body[k] = v
		}
		r = httptest.NewRequest(method, target, strings.NewReader(body.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	fx.s.mux.ServeHTTP(w, withState(r, requestState{Actor: fx.actors[role], CSRF: "test-csrf"}))
	return w.Code, w.Header().Get("Location"), nil
}

// judge turns a status into an outcome.
func judge(status int, location string) outcome {
	switch {
	case status == http.StatusSeeOther && strings.HasPrefix(location, "/login"):
		return login
	case status == http.StatusForbidden || status == http.StatusNotFound || status == http.StatusUnauthorized:
		return deny
	}
	return allow
}

func TestAuthorisationWalkWeb(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newWalkFixture(t, db)
		rules := webRules(fx)
		patterns := fx.s.Patterns()
		for _, p := range patterns {
			if _, ok := rules[p]; !ok {
				t.Errorf("route %q is not in the authorisation walk: add it to webRules with who may use it", p)
			}
		}
		for p := range rules {
			if !slices.Contains(patterns, p) {
				t.Errorf("webRules names %q, which is no longer a route: remove it", p)
			}
		}
		// GETs first, then the writes, so a write cannot hide a read's answer.
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
			for _, role := range walkRoles {
				want := deny
				switch {
				case rl.Public:
					want = allow
				case role == roleAnon:
					want = login
				case slices.Contains(rl.Allow, role):
					want = allow
				}
				status, loc, panicked := fx.serve(role, method, target, rl.Form)
				if panicked != nil {
					t.Errorf("%s %s as %s: panic %v", method, target, role, panicked)
					continue
				}
				got := judge(status, loc)
				if want == allow && (slices.Contains(rl.Accept, status) || (status == http.StatusNotFound && rl.NotFoundOK)) {
					got = allow
				}
				if status >= 500 {
					t.Errorf("%s %s as %s: server error %d", method, target, role, status)
					continue
				}
				if want == deny && rl.ValidatesFirst && status == http.StatusBadRequest {
					got = deny
				}
				if got != want {
					t.Errorf("%s %s as %s: %d (%s), want %s", method, target, role, status, got, want)
				}
			}
		}
	})
}

// TestCSRFOnEveryUnsafeRoute posts to every unsafe web route without a CSRF
// token, through the session layer, and expects each to be refused before
// its handler runs.
func TestCSRFOnEveryUnsafeRoute(t *testing.T) {
	t.Parallel()
	fx := newWalkFixture(t, storetest.SQLite(t))
	rules := webRules(fx)
	h := fx.s.Handler()
	n := 0
	for _, p := range fx.s.Patterns() {
		method, target, _ := strings.Cut(p, " ")
		if !unsafeMethod(method) {
			continue
		}
		if rl, ok := rules[p]; ok && rl.Path != "" {
			target = rl.Path
		}
		r := httptest.NewRequest(method, target, strings.NewReader("reason=x"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Errorf("%s %s without a CSRF token: %d, want 403", method, target, w.Code)
		}
		n++
	}
	if n < 10 {
		t.Errorf("only %d unsafe routes walked", n)
	}
}
