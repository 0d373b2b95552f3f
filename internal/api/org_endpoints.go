package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/input"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// orgEndpoints registers the organisation endpoints.
func (s *Server) orgEndpoints() {
	s.route("GET /api/v1/units", s.authed(s.unitSearch))
	s.route("GET /api/v1/units/{code}", s.authed(s.unitGet))
	s.route("GET /api/v1/grids/at", s.authed(s.gridAt))
	s.route("GET /api/v1/grids/{code}/households", s.authed(s.gridHouseholds))
	s.route("POST /api/v1/grids/{code}/households", s.authed(s.gridHouseholdsImport))
	s.route("GET /api/v1/party-orgs/{code}", s.authed(s.partyOrgGet))
}

// UnitRef is a unit in a list.
type UnitRef struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	ParentCode string `json:"parent_code,omitempty"`
}

// UnitJSON is one unit with its children.
type UnitJSON struct {
	Code           string   `json:"code"`
	Name           string   `json:"name"`
	Kind           string   `json:"kind"`
	ParentCode     string   `json:"parent_code"`
	Depth          int      `json:"depth"`
	UnitType       string   `json:"unit_type,omitempty"`
	TownshipType   string   `json:"township_type,omitempty"`
	UrbanRuralCode string   `json:"urban_rural_code,omitempty"`
	LngGCJ02       *float64 `json:"lng_gcj02,omitempty"`
	LatGCJ02       *float64 `json:"lat_gcj02,omitempty"`
	// Boundary is the GeoJSON geometry (WGS-84) of a grid.
	Boundary json.RawMessage `json:"boundary,omitempty"`
	Demo     bool            `json:"demo"`
	Children []UnitRef       `json:"children"`
}

func unitJSON(u org.Unit, children []org.Unit) UnitJSON {
	j := UnitJSON{Code: u.Code, Name: u.Name, Kind: u.Kind, ParentCode: u.ParentCode, Depth: u.Depth, UnitType: u.UnitType,
		TownshipType: u.TownshipType, UrbanRuralCode: u.UrbanRuralCode, LngGCJ02: u.Lng, LatGCJ02: u.Lat, Demo: u.Demo,
		Children: make([]UnitRef, 0, len(children))}
	if u.Boundary != "" && json.Valid([]byte(u.Boundary)) {
		j.Boundary = json.RawMessage(u.Boundary)
	}
	for _, c := range children {
		j.Children = append(j.Children, UnitRef{Code: c.Code, Name: c.Name, Kind: c.Kind})
	}
	return j
}

func (s *Server) unitGet(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	u, err := s.Org.UnitByCode(r.Context(), actor, r.PathValue("code"))
	if err != nil {
		return err
	}
	children, err := s.Org.Children(r.Context(), actor, u.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, unitJSON(u, children))
}

// UnitList is the answer of a unit search.
type UnitList struct {
	Units []UnitRef `json:"units"`
}

func (s *Server) unitSearch(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	if q.Get("q") == "" && q.Get("kind") == "" {
		return store.Invalid("请提供查询词 q（名称或代码前缀）或类别 kind")
	}
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return store.Invalid("limit 应为1至200之间的整数")
		}
		limit = n
	}
	us, err := s.Org.SearchKind(r.Context(), actor, q.Get("q"), q.Get("kind"), limit)
	if err != nil {
		return err
	}
	out := UnitList{Units: make([]UnitRef, 0, len(us))}
	for _, u := range us {
		out.Units = append(out.Units, UnitRef{Code: u.Code, Name: u.Name, Kind: u.Kind, ParentCode: u.ParentCode})
	}
	return writeJSON(w, http.StatusOK, out)
}

// GridAtJSON is the grid holding a point, with its village or community and
// township.
type GridAtJSON struct {
	UnitRef
	Village  UnitRef `json:"village"`
	Township UnitRef `json:"township"`
}

