package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/org"
	"grassroots/internal/pairing"
	"grassroots/internal/party"
	"grassroots/internal/staffing"
	"grassroots/internal/store"
	"grassroots/internal/taskforce"
	"grassroots/internal/xlsx"
)

// orgLedgerRoutes registers the county's organisational ledgers (issue
// 17): pairings and their chain from field visit to village income, task
// forces across modules with their inbox, and the staffing ledger; and a
// person's posts, modules and task forces.
func (s *Server) orgLedgerRoutes() {
	s.mux.HandleFunc("GET /pairings", s.staff(s.pairingList))
	s.mux.HandleFunc("POST /pairings", s.staff(s.pairingCreate))
	s.mux.HandleFunc("GET /pairings/export.xlsx", s.staff(s.pairingExport))
	s.mux.HandleFunc("GET /pairings/{id}", s.staff(s.pairingView))
	s.mux.HandleFunc("POST /pairings/{id}/visits", s.staff(s.pairingVisit))
	s.mux.HandleFunc("POST /pairings/{id}/visits/{visit}/case", s.staff(s.pairingVisitCase))
	s.mux.HandleFunc("POST /pairings/{id}/projects", s.staff(s.pairingProject))
	s.mux.HandleFunc("POST /pairings/{id}/projects/{project}/stage", s.staff(s.pairingStage))
	s.mux.HandleFunc("POST /pairings/{id}/projects/{project}/funds", s.staff(s.pairingFund))
	s.mux.HandleFunc("POST /pairings/{id}/funds/{fund}/advance", s.staff(s.pairingAdvance))
	s.mux.HandleFunc("POST /pairings/{id}/income", s.staff(s.pairingIncome))
	s.mux.HandleFunc("POST /pairings/incomes/import", s.staff(s.pairingIncomesImport))
	s.mux.HandleFunc("POST /pairings/import", s.staff(s.pairingImport))
	s.mux.HandleFunc("POST /pairings/work/import", s.staff(s.pairingWorkImport))

	s.mux.HandleFunc("GET /taskforces", s.staff(s.taskforceList))
	s.mux.HandleFunc("POST /taskforces", s.staff(s.taskforceCreate))
	s.mux.HandleFunc("GET /taskforces/export.xlsx", s.staff(s.taskforceExport))
	s.mux.HandleFunc("POST /taskforces/import", s.staff(s.taskforceImport))
	s.mux.HandleFunc("GET /taskforces/template.xlsx", s.staff(s.taskforceTemplate))
	s.mux.HandleFunc("GET /taskforces/{id}", s.staff(s.taskforceView))
	s.mux.HandleFunc("POST /taskforces/{id}/members", s.staff(s.taskforceMember))
	s.mux.HandleFunc("POST /taskforces/{id}/cases", s.staff(s.taskforceCase))
	s.mux.HandleFunc("POST /taskforces/{id}/close", s.staff(s.taskforceClose))

	s.mux.HandleFunc("GET /staffing", s.staff(s.staffingView))
	s.mux.HandleFunc("GET /staffing/export.xlsx", s.staff(s.staffingExport))
	s.mux.HandleFunc("POST /staffing/moves", s.staff(s.staffingMove))
	s.mux.HandleFunc("POST /staffing/import", s.staff(s.staffingImport))
	s.mux.HandleFunc("POST /staffing/loans/{id}/return", s.staff(s.staffingReturn))
	s.mux.HandleFunc("POST /staffing/posts", s.staff(s.staffingFill))
	s.mux.HandleFunc("POST /staffing/posts/{id}/vacate", s.staff(s.staffingVacate))

	s.mux.HandleFunc("GET /people/{id}/posts", s.staff(s.personPosts))
}

func pathID(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.NotFoundf("没有这个%s", what)
	}
	return id, nil
}

func formInt(r *http.Request, name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(name)), 10, 64)
	return n
}

// uploadedXLSX is the file field of a ledger import's form, at most 10 MB.
func uploadedXLSX(w http.ResponseWriter, r *http.Request) (multipart.File, error) {
	if r.MultipartForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, 10<<20+1<<16)
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			return nil, store.Invalid("上传的文件过大或格式不正确（不超过10MB的 .xlsx 文件）")
		}
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return nil, store.Invalid("请选择要导入的 Excel 文件")
	}
	return file, nil
}

