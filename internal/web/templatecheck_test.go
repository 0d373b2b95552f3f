package web

import (
	"go/ast"
	"go/token"
	"go/types"
	"grassroots/internal/cockpit"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jba/templatecheck"
	"golang.org/x/tools/go/packages"
)

// pageData is the Go type each page template is rendered with, as a zero
// value: the type of the data its handlers pass to s.render or
// s.renderStatus (grep `render(w, r, "<name>"` and `renderStatus(w, r, ...,
// "<name>"`). A new page needs a row here; TestTemplatesTypeCheck fails
// until it has one.
var pageData = map[string]any{
	"admin_apikeys":         AdminAPIKeysPage{},
	"admin_calendar":        AdminCalendarPage{},
	"admin_categories":      &AdminCategoriesPage{},
	"admin_reveals":         RevealsPage{},
	"admin_users":           AdminUsersPage{},
	"admin_users_edit":      AdminUserPage{},
	"admin_users_password":  AdminPasswordPage{},
	"admin_webhooks":        AdminWebhooksPage{},
	"admin_dispatch":        AdminDispatchPage{},
	"dispatch_suggest":      DispatchSuggestPage{},
	"patrol":                PatrolPage{},
	"admin_webhooks_detail": AdminWebhookPage{},
	"case_inbox":            CaseInboxPage{},
	"case_nearby":           CaseNearbyPage{},
	"case_new":              CaseNewPage{},
	"case_units":            UnitListPage{},
	"case_view":             CaseViewPage{},
	"coord_list":            CoordListPage{},
	"daily_feedback":        DailyPage{},
	"enforcement_zones":     ZonesPage{},
	"error":                 ErrorPage{},
	"grid_ledger":           GridLedgerPage{},
	"grid_page":             GridPage{},
	"grid_households":       GridHouseholdsPage{},
	"home":                  HomePage{},
	"lists_attempts":        ListsAttemptsPage{},
	"lists_duties":          ListsDutiesPage{},
	"lists_compare":         ListsComparePage{},
	"lists_history":         ListsHistoryPage{},
	"lists_import":          ListsImportPage{},
	"lists_index":           ListsIndexPage{},
	"lists_item":            ListsItemPage{},
	"lists_list":            ListsListPage{},
	"lists_matters":         ListsMattersPage{},
	"lists_requests":        ListsRequestsPage{},
	"login":                 LoginPage{},
	"mobile_check":          MobileCheckPage{},
	"mobile_feedback":       MobileFeedbackPage{},
	"leader_page":           LeaderPage{},
	"mobile_cases":          MobileCasesPage{},
	"mobile_home":           MobileHomePage{},
	"mobile_report":         MobileReportPage{},
	"org_index":             OrgIndexPage{},
	"org_party":             OrgPartyPage{},
	"org_unit":              OrgUnitPage{},
	"portal_categories":     PortalCategoriesPage{},
	"portal_done":           PortalDonePage{},
	"portal_feedback":       PortalFeedbackPage{},
	"portal_home":           PortalHomePage{},
	"portal_limited":        PortalLimitedPage{},
	"portal_report":         PortalReportPage{},
	"portal_track":          PortalTrackPage{},
	"reportcard":            ReportCardPage{},
	"reveal":                RevealPage{},
	"volunteer_list":        VolunteersPage{},
	"volunteer_record":      VolunteerPage{},
	"civility_home":         CivilityHomePage{},
	"civility_entry":        CivilityEntryPage{},
	"civility_notice":       CivilityEntryPage{},
	"civility_person":       CivilityPersonPage{},
	"civility_case":         CivilityCasePage{},
	"civility_counter":      CivilityCounterPage{},
	"civility_catalogue":    CivilityCataloguePage{},
	"civility_figures":      CivilityFiguresPage{},
	"portal_civility":       PortalCivilityPage{},
	"volunteer_certificate": CertificatePage{},
	"volunteer_verify":      VerifyPage{},
	"ledgers_pairings":      PairingsPage{},
	"ledgers_pairing":       PairingPage{},
	"ledgers_taskforces":    TaskForcesPage{},
	"ledgers_taskforce":     TaskForcePage{},
	"ledgers_staffing":      StaffingPage{},
	"ledgers_person":        PersonPostsPage{},
	"service_application":   ServiceApplicationPage{},
	"service_queue":         ServiceQueuePage{},
	"service_staff":         ServiceStaffPage{},
	"service_stations":      ServiceStationsPage{},
	"service_desk":          ServiceDeskPage{},
	"service_figures":       ServiceFiguresPage{},
	"service_item":          ServiceItemPage{},
	"service_item_edit":     ServiceItemEditPage{},
	"service_network":       ServiceNetworkPage{},
	"service_notice":        ServiceNoticePage{},
	"service_portal_apply":  ServicePortalApplyPage{},
	"service_portal_done":   ServicePortalDonePage{},
	"service_portal_items":  ServicePortalItemsPage{},
	"service_portal_track":  ServicePortalTrackPage{},
	"service_receipt":       ServiceReceiptPage{},
	"stats_cases":           StatsCasesPage{},
	"cockpit":               CockpitPage{},
	"cockpit_cases":         CockpitCasesPage{},
	"cockpit_reports":       CockpitReportsPage{},
	"cockpit_report":        CockpitPage{Report: &cockpit.Report{}},
	"stats_rates":           StatsPage{},
	"whistle_member":        MemberPage{},
	"party_desk":            PartyDeskPage{},
	"party_letter":          PartyLetterPage{},
	"party_committee":       CommitteePage{},
	"party_deeds":           DeedsPage{},
	"whistle_members":       MembersPage{},
}

