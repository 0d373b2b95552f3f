package web

import (
	"bytes"
	"errors"
	"net/http"
	"time"

	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// A grid's households and residents (住户): listed by building with the
// head's phone and ID number masked and each household's resident records
// (masked too), imported from Excel (the 住户 sheet and, optionally, the
// 居民 sheet; a file with a bad row records nothing and the page names
// every bad row, with its sheet when there are two), exported as the same
// sheets. The rules are internal/org's (households.go, residents.go).

// GridHouseholdsPage is a grid's households.
type GridHouseholdsPage struct {
	Page
	Grid       org.Unit
	Households []org.Household
	Residents  int
	CanImport  bool
	Imported   *org.HouseholdImport
	SheetRows  []xlsx.RowError // the bad rows of either sheet
	Error      string
}

func (s *Server) householdRoutes() {
	s.mux.HandleFunc("GET /grids/{code}/households", s.staff(s.gridHouseholds))
	s.mux.HandleFunc("POST /grids/{code}/households", s.staff(s.gridHouseholdsImport))
	s.mux.HandleFunc("GET /grids/{code}/households.xlsx", s.staff(s.gridHouseholdsExport))
}

func (s *Server) householdsPage(r *http.Request) (GridHouseholdsPage, error) {
	g, hs, err := s.Org.GridHouseholds(r.Context(), actorOf(r), r.PathValue("code"))
	if err != nil {
		return GridHouseholdsPage{}, err
	}
	p := GridHouseholdsPage{Page: s.page(r, "", "org"), Grid: g, Households: hs, CanImport: org.CanEditFrontLine(actorOf(r), g)}
	p.Title = g.Name + " " + p.T("grid.households")
	for _, h := range hs {
		p.Residents += h.Residents
	}
	return p, nil
}

func (s *Server) gridHouseholds(w http.ResponseWriter, r *http.Request) error {
	p, err := s.householdsPage(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "grid_households", p)
}

// gridHouseholdsImport imports the uploaded .xlsx (field "file").
func (s *Server) gridHouseholdsImport(w http.ResponseWriter, r *http.Request) error {
	if p, err := s.householdsPage(r); err != nil {
		return err
	} else if !p.CanImport {
		// Refused before the file is read (the domain checks again).
		return store.Forbiddenf("无权导入%s的住户", p.Grid.Name)
	}
	if err := parseUpload(r); err != nil {
		return err
	}
	res, err := func() (org.HouseholdImport, error) {
		f, _, err := r.FormFile("file")
		if err != nil {
			return org.HouseholdImport{}, store.Invalid("请选择要导入的 Excel 文件")
		}
		defer f.Close()
		book, err := org.ParseHouseholdBookXLSX(f)
		if err != nil {
			return org.HouseholdImport{}, err
		}
		return s.Org.ImportHouseholdBook(r.Context(), actorOf(r), r.PathValue("code"), book)
	}()
	p, perr := s.householdsPage(r)
	if perr != nil {
		return perr
	}
	if err != nil {
		var ie *xlsx.ImportError
		if errors.As(err, &ie) {
			// Nothing was imported; each bad row says why (in Chinese,
			// as the file's own words are).
			p.SheetRows, p.Error = ie.Rows, p.T("grid.households.refused", len(ie.Rows))
		} else {
			msg, ok := userMessage(r, err)
			if !ok {
				return err
			}
			p.Error = msg
		}
		s.renderStatus(w, r, Status(err), "grid_households", p)
		return nil
	}
	p.Imported = &res
	return s.render(w, r, "grid_households", p)
}

func (s *Server) gridHouseholdsExport(w http.ResponseWriter, r *http.Request) error {
	g, hs, err := s.Org.GridHouseholds(r.Context(), actorOf(r), r.PathValue("code"))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := org.WriteHouseholdsXLSX(&b, hs); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(time.Now(), g.Name, "住户"), b.Bytes())
	return nil
}