// ledgerImport is a ledger page's import: may says whether the reader may
// import at all (the domain checks each row), run records the file in one
// transaction; a file with bad rows renders the page 400 naming every row
// and records nothing, any other outcome goes as ledgerAfter says.
func ledgerImport[P any](s *Server, w http.ResponseWriter, r *http.Request, may bool, forbidden, back, tmpl string,
	build func(*http.Request) (P, error), setErr func(*P, string), run func(io.Reader) error) error {
	if !may {
		return store.Forbidden(forbidden)
	}
	after := func(err error) error { return ledgerAfter(s, w, r, err, back, "import", tmpl, build, setErr) }
	file, err := uploadedXLSX(w, r)
	if err != nil {
		return after(err)
	}
	defer file.Close()
	err = run(file)
	var ie *xlsx.ImportError
	if errors.As(err, &ie) {
		p, perr := build(r)
		if perr != nil {
			return perr
		}
		setErr(&p, ie.Error())
		s.renderStatus(w, r, http.StatusBadRequest, tmpl, p)
		return nil
	}
	return after(err)
}

// ledgerAfter goes back to back saying what was done, or, for a refused
// form, renders the page again (build) with the error.
func ledgerAfter[P any](s *Server, w http.ResponseWriter, r *http.Request, err error, back, done, tmpl string,
	build func(*http.Request) (P, error), setErr func(*P, string)) error {
	if err == nil {
		sep := "?"
		if strings.Contains(back, "?") {
			sep = "&"
		}
		http.Redirect(w, r, back+sep+"done="+url.QueryEscape(done), http.StatusSeeOther)
		return nil
	}
	msg, ok := userMessage(r, err)
	if !ok {
		return err
	}
	if errors.Is(err, store.ErrForbidden) || errors.Is(err, store.ErrNotFound) {
		return err
	}
	p, perr := build(r)
	if perr != nil {
		return perr
	}
	setErr(&p, msg)
	s.renderStatus(w, r, Status(err), tmpl, p)
	return nil
}

// Yuan formats whole yuan with thousands separators: 5,230,000.
func Yuan(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// ---- pairings ----

// PairingsPage lists the pairings with their figures.
type PairingsPage struct {
	Page
	Rows    []pairing.Row
	Area    pairing.Area
	CanPair bool
	// CanImport offers the import of villages' incomes.
	CanImport bool
	// CanImportWork offers the import of visits, projects and funds.
	CanImportWork bool
	Organs        []org.Unit
	Villages      []org.Unit
	Cadres        []pairing.Cadre
	Error         string
	Done          string
}

// Yuan formats an amount.
func (PairingsPage) Yuan(n int64) string { return Yuan(n) }

func (s *Server) pairingsData(r *http.Request) (PairingsPage, error) {
	ctx, actor := r.Context(), actorOf(r)
	p := PairingsPage{Page: s.page(r, "ledgers.pairing.title", "ledgers"), Done: r.URL.Query().Get("done"), CanPair: pairing.CanPair(actor),
		CanImport: pairing.MayImportIncomes(actor), CanImportWork: pairing.MayImportWork(actor)}
	var err error
	if p.Rows, err = s.Pairing.List(ctx, actor); err != nil {
		return p, err
	}
	p.Area = pairing.FiguresOf(p.Rows)
	if p.CanPair {
		if p.Organs, err = s.Org.ByKind(ctx, org.KindDepartment); err != nil {
			return p, err
		}
		for _, k := range []string{org.KindVillage, org.KindCommunity} {
			us, err := s.Org.ByKind(ctx, k)
			if err != nil {
				return p, err
			}
			p.Villages = append(p.Villages, us...)
		}
		if p.Cadres, err = s.Pairing.Cadres(ctx); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (s *Server) pairingList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pairingsData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "ledgers_pairings", p)
}

func (s *Server) pairingCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := s.Pairing.Pair(r.Context(), actorOf(r), pairing.Input{OrgCode: r.PostFormValue("org"), PartyOrg: r.PostFormValue("party_org"),
		CadreID: formInt(r, "cadre"), VillageCode: r.PostFormValue("village"), StartDay: r.PostFormValue("start"), EndDay: r.PostFormValue("end")})
	back := "/pairings"
	if err == nil {
		back = fmt.Sprintf("/pairings/%d", id)
	}
	return ledgerAfter(s, w, r, err, back, "pair", "ledgers_pairings", s.pairingsData, func(p *PairingsPage, m string) { p.Error = m })
}

