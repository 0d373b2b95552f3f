package walktest

import (
	"slices"

	"grassroots/internal/casework"
)

// docs/AUTHORIZATION.md is the table; Rows below is it written out by hand,
// row by row, for the cast. Each row brings a fresh case to a status the
// action may be taken from (as the system, or as the step's author), then
// every member of the cast tries the action: an allowed one succeeds (and
// the next gets a fresh case), a refused one is refused and the case is
// unchanged.

// Step is one step of a row's set-up, taken as the system (or as By, when
// the step's author matters: the dispatcher approves extensions).
type Step struct {
	Act  casework.Action
	Part string // the unit whose part the step acts on
	By   Member
}

// Row is one row of the table: the action and who may take it.
type Row struct {
	Flow, Action string
	Open         Member // who opens the row's case
	In           casework.NewCase
	Setup        []Step
	Part         string // the unit of the part the action is tried on
	Body         casework.Action
	Allow        []Member
}

// Missing names what of casework.BuiltinFlows the table lacks: an action
// without a row, a flow without an intake. The walks fail on any.
func Missing(rows []Row) []string {
	covered := map[string]bool{}
	for _, r := range rows {
		covered[r.Flow+"/"+r.Action] = true
	}
	var out []string
	for _, f := range casework.BuiltinFlows() {
		for _, a := range f.Actions {
			if !covered[f.Name+"/"+a.Name] {
				out = append(out, "action "+f.Name+"/"+a.Name)
			}
		}
		if _, ok := Intakes()[f.Name]; !ok {
			out = append(out, "intake of "+f.Name)
		}
	}
	return out
}

// png is the smallest PNG, for the stages that need a photo.
var png = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
	0, 0, 0, 13, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82}

func photo(stage string) Step {
	return Step{Act: casework.Action{Name: "comment", Note: "照片", Attachments: []casework.NewAttachment{{Name: stage + ".png", ContentType: "image/png", Data: png, Stage: stage}}}}
}

