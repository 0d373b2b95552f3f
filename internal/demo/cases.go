package demo

// Demo cases: a county at work for a new user. Cases plays about 300
// fictitious cases of the last 30 days through the engine itself — intake
// with Create, every later step with Do (or party.Service.Do for a party
// member on their own part) — on a copy of the engine whose clock is simulated
// (casework.Service.WithClock), so that numbers, timelines, assignments,
// deadline timers (fired by a sweeper as the simulated clock passes them),
// search rows, change hooks and audit entries are exactly what real work
// would have left. The cases come from a fixed seed; only their dates follow
// the moment they are loaded.
//
// Actors are staff of real units (a call-taker at the county, township
// clerks, community staff, grid workers, department staff, the supervision
// office), written on the timeline under fictitious names ("陈某某"). They
// have no user accounts, so they act as system actors carrying their unit;
// the test checks that a user of that unit and role would have been allowed
// every step.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/org"
	"grassroots/internal/party"
	"grassroots/internal/report"
	"grassroots/internal/store"
	"grassroots/internal/timers"
	"grassroots/internal/worktime"
)

// CaseSource is the source of every demo case; their external ids are
// "demo-001", "demo-002" ... so intake's idempotence protects them too.
const CaseSource = "demo"

// caseSeed is the default seed of the demo cases.
const caseSeed = 20261126

// CaseOptions tunes Cases. The zero value loads the standard demo.
type CaseOptions struct {
	// Now is the end of the demo period, the moment the county is seen at
	// work (time.Now when zero).
	Now time.Time
	// Days is the length of the period the cases are spread over (30 when 0).
	Days int
	// Seed chooses the cases (a fixed default when 0).
	Seed uint64
	// Summaries also writes the stored daily summaries (每日一反馈) of the
	// period's past days, as the daily job would have.
	Summaries bool
	// Log receives the line saying what was loaded (slog.Default when nil).
	Log *slog.Logger

	// verify checks before every step that a user of the actor's unit and
	// role would be allowed to take it (tests).
	verify bool
}

// CaseResult says what Cases did.
type CaseResult struct {
	// Existing is the number of demo cases found before loading; when it is
	// not 0 nothing was added.
	Existing int `json:"existing"`
	// Created is the number of cases created, over the last Days days.
	Created int `json:"created"`
	Days    int `json:"days"`
	// ByFlow and ByStatus count the created cases by flow and by
	// "flow/status" at the end.
	ByFlow   map[string]int `json:"by_flow"`
	ByStatus map[string]int `json:"by_status"`
	// Actions is the number of steps taken after intake.
	Actions int `json:"actions"`
	// TimersFired is the number of deadline timers (warnings, overdue) fired
	// while the simulated clock ran.
	TimersFired int `json:"timers_fired"`
	// Summaries is the number of stored daily summaries written.
	Summaries int `json:"summaries"`
	// Failed is the number of cases whose script stopped on an error (the
	// first error is returned with the result).
	Failed int           `json:"failed"`
	Took   time.Duration `json:"took"`
}

// String is the line the server prints after loading.
func (r CaseResult) String() string {
	if r.Existing > 0 && r.Created == 0 {
		return fmt.Sprintf("demo cases (演示工单): %d already loaded, nothing added", r.Existing)
	}
	var flows []string
	for _, f := range slices.Sorted(maps.Keys(r.ByFlow)) {
		flows = append(flows, fmt.Sprintf("%s %d", f, r.ByFlow[f]))
	}
	return fmt.Sprintf("loaded demo cases (演示工单, fictitious): %d cases over the last %d days (%s), %d steps, %d deadline timers fired, %d daily summaries, in %s",
		r.Created, r.Days, strings.Join(flows, ", "), r.Actions, r.TimersFired, r.Summaries, r.Took.Round(10*time.Millisecond))
}