func (s *Server) pairingExport(w http.ResponseWriter, r *http.Request) error {
	var b bytes.Buffer
	if err := s.Pairing.Export(r.Context(), actorOf(r), &b); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(time.Now(), "结对共建"), b.Bytes())
	return nil
}

// PairingPage is a pairing's chain: visits → projects → funds → income.
type PairingPage struct {
	Page
	Chain     pairing.Chain
	CanWrite  bool
	CanIncome bool
	Kinds     []string
	Stages    []string
	Year      int
	Error     string
	Done      string
}

// Yuan formats an amount.
func (PairingPage) Yuan(n int64) string { return Yuan(n) }

// Stage names a project stage.
func (PairingPage) Stage(s string) string { return pairing.StageName(s) }

// FundStatus names a fund line's status.
func (PairingPage) FundStatus(s string) string { return pairing.FundStatusName(s) }

// Pct formats a percentage change: +12.5%.
func (PairingPage) Pct(f float64) string { return fmt.Sprintf("%+.1f%%", f) }

func (s *Server) pairingData(r *http.Request) (PairingPage, error) {
	ctx, actor := r.Context(), actorOf(r)
	p := PairingPage{Page: s.page(r, "ledgers.pairing.chain", "ledgers"), Done: r.URL.Query().Get("done"), Kinds: pairing.ProjectKinds,
		Stages: pairing.Stages, Year: time.Now().Year()}
	id, err := pathID(r, "id", "结对")
	if err != nil {
		return p, err
	}
	if p.Chain, err = s.Pairing.Chain(ctx, actor, id); err != nil {
		return p, err
	}
	p.Title = p.Chain.OrgName + " ↔ " + p.Chain.VillageName
	p.CanWrite = pairing.CanWrite(actor, p.Chain.Pairing)
	p.CanIncome = pairing.CanRecordIncome(actor, p.Chain.VillagePath)
	return p, nil
}

func (s *Server) pairingView(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pairingData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "ledgers_pairing", p)
}

func (s *Server) pairingAfter(w http.ResponseWriter, r *http.Request, err error, done string) error {
	return ledgerAfter(s, w, r, err, "/pairings/"+r.PathValue("id"), done, "ledgers_pairing", s.pairingData, func(p *PairingPage, m string) { p.Error = m })
}

func (s *Server) pairingVisit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "结对")
	if err != nil {
		return err
	}
	_, err = s.Pairing.Visit(r.Context(), actorOf(r), id, pairing.VisitInput{Day: r.PostFormValue("day"), Visitors: r.PostFormValue("visitors"),
		Finding: r.PostFormValue("finding"), Photo: r.PostFormValue("photo")})
	return s.pairingAfter(w, r, err, "visit")
}

func (s *Server) pairingVisitCase(w http.ResponseWriter, r *http.Request) error {
	visit, err := pathID(r, "visit", "调研")
	if err != nil {
		return err
	}
	_, err = s.Pairing.VisitToCase(r.Context(), actorOf(r), visit)
	return s.pairingAfter(w, r, err, "case")
}

func (s *Server) pairingProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "结对")
	if err != nil {
		return err
	}
	_, err = s.Pairing.AddProject(r.Context(), actorOf(r), id, pairing.ProjectInput{VisitID: formInt(r, "visit"), Kind: r.PostFormValue("kind"),
		Name: r.PostFormValue("name"), PartnerKind: r.PostFormValue("partner_kind"), PartnerName: r.PostFormValue("partner"),
		Stage: r.PostFormValue("stage")})
	return s.pairingAfter(w, r, err, "project")
}

func (s *Server) pairingStage(w http.ResponseWriter, r *http.Request) error {
	project, err := pathID(r, "project", "项目")
	if err != nil {
		return err
	}
	err = s.Pairing.SetStage(r.Context(), actorOf(r), project, r.PostFormValue("stage"), r.PostFormValue("day"))
	return s.pairingAfter(w, r, err, "stage")
}

