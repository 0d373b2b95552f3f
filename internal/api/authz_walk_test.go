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
	"time"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/casework/walktest"
	"grassroots/internal/catalog"
	"grassroots/internal/dispatch"

	"grassroots/internal/civility/civilitytest"
	"grassroots/internal/org"
	"grassroots/internal/party"
	"grassroots/internal/pii"
	"grassroots/internal/service"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/volunteer"
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
	rules := map[string]apiRule{
		"GET /api/v1/openapi.json": {Public: true},
		"GET /api/v1/me":           {Allow: apiEveryone},
		"GET /api/v1/users":        {Allow: apiAdmins},
		"POST /api/v1/users":       {Allow: apiAdmins, ValidatesFirst: true},

		"GET /api/v1/units":        {Allow: apiEveryone},
		"GET /api/v1/units/{code}": {Path: "/api/v1/units/" + townA, Allow: apiSeesUnitA},
		// A grid's households and their residents: read like the grid; imported by its front line (internal/org TestHouseholds, TestResidents).
		"GET /api/v1/grids/{code}/households":  {Path: "/api/v1/grids/350722001001G01/households", Allow: apiSeesCaseA},
		"POST /api/v1/grids/{code}/households": {Path: "/api/v1/grids/350722001001G01/households", Body: `{"rows":[{"unit":"nosuch","room":"101","head_name":"张某某","residents":1}],"residents":[{"unit":"nosuch","room":"101","name":"张某某","relation":"户主"}]}`, Allow: []apiRole{apiTownA, apiCommunity, apiGrid, apiCountyAdmin, apiTownAdmin}},
		"GET /api/v1/party-orgs/{code}":        {Path: "/api/v1/party-orgs/NOSUCH", Allow: apiEveryone, NotFoundOK: true},
		"GET /api/v1/grids/at":                 {Path: "/api/v1/grids/at?lng=118.53&lat=27.92", Allow: apiEveryone, NotFoundOK: true},
		"POST /api/v1/people/{id}/member-link": {Path: "/api/v1/people/999999/member-link", Allow: []apiRole{apiTownA, apiTownB, apiCommunity, apiCountyAdmin, apiTownAdmin}, NotFoundOK: true},
		// A building or street leader's link: grid workers too (internal/party TestLeaderLinks).
		"POST /api/v1/people/{id}/leader-link": {Path: "/api/v1/people/999999/leader-link", Allow: []apiRole{apiTownA, apiTownB, apiCommunity, apiCountyAdmin, apiTownAdmin, apiGrid}, NotFoundOK: true},

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
		// Duty documents: everyone reads (scoped); registering is for a
		// department's own staff and the approval office (validated first:
		// the walk's empty body is refused before the role); clean-ups are
		// the approval office's and the county administrators'.
		"GET /api/v1/duty-documents":               {Allow: apiEveryone},
		"GET /api/v1/duty-documents/summary":       {Allow: apiEveryone},
		"POST /api/v1/duty-documents":              {Allow: apiEveryone, ValidatesFirst: true},
		"POST /api/v1/duty-documents/{id}/cleanup": {Path: "/api/v1/duty-documents/999999/cleanup", Allow: apiCountyAdmin1, ValidatesFirst: true, NotFoundOK: true},

		"GET /api/v1/whistles":             {Allow: apiEveryone},
		"GET /api/v1/whistles/summonables": {Allow: apiEveryone, ValidatesFirst: true},
		"GET /api/v1/whistle-rate":         {Allow: []apiRole{apiSupervisor, apiCountyAdmin}},
		"POST /api/v1/co-building":         {Allow: []apiRole{apiTownA, apiTownB, apiCommunity, apiCountyAdmin, apiTownAdmin}, ValidatesFirst: true},
		"GET /api/v1/party/members":        {Allow: apiEveryone},
		"GET /api/v1/party/agreements":     {Allow: apiEveryone},
		// The street's committee: read by those who read the street, kept by its staff and administrators; centres of the caller's readable units.
		"GET /api/v1/party/committees/{code}":           {Path: "/api/v1/party/committees/PAPI", Allow: apiSeesUnitA},
		"POST /api/v1/party/committees/{code}/members":  {Path: "/api/v1/party/committees/PAPI/members", Body: `{"name":"兼职委员","part_time":true,"from_unit":"350722D003","term_from":"2026-01-01","term_to":"2028-12-31"}`, Allow: []apiRole{apiTownA, apiCountyAdmin, apiTownAdmin}},
		"POST /api/v1/party/committees/{code}/meetings": {Path: "/api/v1/party/committees/PAPI/meetings", Body: `{"held_on":"2026-01-05","title":"联席会议","attendees":"书记","decisions":"推进共建","follow_ups":["修路灯"]}`, Allow: []apiRole{apiTownA, apiCountyAdmin, apiTownAdmin}},
		"POST /api/v1/party/followups/{id}/case":        {Path: "/api/v1/party/followups/999999/case", Allow: apiEveryone, NotFoundOK: true},
		"GET /api/v1/party/centres":                     {Path: "/api/v1/party/centres?unit=350722001001", Allow: []apiRole{apiTownA, apiCommunity, apiDept, apiSupervisor, apiCountyAdmin, apiTownAdmin}},
		"POST /api/v1/party/centres":                    {Body: `{"unit":"350722001001","name":"仙楼社区党群服务中心"}`, Allow: []apiRole{apiTownA, apiCommunity, apiCountyAdmin, apiTownAdmin}},
		"GET /api/v1/party/registrations":               {Allow: apiEveryone},
		"GET /api/v1/party/figures":                     {Path: "/api/v1/party/figures?unit=350722001001", Allow: []apiRole{apiTownA, apiCommunity, apiDept, apiSupervisor, apiCountyAdmin, apiTownAdmin}},
		"GET /api/v1/party/needs":                       {Allow: apiEveryone},
		"POST /api/v1/party/needs":                      {Body: `{"community":"350722001001","title":"助老理发"}`, Allow: []apiRole{apiTownA, apiCommunity, apiCountyAdmin, apiTownAdmin}},
		"POST /api/v1/party/activities":                 {Body: `{"community":"350722001001","title":"政策宣讲","place":"仙楼社区党群服务中心","starts_at":"2026-11-26T09:00:00+08:00","ends_at":"2026-11-26T11:00:00+08:00"}`, Allow: []apiRole{apiTownA, apiCommunity, apiCountyAdmin, apiTownAdmin}},
		"GET /api/v1/party/activities/{id}":             {Path: "/api/v1/party/activities/999999", Allow: apiEveryone, NotFoundOK: true},
		"POST /api/v1/party/activities/{id}/signoff":    {Path: "/api/v1/party/activities/999999/signoff", Body: `{}`, Allow: apiEveryone, NotFoundOK: true},
		"POST /api/v1/party/registrations":              {Body: `{"person_id":999999,"community":"350722001001"}`, Allow: []apiRole{apiTownA, apiCommunity, apiCountyAdmin, apiTownAdmin}, NotFoundOK: true},
		"POST /api/v1/party/registrations/{id}/accept":  {Path: "/api/v1/party/registrations/999999/accept", Body: `{"grid":"350722001001G01"}`, Allow: apiEveryone, NotFoundOK: true},
		"POST /api/v1/party/registrations/{id}/reject":  {Path: "/api/v1/party/registrations/999999/reject", Body: `{"reason":"不在本社区居住"}`, Allow: apiEveryone, NotFoundOK: true},
		"POST /api/v1/party/agreements":                 {Body: `{"community":"350722001001","unit":"350722D003","term_from":"2026-01-01","term_to":"2027-12-31","liaison":"联络员","commitments":[{"kind":"people","what":"服务","target":10}]}`, Allow: []apiRole{apiTownA, apiCommunity, apiCountyAdmin, apiTownAdmin}},
		"GET /api/v1/township-calls":                    {Allow: apiEveryone},
		"GET /api/v1/township-calls/proposal":           {Allow: apiEveryone, ValidatesFirst: true, NotFoundOK: true},
		"GET /api/v1/enforcement-cases":                 {Allow: apiEveryone},
		"GET /api/v1/enforcement-zones":                 {Allow: apiEveryone},
		"GET /api/v1/reportcard":                        {Allow: apiCountyLevel},

		// The service window is not wired in this fixture (it answers 404 "便民服务未启用").

		"GET /api/v1/service-items":                         {Allow: apiEveryone, NotFoundOK: true},
		"GET /api/v1/service-items/{code}":                  {Path: "/api/v1/service-items/NOSUCH", Allow: apiEveryone, NotFoundOK: true},
		"GET /api/v1/service-applications/{no}":             {Path: "/api/v1/service-applications/" + no, Allow: apiSeesCaseA, NotFoundOK: true},
		"POST /api/v1/service-applications/{no}/review":     {Path: "/api/v1/service-applications/" + no + "/review", Allow: apiServiceStaff, NotFoundOK: true, ValidatesFirst: true},
		"POST /api/v1/service-applications/{no}/supplement": {Path: "/api/v1/service-applications/" + no + "/supplement", Allow: apiServiceStaff, NotFoundOK: true, ValidatesFirst: true},
		"POST /api/v1/service-applications/{no}/delivery":   {Path: "/api/v1/service-applications/" + no + "/delivery", Allow: apiServiceStaff, NotFoundOK: true, ValidatesFirst: true},
		"POST /api/v1/service-notices":                      {Allow: apiServiceStaff, ValidatesFirst: true, NotFoundOK: true},
		"GET /api/v1/service-figures":                       {Allow: apiServiceStaff, NotFoundOK: true},
		// Issue 21: the back office's queue, window roles, online stations
		// and the provincial exchange's answer to a cross-county application.
		"GET /api/v1/service-queue":                       {Allow: apiServiceStaff, NotFoundOK: true},
		"POST /api/v1/service-staff":                      {Allow: apiServiceStaff, NotFoundOK: true, ValidatesFirst: true},
		"DELETE /api/v1/service-staff/{id}":               {Path: "/api/v1/service-staff/0", Allow: apiServiceStaff, NotFoundOK: true},
		"GET /api/v1/service-stations":                    {Allow: apiEveryone, NotFoundOK: true},
		"POST /api/v1/service-stations":                   {Allow: apiServiceStaff, NotFoundOK: true, ValidatesFirst: true},
		"POST /api/v1/service-applications/{no}/exchange": {Path: "/api/v1/service-applications/" + no + "/exchange", Allow: []apiRole{apiSupervisor, apiCountyAdmin}, NotFoundOK: true, ValidatesFirst: true},
		// Service items are the county's: county administrators and the approval office maintain them.
		"PUT /api/v1/service-items/{code}": {Path: "/api/v1/service-items/NOSUCH", Allow: apiCountyAdmin1},

		"GET /api/v1/cases":                        {Allow: apiEveryone},
		"POST /api/v1/cases/search":                {Body: `{"phone":"13812345678"}`, Allow: []apiRole{apiSupervisor, apiCountyAdmin, apiTownAdmin}},
		"GET /api/v1/daily":                        {Allow: apiEveryone, ValidatesFirst: true, NotFoundOK: true},
		"GET /api/v1/cockpit/panels/{panel}":       {Path: "/api/v1/cockpit/panels/rates?unit=350722001000", Allow: []apiRole{apiTownA, apiSupervisor, apiCountyAdmin, apiTownAdmin}},
		"GET /api/v1/cockpit/cases":                {Path: "/api/v1/cockpit/cases?list=supervised&unit=350722001000", Allow: []apiRole{apiTownA, apiSupervisor, apiCountyAdmin, apiTownAdmin}},
		"GET /api/v1/cockpit/reports":              {Allow: apiEveryone},
		"GET /api/v1/cockpit/reports/{id}":         {Path: "/api/v1/cockpit/reports/999999", Allow: []apiRole{apiTownA, apiSupervisor, apiCountyAdmin, apiTownAdmin}, NotFoundOK: true},
		"GET /api/v1/stats/rates":                  {Allow: apiEveryone, ValidatesFirst: true, NotFoundOK: true},
		"GET /api/v1/stats/cases":                  {Allow: apiEveryone, ValidatesFirst: true, NotFoundOK: true},
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

		// The fixture's volunteer served at 仙楼社区 (under township A).
		"GET /api/v1/volunteers/{id}/hours": {Path: fmt.Sprintf("/api/v1/volunteers/%d/hours", fx.volunteer),
			Allow: []apiRole{apiTownA, apiCommunity, apiSupervisor, apiCountyAdmin, apiTownAdmin}},
		"POST /api/v1/volunteers/{id}/certificates": {Path: fmt.Sprintf("/api/v1/volunteers/%d/certificates", fx.volunteer),
			Body:  `{"from":"2000-01-01","to":"2099-12-31","responsible":"社区书记"}`,
			Allow: []apiRole{apiTownA, apiCommunity, apiCountyAdmin, apiTownAdmin}},
		// No certificate of that number: who may issue gets 404 like everyone (the domain test covers the rule).
		"POST /api/v1/certificates/{no}/issue": {Path: "/api/v1/certificates/NOSUCH/issue", Allow: apiEveryone, NotFoundOK: true},
		"GET /api/v1/certificates/verify":      {Path: "/api/v1/certificates/verify?payload=not-a-certificate", Public: true},

		// Good deeds: everyone reads their own subtree's; recorded by the
		// organisers holding the community (仙楼社区, under township A). The
		// walk's case is open: its offer is null for whoever reads the case,
		// and marking it is refused (400) to those who confirm for 仙楼社区.
		"GET /api/v1/party/deeds": {Allow: apiEveryone},
		// No deed of that id: a photo is 404 to everyone (TestDeedEndpoints covers who reads one).
		"GET /api/v1/party/deeds/{id}/photo": {Path: "/api/v1/party/deeds/999999/photo", Allow: apiEveryone, NotFoundOK: true},
		"POST /api/v1/party/deeds": {Body: `{"community":"350722001001","doer_unit":"350722D003","beneficiary":"3号楼居民","problem":"修好楼道灯"}`,
			Allow: []apiRole{apiTownA, apiCommunity, apiCountyAdmin, apiTownAdmin}},
		"GET /api/v1/cases/{no}/deed":  {Path: "/api/v1/cases/" + no + "/deed", Allow: apiSeesCaseA},
		"POST /api/v1/cases/{no}/deed": {Path: "/api/v1/cases/" + no + "/deed", Body: `{"doer":"u1","beneficiary":"李四","problem":"路灯修好"}`, Allow: []apiRole{apiTownA, apiCommunity, apiCountyAdmin, apiTownAdmin}},

		// Smart dispatch: suggestions for anyone signed in; the models are
		// the county administrators'.
		"POST /api/v1/dispatch/suggestions":         {Body: `{"title":"小区路灯不亮"}`, Allow: apiEveryone},
		"GET /api/v1/dispatch/models":               {Allow: apiCountyAdmin1},
		"POST /api/v1/dispatch/models":              {Allow: apiCountyAdmin1},
		"POST /api/v1/dispatch/models/{id}/restore": {Path: "/api/v1/dispatch/models/999999/restore", Allow: apiCountyAdmin1, NotFoundOK: true},

		// Civility: the fixture's entry is about the volunteer of 仙楼社区
		// (docs/AUTHORIZATION.md, "Civic behaviour records").
		"GET /api/v1/civility/items": {Allow: apiEveryone},
		"POST /api/v1/civility/items": {Body: `{"code":"P-WALK","name":"演示条目","kind":"positive","points":1,"validity_days":30}`,
			Allow: apiCountyAdmin1},
		"GET /api/v1/civility/entries": {Allow: []apiRole{apiTownA, apiTownB, apiCommunity, apiGrid}},
		"POST /api/v1/civility/entries": {Body: fmt.Sprintf(`{"item":"N-LITTER","person_id":%d,"source":"patrol","place":"仙楼社区","occurred_at":"2026-01-05T09:00:00+08:00","evidence":"照片"}`, fx.volunteer),
			Allow: []apiRole{apiTownA, apiCommunity, apiGrid}},
		"POST /api/v1/civility/entries/{id}/review": {Path: fmt.Sprintf("/api/v1/civility/entries/%d/review", fx.civ.EntryID), Body: `{"approve":true,"note":"属实"}`,
			Allow: []apiRole{apiTownA, apiCommunity}},
		"POST /api/v1/civility/appeals": {Body: fmt.Sprintf(`{"entry_id":%d,"reason":"不是本人"}`, fx.civ.EntryID), Allow: []apiRole{apiTownA, apiCommunity}},
		// A counter serves any card of the county: name, unit and balance.
		"GET /api/v1/civility/accounts/{card}": {Path: "/api/v1/civility/accounts/" + fx.civ.CardNo,
			Allow: []apiRole{apiTownA, apiTownB, apiCommunity, apiCountyAdmin, apiTownAdmin}},
		"POST /api/v1/civility/redemptions": {Body: fmt.Sprintf(`{"store_id":%d,"goods_id":%d,"card_no":%q,"quantity":1}`, fx.civ.StoreID, fx.civ.GoodsID, fx.civ.CardNo),
			Allow: []apiRole{apiTownA, apiCommunity}},
		"GET /api/v1/civility/figures": {Allow: apiEveryone},
	}
	for k, v := range orgLedgerRules(fx) {
		rules[k] = v
	}
	return rules
}

