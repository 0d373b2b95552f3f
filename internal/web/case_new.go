package web

// The call-taker form (/cases/new): one keyboard-friendly screen for a 12345
// operator taking a call, with a duplicate hint (open cases of the same
// category within 50 m) fetched as the point or the category changes.

import (
	"net/http"
	"net/url"
	"strings"

	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// NewCaseForm is the call-taker form as typed.
type NewCaseForm struct {
	Flow, ReporterName, ReporterPhone, RequestType, Category, Priority, Title, Body, Address string
	PlaceUnit, Lng, Lat, Dispatch                                                            string
}

// CaseNewPage is the call-taker form.
type CaseNewPage struct {
	Page
	Form         NewCaseForm
	Error        string
	Flows        []Option
	RequestTypes []Option
	Priorities   []Option
	Categories   []Option
	Units        []Option
}

func (s *Server) caseNewPage(r *http.Request, form NewCaseForm) (CaseNewPage, error) {
	p := CaseNewPage{Page: s.page(r, "caseui.new.title", "cases"), Form: form}
	if err := s.fillCaseOptions(r.Context(), actorOf(r), p.Lang, &p.Flows, &p.RequestTypes, &p.Categories); err != nil {
		return p, err
	}
	for _, pr := range casework.Priorities {
		p.Priorities = append(p.Priorities, Option{pr, p.T("case.priority." + pr)})
	}
	units, err := s.unitOptions(r.Context(), actorOf(r), "")
	if err != nil {
		return p, err
	}
	p.Units = units
	return p, nil
}

func (s *Server) caseNewForm(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	// The first registered flow is the default (the 12345 hotline).
	form := NewCaseForm{Priority: casework.PriorityNormal}
	if fs := s.Cases.Flows(); len(fs) > 0 {
		form.Flow = fs[0].Name
	}
	if f := r.URL.Query().Get("flow"); f != "" {
		form.Flow = f
	}
	p, err := s.caseNewPage(r, form)
	if err != nil {
		return err
	}
	return s.render(w, r, "case_new", p)
}

// caseCreate takes the call in; a refusal shows the form again with the
// message and everything typed.
func (s *Server) caseCreate(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, maxMultipart)
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return store.Invalid("上传的文件过大（每个文件不超过10MB）")
		}
	} else if err := r.ParseForm(); err != nil {
		return store.Invalid("提交的内容无法读取")
	}
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	form := NewCaseForm{Flow: g("flow"), ReporterName: g("reporter_name"), ReporterPhone: g("reporter_phone"), RequestType: g("request_type"),
		Category: g("category"), Priority: g("priority"), Title: g("title"), Body: r.PostFormValue("body"), Address: g("address"),
		PlaceUnit: g("place_unit"), Lng: g("lng"), Lat: g("lat"), Dispatch: g("dispatch")}
	c, err := s.createFromForm(r, form)
	if err != nil {
		msg, ok := store.UserMessage(err)
		if !ok || Status(err) >= 500 {
			return err
		}
		p, perr := s.caseNewPage(r, form)
		if perr != nil {
			return err
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "case_new", p)
		return nil
	}
	http.Redirect(w, r, "/cases/"+url.PathEscape(c.No)+"?created=1", http.StatusSeeOther)
	return nil
}

func (s *Server) createFromForm(r *http.Request, f NewCaseForm) (casework.Case, error) {
	lng, lat, err := parsePoint(f.Lng, f.Lat)
	if err != nil {
		return casework.Case{}, err
	}
	files, err := formFiles(r, "file", "")
	if err != nil {
		return casework.Case{}, err
	}
	in := casework.NewCase{Flow: f.Flow, RequestType: f.RequestType, Category: categoryCode(f.Category), Title: f.Title, Body: f.Body,
		Priority: f.Priority, Address: f.Address, Lng: lng, Lat: lat, ReporterName: f.ReporterName, ReporterPhone: f.ReporterPhone,
		Attachments: files}
	if f.PlaceUnit != "" {
		in.PlaceUnit = s.resolveUnit(r.Context(), f.PlaceUnit)
	}
	if f.Dispatch != "" {
		in.Dispatch = s.resolveUnit(r.Context(), f.Dispatch)
	}
	if f, ok := s.flowOf(in.Flow); ok && !f.NeedsRequestType {
		in.RequestType = ""
	}
	c, _, err := s.Cases.Create(r.Context(), actorOf(r), in)
	return c, err
}

// categoryCode takes the code out of what a category picker holds: "B01001"
// or "B01001 市政公用设施 / 路灯".
func categoryCode(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, " \t"); i > 0 {
		return v[:i]
	}
	return v
}

// CaseNearbyPage is the duplicate hint fragment.
type CaseNearbyPage struct {
	Page
	Asked bool // a point and a category were given
	Cases []NearbyView
}

// NearbyView is a possible duplicate with its distance in whole metres.
type NearbyView struct {
	casework.NearbyCase
	Metres int
}

// caseNearby answers the duplicate hint: open cases of the category within
// 50 m of the point.
func (s *Server) caseNearby(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	q := r.URL.Query()
	p := CaseNearbyPage{Page: s.page(r, "caseui.nearby.title", "cases")}
	lng, lat, err := parsePoint(q.Get("lng"), q.Get("lat"))
	category := categoryCode(q.Get("category"))
	if err == nil && lng != nil && category != "" {
		p.Asked = true
		cs, err := s.Cases.Nearby(r.Context(), actorOf(r), *lng, *lat, category, 0)
		if err != nil {
			return err
		}
		for _, c := range cs {
			p.Cases = append(p.Cases, NearbyView{NearbyCase: c, Metres: int(c.Distance + 0.5)})
		}
	}
	return s.render(w, r, "case_nearby", p)
}