func (s *Server) pairingFund(w http.ResponseWriter, r *http.Request) error {
	project, err := pathID(r, "project", "项目")
	if err != nil {
		return err
	}
	_, err = s.Pairing.AddFund(r.Context(), actorOf(r), project, pairing.FundInput{Source: r.PostFormValue("source"), Amount: formInt(r, "amount"),
		Day: r.PostFormValue("day")})
	return s.pairingAfter(w, r, err, "fund")
}

func (s *Server) pairingAdvance(w http.ResponseWriter, r *http.Request) error {
	fund, err := pathID(r, "fund", "资金")
	if err != nil {
		return err
	}
	_, err = s.Pairing.AdvanceFund(r.Context(), actorOf(r), fund, r.PostFormValue("day"))
	return s.pairingAfter(w, r, err, "advance")
}

func (s *Server) pairingIncome(w http.ResponseWriter, r *http.Request) error {
	ctx, actor := r.Context(), actorOf(r)
	id, err := pathID(r, "id", "结对")
	if err != nil {
		return err
	}
	c, err := s.Pairing.Chain(ctx, actor, id)
	if err != nil {
		return err
	}
	err = s.Pairing.RecordIncome(ctx, actor, c.VillageCode, int(formInt(r, "year")), formInt(r, "amount"))
	return s.pairingAfter(w, r, err, "income")
}

// ---- task forces ----

// TaskForcesPage lists the task forces with their warnings.
type TaskForcesPage struct {
	Page
	List    []taskforce.TaskForce
	Figures taskforce.Figures
	// Keepers are the units the user may set task forces up for.
	Keepers []org.Unit
	Leads   []taskforce.Candidate
	Error   string
	Done    string
}

func (s *Server) taskforcesData(r *http.Request) (TaskForcesPage, error) {
	ctx, actor := r.Context(), actorOf(r)
	p := TaskForcesPage{Page: s.page(r, "ledgers.taskforce.title", "ledgers"), Done: r.URL.Query().Get("done")}
	var err error
	if p.List, err = s.TaskForce.List(ctx, actor); err != nil {
		return p, err
	}
	p.Figures = taskforce.FiguresOf(p.List)
	if actor.CountyAdmin() {
		county, err := s.Org.County(ctx)
		if err != nil {
			return p, err
		}
		p.Keepers = append(p.Keepers, county)
		for _, k := range []string{org.KindStreet, org.KindTownship} {
			us, err := s.Org.ByKind(ctx, k)
			if err != nil {
				return p, err
			}
			p.Keepers = append(p.Keepers, us...)
		}
	} else if u, err := s.Org.UnitByID(ctx, actor.UnitID); err == nil && taskforce.MayKeepAt(actor, u.ID, u.Kind) {
		p.Keepers = append(p.Keepers, u)
	}
	if len(p.Keepers) > 0 {
		if p.Leads, err = s.TaskForce.Candidates(ctx, p.Keepers[0].ID); err != nil {
			return p, err
		}
	}
	return p, nil
}

// taskforceTemplate is the empty import file.
func (s *Server) taskforceTemplate(w http.ResponseWriter, r *http.Request) error {
	var b bytes.Buffer
	if err := taskforce.Template(&b); err != nil {
		return err
	}
	xlsx.Serve(w, "工作专班导入模板.xlsx", b.Bytes())
	return nil
}

// taskforceImport sets up the task forces and members of an .xlsx file: a
// file with a bad row records nothing and the page names the rows.
func (s *Server) taskforceImport(w http.ResponseWriter, r *http.Request) error {
	return ledgerImport(s, w, r, taskforce.MayImport(actorOf(r)), "只有乡镇街道或县级单位可以导入工作专班", "/taskforces", "ledgers_taskforces", s.taskforcesData, func(p *TaskForcesPage, m string) { p.Error = m },
		func(f io.Reader) error {
			_, err := s.TaskForce.Import(r.Context(), actorOf(r), f)
			return err
		})
}

func (s *Server) taskforceList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.taskforcesData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "ledgers_taskforces", p)
}