// Cases plays the demo cases into the database through the engine, on a
// simulated clock that runs over the last opts.Days days up to opts.Now. It
// needs the divisions, the demo organisation data (grids, grid workers,
// party members), the categories and, for community whistles, the party
// registry wired into cases (casework.Service.UseParty). It adds nothing when demo cases exist
// already. A case whose script fails stops there (counted in Failed) and
// the others go on; the first such error is returned with the result. db is
// the database the engine works on (its deadline timers are swept there).
func Cases(ctx context.Context, db *store.DB, cases *casework.Service, o *org.Service, opts CaseOptions) (CaseResult, error) {
	began := time.Now()
	res := CaseResult{ByFlow: map[string]int{}, ByStatus: map[string]int{}}
	before, err := cases.SourceCounts(ctx, CaseSource)
	if err != nil {
		return res, fmt.Errorf("demo cases: %w", err)
	}
	for _, n := range before {
		res.Existing += n
	}
	if res.Existing > 0 {
		res.Took = time.Since(began)
		return res, nil
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Days <= 0 {
		opts.Days = 30
	}
	if opts.Seed == 0 {
		opts.Seed = caseSeed
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	res.Days = opts.Days
	cal, err := cases.Calendar(ctx)
	if err != nil {
		return res, err
	}
	w, err := loadWorld(ctx, o)
	if err != nil {
		return res, err
	}
	p := &demoPlanner{rng: rand.New(rand.NewPCG(opts.Seed, 350722)), w: w, s: cases, dm: 390}
	if c, ok := cal.(interface{ DayMinutes() int }); ok && c.DayMinutes() > 0 {
		p.dm = c.DayMinutes()
	}
	if err := p.plan(ctx); err != nil {
		return res, err
	}
	now := opts.Now.Truncate(time.Minute)
	from := now.Add(-time.Duration(opts.Days)*24*time.Hour + 2*time.Hour)
	if err := p.anchor(cal, from, now); err != nil {
		return res, err
	}

	r := &demoRunner{db: db, s: cases, w: w, opts: opts, clock: from, res: &res}
	// The same flows, lists and hooks; only the clock differs.
	r.sim = cases.WithClock(func() time.Time { return r.clock }, slog.New(slog.DiscardHandler))
	r.party = party.New(db, r.sim)
	r.sweeper = timers.NewSweeper(db, slog.New(slog.DiscardHandler), "demo-loader")
	for _, k := range casework.TimerKinds() {
		r.sweeper.Handle(k, r.sim.HandleTimer)
	}
	firstErr := r.run(ctx, p.cases, now)
	if opts.Summaries {
		day := from.In(shanghai)
		today := casework.Today(now)
		reports := report.New(db, cases)
		for d := day; casework.Today(d) < today; d = d.AddDate(0, 0, 1) {
			n, err := reports.GenerateDailySummaries(ctx, casework.Today(d))
			if err != nil {
				return res, fmt.Errorf("demo daily summaries: %w", err)
			}
			res.Summaries += n
		}
	}
	after, err := cases.SourceCounts(ctx, CaseSource)
	if err != nil {
		return res, fmt.Errorf("demo cases: %w", err)
	}
	for k, n := range after {
		flow, _, _ := strings.Cut(k, "/")
		res.ByFlow[flow] += n
		res.ByStatus[k] += n
	}
	res.Took = time.Since(began)
	opts.Log.InfoContext(ctx, "demo cases loaded", "cases", res.Created, "steps", res.Actions, "timers_fired", res.TimersFired,
		"failed", res.Failed, "took_ms", res.Took.Milliseconds())
	return res, firstErr
}

// --- the county as the demo finds it ----------------------------------------

// unitRef is a unit as a step's actor carries it.
type unitRef struct {
	ID                     int64
	Code, Name, Kind, Path string
}

// demoUnit is a unit with what the demo needs of it.
type demoUnit struct {
	unitRef
	parentID               int64
	minLng, maxLng, minLat float64
	maxLat                 float64
	hasBox                 bool
}

// demoPlace is a grid with its community (or village) and township.
type demoPlace struct {
	grid, place, township *demoUnit
}

// demoPerson is a person of the demo organisation data.
type demoPerson struct {
	id   int64
	name string
}

type demoTownship struct {
	unit   *demoUnit
	weight int
	places []demoPlace // every demo grid of the township
}

// demoWorld is what Cases reads before planning: the county, the
// townships the cases happen in, their grids, the departments, and the
// people the whistles summon.
type demoWorld struct {
	county      *demoUnit
	supervision *demoUnit
	byCode      map[string]*demoUnit
	townships   []demoTownship
	cc          string                 // county code, 6 digits
	workers     map[int64]string       // grid unit id → grid worker's name
	members     map[int64][]demoPerson // community unit id → party members registered there
	cadres      map[int64][]demoPerson // township unit id → its cadres
}

// countyCode is the 6-digit county part of a unit code.
func countyCode(code string) string {
	if len(code) >= 6 {
		return code[:6]
	}
	return code
}

func loadWorld(ctx context.Context, o *org.Service) (*demoWorld, error) {
	w := &demoWorld{byCode: map[string]*demoUnit{}, workers: map[int64]string{}, members: map[int64][]demoPerson{}, cadres: map[int64][]demoPerson{}}
	var units []org.Unit
	for _, kind := range []string{org.KindCounty, org.KindTownship, org.KindStreet, org.KindVillage, org.KindCommunity, org.KindDepartment, org.KindGrid} {
		us, err := o.ByKind(ctx, kind)
		if err != nil {
			return nil, fmt.Errorf("demo cases: units: %w", err)
		}
		units = append(units, us...)
	}
	slices.SortFunc(units, func(a, b org.Unit) int { return strings.Compare(a.Code, b.Code) })
	byID := map[int64]*demoUnit{}
	var all []*demoUnit
	for _, x := range units {
		u := &demoUnit{unitRef: unitRef{ID: x.ID, Code: x.Code, Name: x.Name, Kind: x.Kind, Path: x.Path}, parentID: x.ParentID}
		if x.Demo && x.Boundary != "" {
			if b, err := org.ParseBoundary(x.Boundary); err == nil {
				u.minLng, u.maxLng, u.minLat, u.maxLat, u.hasBox = b.BBox.MinLng, b.BBox.MaxLng, b.BBox.MinLat, b.BBox.MaxLat, true
			}
		}
		byID[u.ID] = u
		w.byCode[u.Code] = u
		all = append(all, u)
	}
	for _, u := range all {
		if u.Kind == org.KindCounty && w.county == nil {
			w.county = u
		}
	}
	if w.county == nil {
		return nil, store.Conflict("尚未导入县级单位，无法载入演示工单")
	}
	w.cc = countyCode(w.county.Code)
	w.supervision = w.county
	if u, ok := w.byCode[w.cc+"D000"]; ok {
		w.supervision = u
	}
	// Townships in code order: the two streets of the county town first.
	var towns []*demoUnit
	for _, u := range all {
		if (u.Kind == org.KindTownship || u.Kind == org.KindStreet) && u.parentID == w.county.ID {
			towns = append(towns, u)
		}
	}
	weights := []int{32, 16, 10, 9, 9, 8, 8, 8}
	for i, t := range towns {
		if i >= len(weights) {
			break
		}
		dt := demoTownship{unit: t, weight: weights[i]}
		for _, g := range all {
			if g.Kind != org.KindGrid || !g.hasBox {
				continue
			}
			place, ok := byID[g.parentID]
			if !ok || place.parentID != t.ID {
				continue
			}
			dt.places = append(dt.places, demoPlace{grid: g, place: place, township: t})
		}
		if len(dt.places) > 0 {
			w.townships = append(w.townships, dt)
		}
	}
	if len(w.townships) < 3 {
		return nil, store.Conflict("演示工单需要先载入演示组织数据（网格）")
	}
	if w.dept("D002") == nil || w.dept("D003") == nil {
		return nil, store.Conflict("演示工单需要县住建局（D002）和县城管局（D003）")
	}
	// The people the cases name: each grid's first grid worker, the party
	// members registered at each place, each township's cadres.
	seen := map[int64]bool{}
	for _, t := range w.townships {
		cadres, err := o.People(ctx, access.System, t.unit.ID, org.RoleCadre)
		if err != nil {
			return nil, fmt.Errorf("demo cases: people: %w", err)
		}
		for _, p := range cadres {
			w.cadres[t.unit.ID] = append(w.cadres[t.unit.ID], demoPerson{id: p.ID, name: p.Name})
		}
		for _, pl := range t.places {
			workers, err := o.People(ctx, access.System, pl.grid.ID, org.RoleGridWorker)
			if err != nil {
				return nil, fmt.Errorf("demo cases: people: %w", err)
			}
			if len(workers) > 0 {
				w.workers[pl.grid.ID] = workers[0].Name
			}
			if seen[pl.place.ID] {
				continue
			}
			seen[pl.place.ID] = true
			members, err := o.PartyMembersRegisteredAt(ctx, pl.place.ID)
			if err != nil {
				return nil, fmt.Errorf("demo cases: people: %w", err)
			}
			for _, p := range members {
				w.members[pl.place.ID] = append(w.members[pl.place.ID], demoPerson{id: p.ID, name: p.Name})
			}
		}
	}
	return w, nil
}

// dept returns the county department with the code suffix ("D003"), or nil.
func (w *demoWorld) dept(suffix string) *demoUnit { return w.byCode[w.cc+suffix] }

// --- planning ----------------------------------------------------------------

// Who takes a step.
type demoWhoKind int

const (
	whoCallCentre demoWhoKind = iota // the 12345 call-taker at the county
	whoSupervisor                    // the county supervision office
	whoUnit                          // staff of a given unit
	whoPart                          // staff of the unit of the part acted on
	whoMember                        // a person on their own part (party.Service.Do)
	whoResident                      // a resident without an account (intake)
)

type demoWho struct {
	kind   demoWhoKind
	unit   string // whoUnit
	person int64  // whoMember
	name   string // the name on the timeline, when not derived from the unit
}

// demoPart names the part an assignment action acts on: by unit code, by
// person, else the first open part of the action's role in a status the
// action may be taken from.
type demoPart struct {
	unit   string
	person int64
}

type demoStep struct {
	after worktime.Limit // from the previous step (working time, or Natural)
	who   demoWho
	act   casework.Action
	part  demoPart
}

type demoCase struct {
	in     casework.NewCase
	opener demoWho
	steps  []demoStep
	// The last step is placed minAge..maxAge working minutes before now
	// (maxAge < 0: anywhere in the period); today cases are received today
	// and their steps are in natural time.
	minAge, maxAge int
	today          bool
	jitter         bool // received a little before office hours sometimes
	// want is the case's status at the end.
	want string
	at   []time.Time
}

func (c *demoCase) add(after worktime.Limit, who demoWho, act casework.Action) *demoCase {
	c.steps = append(c.steps, demoStep{after: after, who: who, act: act})
	return c
}

func (c *demoCase) addOn(after worktime.Limit, who demoWho, part demoPart, act casework.Action) *demoCase {
	c.steps = append(c.steps, demoStep{after: after, who: who, act: act, part: part})
	return c
}

func (c *demoCase) times(cal casework.Calendar, start time.Time) []time.Time {
	at := make([]time.Time, len(c.steps)+1)
	at[0] = start
	for i, st := range c.steps {
		at[i+1] = cal.Add(at[i], st.after)
	}
	return at
}

func wm(m int) worktime.Limit       { return worktime.Limit{Minutes: m} }
func wdays(d, m int) worktime.Limit { return worktime.Limit{Days: d, Minutes: m} }

var (
	byCallCentre = demoWho{kind: whoCallCentre}
	bySupervisor = demoWho{kind: whoSupervisor}
	byPartStaff  = demoWho{kind: whoPart}
)

func unitStaff(u *demoUnit) demoWho { return demoWho{kind: whoUnit, unit: u.Code} }

type demoPlanner struct {
	rng   *rand.Rand
	w     *demoWorld
	s     *casework.Service
	cases []*demoCase
	// dm is the working minutes of a working day (set by anchor).
	dm int
}

func (p *demoPlanner) n(lo, hi int) int { return lo + p.rng.IntN(hi-lo+1) }

func pick[T any](p *demoPlanner, xs []T) T { return xs[p.rng.IntN(len(xs))] }

func (p *demoPlanner) chance(pct int) bool { return p.rng.IntN(100) < pct }

var caseSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程魏苏吕丁沈姚卢")

var demoLandmarks = []string{"菜市场旁", "小学门口", "公交站附近", "农贸市场东侧", "村委会附近", "桥头", "幼儿园对面", "卫生院旁",
	"老街入口", "停车场边", "超市门口", "文化广场", "小区南门", "健身广场", "水塘边", "路口转角处"}

// shortPlace drops the committee suffix of a community or village name.
func shortPlace(name string) string {
	for _, suf := range []string{"居民委员会", "村民委员会", "居委会", "村委会"} {
		name = strings.TrimSuffix(name, suf)
	}
	return name
}

// newCase starts a case of flow at place (grid nil: no point).
func (p *demoPlanner) newCase(flow string, pl demoPlace, point bool) *demoCase {
	n := len(p.cases) + 1
	c := &demoCase{minAge: 0, maxAge: -1}
	// 12345 calls come by phone; staff open the others on the web.
	channel := "web"
	if flow == "hotline" {
		channel = "phone"
	}
	c.in = casework.NewCase{Flow: flow, Source: CaseSource, ExternalID: fmt.Sprintf("demo-%03d", n), PlaceUnit: pl.place.Code, Channel: channel}
	c.in.Address = pl.township.Name + shortPlace(pl.place.Name) + pick(p, demoLandmarks)
	if point {
		g := pl.grid
		lng := g.minLng + (g.maxLng-g.minLng)*(0.15+0.7*p.rng.Float64())
		lat := g.minLat + (g.maxLat-g.minLat)*(0.15+0.7*p.rng.Float64())
		lng, lat = float64(int64(lng*1e6))/1e6, float64(int64(lat*1e6))/1e6
		c.in.Lng, c.in.Lat = &lng, &lat
	}
	p.cases = append(p.cases, c)
	return c
}

// reporter gives the case a fictitious reporter: 李女士, 199 2600 xxxx.
func (p *demoPlanner) reporter(c *demoCase) {
	title := "女士"
	if p.chance(50) {
		title = "先生"
	}
	c.in.ReporterName = string(pick(p, caseSurnames)) + title
	c.in.ReporterPhone = fmt.Sprintf("1992600%04d", len(p.cases))
}

// place picks where a case happens: a township by weight, then one of its
// grids; with focus, the first community of the first township (where the
// demo users work) gets a large share.
func (p *demoPlanner) place(focus bool) demoPlace {
	if focus {
		t := p.w.townships[0]
		first := t.places[0].place.ID
		var ps []demoPlace
		for _, pl := range t.places {
			if pl.place.ID == first {
				ps = append(ps, pl)
			}
		}
		if p.chance(50) {
			return ps[0]
		}
		return pick(p, ps)
	}
	total := 0
	for _, t := range p.w.townships {
		total += t.weight
	}
	k := p.rng.IntN(total)
	for _, t := range p.w.townships {
		if k < t.weight {
			return pick(p, t.places)
		}
		k -= t.weight
	}
	return pick(p, p.w.townships[0].places)
}

func demoBody(text string) string { return text + "\n（演示数据，情节和人物均为虚构）" }

// hotlineTopic is one kind of 12345 call.
type hotlineTopic struct {
	title, body string
	req, cat    string
	to          string // "township" or a department code suffix
	wrong       string // where it is misrouted first ("township" or a suffix)
	answer      string
	point       bool
}

var hotlineTopics = []hotlineTopic{
	{"路灯不亮", "小区门口路段的路灯已经连续一周晚上不亮，老人孩子夜间出行很不方便，存在安全隐患，希望尽快修复。", casework.RequestHelp, "S01037", "D002", "D017",
		"经现场核查为线路老化导致，已安排维修人员更换线路和灯具，路灯已恢复照明。", true},
	{"夜间施工噪音扰民", "附近工地每天晚上十点以后还在施工，机器声音很大，影响周边居民休息。", casework.RequestComplaint, "S08001", "D002", "D003",
		"已约谈施工单位，责令其22时至次日6时停止高噪声作业，确需连续施工的须依法办理夜间施工许可并公示。", true},
	{"占道经营", "路口早晚有流动摊贩占用人行道摆摊，行人只能走机动车道，交通也很拥堵。", casework.RequestComplaint, "S09006", "D003", "township",
		"城管执法中队已到现场劝离流动摊贩，引导其到便民疏导点经营，并将加强该路段早晚巡查。", true},
	{"垃圾清运不及时", "小区垃圾桶已经满溢两天没人清运，气味很大，招蚊蝇。", casework.RequestComplaint, "S06042", "township", "D003",
		"已协调环卫保洁公司当天完成清运，并将该点位清运频次调整为每日两次。", true},
	{"低保申请咨询", "家里老人生病开支大，想咨询申请最低生活保障需要什么条件、到哪里办理。", casework.RequestConsult, "", "township", "D008",
		"已电话告知申请条件和所需材料（户口簿、身份证、家庭收入及财产情况说明等），可到所在社区（村）或乡镇便民服务中心提出申请。", false},
	{"城乡居民医保缴费咨询", "想咨询明年城乡居民医保的缴费时间、标准和缴费方式。", casework.RequestConsult, "", "township", "D009",
		"已告知本年度缴费标准和截止时间，可通过闽政通APP、银行网点或乡镇便民服务中心缴费。", false},
	{"道路坑洼积水", "村道有一段路面坑洼不平，下雨后大量积水，电动车经过容易摔倒。", casework.RequestHelp, "S06013", "D005", "D002",
		"已安排养护队伍对坑洼路面进行修补，并疏通路侧排水沟，目前路面已恢复平整。", true},
	{"违章搭建", "邻居在楼顶私自搭建彩钢棚，影响消防安全，也挡住了我家采光。", casework.RequestComplaint, "S06001", "D003", "D002",
		"执法人员已上门核查，当事人无规划手续，已下达限期拆除通知书，将跟踪督促拆除到位。", true},
	{"下水道堵塞污水外溢", "小区下水道堵塞，污水从井盖冒出来流到路面，味道很难闻。", casework.RequestHelp, "S01002", "D002", "township",
		"已安排市政养护人员疏通管道并清洗路面，同时对该路段管网进行排查。", true},
	{"饮用水水质浑浊", "这几天家里自来水发黄浑浊，不敢饮用，希望检测一下水质。", casework.RequestComplaint, "", "D018", "D004",
		"经取样检测水质符合国家标准，浑浊系管网检修后的短时现象，已对该片区管网进行冲洗，供水已恢复正常。", true},
	{"流浪犬伤人隐患", "小区附近有几条流浪犬，经常追咬路人，孩子上学很害怕。", casework.RequestHelp, "", "township", "D012",
		"社区已联合志愿者将流浪犬送往收容点，并开展文明养犬宣传。", true},
	{"广场舞噪音", "广场舞音响声音太大，每天晚上跳到很晚，影响周边居民休息。", casework.RequestComplaint, "S06028", "township", "D004",
		"社区已约谈广场舞队负责人，调低音量并将活动结束时间调整到晚上8点半前。", true},
	{"小区停车难", "小区车位不足，车辆乱停占用消防通道，建议增设停车位并加强管理。", casework.RequestSuggestion, "S09009", "D012", "township",
		"交警部门已在周边道路增划临时停车泊位，并督促物业规范小区内停车秩序。", true},
	{"农村危房改造咨询", "家里老房子墙体开裂，想咨询能否申请农村危房改造补助。", casework.RequestHelp, "", "D002", "township",
		"已安排技术人员上门开展房屋安全鉴定，符合条件的将指导申报农村危房改造补助。", false},
	{"餐馆油烟扰民", "楼下餐馆油烟直接排到居民楼，窗户都不敢开。", casework.RequestComplaint, "S06027", "D004", "D010",
		"执法人员已现场检查，责令该餐馆限期安装油烟净化设施并规范排放。", true},
	{"河道漂浮垃圾", "村边小溪有大量漂浮垃圾和塑料袋，影响环境。", casework.RequestComplaint, "S06025", "township", "D014",
		"已组织河道保洁员对该河段进行清理，并落实河长日常巡河。", true},
	{"雨水井盖缺失", "路边雨水井盖丢失，晚上看不清容易掉下去，很危险。", casework.RequestHelp, "S01003", "D002", "D005",
		"已设置临时警示围挡并补装新井盖。", true},
	{"共享单车乱停放", "地铁口和公交站附近共享单车乱停，堵塞人行道。", casework.RequestSuggestion, "S09011", "D003", "D005",
		"已通知运营企业清理调度车辆，并在该点位施划非机动车停放区。", true},
	{"公厕设施损坏", "公共厕所洗手池和冲水设备坏了很久没人修。", casework.RequestComplaint, "S03001", "D003", "township",
		"已安排维修人员更换冲水阀和洗手池龙头，并加强日常保洁巡查。", true},
	{"频繁停电", "最近一周村里经常停电，冰箱里的东西都坏了。", casework.RequestHelp, "S01028", "D017", "D002",
		"供电公司已排查线路故障，更换老化变压器，目前供电已恢复稳定。", true},
	{"子女入学咨询", "孩子明年上小学，想咨询随迁子女入学需要准备哪些材料。", casework.RequestConsult, "", "D006", "township",
		"已告知随迁子女入学报名时间及所需材料（户口簿、居住证明、父母务工证明等）。", false},
	{"灵活就业社保缴费咨询", "想咨询灵活就业人员如何参加养老保险，缴费标准是多少。", casework.RequestConsult, "", "D007", "township",
		"已告知参保办理流程和本年度缴费基数档次，可在闽政通APP办理。", false},
	{"餐馆卫生状况差", "某小吃店后厨卫生很差，员工没有健康证。", casework.RequestComplaint, "", "D010", "D009",
		"市场监管所已现场检查，责令该店立即整改并对其从业人员健康证情况进行查处。", true},
	{"高龄津贴发放咨询", "家里老人今年满八十周岁，想咨询高龄津贴怎么申请。", casework.RequestConsult, "", "D008", "township",
		"已告知高龄津贴申领条件和办理方式，可由社区代为申报。", false},
	{"耕地地力保护补贴未到账", "今年的耕地地力保护补贴还没到账，想问一下什么时候发放。", casework.RequestConsult, "", "D013", "township",
		"经核实补贴已于本月集中发放，因银行账户信息有误未到账，已协助更正账户信息并补发。", false},
	{"山体滑坡隐患", "屋后山坡下雨后有泥土滑落，担心发生滑坡。", casework.RequestHelp, "", "D011", "township",
		"已组织技术人员现场查勘，设置警示标志，并将该点位纳入地质灾害隐患点监测。", true},
	{"增开公交班次建议", "村里到县城的公交车班次太少，建议早晚高峰增开班次。", casework.RequestSuggestion, "S02004", "D005", "township",
		"已将建议转交公交公司研究，拟在早晚高峰各增开一班。", false},
	{"行道树倒伏隐患", "路边一棵行道树严重倾斜，担心大风天倒下砸到行人车辆。", casework.RequestHelp, "S04002", "D003", "D011",
		"已安排园林人员对该树进行修剪加固，消除倒伏隐患。", true},
	{"非法小广告", "小区楼道和电线杆上贴满了小广告，很影响市容。", casework.RequestComplaint, "S07001", "township", "D003",
		"社区已组织清理小广告，并对张贴的电话号码依法予以处理。", true},
	{"工地扬尘污染", "附近工地渣土没有覆盖，刮风时扬尘很大。", casework.RequestComplaint, "S08004", "D002", "D004",
		"已督促施工单位对裸露土方全部覆盖，出入口安装车辆冲洗设施并落实洒水降尘。", true},
	{"物业服务纠纷", "小区物业不作为，电梯坏了一个月没修，还要涨物业费。", casework.RequestComplaint, "", "township", "D002",
		"街道已约谈物业企业，电梯已维修恢复运行，物业收费调整须依法依规经业主大会表决。", true},
	{"邻里噪音纠纷", "楼上住户经常深夜发出噪音，多次沟通无果。", casework.RequestHelp, "", "township", "D012",
		"社区网格员和人民调解员已上门调解，双方达成谅解。", true},
}

// gridTopic is one kind of matter a grid worker finds on patrol.
type gridTopic struct {
	title, body, cat string
	to               string // "community", "township" or a department suffix
	fix              string // what the worker did on the spot
	handled          string // what the handling unit reports
}

var gridTopics = []gridTopic{
	{"垃圾桶满溢", "巡查发现垃圾收集点垃圾桶满溢，垃圾散落地面。", "S06042", "community", "已联系保洁员现场清运。", "已清运垃圾并冲洗地面。"},
	{"流动摊贩占道经营", "巡查发现流动摊贩占用人行道经营水果。", "S09006", "D003", "已现场劝离摊贩。", "执法队员已劝离摊贩并登记教育。"},
	{"机动车乱停放", "小区出入口有车辆乱停，堵塞通道。", "S09009", "township", "已联系车主挪车。", "已张贴告知单并联系车主挪车，设置禁停标识。"},
	{"暴露垃圾", "绿化带内有堆积的生活垃圾。", "S06010", "community", "已组织清理。", "已清理垃圾并恢复绿化带整洁。"},
	{"非法小广告", "电线杆和墙面张贴大量小广告。", "S07001", "community", "已现场清除小广告。", "已铲除小广告并覆盖墙面。"},
	{"路灯不亮", "夜间巡查发现路灯不亮。", "S01037", "D002", "", "已更换灯具，路灯恢复照明。"},
	{"雨水井盖破损", "路面雨水井盖破损，存在安全隐患。", "S01003", "D002", "已设置临时警示。", "已更换新井盖。"},
	{"私搭乱建", "居民在公共空地搭建简易棚。", "S06001", "D003", "", "已督促当事人自行拆除。"},
	{"楼道乱堆杂物", "楼道内堆放大量纸箱杂物，堵塞消防通道。", "S06036", "community", "已督促住户自行清理。", "已清理楼道杂物。"},
	{"人行道破损", "人行道地砖松动破损。", "S06013", "D003", "", "已修补人行道地砖。"},
	{"沿街晾晒衣物", "临街阳台外晾晒衣物影响市容。", "S06007", "community", "已劝导住户收回衣物。", "已劝导整改。"},
	{"共享单车乱停", "公交站附近共享单车乱停。", "S09011", "community", "已将单车摆放整齐。", "已通知运营企业清理调度。"},
	{"施工废弃料乱倒", "路边倾倒建筑垃圾。", "S08005", "D002", "", "已清运建筑垃圾并查处倾倒人。"},
	{"店外经营", "商铺将货物摆到店外人行道上。", "S09005", "township", "已劝导商户搬回店内。", "已约谈商户并签订门前三包责任书。"},
	{"绿地脏乱", "公园绿地内有较多垃圾。", "S06017", "community", "已现场捡拾垃圾。", "已清理绿地垃圾。"},
	{"焚烧树叶", "有人在空地焚烧树叶，烟雾较大。", "S06020", "township", "已现场劝阻并扑灭明火。", "已劝阻并开展禁烧宣传。"},
	{"占用消防通道", "车辆长期占用小区消防通道。", "S09012", "township", "已联系车主挪车。", "已清理消防通道并施划禁停标线。"},
}

var whistleStreetTopics = []struct{ title, body, result string }{
	{"老旧小区雨污管网改造协调", "老旧小区雨污管网老化，雨季倒灌，需住建、城管等部门现场会商改造方案。", "已现场会商，确定改造方案并列入本年度计划。"},
	{"农贸市场周边交通秩序整治", "农贸市场周边早高峰车辆乱停、摊贩占道，需多部门联合整治。", "已联合开展整治，增设临时停车泊位，劝离占道摊贩。"},
	{"背街小巷环境卫生集中整治", "背街小巷垃圾堆积、乱搭乱建，需部门联合整治。", "已清运垃圾，拆除违规搭建，落实长效保洁。"},
	{"学校周边安全隐患排查", "学校周边存在占道经营和交通安全隐患，需部门联合排查。", "已清理学校周边摊点，增设交通警示标志。"},
	{"沿河违规种植和堆放清理", "河道管理范围内有违规种植和杂物堆放，需水利、城管部门协同处置。", "已清理违规种植和堆放物，设置警示牌。"},
	{"老旧电线私拉乱接排查", "老旧小区电线私拉乱接，存在火灾隐患，需供电、应急部门现场处置。", "已规范整理线路，开展消防安全宣传。"},
}

var whistleCommunityTopics = []struct{ title, body, result string }{
	{"楼道杂物清理志愿服务", "组织在本社区报到的党员清理楼道杂物、消除消防隐患。", "已清理楼道杂物，张贴消防安全提示。"},
	{"独居老人走访慰问", "组织党员走访社区独居老人，了解生活困难。", "已走访独居老人，帮助解决生活困难。"},
	{"文明养犬宣传", "组织党员开展文明养犬宣传和劝导。", "已开展文明养犬宣传，发放倡议书。"},
	{"垃圾分类宣传引导", "组织党员在投放点开展垃圾分类宣传引导。", "已在投放点值守宣传，引导居民分类投放。"},
	{"防汛隐患排查", "汛期来临，组织党员排查小区积水点和危险边坡。", "已排查积水点和边坡，登记隐患并上报。"},
}

var callTopics = []struct{ title, body, cat, answer string }{
	{"集镇规划区内违法建设需住建部门支持", "集镇规划区内有多处违法建设，涉及规划审批，乡镇无法单独处置，请求县住建局支持。", "S08016",
		"已派规划执法人员现场核查，对无证建设依法立案，并与乡镇联合督促拆除。"},
	{"溪河道漂浮垃圾需县级统筹清理", "辖区溪河段上游漂来大量垃圾，涉及多个乡镇，需县级部门统筹清理。", "S06025",
		"已统筹上下游乡镇开展联合清理，并建立跨乡镇河道保洁联动机制。"},
	{"乡村公交候车亭破损需维修", "多个村的公交候车亭破损，乡镇无维修资金，请求交通部门维修。", "S02004",
		"已将破损候车亭纳入农村公路附属设施维修计划，本月内完成维修。"},
	{"集镇路灯线路改造需住建部门支持", "集镇主干道路灯线路老化，经常整段不亮，需住建部门改造。", "S01037",
		"已完成线路勘察，安排专项资金进行改造，改造期间设置临时照明。"},
	{"非法占用绿地需执法部门支持", "有企业占用公共绿地堆放物料，乡镇多次劝导无效。", "S06045",
		"执法人员已立案调查，责令企业限期清理并恢复绿地。"},
	{"行道树病虫害需园林部门防治", "集镇主干道行道树大面积病虫害，需专业防治。", "S04002",
		"已安排园林专业人员开展病虫害防治，并建立定期巡查机制。"},
}

var enforcementTopics = []struct{ title, body, basis, result, matter string }{
	{"未经批准擅自建设", "当事人未取得建设工程规划许可证擅自建设厂房。", "《中华人民共和国城乡规划法》第四十条、第六十四条",
		"已立案查处，责令停止建设、限期拆除。", "CF00207000"},
	{"擅自占用道路堆放物料", "当事人长期占用道路堆放建筑材料，影响通行。", "《城市道路管理条例》第二十七条、第四十二条",
		"已责令当事人清理物料，并依法处以罚款。", "CF00201000"},
	{"无证经营餐饮", "当事人未取得食品经营许可证从事餐饮经营。", "《中华人民共和国食品安全法》第三十五条、第一百二十二条",
		"已责令停止经营，没收违法所得并处罚款。", "JC00601000"},
	{"向河道倾倒建筑垃圾", "当事人向河道管理范围内倾倒建筑垃圾。", "《中华人民共和国水法》第三十七条、第六十五条",
		"已责令清除倾倒物，恢复原状，并依法处罚。", "JC00604000"},
	{"露天焚烧垃圾污染空气", "当事人在集镇周边露天焚烧生活垃圾。", "《中华人民共和国大气污染防治法》第七十七条、第一百一十九条",
		"已责令改正，并依法处以罚款。", "CF00205000"},
}

// plan writes every case's script. The mix is fixed; the topics, places
// and timings come from the seed.
func (p *demoPlanner) plan(ctx context.Context) error {
	hotline := []struct {
		scenario string
		n        int
	}{
		{"closed_satisfied", 88}, {"closed_basic", 24}, {"closed_unsatisfied", 6}, {"closed_unreached", 4}, {"closed_unresolved", 4},
		{"reopened_closed", 6}, {"reopened_in_hand", 3}, {"returned_closed", 9}, {"returned_waiting", 2},
		{"extended_closed", 7}, {"extension_pending", 2}, {"extension_refused", 1}, {"supported_closed", 6},
		{"overdue_closed", 8}, {"overdue_in_hand", 6}, {"received", 4}, {"to_sign", 10}, {"in_hand", 14}, {"answered", 12},
	}
	grid := []struct {
		scenario string
		n        int
	}{
		{"on_spot", 14}, {"loop_closed", 18}, {"check_failed_closed", 2}, {"returned_closed", 1}, {"reported", 4},
		{"registered", 2}, {"dispatched", 3}, {"in_hand", 4}, {"handled", 4}, {"dismissed", 2},
	}
	for _, m := range hotline {
		for i := range m.n {
			p.hotline(m.scenario, i)
		}
	}
	for _, m := range grid {
		for i := range m.n {
			p.gridEvent(m.scenario, i)
		}
	}
	for _, sc := range []string{"street_closed", "street_closed", "street_closed", "street_closed", "street_closed", "street_closed",
		"street_late_closed", "street_late_closed", "street_refusal_closed", "street_responding", "street_responding", "street_blown",
		"community_closed", "community_closed", "community_closed", "community_closed", "community_responding",
		"organisation_closed", "organisation_closed", "resident_closed"} {
		p.whistle(sc)
	}
	for _, sc := range []string{"closed", "closed", "closed", "closed", "closed", "closed", "closed", "returned_closed", "reassigned_closed",
		"in_hand", "in_hand", "answered", "unresolved"} {
		if err := p.townshipCall(ctx, sc); err != nil {
			return err
		}
	}
	for _, sc := range []string{"transfer_concluded", "transfer_concluded", "transfer_concluded", "dispute_settled", "transferring",
		"department_transfer", "close_own", "coordination"} {
		p.enforcement(sc)
	}
	return nil
}

// target is the unit a topic goes to: the case's township, or a department
// (the township when the county has no such department).
func (p *demoPlanner) target(to string, pl demoPlace) *demoUnit {
	switch to {
	case "township":
		return pl.township
	case "community":
		return pl.place
	}
	if d := p.w.dept(to); d != nil {
		return d
	}
	return pl.township
}

func (p *demoPlanner) hotline(scenario string, i int) {
	t := pick(p, hotlineTopics)
	// A third of the calls happen where the demo users work.
	pl := p.place(p.chance(33))
	c := p.newCase("hotline", pl, t.point)
	p.reporter(c)
	c.jitter = true
	c.in.Title, c.in.Body, c.in.RequestType, c.in.Category = t.title, demoBody(t.body), t.req, t.cat
	c.opener = byCallCentre
	lead := p.target(t.to, pl)
	first := lead
	if strings.HasPrefix(scenario, "returned") {
		first = p.target(t.wrong, pl)
		if first.ID == lead.ID {
			first = p.target("township", pl)
			if first.ID == lead.ID {
				first = p.w.dept("D003")
			}
		}
	}
	leadPart := demoPart{unit: lead.Code}
	// Half the calls are dispatched while the caller is on the line.
	if scenario != "received" && p.chance(50) {
		c.in.Dispatch = first.Code
	} else if scenario != "received" {
		c.add(wm(p.n(8, 45)), byCallCentre, casework.Action{Name: "dispatch", UnitCode: first.Code})
	}
	// The lead signs, then calls the requester (先行联系, the 响应率).
	sign := func() {
		c.addOn(wm(p.n(12, 100)), byPartStaff, leadPart, casework.Action{Name: "sign"})
		c.addOn(wm(20), byPartStaff, leadPart, casework.Action{Name: "contact", Resolved: ptrBool(true), Note: "已电话联系诉求人，了解诉求"})
	}
	answer := func(after worktime.Limit) {
		c.addOn(after, byPartStaff, leadPart, casework.Action{Name: "answer", Note: t.answer})
	}
	revisit := func(sat string) {
		note := map[string]string{casework.Satisfied: "回访群众，表示问题已解决，对办理结果满意。", casework.Basic: "回访群众，表示问题基本解决。",
			casework.Unsatisfied: "回访群众，表示问题已处理但对办理时效不满意。"}[sat]
		c.add(wm(p.n(30, 300)), byCallCentre, casework.Action{Name: "revisit", Resolved: ptrBool(true), Satisfaction: sat, Note: note})
	}
	unresolved := func() {
		c.add(wm(p.n(30, 240)), byCallCentre, casework.Action{Name: "revisit", Resolved: ptrBool(false), Satisfaction: casework.Unsatisfied,
			Note: "回访群众，反映问题仍未解决。"})
	}
	quick := func() worktime.Limit { return wdays(p.n(0, 3), p.n(60, 380)) }
	c.want = "closed"
	switch scenario {
	case "closed_satisfied", "closed_basic", "closed_unsatisfied":
		sign()
		answer(quick())
		revisit(map[string]string{"closed_satisfied": casework.Satisfied, "closed_basic": casework.Basic, "closed_unsatisfied": casework.Unsatisfied}[scenario])
	case "closed_unreached":
		// Three calls, no answer: the case closes, and the revisit counts
		// beside 满意率 (未联系上), never in its denominator.
		sign()
		answer(quick())
		c.add(wm(p.n(30, 300)), byCallCentre, casework.Action{Name: "revisit", Resolved: ptrBool(true), Satisfaction: casework.Unreached,
			Note: "回访电话三次均无人接听，按规定办结。"})
	case "closed_unresolved":
		sign()
		answer(quick())
		unresolved()
		c.add(wm(p.n(60, 240)), byCallCentre, casework.Action{Name: "close", Note: "经核实已依法依规答复，群众诉求超出政策规定范围，已做好解释说明，予以办结。"})
	case "reopened_closed", "reopened_in_hand":
		sign()
		answer(quick())
		unresolved()
		c.add(wm(p.n(20, 120)), byCallCentre, casework.Action{Name: "reopen", Note: "群众反映问题仍未解决，退回承办单位重新办理。"})
		if scenario == "reopened_in_hand" {
			c.want, c.maxAge = "in_hand", 2*p.dayMinutes()
			break
		}
		answer(wdays(p.n(0, 2), p.n(60, 300)))
		revisit(casework.Satisfied)
	case "returned_closed", "returned_waiting":
		reason := fmt.Sprintf("经核实，该事项不属于本单位职责范围，建议改派%s办理。", lead.Name)
		c.addOn(wm(p.n(15, 100)), byPartStaff, demoPart{unit: first.Code}, casework.Action{Name: "return", Note: reason})
		if scenario == "returned_waiting" {
			c.want, c.maxAge = "returned", 120
			break
		}
		c.add(wm(p.n(15, 90)), byCallCentre, casework.Action{Name: "dispatch", UnitCode: lead.Code, Note: "根据退回意见改派。"})
		sign()
		answer(quick())
		revisit(casework.Satisfied)
	case "extended_closed", "extension_pending", "extension_refused":
		sign()
		c.addOn(wdays(p.n(2, 3), p.n(0, 200)), byPartStaff, leadPart, casework.Action{Name: "request_extension", Days: p.n(3, 5),
			Note: "需协调相关单位现场勘查并制定处置方案，申请延期办理。"})
		switch scenario {
		case "extension_pending":
			c.want, c.maxAge = "in_hand", p.dayMinutes()/2
		case "extension_refused":
			c.add(wm(p.n(60, 240)), byCallCentre, casework.Action{Name: "refuse_extension", Note: "该事项可在原时限内办结，请抓紧办理。"})
			c.want, c.maxAge = "in_hand", p.dayMinutes()/3
		default:
			c.add(wm(p.n(60, 240)), byCallCentre, casework.Action{Name: "approve_extension"})
			answer(wdays(p.n(2, 3), p.n(0, 200)))
			revisit(pick(p, []string{casework.Satisfied, casework.Satisfied, casework.Basic}))
		}
	case "supported_closed":
		sign()
		c.addOn(wm(p.n(30, 120)), byPartStaff, leadPart, casework.Action{Name: "add_supporting", UnitCode: pl.place.Code})
		support := demoPart{unit: pl.place.Code}
		c.addOn(wm(p.n(20, 90)), byPartStaff, support, casework.Action{Name: "sign_support"})
		c.addOn(wdays(0, p.n(120, 500)), byPartStaff, support, casework.Action{Name: "support_done", Note: "社区已上门核实情况，配合做好现场处置和群众解释工作。"})
		answer(wm(p.n(60, 300)))
		revisit(casework.Satisfied)
	case "overdue_closed", "overdue_in_hand":
		sign()
		supervised := i%2 == 0
		if supervised {
			c.add(wdays(5, p.n(60, 200)), bySupervisor, casework.Action{Name: "supervise", Note: "该工单已超期，请承办单位加快办理并书面说明超期原因。"})
		}
		if scenario == "overdue_in_hand" {
			c.want = "in_hand"
			if supervised {
				c.minAge, c.maxAge = 0, 2*p.dayMinutes()
			} else {
				c.minAge, c.maxAge = 5*p.dayMinutes()+60, 8*p.dayMinutes()
			}
			break
		}
		if supervised {
			answer(wdays(0, p.n(120, 380)))
		} else {
			answer(wdays(6, p.n(0, 300)))
		}
		revisit(pick(p, []string{casework.Basic, casework.Unsatisfied, casework.Satisfied}))
	case "received":
		c.today, c.want = true, "received"
	case "to_sign":
		c.want, c.maxAge = "dispatched", 90
		if i < 4 {
			c.today = true
			c.in.Dispatch = first.Code
			c.steps = nil
			if i < 2 && t.point {
				c.in.Priority = casework.PriorityUrgent
			}
		}
	case "in_hand":
		sign()
		c.want, c.maxAge = "in_hand", 3*p.dayMinutes()
		if i%5 == 1 {
			// Near the deadline: 1 to 4 working hours left.
			c.minAge, c.maxAge = 4*p.dayMinutes()+150, 4*p.dayMinutes()+330
		}
		if i%5 == 0 {
			c.add(wdays(1, p.n(0, 200)), bySupervisor, casework.Action{Name: "supervise", Note: "群众多次来电反映，请加快办理。"})
			c.maxAge = p.dayMinutes()
		}
	case "answered":
		sign()
		answer(quick())
		c.want, c.maxAge = "answered", 300
	default:
		panic("unknown hotline scenario " + scenario)
	}
}

func ptrBool(b bool) *bool { return &b }

// gridPlace picks a grid for a grid event; the demo grid worker's grid gets
// a share, but never an on-the-spot fix (their own fixes are counted today).
func (p *demoPlanner) gridPlace(scenario string, i int) demoPlace {
	focus := p.w.townships[0].places[0]
	switch {
	case scenario == "handled" && i == 0, scenario == "loop_closed" && i < 3, scenario == "reported" && i == 0:
		return focus
	case scenario == "on_spot":
		for {
			pl := p.place(false)
			if pl.grid.ID != focus.grid.ID {
				return pl
			}
		}
	}
	return p.place(p.chance(25))
}

func (p *demoPlanner) gridEvent(scenario string, i int) {
	t := pick(p, gridTopics)
	if scenario == "on_spot" {
		for t.fix == "" {
			t = pick(p, gridTopics)
		}
	}
	pl := p.gridPlace(scenario, i)
	c := p.newCase("grid_event", pl, true)
	worker := p.w.workers[pl.grid.ID]
	c.opener = demoWho{kind: whoUnit, unit: pl.grid.Code, name: worker}
	c.in.Title, c.in.Body, c.in.Category, c.in.Channel = t.title, demoBody(t.body), t.cat, "grid"
	c.in.Attachments = []casework.NewAttachment{{Name: "现场照片.png", ContentType: "image/png", Data: demoPhoto(false), Stage: "before"}}
	community := unitStaff(pl.place)
	handler := p.target(t.to, pl)
	// A department's part is set up by the township's grid centre; the
	// community sets up what it or the township handles.
	setUp := community
	if handler.Kind == "department" {
		setUp = unitStaff(pl.township)
	}
	hpart := demoPart{unit: handler.Code}
	checker := demoWho{kind: whoUnit, unit: pl.grid.Code, name: worker}
	after := func() []casework.NewAttachment {
		return []casework.NewAttachment{{Name: "处置后照片.png", ContentType: "image/png", Data: demoPhoto(true), Stage: "after"}}
	}
	register := func() { c.add(wm(p.n(10, 60)), setUp, casework.Action{Name: "register"}) }
	dispatch := func(to *demoUnit) { c.add(wm(p.n(5, 40)), setUp, casework.Action{Name: "dispatch", UnitCode: to.Code}) }
	sign := func() { c.addOn(wm(p.n(15, 90)), byPartStaff, hpart, casework.Action{Name: "sign"}) }
	handled := func() {
		c.addOn(wdays(p.n(0, 2), p.n(60, 300)), byPartStaff, hpart, casework.Action{Name: "report_handled", Note: t.handled, Attachments: after()})
	}
	check := func(ok bool) {
		a := casework.Action{Name: "check", Resolved: ptrBool(ok), Note: "已现场核查，处置到位。"}
		if !ok {
			a.Note = "现场核查仍未处置到位，请继续处置。"
		}
		c.add(wm(p.n(30, 240)), checker, a)
	}
	c.want = "closed"
	switch scenario {
	case "on_spot":
		c.in.OnSpot, c.in.Note = true, t.fix
	case "loop_closed":
		register()
		dispatch(handler)
		sign()
		handled()
		check(true)
	case "check_failed_closed":
		register()
		dispatch(handler)
		sign()
		handled()
		check(false)
		handled()
		check(true)
	case "returned_closed":
		wrong := p.w.dept("D002")
		right := p.w.dept("D003")
		if wrong == nil || right == nil {
			wrong, right = pl.place, pl.township
		}
		setUp = unitStaff(pl.township)
		hpart = demoPart{unit: right.Code}
		register()
		dispatch(wrong)
		c.addOn(wm(p.n(15, 100)), byPartStaff, demoPart{unit: wrong.Code}, casework.Action{Name: "return", Note: "该事项属于市容秩序管理，不属于本单位职责，建议派城管部门处置。"})
		dispatch(right)
		sign()
		handled()
		check(true)
	case "reported":
		c.want, c.maxAge = "reported", 60
	case "registered":
		register()
		c.want, c.maxAge = "registered", 60
	case "dispatched":
		register()
		dispatch(handler)
		c.want, c.maxAge = "dispatched", 90
	case "in_hand":
		register()
		dispatch(handler)
		sign()
		c.want, c.maxAge = "in_hand", 3*p.dayMinutes()
	case "handled":
		register()
		dispatch(handler)
		sign()
		handled()
		c.want, c.maxAge = "handled", 200
	case "dismissed":
		c.add(wm(p.n(20, 120)), community, casework.Action{Name: "dismiss", Note: "经核实不属于城市管理事项，已告知上报人向有关部门反映。"})
		c.want = "dismissed"
	default:
		panic("unknown grid scenario " + scenario)
	}
}

func (p *demoPlanner) whistle(scenario string) {
	kind, _, _ := strings.Cut(scenario, "_")
	var pl demoPlace
	switch kind {
	case casework.WhistleCommunity:
		pl = p.memberPlace()
	case casework.WhistleStreet:
		pl = p.place(p.chance(40))
	default:
		pl = p.place(false)
	}
	c := p.newCase("whistle", pl, kind != casework.WhistleCommunity)
	c.in.Kind = kind
	whistler := unitStaff(pl.township)
	c.opener = whistler
	c.want = "closed"
	type party struct {
		part demoPart
		who  demoWho
	}
	var parties []party
	result := "已到场处置，问题已解决。"
	switch kind {
	case casework.WhistleStreet, casework.WhistleResident:
		t := pick(p, whistleStreetTopics)
		c.in.Title, c.in.Body, result = t.title, demoBody(t.body), t.result
		depts := []string{"D002", "D003"}
		switch {
		case strings.Contains(t.title, "交通"), strings.Contains(t.title, "学校"):
			depts = []string{"D012", "D003"}
		case strings.Contains(t.title, "河"):
			depts = []string{"D014", "D003"}
		case strings.Contains(t.title, "电线"):
			depts = []string{"D017", "D016"}
		}
		var codes []string
		for _, d := range depts {
			if u := p.w.dept(d); u != nil {
				codes = append(codes, u.Code)
				parties = append(parties, party{demoPart{unit: u.Code}, byPartStaff})
			}
		}
		codes = append(codes, pl.place.Code)
		parties = append(parties, party{demoPart{unit: pl.place.Code}, byPartStaff})
		if kind == casework.WhistleResident {
			c.opener = demoWho{kind: whoResident}
			c.in.Channel = "portal"
			p.reporter(c)
			c.in.Title = "居民吹哨：" + c.in.Title
			c.add(wm(p.n(20, 90)), whistler, casework.Action{Name: "summon", UnitCodes: codes, Note: "受理居民吹哨，召集相关单位报到。"})
		} else {
			c.in.Summon = codes
			c.in.Note = "请各单位按时到场报到，共同研究处置。"
		}
	case casework.WhistleCommunity:
		t := pick(p, whistleCommunityTopics)
		c.in.Title, c.in.Body, result = t.title, demoBody(t.body), t.result
		whistler = unitStaff(pl.place)
		c.opener = whistler
		ms := p.w.members[pl.place.ID]
		k := min(len(ms), p.n(2, 3))
		start := p.rng.IntN(len(ms))
		for j := range k {
			m := ms[(start+j)%len(ms)]
			c.in.SummonPeople = append(c.in.SummonPeople, m.id)
			parties = append(parties, party{demoPart{person: m.id}, demoWho{kind: whoMember, person: m.id}})
		}
		c.in.Note = "请在本社区报到的党员按时到场参加志愿服务。"
	case casework.WhistleOrganisation:
		c.in.Title = pick(p, []string{"森林防火巡查", "强降雨后安全隐患排查", "集镇环境卫生大扫除"})
		c.in.Body = demoBody("乡镇党委吹哨，召集网格和一线干部到岗开展" + c.in.Title + "。")
		var grids []string
		for _, x := range p.w.townships {
			if x.unit.ID != pl.township.ID {
				continue
			}
			for j := 0; j < len(x.places) && len(grids) < 2; j += max(1, len(x.places)/2) {
				grids = append(grids, x.places[j].grid.Code)
				parties = append(parties, party{demoPart{unit: x.places[j].grid.Code}, byPartStaff})
			}
		}
		c.in.Summon = grids
		if cs := p.w.cadres[pl.township.ID]; len(cs) > 0 {
			m := pick(p, cs)
			c.in.SummonPeople = []int64{m.id}
			parties = append(parties, party{demoPart{person: m.id}, demoWho{kind: whoMember, person: m.id}})
		}
		c.in.Note = "请网格员和包村干部立即到岗。"
		result = "已完成巡查排查，发现的隐患已登记整改。"
	}
	late := scenario == "street_late_closed"
	for j, pt := range parties {
		if scenario == "street_refusal_closed" && j == 0 {
			c.addOn(wm(p.n(10, 40)), pt.who, pt.part, casework.Action{Name: "refuse_summons", Note: "该事项不属于本单位职责范围，建议召集属地责任单位。"})
			continue
		}
		c.addOn(wm(p.n(3, 10)), pt.who, pt.part, casework.Action{Name: "accept_summons"})
	}
	if scenario == "street_blown" {
		c.want, c.maxAge = "blown", 60
		return
	}
	for j, pt := range parties {
		if scenario == "street_refusal_closed" && j == 0 {
			continue
		}
		// Within the report-in limit (2 working hours from the summons),
		// except the late party.
		after := wm(p.n(3, 12))
		switch {
		case late && j == 0:
			after = wm(p.n(150, 200))
		case j == 0:
			after = wm(p.n(20, 45))
		}
		c.addOn(after, pt.who, pt.part, casework.Action{Name: "report_in"})
	}
	for j, pt := range parties {
		if scenario == "street_refusal_closed" && j == 0 {
			continue
		}
		if strings.HasSuffix(scenario, "responding") && j > 0 {
			break
		}
		after := wm(p.n(10, 120))
		switch {
		case pt.who.kind == whoMember:
			// A volunteer reports back the same day: the hours credited
			// run from the report-in to the result.
			after = worktime.Limit{Natural: time.Duration(p.n(30, 110)) * time.Minute}
		case j == 0:
			after = wm(p.n(120, 500))
		}
		c.addOn(after, pt.who, pt.part, casework.Action{Name: "report_result", Note: result})
	}
	if strings.HasSuffix(scenario, "responding") {
		c.want, c.maxAge = "responding", p.dayMinutes()/2
		return
	}
	for j, pt := range parties {
		if scenario == "street_refusal_closed" && j == 0 {
			continue
		}
		c.addOn(wm(p.n(20, 120)), whistler, pt.part, casework.Action{Name: "accept_result", Rating: p.n(4, 5), Note: "到场及时，处置到位。"})
	}
}

// memberPlace is a community where at least two party members are
// registered, the demo users' own community when it qualifies.
func (p *demoPlanner) memberPlace() demoPlace {
	var ok []demoPlace
	seen := map[int64]bool{}
	for _, t := range p.w.townships {
		for _, pl := range t.places {
			if !seen[pl.place.ID] && len(p.w.members[pl.place.ID]) >= 2 {
				seen[pl.place.ID] = true
				ok = append(ok, pl)
			}
		}
	}
	if len(ok) == 0 {
		return p.place(false)
	}
	if ok[0].place.ID == p.w.townships[0].places[0].place.ID && p.chance(50) {
		return ok[0]
	}
	return pick(p, ok)
}

func (p *demoPlanner) townshipCall(ctx context.Context, scenario string) error {
	t := pick(p, callTopics)
	pl := p.place(p.chance(30))
	c := p.newCase("township_call", pl, false)
	town := unitStaff(pl.township)
	c.opener = town
	c.in.Title, c.in.Body, c.in.Category = t.title, demoBody(t.body), t.cat
	// The lists propose the department; without a proposal the township
	// names one.
	lead := ""
	if prop, err := p.s.Propose(ctx, t.cat); err == nil && prop.Lead.Kind == org.KindDepartment {
		lead = prop.Lead.Code
		for _, u := range prop.Supporting {
			c.in.Supporting = append(c.in.Supporting, u.Code)
		}
	} else if err != nil && !isNotFound(err) {
		return err
	}
	if lead == "" {
		lead = p.w.dept("D002").Code
		c.in.Dispatch = lead
		c.in.Supporting = nil
	}
	other := p.w.dept("D003").Code
	if other == lead {
		other = p.w.dept("D002").Code
	}
	lp := demoPart{unit: lead}
	sign := func(part demoPart) { c.addOn(wm(p.n(60, 300)), byPartStaff, part, casework.Action{Name: "sign"}) }
	supporting := func() {
		for _, code := range c.in.Supporting {
			sp := demoPart{unit: code}
			c.addOn(wm(p.n(30, 200)), byPartStaff, sp, casework.Action{Name: "sign_support"})
			c.addOn(wdays(1, p.n(0, 200)), byPartStaff, sp, casework.Action{Name: "support_done", Note: "已派员配合现场处置。"})
		}
	}
	answer := func(part demoPart) {
		c.addOn(wdays(p.n(1, 3), p.n(0, 300)), byPartStaff, part, casework.Action{Name: "answer", Note: t.answer})
	}
	rate := func(ok bool, part demoPart) {
		a := casework.Action{Name: "rate", Resolved: ptrBool(ok), Rating: p.n(4, 5), Note: "县直部门响应及时，问题已解决。"}
		if !ok {
			a.Rating, a.Note = 2, "问题尚未根本解决，请继续办理。"
		}
		c.addOn(wm(p.n(60, 400)), town, part, a)
	}
	c.want = "closed"
	switch scenario {
	case "closed":
		sign(lp)
		supporting()
		answer(lp)
		rate(true, lp)
	case "returned_closed":
		c.addOn(wm(p.n(60, 300)), byPartStaff, lp, casework.Action{Name: "return", Note: "该事项不属于本部门职责，建议呼叫相关职能部门。"})
		c.add(wm(p.n(30, 200)), town, casework.Action{Name: "dispatch", UnitCode: other, Note: "根据退回意见重新呼叫。"})
		op := demoPart{unit: other}
		sign(op)
		supporting()
		answer(op)
		rate(true, op)
	case "reassigned_closed":
		c.addOn(wdays(1, p.n(60, 200)), bySupervisor, lp, casework.Action{Name: "reassign", UnitCode: other, Note: "原承办部门逾期未签收，经督查室研究改派。"})
		op := demoPart{unit: other}
		sign(op)
		supporting()
		answer(op)
		rate(true, op)
	case "in_hand":
		sign(lp)
		c.want, c.maxAge = "in_hand", 2*p.dayMinutes()
	case "answered":
		sign(lp)
		supporting()
		answer(lp)
		c.want, c.maxAge = "answered", 200
	case "unresolved":
		sign(lp)
		supporting()
		answer(lp)
		rate(false, lp)
		c.want, c.maxAge = "in_hand", p.dayMinutes()
	default:
		panic("unknown township call scenario " + scenario)
	}
	return nil
}

func (p *demoPlanner) enforcement(scenario string) {
	t := pick(p, enforcementTopics)
	pl := p.place(false)
	c := p.newCase("enforcement", pl, true)
	town := unitStaff(pl.township)
	c.opener = town
	c.in.Title, c.in.Body, c.in.Matter = t.title, demoBody(t.body), t.matter
	dept := p.w.dept(pick(p, []string{"D003", "D002", "D010", "D004"}))
	if dept == nil {
		dept = p.w.dept("D003")
	}
	evidence := func() []casework.NewAttachment {
		return []casework.NewAttachment{{Name: "现场检查照片.png", ContentType: "image/png", Data: demoPhoto(false), Stage: "evidence"}}
	}
	transfer := func(by demoWho, to *demoUnit, note string) {
		c.add(wdays(0, p.n(60, 300)), by, casework.Action{Name: "transfer", UnitCode: to.Code, Note: note,
			Fields: map[string]string{"basis": t.basis}, Attachments: evidence()})
	}
	accept := func(to *demoUnit) {
		c.addOn(wdays(p.n(0, 1), p.n(30, 300)), byPartStaff, demoPart{unit: to.Code}, casework.Action{Name: "accept_transfer"})
	}
	conclude := func(to *demoUnit) {
		c.addOn(wdays(p.n(2, 5), p.n(0, 300)), byPartStaff, demoPart{unit: to.Code}, casework.Action{Name: "conclude", Note: t.result})
	}
	c.want = "closed"
	switch scenario {
	case "transfer_concluded":
		transfer(town, dept, "该违法行为属县级部门管辖，依法移送。")
		accept(dept)
		conclude(dept)
	case "dispute_settled":
		transfer(town, dept, "该违法行为属县级部门管辖，依法移送。")
		c.addOn(wdays(0, p.n(60, 300)), byPartStaff, demoPart{unit: dept.Code}, casework.Action{Name: "return_transfer",
			Note: "该违法行为发生在集镇规划区内，已赋权乡镇综合执法队查处，予以退回。"})
		c.add(wm(p.n(60, 300)), town, casework.Action{Name: "dispute", Note: "该事项不在乡镇赋权清单内，对退回有异议，提请县级裁决。"})
		c.add(wdays(1, p.n(0, 200)), bySupervisor, casework.Action{Name: "settle", UnitCode: dept.Code, Note: "经研究，该事项由县直部门负责查处，乡镇配合。"})
		c.want, c.maxAge = "accepted", 3*p.dayMinutes()
	case "transferring":
		transfer(town, dept, "该违法行为属县级部门管辖，依法移送。")
		c.want, c.maxAge = "transferring", p.dayMinutes()
	case "department_transfer":
		// A matter the access list admits from the department to townships.
		if d := p.w.dept("D003"); d != nil {
			dept = d
		}
		c.in.Title, c.in.Matter = "沿街店铺乱堆乱放影响市容", "CF00202000"
		c.opener = unitStaff(dept)
		transfer(unitStaff(dept), pl.township, "该事项已赋权乡镇综合执法队管辖，依法移送属地查处。")
		accept(pl.township)
		c.want, c.maxAge = "accepted", 3*p.dayMinutes()
	case "close_own":
		c.add(wdays(p.n(1, 3), p.n(0, 300)), town, casework.Action{Name: "close_own", Note: "当事人已自行整改到位，违法行为轻微并及时改正，依法不予处罚。"})
	case "coordination":
		c.in.Kind = casework.EnforcementCoordination
		c.in.Title = "协调协作：" + t.title
		transfer(town, dept, "办理该案需县级部门协助调查取证，请求协作。")
		accept(dept)
		conclude(dept)
	default:
		panic("unknown enforcement scenario " + scenario)
	}
}

// dayMinutes is the working minutes of a working day on the calendar.
func (p *demoPlanner) dayMinutes() int { return p.dm }

// anchor places every case in time: its last step minAge..maxAge working
// minutes before now, the earliest intake no sooner than from.
func (p *demoPlanner) anchor(cal casework.Calendar, from, now time.Time) error {
	local := now.In(shanghai)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, shanghai)
	for i, c := range p.cases {
		if c.today {
			// Received today, some minutes to some hours ago (last
			// evening when the day has only begun); no later steps.
			back := 5 * time.Minute
			if room := min(8*time.Hour, now.Sub(midnight)-10*time.Minute); room > 0 {
				back += time.Duration(p.rng.Int64N(int64(room)))
			} else {
				back += time.Duration(p.rng.Int64N(int64(2 * time.Hour)))
			}
			c.at = c.times(cal, now.Add(-back).Truncate(time.Minute))
			continue
		}
		last := func(s time.Time) time.Time { at := c.times(cal, s); return at[len(at)-1] }
		minAge := time.Duration(c.minAge) * time.Minute
		lf := last(from)
		if lf.After(now) || cal.Between(lf, now) < minAge {
			return fmt.Errorf("demo case %d (%s) does not fit in the period", i+1, c.in.Title)
		}
		maxAge := cal.Between(lf, now)
		if c.maxAge >= 0 {
			maxAge = min(maxAge, time.Duration(c.maxAge)*time.Minute)
		}
		age := minAge
		if maxAge > minAge {
			age += time.Duration(p.rng.Int64N(int64(maxAge-minAge)/int64(time.Minute))) * time.Minute
		}
		fits := func(s time.Time) bool {
			l := last(s)
			return !l.After(now) && cal.Between(l, now) >= age
		}
		lo, hi := from, now
		for hi.Sub(lo) > time.Minute {
			mid := lo.Add(hi.Sub(lo) / 2)
			if fits(mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		start := lo.Truncate(time.Minute)
		if c.jitter && c.maxAge < 0 && p.chance(30) {
			// Calls come in before office hours too; the work starts later.
			start = start.Add(-time.Duration(p.n(5, 50)) * time.Minute)
		}
		if start.Before(from) {
			start = from
		}
		c.at = c.times(cal, start)
	}
	return nil
}

// --- running -----------------------------------------------------------------

type demoRunner struct {
	db      *store.DB
	s, sim  *casework.Service
	party   *party.Service // members act on their parts through it, on sim's clock
	w       *demoWorld
	opts    CaseOptions
	clock   time.Time
	sweeper *timers.Sweeper
	res     *CaseResult
}

// demoEvent is one step of one case at its time.
type demoEvent struct {
	at   time.Time
	c    int
	step int // -1: intake
}

type demoState struct {
	no     string
	failed bool
}

func (r *demoRunner) run(ctx context.Context, cases []*demoCase, now time.Time) error {
	var evs []demoEvent
	for i, c := range cases {
		evs = append(evs, demoEvent{at: c.at[0], c: i, step: -1})
		for j := range c.steps {
			evs = append(evs, demoEvent{at: c.at[j+1], c: i, step: j})
		}
	}
	sort.SliceStable(evs, func(a, b int) bool {
		if !evs[a].at.Equal(evs[b].at) {
			return evs[a].at.Before(evs[b].at)
		}
		if evs[a].c != evs[b].c {
			return evs[a].c < evs[b].c
		}
		return evs[a].step < evs[b].step
	})
	state := make([]demoState, len(cases))
	var firstErr error
	fail := func(i int, err error) {
		state[i].failed = true
		r.res.Failed++
		if firstErr == nil {
			firstErr = fmt.Errorf("demo case %s (%s): %w", cases[i].in.ExternalID, cases[i].in.Title, err)
		}
	}
	for _, ev := range evs {
		if err := r.sweep(ctx, ev.at); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		st := &state[ev.c]
		if st.failed {
			continue
		}
		r.clock = ev.at
		c := cases[ev.c]
		if ev.step < 0 {
			no, created, err := r.intake(ctx, c)
			switch {
			case err != nil:
				fail(ev.c, err)
			case !created:
				st.failed = true // loaded before: leave it as it is
			default:
				st.no = no
				r.res.Created++
			}
			continue
		}
		if err := r.step(ctx, st.no, c.steps[ev.step]); err != nil {
			fail(ev.c, fmt.Errorf("step %d %s: %w", ev.step+1, c.steps[ev.step].act.Name, err))
			continue
		}
		r.res.Actions++
	}
	if err := r.sweep(ctx, now); err != nil {
		return err
	}
	return firstErr
}

// sweep fires the engine's timers due by t, each at its own due time.
func (r *demoRunner) sweep(ctx context.Context, t time.Time) error {
	kinds := casework.TimerKinds()
	for {
		due, ok, err := timers.NextDue(ctx, r.db, kinds, t)
		if err != nil {
			return fmt.Errorf("demo cases: %w", err)
		}
		if !ok {
			return nil
		}
		if due.After(r.clock) {
			r.clock = due
		}
		n, err := r.sweeper.SweepOnce(ctx, r.clock)
		if err != nil {
			return fmt.Errorf("demo cases: sweep: %w", err)
		}
		if n == 0 {
			return nil
		}
		r.res.TimersFired += n
	}
}

// staffName is the fictitious name of a unit's staff member on the timeline.
func staffName(code string) string {
	h := fnv.New32a()
	h.Write([]byte(code))
	return string(caseSurnames[int(h.Sum32())%len(caseSurnames)]) + "某某"
}

// roleOf is the role of a unit's staff.
func roleOf(kind string) access.Role {
	switch kind {
	case "department":
		return access.RoleDepartment
	case "township", "street":
		return access.RoleTownship
	case "community", "village":
		return access.RoleCommunity
	case "grid", "building":
		return access.RoleGrid
	case "county":
		return access.RoleAdmin
	}
	return access.RoleCommunity
}

// actor is who takes a step: a system actor carrying the unit, the role and
// the name of the staff member it stands for.
func (r *demoRunner) actor(u unitRef, role access.Role, name string) access.Actor {
	if name == "" {
		name = staffName(u.Code)
	}
	return access.Actor{Name: name, UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, UnitKind: u.Kind, UnitPath: u.Path,
		Roles: []access.Role{role}, System: true}
}

func (r *demoRunner) actorOf(ctx context.Context, who demoWho, part *unitRef) (access.Actor, error) {
	switch who.kind {
	case whoCallCentre:
		return r.actor(r.w.county.unitRef, access.RoleAdmin, staffName(r.w.county.Code+"12345")+"（12345热线）"), nil
	case whoSupervisor:
		role := access.RoleSupervisor
		return r.actor(r.w.supervision.unitRef, role, ""), nil
	case whoUnit:
		u, ok := r.w.byCode[who.unit]
		if !ok {
			return access.Actor{}, fmt.Errorf("unit %s not loaded", who.unit)
		}
		return r.actor(u.unitRef, roleOf(u.Kind), who.name), nil
	case whoPart:
		if part == nil {
			return access.Actor{}, errors.New("no part to act on")
		}
		return r.actor(*part, roleOf(part.Kind), ""), nil
	case whoResident:
		return access.Actor{}, nil
	}
	return access.Actor{}, fmt.Errorf("actor kind %d", who.kind)
}

func (r *demoRunner) intake(ctx context.Context, c *demoCase) (string, bool, error) {
	actor, err := r.actorOf(ctx, c.opener, nil)
	if err != nil {
		return "", false, err
	}
	if r.opts.verify && c.opener.kind != whoResident {
		if err := r.verifyOpen(ctx, c.in, actor); err != nil {
			return "", false, err
		}
	}
	in := c.in
	in.Attachments = slices.Clone(c.in.Attachments)
	out, created, err := r.sim.Create(ctx, actor, in)
	if err != nil {
		return "", false, err
	}
	return out.No, created, nil
}

// resolve finds the open part a step acts on in the case d.
func (r *demoRunner) resolve(d casework.CaseDetail, spec casework.ActionSpec, part demoPart) (int64, unitRef, error) {
	for _, a := range d.Assignments {
		switch {
		case !a.Open(),
			part.person != 0 && a.PersonID != part.person,
			part.unit != "" && (a.UnitCode != part.unit || a.PersonID != 0),
			spec.AssignmentRole != "" && a.Role != spec.AssignmentRole,
			len(spec.AssignmentFrom) > 0 && !slices.Contains(spec.AssignmentFrom, a.Status):
			continue
		}
		u := unitRef{ID: a.UnitID, Code: a.UnitCode, Name: a.UnitName, Path: a.UnitPath}
		if x, ok := r.w.byCode[a.UnitCode]; ok {
			u = x.unitRef
		}
		return a.ID, u, nil
	}
	return 0, unitRef{}, fmt.Errorf("no open part for %s (%+v)", spec.Name, part)
}

func (r *demoRunner) step(ctx context.Context, no string, st demoStep) error {
	d, err := r.sim.Get(ctx, access.System, no)
	if err != nil {
		return err
	}
	flow, ok := r.s.Flow(d.Case.Flow)
	if !ok {
		return fmt.Errorf("case %s: no flow %s", no, d.Case.Flow)
	}
	spec, ok := flow.Action(st.act.Name)
	if !ok {
		return fmt.Errorf("flow %s has no action %s", d.Case.Flow, st.act.Name)
	}
	act := st.act
	act.Attachments = slices.Clone(st.act.Attachments)
	var part *unitRef
	if spec.On == casework.OnAssignment {
		id, u, err := r.resolve(d, spec, st.part)
		if err != nil {
			return err
		}
		act.AssignmentID, part = id, &u
	}
	if st.who.kind == whoMember {
		m, err := r.party.MemberByID(ctx, st.who.person)
		if err != nil {
			return err
		}
		_, err = r.party.Do(ctx, m, no, act)
		return err
	}
	if part == nil && st.who.kind == whoPart {
		// A case action by the staff of a part (the lead adds a supporting unit).
		if u, ok := r.w.byCode[st.part.unit]; ok {
			part = &u.unitRef
		}
	}
	actor, err := r.actorOf(ctx, st.who, part)
	if err != nil {
		return err
	}
	if r.opts.verify {
		if err := r.verifyStep(ctx, no, actor, act); err != nil {
			return err
		}
	}
	_, err = r.sim.Do(ctx, actor, no, act)
	return err
}

// user is the user a system actor stands for: the same unit and role,
// without the system's licence.
func user(a access.Actor) access.Actor {
	a.System, a.UserID = false, -1
	return a
}

func (r *demoRunner) verifyOpen(ctx context.Context, in casework.NewCase, actor access.Actor) error {
	if err := r.sim.MayOpen(ctx, user(actor), in); err != nil {
		return fmt.Errorf("a %s user at %s may not open a %s case at %s: %w", actor.Roles[0], actor.UnitCode, in.Flow, in.PlaceUnit, err)
	}
	return nil
}

func (r *demoRunner) verifyStep(ctx context.Context, no string, actor access.Actor, act casework.Action) error {
	u := user(actor)
	d, err := r.sim.Get(ctx, u, no)
	if err != nil {
		return fmt.Errorf("a %s user at %s cannot see the case: %w", actor.Roles[0], actor.UnitCode, err)
	}
	for _, spec := range r.sim.AllowedActions(u, d) {
		if spec.Name == act.Name && (act.AssignmentID == 0 || slices.Contains(spec.Assignments, act.AssignmentID)) {
			return nil
		}
	}
	return fmt.Errorf("a %s user at %s may not take %s now (status %s)", actor.Roles[0], actor.UnitCode, act.Name, d.Case.Status)
}

// demoPhoto is a small PNG standing in for a site photo: a street scene
// with rubbish (before) or without (after), and a diagonal "demo" band.
func demoPhoto(after bool) []byte {
	const w, h = 240, 160
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	sky := color.RGBA{186, 214, 235, 255}
	road := color.RGBA{128, 128, 128, 255}
	wall := color.RGBA{222, 206, 180, 255}
	band := color.RGBA{200, 40, 40, 255}
	for y := range h {
		for x := range w {
			c := sky
			switch {
			case y > 110:
				c = road
			case y > 40 && x > 20 && x < 140:
				c = wall
			}
			if !after && y > 95 && y < 125 && x > 150 && x < 215 && (x+y)%7 < 5 {
				c = color.RGBA{110, 80, 40, 255}
			}
			if d := x - 2*y; d > 60 && d < 72 {
				c = band
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory image cannot fail
	}
	return buf.Bytes()
}