func (s *Server) gridAt(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	lng, lat, ok := input.Point(r.URL.Query().Get("lng"), r.URL.Query().Get("lat"))
	if !ok {
		return store.Invalid("请提供WGS-84坐标 lng 和 lat（十进制度，经度±180、纬度±90以内）")
	}
	g, err := s.Org.GridAt(r.Context(), lng, lat)
	if err != nil {
		return err
	}
	if !org.CanRead(actor, g) {
		return store.Forbidden("该坐标所在网格不在您的管辖范围内")
	}
	out := GridAtJSON{UnitRef: UnitRef{Code: g.Code, Name: g.Name, Kind: g.Kind, ParentCode: g.ParentCode}}
	if v, err := s.Org.UnitByID(r.Context(), g.ParentID); err == nil {
		out.Village = UnitRef{Code: v.Code, Name: v.Name, Kind: v.Kind}
	}
	if t, err := s.Org.TownshipOf(r.Context(), g.ID); err == nil {
		out.Township = UnitRef{Code: t.Code, Name: t.Name, Kind: t.Kind}
	}
	return writeJSON(w, http.StatusOK, out)
}

// PartyOrgRef is a party organisation in a list.
type PartyOrgRef struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	UnitCode string `json:"unit_code"`
}

// PartyOrgJSON is one party organisation with its children.
type PartyOrgJSON struct {
	Code       string        `json:"code"`
	Name       string        `json:"name"`
	Kind       string        `json:"kind"`
	ParentCode string        `json:"parent_code"`
	Unit       UnitRef       `json:"unit"`
	Members    int           `json:"members"`
	Demo       bool          `json:"demo"`
	Children   []PartyOrgRef `json:"children"`
}

func (s *Server) partyOrgGet(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	o, err := s.Org.PartyOrgByCode(r.Context(), actor, r.PathValue("code"))
	if err != nil {
		return err
	}
	children, err := s.Org.PartyOrgChildren(r.Context(), actor, o.ID)
	if err != nil {
		return err
	}
	members, err := s.Org.PartyOrgMembers(r.Context(), actor, o.ID)
	if err != nil {
		return err
	}
	u, err := s.Org.UnitByID(r.Context(), o.UnitID)
	if err != nil {
		return err
	}
	out := PartyOrgJSON{Code: o.Code, Name: o.Name, Kind: o.Kind, ParentCode: o.ParentCode, Members: len(members), Demo: o.Demo,
		Unit: UnitRef{Code: u.Code, Name: u.Name, Kind: u.Kind, ParentCode: u.ParentCode}, Children: make([]PartyOrgRef, 0, len(children))}
	for _, c := range children {
		out.Children = append(out.Children, PartyOrgRef{Code: c.Code, Name: c.Name, Kind: c.Kind, UnitCode: c.UnitCode})
	}
	return writeJSON(w, http.StatusOK, out)
}

// GridHouseholds is a grid's households, the head's phone and ID number
// masked.
type GridHouseholds struct {
	Grid       string          `json:"grid"`
	Households []org.Household `json:"households"`
}

func (s *Server) gridHouseholds(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	g, hs, err := s.Org.GridHouseholds(r.Context(), actor, r.PathValue("code"))
	if err != nil {
		return err
	}
	if hs == nil {
		hs = []org.Household{}
	}
	return writeJSON(w, http.StatusOK, GridHouseholds{Grid: g.Code, Households: hs})
}

// HouseholdsImport is the body of a households import: the rows, as the
// Excel 住户 sheet's, and the residents, as its 居民 sheet's.
type HouseholdsImport struct {
	Rows      []org.HouseholdRow `json:"rows"`
	Residents []org.ResidentRow  `json:"residents,omitempty"`
}

// HouseholdsRefused is a refused import: nothing was recorded. Rows names
// every bad row of either sheet (住户 for rows, 居民 for residents; row 2
// is the first), as the ledgers' imports do.
type HouseholdsRefused struct {
	Error ErrorDetail     `json:"error"`
	Rows  []xlsx.RowError `json:"rows"`
}

func (s *Server) gridHouseholdsImport(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in HouseholdsImport
	if err := decodeJSONBody(w, r, maxImportBody, &in); err != nil {
		return err
	}
	res, err := s.Org.ImportHouseholdBook(r.Context(), actor, r.PathValue("code"), org.HouseholdBook{Households: in.Rows, Residents: in.Residents})
	var ie *xlsx.ImportError
	if errors.As(err, &ie) {
		return writeJSON(w, http.StatusBadRequest, HouseholdsRefused{Error: ErrorDetail{Code: "invalid", Message: ie.Error()}, Rows: ie.Rows})
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