func (s *Server) taskforceCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := s.TaskForce.Create(r.Context(), actorOf(r), taskforce.Input{UnitCode: r.PostFormValue("unit"), Name: r.PostFormValue("name"),
		Task: r.PostFormValue("task"), LeadID: formInt(r, "lead"), DeputyID: formInt(r, "deputy"), StartDay: r.PostFormValue("start"),
		TargetDay: r.PostFormValue("target"), EndDay: r.PostFormValue("end")})
	back := "/taskforces"
	if err == nil {
		back = fmt.Sprintf("/taskforces/%d", id)
	}
	return ledgerAfter(s, w, r, err, back, "create", "ledgers_taskforces", s.taskforcesData, func(p *TaskForcesPage, m string) { p.Error = m })
}

func (s *Server) taskforceExport(w http.ResponseWriter, r *http.Request) error {
	var b bytes.Buffer
	if err := s.TaskForce.Export(r.Context(), actorOf(r), &b); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(time.Now(), "工作专班"), b.Bytes())
	return nil
}

// TaskForceItem is a work item with its state's label.
type TaskForceItem struct {
	taskforce.Item
	StateKey string
}

// TaskForcePage is a task force: members, inbox, warnings.
type TaskForcePage struct {
	Page
	D            taskforce.Detail
	Items        []TaskForceItem
	CanKeep      bool
	Institutions []taskforce.Institution
	Candidates   []taskforce.Candidate
	Error        string
	Done         string
}

func (s *Server) taskforceData(r *http.Request) (TaskForcePage, error) {
	ctx, actor := r.Context(), actorOf(r)
	p := TaskForcePage{Page: s.page(r, "ledgers.taskforce.title", "ledgers"), Done: r.URL.Query().Get("done")}
	id, err := pathID(r, "id", "专班")
	if err != nil {
		return p, err
	}
	if p.D, err = s.TaskForce.Get(ctx, actor, id); err != nil {
		return p, err
	}
	p.Title = p.D.Name
	for _, it := range p.D.Inbox {
		key := it.Status
		if f, ok := p.flowOf(it.Flow); ok {
			key = f.StateKey(it.Status)
		}
		p.Items = append(p.Items, TaskForceItem{Item: it, StateKey: key})
	}
	p.CanKeep = taskforce.CanKeep(actor, p.D.TaskForce)
	if p.CanKeep {
		if p.Institutions, err = s.TaskForce.Institutions(ctx, p.D.UnitID); err != nil {
			return p, err
		}
		if p.Candidates, err = s.TaskForce.Candidates(ctx, p.D.UnitID); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (s *Server) taskforceView(w http.ResponseWriter, r *http.Request) error {
	p, err := s.taskforceData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "ledgers_taskforce", p)
}

func (s *Server) taskforceAfter(w http.ResponseWriter, r *http.Request, err error, done string) error {
	return ledgerAfter(s, w, r, err, "/taskforces/"+r.PathValue("id"), done, "ledgers_taskforce", s.taskforceData, func(p *TaskForcePage, m string) { p.Error = m })
}

func (s *Server) taskforceMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "专班")
	if err != nil {
		return err
	}
	err = s.TaskForce.AddMember(r.Context(), actorOf(r), id, taskforce.MemberInput{PersonID: formInt(r, "person"),
		FullTime: r.PostFormValue("full_time") == "1", InstitutionID: formInt(r, "institution"), Share: int(formInt(r, "share"))})
	return s.taskforceAfter(w, r, err, "member")
}

func (s *Server) taskforceCase(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "专班")
	if err != nil {
		return err
	}
	_, err = s.TaskForce.GiveCase(r.Context(), actorOf(r), id, r.PostFormValue("title"), r.PostFormValue("body"))
	return s.taskforceAfter(w, r, err, "case")
}

func (s *Server) taskforceClose(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "专班")
	if err != nil {
		return err
	}
	err = s.TaskForce.Close(r.Context(), actorOf(r), id, r.PostFormValue("day"))
	return s.taskforceAfter(w, r, err, "close")
}

// ---- staffing ----

// StaffingPage is the staffing ledger: 核定/实有/空编 and the events.
type StaffingPage struct {
	Page
	L        staffing.Ledger
	History  []staffing.Event
	Unit     string // the unit whose history is shown ("" all)
	Posts    []staffing.Post
	CanWrite bool
	Bodies   []org.Unit
	Types    []string
	Error    string
	Done     string
	Imported int
}

