package web

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"

	"grassroots/internal/store"
)

// MapView is what one map shows, as the page hands it to the one map
// component (app.js, Leaflet, no online tiles): outlines with their labels
// and links, points, outlines drawn beneath for orientation (the county's,
// fetched from /geo/units/{code}), and, on a form, the inputs a click on the
// map fills. Case pages, the call-taker form and grid pages use it.
type MapView struct {
	Outlines []MapOutline `json:"outlines,omitempty"`
	Points   []MapPoint   `json:"points,omitempty"`
	// Context are URLs of outlines drawn beneath the others and not fitted
	// to (the county boundary).
	Context []string `json:"context,omitempty"`
	// Pick names the longitude and latitude inputs a click fills.
	Pick *MapPick `json:"pick,omitempty"`
}

// MapOutline is a GeoJSON geometry (WGS-84) with a label and a link.
type MapOutline struct {
	GeoJSON json.RawMessage `json:"geojson"`
	Label   string          `json:"label,omitempty"`
	Href    string          `json:"href,omitempty"`
	// Grade (1–4, 0 none) shades the outline by how much it holds (the
	// cockpit's cases by grid).
	Grade int `json:"grade,omitempty"`
}

// MapPoint is a WGS-84 point [lng, lat] with a label and a link; Kind
// styles it ("case", "overdue", "centre" of a grid).
type MapPoint struct {
	At    [2]float64 `json:"at"`
	Label string     `json:"label,omitempty"`
	Href  string     `json:"href,omitempty"`
	Kind  string     `json:"kind,omitempty"`
}

// MapPick names the inputs of a point on a form.
type MapPick struct {
	Lng string `json:"lng"`
	Lat string `json:"lat"`
}

// AddOutline adds geojson when it is valid JSON (a unit without a boundary
// has "").
func (m *MapView) AddOutline(geojson, label, href string) {
	if geojson != "" && json.Valid([]byte(geojson)) {
		m.Outlines = append(m.Outlines, MapOutline{GeoJSON: json.RawMessage(geojson), Label: label, Href: href})
	}
}

// AddGraded adds an outline shaded by grade (see MapOutline.Grade).
func (m *MapView) AddGraded(geojson, label, href string, grade int) {
	n := len(m.Outlines)
	m.AddOutline(geojson, label, href)
	if len(m.Outlines) > n {
		m.Outlines[n].Grade = grade
	}
}

// Empty reports whether the map would show nothing of its own.
func (m MapView) Empty() bool { return len(m.Outlines) == 0 && len(m.Points) == 0 && m.Pick == nil }

// JSON is the map's data-map attribute ("" for an empty map).
func (m MapView) JSON() string {
	if m.Empty() {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// countyContext is the URL of the county's boundary, drawn beneath every
// map once the county has one.
const countyContext = "/geo/county"

// mapRoutes registers the boundaries the maps fetch and the county's own
// offline tiles (Deps.TilesDir).
func (s *Server) mapRoutes() {
	s.mux.HandleFunc("GET /geo/county", s.staff(s.countyBoundary))
	s.mux.HandleFunc("GET /tiles/{z}/{x}/{y}", s.staff(s.tile))
}

// countyBoundary answers the county's boundary as GeoJSON. Boundaries are
// geography, not personal data: every signed-in user's maps draw it.
func (s *Server) countyBoundary(w http.ResponseWriter, r *http.Request) error {
	if s.Org == nil {
		return store.NotFound("没有县级单位")
	}
	c, err := s.Org.County(r.Context())
	if err != nil {
		return err
	}
	if c.Boundary == "" || !json.Valid([]byte(c.Boundary)) {
		return store.NotFoundf("%s尚未设置边界", c.Name)
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, err = w.Write([]byte(c.Boundary))
	return err
}

// tileNumber is one of a tile's z, x and y.
var tileNumber = regexp.MustCompile(`^[0-9]{1,7}$`)

// tileTypes are the image types a tile folder may hold, tried in order.
var tileTypes = []string{".png", ".jpg", ".jpeg", ".webp"}

// tile serves tile {z}/{x}/{y} from the county's tile directory, when it
// has one, as whichever image type the folder holds; nothing is ever
// fetched from the network.
func (s *Server) tile(w http.ResponseWriter, r *http.Request) error {
	z, x, y := r.PathValue("z"), r.PathValue("x"), r.PathValue("y")
	if s.TilesDir == "" || !tileNumber.MatchString(z) || !tileNumber.MatchString(x) || !tileNumber.MatchString(y) {
		http.NotFound(w, r)
		return nil
	}
	for _, ext := range tileTypes {
		name := filepath.Join(s.TilesDir, z, x, y+ext)
		if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() {
			w.Header().Set("Cache-Control", "private, max-age=86400")
			http.ServeFile(w, r, name)
			return nil
		}
	}
	http.NotFound(w, r)
	return nil
}

// tilesURL is the URL template of the offline tiles the maps draw beneath
// their outlines ("" without a tile directory).
func tilesURL(dir string) string {
	if dir == "" {
		return ""
	}
	return "/tiles/{z}/{x}/{y}"
}