type apiWalkFixture struct {
	s      *Server
	tokens map[apiRole]string
	caseNo string
	// volunteer is a person with an activity of 仙楼社区 on record.
	volunteer int64
	// ledgers are the organisational ledgers' records.
	ledgers orgLedgerIDs

	// civ are the civility records about the volunteer.
	civ civilitytest.Data
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
	lists := catalog.NewService(db)
	if err := lists.SeedCategories(ctx); err != nil {
		t.Fatal(err)
	}
	authSvc := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
	fx := &apiWalkFixture{tokens: map[apiRole]string{},
		s: New(Deps{DB: db, Log: log, Org: org.NewService(db, sealer), Auth: authSvc, Work: work, Cases: cases, Lists: lists,
			Service: service.New(db, cases, sealer, log), Dispatch: dispatch.NewService(db, log, walkExamples)})}
	// A retraining the walk starts runs in the background: it ends before
	// the database closes.
	t.Cleanup(fx.s.Dispatch.Wait)
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
	// The street's party working committee, for the committee endpoints.
	if _, err := db.Exec(ctx, `INSERT INTO party_orgs (code, name, kind, path, depth, unit_id, created_at)
		SELECT 'PAPI', '南浦街道党工委', 'working_committee', '/api/', 0, id, 0 FROM units WHERE code = '350722001000'`); err != nil {
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
	// The volunteer ledger, as cmd/grassroots wires it (good deeds from cases).
	fx.s.Party.UseLedger(party.VolunteerLedger(fx.s.Volunteer))

	fx.civ = civilitytest.Seed(t, db, fx.s.Civility, fx.volunteer, xianlou)
	return fx
}

func TestAuthorisationWalkAPI(t *testing.T) {
	t.Parallel()
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
// docs/AUTHORIZATION.md is the table; walktest.Rows is it written out by
// hand, row by row, for the walk's cast (walktest.Order): a user of every
// role at the own unit, a unit below it and another township (and the call
// centre, the county and the supervision office). Every case is placed in
// township A's grid. Each row brings a fresh case to a status the action may
// be taken from (as the system), then every member of the cast tries the
// action through the API: an allowed one succeeds (and the next gets a fresh
// case), a refused one gets 403 or 404 and the case is unchanged. The web
// walk (internal/web/authz_flow_walk_test.go) tries the same rows.

type flowWalk struct {
	*walktest.Walk
	t      *testing.T
	s      *Server
	tokens map[walktest.Member]string
}

func newFlowWalk(t *testing.T, db *store.DB) *flowWalk {
	t.Helper()
	ctx := context.Background()
	fx := newAPIWalkFixture(t, db)
	if err := walktest.Setup(ctx, db); err != nil {
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
	w := &flowWalk{Walk: &walktest.Walk{Cases: cases, Actors: map[walktest.Member]access.Actor{}}, t: t, s: fx.s, tokens: map[walktest.Member]string{}}
	for _, m := range walktest.Order {
		u := walktest.User(m)
		if _, err := fx.s.Auth.CreateUser(ctx, access.System, u); err != nil {
			t.Fatal(err)
		}
		tok, err := fx.s.Auth.CreateToken(ctx, access.System, u.Username, "walk")
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[m] = tok
		if w.Actors[m], err = fx.s.Auth.TokenActor(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *flowWalk) post(m walktest.Member, target string, body any) (int, string) {
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

// prepare opens the row's case and takes its set-up steps.
func (w *flowWalk) prepare(r walktest.Row) (no string, body casework.Action) {
	w.t.Helper()
	no, body, err := w.Prepare(context.Background(), r)
	if err != nil {
		w.t.Fatal(err)
	}
	return no, body
}

func (w *flowWalk) state(no string) (int, int) {
	w.t.Helper()
	v, e, err := w.State(context.Background(), no)
	if err != nil {
		w.t.Fatal(err)
	}
	return v, e
}

func TestAuthorisationWalkFlowActions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newFlowWalk(t, db)
		rows := walktest.Rows()
		// The walk covers the table whole: every action of every flow.
		for _, m := range walktest.Missing(rows) {
			t.Errorf("%s is not in the flow walk: add its row", m)
		}
		for _, r := range rows {
			no, body := w.prepare(r)
			for _, m := range walktest.Order {
				allowed := slices.Contains(r.Allow, m)
				v0, e0 := w.state(no)
				code, msg := w.post(m, "/api/v1/cases/"+no+"/actions/"+r.Action, body)
				switch {
				case allowed && code != http.StatusOK:
					t.Errorf("%s/%s as %s: %d %s, want it done", r.Flow, r.Action, m, code, msg)
				case !allowed && code != http.StatusForbidden && code != http.StatusNotFound:
					t.Errorf("%s/%s as %s: %d %s, want 403/404", r.Flow, r.Action, m, code, msg)
				case !allowed:
					if v, e := w.state(no); v != v0 || e != e0 {
						t.Errorf("%s/%s as %s: refused, but the case changed (version %d→%d, events %d→%d)", r.Flow, r.Action, m, v0, v, e0, e)
					}
				}
				if code == http.StatusOK {
					no, body = w.prepare(r)
				}
			}
		}
		for flow, allow := range walktest.Intakes() {
			var in casework.NewCase
			for _, r := range rows {
				if r.Flow == flow {
					in = r.In
				}
			}
			for _, m := range walktest.Order {
				var before int
				if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM cases`).Scan(&before); err != nil {
					t.Fatal(err)
				}
				code, msg := w.post(m, "/api/v1/cases", in)
				if flow == "service" {
					// The API takes applications only with the window's
					// service fields (internal/service checks those); the
					// engine's own rule is walked directly.
					_, _, err := w.Cases.Create(context.Background(), w.Actors[m], in)
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

// walkExamples are a few labelled texts for the walk's model trainings.
func walkExamples(context.Context) ([]dispatch.Example, error) {
	var out []dispatch.Example
	for i := range 40 {
		out = append(out, dispatch.Example{Text: fmt.Sprintf("路灯不亮 第%d处", i), Label: "B01001"}, dispatch.Example{Text: fmt.Sprintf("噪音扰民 第%d家", i), Label: "B02"})
	}
	return out, nil
}