// TypeName names a post type.
func (StaffingPage) TypeName(t string) string { return staffing.TypeName(t) }

// KindKey is the message key of an event kind.
func (StaffingPage) KindKey(k string) string { return "ledgers.staffing.kind." + k }

func (s *Server) staffingData(r *http.Request) (StaffingPage, error) {
	ctx, actor := r.Context(), actorOf(r)
	p := StaffingPage{Page: s.page(r, "ledgers.staffing.title", "ledgers"), Done: r.URL.Query().Get("done"), Unit: r.URL.Query().Get("unit"),
		CanWrite: staffing.CanWrite(actor), Types: staffing.PostTypes}
	var err error
	if p.L, err = s.Staffing.Ledger(ctx, actor); err != nil {
		return p, err
	}
	if p.History, err = s.Staffing.History(ctx, actor, p.Unit, 200); err != nil {
		return p, err
	}
	if p.Unit != "" {
		if p.Posts, err = s.Staffing.Posts(ctx, actor, p.Unit, 0); err != nil {
			return p, err
		}
	}
	if p.CanWrite {
		for _, k := range []string{org.KindDepartment, org.KindStreet, org.KindTownship} {
			us, err := s.Org.ByKind(ctx, k)
			if err != nil {
				return p, err
			}
			p.Bodies = append(p.Bodies, us...)
		}
	}
	return p, nil
}

func (s *Server) staffingView(w http.ResponseWriter, r *http.Request) error {
	p, err := s.staffingData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "ledgers_staffing", p)
}

func (s *Server) staffingAfter(w http.ResponseWriter, r *http.Request, err error, done string) error {
	back := "/staffing"
	if u := r.PostFormValue("back_unit"); u != "" {
		back += "?unit=" + url.QueryEscape(u)
	}
	return ledgerAfter(s, w, r, err, back, done, "ledgers_staffing", s.staffingData, func(p *StaffingPage, m string) { p.Error = m })
}

func (s *Server) staffingMove(w http.ResponseWriter, r *http.Request) error {
	_, err := s.Staffing.Record(r.Context(), actorOf(r), staffing.Move{Kind: r.PostFormValue("kind"), FromCode: r.PostFormValue("from"),
		FromInstitution: r.PostFormValue("from_institution"), ToCode: r.PostFormValue("to"), ToInstitution: r.PostFormValue("to_institution"),
		Type: r.PostFormValue("type"), Count: int(formInt(r, "count")), DocNo: r.PostFormValue("doc_no"), DocDay: r.PostFormValue("doc_day"),
		ReturnDay: r.PostFormValue("return_day"), Note: r.PostFormValue("note")})
	return s.staffingAfter(w, r, err, "move")
}

func (s *Server) staffingReturn(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "周转编制")
	if err != nil {
		return err
	}
	_, err = s.Staffing.Return(r.Context(), actorOf(r), id, r.PostFormValue("doc_no"), r.PostFormValue("doc_day"))
	return s.staffingAfter(w, r, err, "return")
}

func (s *Server) staffingFill(w http.ResponseWriter, r *http.Request) error {
	_, err := s.Staffing.Fill(r.Context(), actorOf(r), staffing.PostInput{UnitCode: r.PostFormValue("unit"), Institution: r.PostFormValue("institution"),
		Type: r.PostFormValue("type"), Leader: r.PostFormValue("leader") == "1", Title: r.PostFormValue("title"), PersonID: formInt(r, "person"),
		Since: r.PostFormValue("since")})
	return s.staffingAfter(w, r, err, "fill")
}

func (s *Server) staffingVacate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "在编岗位")
	if err != nil {
		return err
	}
	err = s.Staffing.Vacate(r.Context(), actorOf(r), id, r.PostFormValue("day"))
	return s.staffingAfter(w, r, err, "vacate")
}

func (s *Server) staffingExport(w http.ResponseWriter, r *http.Request) error {
	var b bytes.Buffer
	if err := s.Staffing.Export(r.Context(), actorOf(r), &b); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(time.Now(), "机构编制实名制台账"), b.Bytes())
	return nil
}