func st(name string, mod ...func(*casework.Action)) Step {
	a := casework.Action{Name: name, Note: "说明"}
	for _, m := range mod {
		m(&a)
	}
	return Step{Act: a}
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
func on(s Step, part string) Step { s.Part = part; return s }
func by(s Step, m Member) Step    { s.By = m; return s }

// Rows is the table: every action of every built-in flow.
func Rows() []Row {
	var rows []Row
	add := func(r Row) { rows = append(rows, r) }
	sees := func(extra ...Member) []Member {
		return append([]Member{CountyAdmin, Supervisor, TownA, TownAAdmin, CommunityA, GridA}, extra...)
	}

	// 12345 hotline: received by the call centre, dispatched to township A.
	hot := casework.NewCase{Flow: "hotline", RequestType: "help", Title: "路灯不亮", PlaceUnit: UnitGridA, ReporterPhone: "13800001234"}
	h := func(action string, setup []Step, part string, body Step, allow ...Member) {
		add(Row{Flow: "hotline", Action: action, Open: Centre, In: hot, Setup: setup, Part: part, Body: body.Act, Allow: allow})
	}
	disp := by(st("dispatch", unit(UnitTownA)), Centre)
	signed := []Step{disp, st("sign")}
	answered := append(slices.Clone(signed), st("answer"))
	unresolved := append(slices.Clone(answered), st("revisit", resolved(false), func(a *casework.Action) { a.Satisfaction = "unsatisfied" }))
	ext := append(slices.Clone(signed), st("request_extension", func(a *casework.Action) { a.Days = 2 }))
	withSupport := []Step{disp, st("add_supporting", unit(UnitCommunityA))}
	h("dispatch", nil, "", st("dispatch", unit(UnitD003)), Centre, CountyAdmin)
	h("sign", []Step{disp}, UnitTownA, st("sign"), TownA)
	h("contact", []Step{disp}, UnitTownA, st("contact", resolved(true)), TownA)
	h("sign_support", withSupport, UnitCommunityA, st("sign_support"), CommunityA)
	h("return", []Step{disp}, UnitTownA, st("return"), TownA)
	h("request_extension", signed, UnitTownA, st("request_extension", func(a *casework.Action) { a.Days = 2 }), TownA)
	h("approve_extension", ext, UnitTownA, st("approve_extension"), Centre, CountyAdmin, Supervisor)
	h("refuse_extension", ext, UnitTownA, st("refuse_extension"), Centre, CountyAdmin, Supervisor)
	h("add_supporting", []Step{disp}, "", st("add_supporting", unit(UnitD002)), TownA, Centre, CountyAdmin)
	h("support_done", append(slices.Clone(withSupport), on(st("sign_support"), UnitCommunityA)), UnitCommunityA, st("support_done"), CommunityA)
	h("supervise", []Step{disp}, "", st("supervise"), Supervisor)
	h("comment", nil, "", st("comment"), sees(Centre)...)
	h("answer", signed, UnitTownA, st("answer"), TownA)
	h("revisit", answered, "", st("revisit", resolved(false), func(a *casework.Action) { a.Satisfaction = "unsatisfied" }), Centre, CountyAdmin)
	h("reopen", unresolved, "", st("reopen"), Centre, CountyAdmin)
	h("close", unresolved, "", st("close"), Centre, CountyAdmin)
	h("feedback", []Step{disp}, "", st("feedback"), TownA, CommunityA, GridA, Centre, CountyAdmin)

	// Grid events: reported by grid A1-01's worker, dispatched by township A
	// to community A1.
	ev := casework.NewCase{Flow: "grid_event", Category: "S06001", Title: "垃圾散落", PlaceUnit: UnitGridA}
	g := func(action string, setup []Step, part string, body Step, allow ...Member) {
		add(Row{Flow: "grid_event", Action: action, Open: GridA, In: ev, Setup: setup, Part: part, Body: body.Act, Allow: allow})
	}
	setUp := []Member{TownA, TownAAdmin, CommunityA, CountyAdmin, Supervisor}
	reg := st("register")
	gdisp := []Step{reg, by(st("dispatch", unit(UnitCommunityA)), TownA)}
	gsigned := append(slices.Clone(gdisp), st("sign"))
	gext := append(slices.Clone(gsigned), st("request_extension", func(a *casework.Action) { a.Days = 2 }))
	gsupport := append(slices.Clone(gdisp), st("add_supporting", unit(UnitGridA)))
	g("fix_on_spot", nil, "", st("fix_on_spot"), GridA)
	g("register", nil, "", st("register"), setUp...)
	g("dismiss", nil, "", st("dismiss"), setUp...)
	g("dispatch", []Step{reg}, "", st("dispatch", unit(UnitD003)), setUp...)
	g("sign", gdisp, UnitCommunityA, st("sign"), CommunityA)
	g("sign_support", gsupport, UnitGridA, st("sign_support"), GridA)
	g("return", gdisp, UnitCommunityA, st("return"), CommunityA)
	g("request_extension", gsigned, UnitCommunityA, st("request_extension", func(a *casework.Action) { a.Days = 2 }), CommunityA)
	g("approve_extension", gext, UnitCommunityA, st("approve_extension"), TownA, TownAAdmin, CountyAdmin, Supervisor)
	g("refuse_extension", gext, UnitCommunityA, st("refuse_extension"), TownA, TownAAdmin, CountyAdmin, Supervisor)
	g("add_supporting", gdisp, "", st("add_supporting", unit(UnitD002)), CommunityA, TownA, TownAAdmin, CountyAdmin, Supervisor)
	g("support_done", append(slices.Clone(gsupport), on(st("sign_support"), UnitGridA)), UnitGridA, st("support_done"), GridA)
	g("supervise", gdisp, "", st("supervise"), Supervisor)
	g("comment", nil, "", st("comment"), sees()...)
	g("report_handled", append(slices.Clone(gsigned), photo("after")), UnitCommunityA, st("report_handled"), CommunityA)
	g("check", append(slices.Clone(gsigned), photo("after"), st("report_handled")), "", st("check", resolved(true)), GridA, CommunityA)
	g("feedback", gdisp, "", st("feedback"), GridA, CommunityA, TownA)

	// Whistles: township A blows a street whistle summoning community A1
	// and department D003; the part tried is community A1's.
	wh := casework.NewCase{Flow: "whistle", Kind: "street", Title: "燃气泄漏", PlaceUnit: UnitGridA}
	w := func(action string, setup []Step, part string, body Step, allow ...Member) {
		add(Row{Flow: "whistle", Action: action, Open: TownA, In: wh, Setup: append([]Step{st("summon", units(UnitCommunityA, UnitD003))}, setup...),
			Part: part, Body: body.Act, Allow: allow})
	}
	reported := []Step{on(st("report_in"), UnitCommunityA)}
	resulted := append(slices.Clone(reported), on(st("report_result"), UnitCommunityA))
	whistler := []Member{TownA, TownAAdmin}
	w("summon", nil, "", st("summon", units(UnitD002)), TownA, TownAAdmin, CountyAdmin)
	w("accept_summons", nil, UnitCommunityA, st("accept_summons"), CommunityA)
	w("refuse_summons", nil, UnitCommunityA, st("refuse_summons"), CommunityA)
	w("report_in", nil, UnitCommunityA, st("report_in"), CommunityA)
	w("report_result", reported, UnitCommunityA, st("report_result"), CommunityA)
	w("accept_result", resulted, UnitCommunityA, st("accept_result", func(a *casework.Action) { a.Rating = 5 }), whistler...)
	w("reject_result", resulted, UnitCommunityA, st("reject_result"), whistler...)
	w("cancel", nil, "", st("cancel"), whistler...)
	w("supervise", nil, "", st("supervise"), Supervisor)
	w("comment", nil, "", st("comment"), sees(DeptD003)...)

	// Township calls: township A calls, department D003 responds.
	tc := casework.NewCase{Flow: "township_call", Title: "违建拆除需县级支持", PlaceUnit: UnitGridA}
	t := func(action string, setup []Step, part string, body Step, allow ...Member) {
		add(Row{Flow: "township_call", Action: action, Open: TownA, In: tc, Setup: setup, Part: part, Body: body.Act, Allow: allow})
	}
	tdisp := by(st("dispatch", unit(UnitD003)), TownA)
	tsigned := []Step{tdisp, st("sign")}
	tanswered := append(slices.Clone(tsigned), st("answer"))
	text := append(slices.Clone(tsigned), st("request_extension", func(a *casework.Action) { a.Days = 2 }))
	tsupport := []Step{tdisp, st("add_supporting", unit(UnitD002))}
	t("dispatch", nil, "", st("dispatch", unit(UnitD003)), TownA, Supervisor)
	t("sign", []Step{tdisp}, UnitD003, st("sign"), DeptD003)
	t("sign_support", tsupport, UnitD002, st("sign_support"), DeptD002)
	t("return", []Step{tdisp}, UnitD003, st("return"), DeptD003)
	t("request_extension", tsigned, UnitD003, st("request_extension", func(a *casework.Action) { a.Days = 2 }), DeptD003)
	t("approve_extension", text, UnitD003, st("approve_extension"), TownA, TownAAdmin, CountyAdmin, Supervisor)
	t("refuse_extension", text, UnitD003, st("refuse_extension"), TownA, TownAAdmin, CountyAdmin, Supervisor)
	t("add_supporting", []Step{tdisp}, "", st("add_supporting", unit(UnitD002)), DeptD003, TownA, Supervisor)
	t("support_done", append(slices.Clone(tsupport), on(st("sign_support"), UnitD002)), UnitD002, st("support_done"), DeptD002)
	t("supervise", []Step{tdisp}, "", st("supervise"), Supervisor)
	t("comment", nil, "", st("comment"), sees()...)
	t("answer", tsigned, UnitD003, st("answer"), DeptD003)
	t("rate", tanswered, UnitD003, st("rate", resolved(true), func(a *casework.Action) { a.Rating = 5 }), TownA)
	t("reassign", []Step{tdisp}, UnitD003, st("reassign", unit(UnitD002)), Supervisor)
	t("withdraw", nil, "", st("withdraw"), TownA)

	// Enforcement: township A's team opens a case and transfers it to D003.
	en := casework.NewCase{Flow: "enforcement", Matter: "CF00201000", Title: "占道经营", PlaceUnit: UnitGridA}
	e := func(action string, setup []Step, part string, body Step, allow ...Member) {
		add(Row{Flow: "enforcement", Action: action, Open: TownA, In: en, Setup: setup, Part: part, Body: body.Act, Allow: allow})
	}
	transfer := st("transfer", unit(UnitD003), fields("basis", "《城市管理执法办法》"))
	transferred := []Step{photo("evidence"), transfer}
	returned := append(slices.Clone(transferred), st("return_transfer"))
	e("transfer", []Step{photo("evidence")}, "", transfer, TownA)
	e("accept_transfer", transferred, UnitD003, st("accept_transfer"), DeptD003)
	e("return_transfer", transferred, UnitD003, st("return_transfer"), DeptD003)
	e("dispute", returned, "", st("dispute"), TownA)
	e("settle", append(slices.Clone(returned), st("dispute")), "", st("settle", unit(UnitD003)), Supervisor)
	e("conclude", append(slices.Clone(transferred), st("accept_transfer")), UnitD003, st("conclude"), DeptD003)
	e("close_own", nil, "", st("close_own"), TownA)
	e("decide", nil, "", st("decide", fields("decision_no", "浦城执罚〔2026〕1号")), TownA)
	e("decide_accepted", append(slices.Clone(transferred), st("accept_transfer")), UnitD003, st("decide_accepted", fields("decision_no", "浦城执罚〔2026〕2号")), DeptD003)
	e("supervise", nil, "", st("supervise"), Supervisor)
	e("comment", nil, "", st("comment"), sees()...)

	// County department hand-downs: department D003 hands township A work;
	// the hand-down goes to the township of its place at intake.
	ct := casework.NewCase{Flow: "county_task", Matter: "CF00202000", Title: "沿街乱堆乱放整治", PlaceUnit: UnitTownA, LimitDays: 5, Basis: "《城市市容和环境卫生管理条例》"}
	k := func(action string, setup []Step, part string, body Step, allow ...Member) {
		add(Row{Flow: "county_task", Action: action, Open: DeptD003, In: ct, Setup: setup, Part: part, Body: body.Act, Allow: allow})
	}
	kreturned := []Step{on(st("return"), UnitTownA)}
	ksigned := []Step{on(st("sign"), UnitTownA)}
	kanswered := append(slices.Clone(ksigned), on(st("answer"), UnitTownA))
	kext := append(slices.Clone(ksigned), on(st("request_extension", func(a *casework.Action) { a.Days = 2 }), UnitTownA))
	ksupport := []Step{st("add_supporting", unit(UnitD002))}
	k("dispatch", kreturned, "", st("dispatch", unit(UnitTownA)), DeptD003)
	k("sign", nil, UnitTownA, st("sign"), TownA)
	k("sign_support", ksupport, UnitD002, st("sign_support"), DeptD002)
	k("return", nil, UnitTownA, st("return"), TownA)
	k("request_extension", ksigned, UnitTownA, st("request_extension", func(a *casework.Action) { a.Days = 2 }), TownA)
	k("approve_extension", kext, UnitTownA, st("approve_extension"), DeptD003, CountyAdmin, Supervisor)
	k("refuse_extension", kext, UnitTownA, st("refuse_extension"), DeptD003, CountyAdmin, Supervisor)
	k("add_supporting", nil, "", st("add_supporting", unit(UnitD002)), TownA, DeptD003)
	k("support_done", append(slices.Clone(ksupport), on(st("sign_support"), UnitD002)), UnitD002, st("support_done"), DeptD002)
	k("supervise", nil, "", st("supervise"), Supervisor)
	k("comment", nil, "", st("comment"), CountyAdmin, Supervisor, TownA, TownAAdmin, DeptD003)
	k("answer", ksigned, UnitTownA, st("answer"), TownA)
	k("rate", kanswered, UnitTownA, st("rate", resolved(true), func(a *casework.Action) { a.Rating = 5 }), DeptD003)
	k("withdraw", nil, "", st("withdraw"), DeptD003)

	// Service applications: accepted at township A's window, handled by D003.
	sv := casework.NewCase{Flow: "service", Kind: "promised", Title: "低保申请", PlaceUnit: UnitGridA}
	s := func(action string, setup []Step, part string, body Step, allow ...Member) {
		add(Row{Flow: "service", Action: action, Open: TownA, In: sv, Setup: setup, Part: part, Body: body.Act, Allow: allow})
	}
	window := []Member{TownA, TownAAdmin, CountyAdmin, Supervisor}
	sdisp := st("dispatch", unit(UnitD003))
	ssigned := []Step{sdisp, st("sign")}
	s("dispatch", nil, "", sdisp, window...)
	s("fix_on_spot", nil, "", st("fix_on_spot"), TownA, TownAAdmin)
	s("sign", []Step{sdisp}, UnitD003, st("sign"), DeptD003)
	s("return", []Step{sdisp}, UnitD003, st("return"), DeptD003)
	s("ask_supplement", ssigned, UnitD003, st("ask_supplement"), DeptD003)
	s("give_supplement", append(slices.Clone(ssigned), st("ask_supplement")), "", st("give_supplement", fields("via", "窗口")),
		TownA, TownAAdmin, DeptD003, CountyAdmin, Supervisor)
	s("approve", ssigned, UnitD003, st("approve"), DeptD003)
	s("refuse", ssigned, UnitD003, st("refuse"), DeptD003)
	s("deliver", append(slices.Clone(ssigned), st("approve")), "", st("deliver", fields("delivery", "窗口领取")),
		TownA, TownAAdmin, DeptD003, CountyAdmin, Supervisor)
	s("withdraw", nil, "", st("withdraw"), window...)
	s("supervise", []Step{sdisp}, "", st("supervise"), Supervisor)
	s("comment", nil, "", st("comment"), sees()...)

	// Civility appeals: received at community A1's counter; township A or
	// community A1 staff decide (internal/civility's hook refuses the
	// entry's own reviewers, which this table does not wire).
	ap := casework.NewCase{Flow: "civility_appeal", Title: "对文明行为记录的申诉", PlaceUnit: UnitGridA}
	a := func(action string, body Step, allow ...Member) {
		add(Row{Flow: "civility_appeal", Action: action, Open: CommunityA, In: ap, Body: body.Act, Allow: allow})
	}
	a("uphold", st("uphold"), TownA, CommunityA)
	a("revise", st("revise", fields("item", "N-PARK-MINOR")), TownA, CommunityA)
	a("withdraw", st("withdraw"), TownA, CommunityA)
	a("supervise", st("supervise"), Supervisor)
	a("comment", st("comment"), sees()...)
	return rows
}

// flowIntakes is who may open a case of each flow in township A's grid.
func Intakes() map[string][]Member {
	return map[string][]Member{
		"hotline":    {Centre, CountyAdmin},
		"grid_event": {CountyAdmin, TownA, TownAAdmin, CommunityA, GridA},
		// Whistles, township calls and enforcement transfers are opened for
		// a place inside the opener's area (county units: anywhere); service
		// applications ask the opener's role only, since any window accepts
		// any resident's application (同城通办, docs/AUTHORIZATION.md).
		"whistle":       {Centre, CountyAdmin, Supervisor, DeptD003, DeptD002, TownA, TownAAdmin, CommunityA},
		"township_call": {CountyAdmin, TownA, TownAAdmin},
		"enforcement":   {Centre, CountyAdmin, DeptD003, DeptD002, TownA, TownAAdmin},
		// A hand-down is a county department's (the call centre is one).
		"county_task": {Centre, DeptD003, DeptD002},
		"service":     {Centre, CountyAdmin, DeptD003, DeptD002, TownA, TownAAdmin, CommunityA, TownB, CommunityB},
		// An appeal is received by the staff of the person's township or
		// community (and opened as the system from the portal).
		"civility_appeal": {TownA, CommunityA},
	}
}