// TestTemplatesTypeCheck type-checks every page template, as parsePages
// builds it (the layout, the partials and the page's file), against the Go
// type its handlers render it with: a field or method the type lacks, a
// function called with the wrong number or types of arguments, a range over
// something that cannot be ranged fail here, on every branch, not only on
// the ones the rendering tests reach. Both roots a request can execute are
// checked: "layout" (a page) and "content" (an htmx fragment).
func TestTemplatesTypeCheck(t *testing.T) {
	t.Parallel()
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for name, tmpl := range pages {
		data, ok := pageData[name]
		if !ok {
			t.Errorf("page %s has no row in pageData: add the type its handler renders it with", name)
			continue
		}
		for _, root := range []string{"layout", "content"} {
			rt := tmpl.Lookup(root)
			if rt == nil {
				t.Errorf("page %s defines no %q", name, root)
				continue
			}
			if err := templatecheck.CheckHTMLStrict(rt, data); err != nil {
				t.Errorf("page %s (%s) with %T: %v", name, root, data, err)
			}
		}
	}
	var stale []string
	for name := range pageData {
		if _, ok := pages[name]; !ok {
			stale = append(stale, name)
		}
	}
	slices.Sort(stale)
	if len(stale) > 0 {
		t.Errorf("pageData names pages with no template: %s", strings.Join(stale, ", "))
	}
}

// TestPageDataMatchesHandlers keeps pageData true to the handlers: it
// type-checks this package's sources (golang.org/x/tools/go/packages) and
// compares the type of the data argument of every s.render and
// s.renderStatus call with the page's row. A call whose page name is
// computed (flow + "_list") must pass the type of every row no literal call
// covers.
func TestPageDataMatchesHandlers(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("loads the package's sources with go list")
	}
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo}
	pkgs, err := packages.Load(cfg, ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 || len(pkgs[0].Errors) > 0 {
		t.Fatalf("load the package: %v", pkgs)
	}
	pkg := pkgs[0]
	literal := map[string]bool{}    // pages rendered by name
	computed := map[string]string{} // type of a computed-name call → where
	for _, f := range pkg.Syntax {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			var nameArg, dataArg ast.Expr
			switch {
			case sel.Sel.Name == "render" && len(call.Args) == 4:
				nameArg, dataArg = call.Args[2], call.Args[3]
			case sel.Sel.Name == "renderStatus" && len(call.Args) == 5:
				nameArg, dataArg = call.Args[3], call.Args[4]
			default:
				return true
			}
			typ := pkg.TypesInfo.TypeOf(dataArg)
			if typ == nil || types.IsInterface(typ) {
				return true // render passing its data on to renderStatus
			}
			got := types.TypeString(typ, nil)
			at := pkg.Fset.Position(call.Pos()).String()
			lit, ok := nameArg.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				computed[got] = at
				return true
			}
			name, _ := strconv.Unquote(lit.Value)
			literal[name] = true
			data, ok := pageData[name]
			if !ok {
				t.Errorf("%s: page %q has no row in pageData", at, name)
			} else if want := goTypeString(reflect.TypeOf(data)); got != want {
				t.Errorf("%s: page %q rendered with %s, pageData says %s", at, name, got, want)
			}
			return true
		})
	}
	for name, data := range pageData {
		if literal[name] {
			continue
		}
		if _, ok := computed[goTypeString(reflect.TypeOf(data))]; !ok {
			t.Errorf("page %q: no call renders it by name, and no computed-name call passes %T", name, data)
		}
	}
}

// goTypeString writes a type as go/types does: "*grassroots/internal/web.X".
func goTypeString(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		return "*" + goTypeString(t.Elem())
	}
	return t.PkgPath() + "." + t.Name()
}
