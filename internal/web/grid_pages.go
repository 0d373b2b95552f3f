package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/ledger"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// The grid page: a grid as the front line — its boundary on the case map,
// its grid workers, its buildings and lanes with their leaders (楼栋长、街巷长),
// its party branch and groups with their members, households and residents,
// and the contact groups (业主群、党员群) recorded by hand.

// GridPage is one grid.
type GridPage struct {
	Page
	View org.GridView
	// MapJSON is the map (MapView): the outline, the centre (WGS-84) and
	// the county beneath.
	MapJSON string
	Kinds   []string
	Error   string
	Form    GridGroupForm
	// LeaderLink is a building or street leader's new personal link, shown
	// once to whoever issued it; LeaderLinkFor names the leader.
	LeaderLink, LeaderLinkFor string
}

// GridGroupForm is what the contact group form held, kept on an error.
type GridGroupForm struct {
	ID                         int64
	Unit, Kind, Name, Platform string
	RunBy, Members             string
}

func (s *Server) gridRoutes() {
	s.mux.HandleFunc("GET /grids/{code}", s.staff(s.gridPage))
	s.mux.HandleFunc("POST /grids/{code}/groups", s.staff(s.gridGroupSave))
	s.mux.HandleFunc("POST /grids/{code}/groups/{id}", s.staff(s.gridGroupSave))
	s.mux.HandleFunc("GET /grids/{code}/ledger", s.staff(s.gridLedger))
	s.mux.HandleFunc("GET /grids/{code}/ledger.xlsx", s.staff(s.gridLedgerExport))
}

// GridLedgerPage is a grid's work ledger (工作台账) for a day, week or month.
type GridLedgerPage struct {
	Page
	L       ledger.Ledger
	Kinds   []string
	Periods []string
	Period  string
	Day     string
	XLSX    string
}

func (s *Server) readLedger(r *http.Request) (ledger.Ledger, error) {
	q := r.URL.Query()
	p, err := ledger.ParsePeriod(q.Get("period"), q.Get("day"), time.Now())
	if err != nil {
		return ledger.Ledger{}, err
	}
	return ledger.New(s.DB, s.Org).Grid(r.Context(), actorOf(r), r.PathValue("code"), p)
}

func (s *Server) gridLedger(w http.ResponseWriter, r *http.Request) error {
	l, err := s.readLedger(r)
	if err != nil {
		return err
	}
	p := GridLedgerPage{Page: s.page(r, "", "org"), L: l, Kinds: ledger.Kinds(), Periods: []string{ledger.Day, ledger.Week, ledger.Month}, Period: l.Period.Kind, Day: l.Period.Day}
	p.Title = l.Grid.Name + " " + p.T("grid.ledger")
	v := url.Values{"period": {l.Period.Kind}, "day": {l.Period.Day}}
	p.XLSX = "/grids/" + url.PathEscape(l.Grid.Code) + "/ledger.xlsx?" + v.Encode()
	return s.render(w, r, "grid_ledger", p)
}

func (s *Server) gridLedgerExport(w http.ResponseWriter, r *http.Request) error {
	l, err := s.readLedger(r)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := l.WriteXLSX(&b); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(l.Period.From, l.Grid.Name, "工作台账", l.Period.Kind), b.Bytes())
	return nil
}

func (s *Server) gridPageData(r *http.Request) (GridPage, error) {
	v, err := s.Org.Grid(r.Context(), actorOf(r), r.PathValue("code"))
	if err != nil {
		return GridPage{}, err
	}
	p := GridPage{Page: s.page(r, "", "org"), View: v, Kinds: org.ContactGroupKinds()}
	p.Title = v.Grid.Name
	var m MapView
	m.AddOutline(v.Grid.Boundary, v.Grid.Name, "")
	if lng, lat, ok := org.GridCentreWGS84(v.Grid); ok {
		m.Points = append(m.Points, MapPoint{At: [2]float64{lng, lat}, Label: v.Grid.Name, Kind: "centre"})
	}
	if !m.Empty() {
		m.Context = []string{countyContext}
	}
	p.MapJSON = m.JSON()
	return p, nil
}

func (s *Server) gridPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.gridPageData(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("saved") != "" {
		p.Flash = p.T("grid.saved")
	}
	return s.render(w, r, "grid_page", p)
}

// gridGroupSave records a contact group (POST .../groups) or changes one
// (POST .../groups/{id}) of the grid or one of its buildings.
func (s *Server) gridGroupSave(w http.ResponseWriter, r *http.Request) error {
	ctx, actor := r.Context(), actorOf(r)
	p, err := s.gridPageData(r)
	if err != nil {
		return err
	}
	f := GridGroupForm{Unit: strings.TrimSpace(r.PostFormValue("unit")), Kind: r.PostFormValue("kind"), Name: r.PostFormValue("name"),
		Platform: r.PostFormValue("platform"), RunBy: r.PostFormValue("run_by"), Members: strings.TrimSpace(r.PostFormValue("members"))}
	err = func() error {
		in := org.ContactGroupInput{Kind: f.Kind, Name: f.Name, Platform: f.Platform, RunBy: f.RunBy}
		if f.Members != "" {
			n, err := strconv.Atoi(f.Members)
			if err != nil {
				return store.Invalid("群成员人数应为整数")
			}
			in.Members = n
		}
		if idText := r.PathValue("id"); idText != "" {
			id, err := strconv.ParseInt(idText, 10, 64)
			if err != nil {
				return store.NotFound("找不到该联络群")
			}
			f.ID = id
			cg, err := s.Org.ContactGroupByID(ctx, actor, id)
			if err != nil {
				return err
			}
			if !gridHolds(p.View, cg.UnitID) {
				return store.NotFound("该网格没有这个联络群")
			}
			return s.Org.UpdateContactGroup(ctx, actor, id, in)
		}
		in.UnitID = p.View.Grid.ID
		if f.Unit != "" && f.Unit != p.View.Grid.Code {
			in.UnitID = 0
			for _, b := range p.View.Buildings {
				if b.Unit.Code == f.Unit {
					in.UnitID = b.Unit.ID
				}
			}
			if in.UnitID == 0 {
				return store.Invalid("请选择本网格的楼栋或街巷")
			}
		}
		_, err := s.Org.AddContactGroup(ctx, actor, in)
		return err
	}()
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		p.Error, p.Form = msg, f
		s.renderStatus(w, r, Status(err), "grid_page", p)
		return nil
	}
	http.Redirect(w, r, "/grids/"+url.PathEscape(p.View.Grid.Code)+"?saved=1#groups", http.StatusSeeOther)
	return nil
}

// gridHolds reports whether unitID is the grid or one of its buildings.
func gridHolds(v org.GridView, unitID int64) bool {
	if unitID == v.Grid.ID {
		return true
	}
	for _, b := range v.Buildings {
		if b.Unit.ID == unitID {
			return true
		}
	}
	return false
}

// GridGroupRow is a contact group with the page it is shown on.
type GridGroupRow struct {
	P GridPage
	G org.ContactGroup
}

// Row pairs a contact group with the page, for the "grid-group" template.
func (p GridPage) Row(g org.ContactGroup) GridGroupRow { return GridGroupRow{P: p, G: g} }