// staffingImport records the moves of an .xlsx file: a file with a bad row
// records nothing and the page names the rows.
func (s *Server) staffingImport(w http.ResponseWriter, r *http.Request) error {
	if !staffing.CanWrite(actorOf(r)) {
		return store.Forbidden("只有县委编办可以调整机构编制")
	}
	file, err := uploadedXLSX(w, r)
	if err != nil {
		return s.staffingAfter(w, r, err, "")
	}
	defer file.Close()
	_, err = s.Staffing.Import(r.Context(), actorOf(r), file)
	var ie *xlsx.ImportError
	if errors.As(err, &ie) {
		p, perr := s.staffingData(r)
		if perr != nil {
			return perr
		}
		p.Error = ie.Error()
		s.renderStatus(w, r, http.StatusBadRequest, "ledgers_staffing", p)
		return nil
	}
	return s.staffingAfter(w, r, err, "import")
}

// PersonPostsPage is a person's posts, modules and task forces.
type PersonPostsPage struct {
	Page
	Person     staffing.Person
	Posts      []staffing.Post
	TaskForces []taskforce.Membership
	// Seats are the person's seats on the committees (大工委、大党委) the
	// user may read.
	Seats []party.CommitteeSeat
}

// TypeName names a post type.
func (PersonPostsPage) TypeName(t string) string { return staffing.TypeName(t) }

func (s *Server) personPosts(w http.ResponseWriter, r *http.Request) error {
	ctx, actor := r.Context(), actorOf(r)
	id, err := pathID(r, "id", "人员")
	if err != nil {
		return err
	}
	p := PersonPostsPage{Page: s.page(r, "ledgers.person.title", "ledgers")}
	if p.Person, err = s.Staffing.Person(ctx, actor, id); err != nil {
		return err
	}
	p.Title = p.Person.Name
	if p.Posts, err = s.Staffing.Posts(ctx, actor, "", id); err != nil {
		return err
	}
	if p.TaskForces, err = s.TaskForce.OfPerson(ctx, actor, id); err != nil {
		return err
	}
	if s.Party != nil {
		if p.Seats, err = s.Party.SeatsOf(ctx, actor, id); err != nil {
			return err
		}
	}
	return s.render(w, r, "ledgers_person", p)
}

// pairingImport sets up the pairings of an .xlsx file: a file with a bad
// row sets nothing up and the page names the rows.
func (s *Server) pairingImport(w http.ResponseWriter, r *http.Request) error {
	return ledgerImport(s, w, r, pairing.CanPair(actorOf(r)), "结对共建由县委组织部安排", "/pairings", "ledgers_pairings", s.pairingsData, func(p *PairingsPage, m string) { p.Error = m },
		func(f io.Reader) error {
			_, err := s.Pairing.ImportPairings(r.Context(), actorOf(r), f)
			return err
		})
}

// pairingIncomesImport enters villages' incomes from an .xlsx file: a file
// with a bad row enters nothing and the page names the rows.
func (s *Server) pairingIncomesImport(w http.ResponseWriter, r *http.Request) error {
	return ledgerImport(s, w, r, pairing.MayImportIncomes(actorOf(r)), "村集体经营性收入由所在乡镇或县委组织部填报", "/pairings", "ledgers_pairings", s.pairingsData, func(p *PairingsPage, m string) { p.Error = m },
		func(f io.Reader) error {
			_, err := s.Pairing.ImportIncomes(r.Context(), actorOf(r), f)
			return err
		})
}

// pairingWorkImport records the visits, projects and fund lines of an
// .xlsx file (sheets 蹲点调研, 产业项目, 资金): a file with a bad row
// records nothing and the page names each row with its sheet.
func (s *Server) pairingWorkImport(w http.ResponseWriter, r *http.Request) error {
	return ledgerImport(s, w, r, pairing.MayImportWork(actorOf(r)), "只有结对单位、县委组织部可以记录结对共建", "/pairings", "ledgers_pairings", s.pairingsData, func(p *PairingsPage, m string) { p.Error = m },
		func(f io.Reader) error {
			_, err := s.Pairing.ImportWork(r.Context(), actorOf(r), f)
			return err
		})
}
