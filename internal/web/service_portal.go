package web

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/org"
	"grassroots/internal/service"
	"grassroots/internal/store"
)

// The residents' online service (掌上办), phone first: pick an item, fill the
// form and upload the materials, follow the application by its number and
// the phone's last four digits, give supplements when asked, read the result
// and review it. Forms are rate-limited per client address.

// ServicePortalItemsPage lists the items a resident can apply for online.
type ServicePortalItemsPage struct {
	Page
	Q     string
	Items []service.Item
}

// ServicePortalApplyPage is the online application form.
type ServicePortalApplyPage struct {
	Page
	Item      service.Item
	Townships []org.Unit
	Name      string
	Phone     string
	Township  string
	Note      string
	Error     string
	// Kept is the token of the files already uploaded when the form came
	// back with an error; KeptFiles names them by material id.
	Kept      string
	KeptFiles map[int64]string
}

// KeptName is the name of the file kept for material id ("" when none).
func (p ServicePortalApplyPage) KeptName(id int64) string { return p.KeptFiles[id] }

// ServicePortalDonePage shows the new application's number.
type ServicePortalDonePage struct {
	Page
	No string
}

// ServicePortalTrackPage is the lookup form and the application found.
type ServicePortalTrackPage struct {
	Page
	No, Last4 string
	App       *service.PublicApplication
	Ratings   []int
	Error     string
}

type servicePortal struct {
	s              *Server
	applies, reads *RateLimiter
	kept           *uploadStash
}

func (s *Server) servicePortalRoutes() {
	l := s.Portal.WithDefaults()
	p := &servicePortal{s: s, applies: NewRateLimiter(l.Reports), reads: NewRateLimiter(l.Tracks), kept: newUploadStash(time.Now)}
	s.mux.HandleFunc("GET /portal/service", s.h(p.items))
	s.mux.HandleFunc("GET /portal/service/items/{code}", s.h(p.form))
	s.mux.HandleFunc("POST /portal/service/items/{code}", s.h(p.apply))
	s.mux.HandleFunc("GET /portal/service/done", s.h(p.done))
	s.mux.HandleFunc("GET /portal/service/track", s.h(p.trackForm))
	s.mux.HandleFunc("POST /portal/service/track", s.h(p.track))
	s.mux.HandleFunc("POST /portal/service/supply", s.h(p.supply))
	s.mux.HandleFunc("POST /portal/service/review", s.h(p.review))
	s.mux.HandleFunc("POST /portal/service/result", s.h(p.result))
}

func (p *servicePortal) allow(w http.ResponseWriter, r *http.Request, rl *RateLimiter) bool {
	ok, wait := rl.Allow(clientKey(r))
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	pg := PortalLimitedPage{Page: p.s.page(r, "portal.limited.title", ""), Minutes: int(wait.Minutes()) + 1}
	p.s.renderStatus(w, r, http.StatusTooManyRequests, "portal_limited", pg)
	return false
}

func (p *servicePortal) items(w http.ResponseWriter, r *http.Request) error {
	pg := ServicePortalItemsPage{Page: p.s.page(r, "service.portal.title", ""), Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	items, err := p.s.Service.Items(r.Context(), service.ItemFilter{Q: pg.Q})
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.Online || it.OneVisit {
			pg.Items = append(pg.Items, it)
		}
	}
	return p.s.render(w, r, "service_portal_items", pg)
}

func (p *servicePortal) applyPage(r *http.Request, code string) (ServicePortalApplyPage, error) {
	pg := ServicePortalApplyPage{Page: p.s.page(r, "", "")}
	it, err := p.s.Service.Item(r.Context(), code)
	if err != nil {
		return pg, err
	}
	pg.Item, pg.Title = it, it.Name
	if p.s.Org != nil {
		for _, kind := range []string{org.KindStreet, org.KindTownship} {
			us, err := p.s.Org.ByKind(r.Context(), kind)
			if err != nil {
				return pg, err
			}
			pg.Townships = append(pg.Townships, us...)
		}
	}
	return pg, nil
}

func (p *servicePortal) form(w http.ResponseWriter, r *http.Request) error {
	pg, err := p.applyPage(r, r.PathValue("code"))
	if err != nil {
		return err
	}
	return p.s.render(w, r, "service_portal_apply", pg)
}

func (p *servicePortal) apply(w http.ResponseWriter, r *http.Request) error {
	if err := parseUpload(r); err != nil {
		return err
	}
	if !p.allow(w, r, p.applies) {
		return nil
	}
	code := r.PathValue("code")
	pg, err := p.applyPage(r, code)
	if err != nil {
		return err
	}
	pg.Name, pg.Phone, pg.Township, pg.Note = r.PostFormValue("name"), r.PostFormValue("phone"), r.PostFormValue("township"), r.PostFormValue("note")
	in := service.DeskInput{Item: code, ApplicantName: pg.Name, Phone: pg.Phone, Township: pg.Township, Note: pg.Note}
	// Files kept from the form's last try stand unless uploaded again.
	byMaterial := p.kept.take(r.PostFormValue("kept"))
	for _, m := range pg.Item.Materials {
		files, err := formFiles(r, "material_"+strconv.FormatInt(m.ID, 10), "material")
		if err != nil {
			return err
		}
		if len(files) > 0 {
			byMaterial[m.ID] = files
		}
	}
	for _, m := range pg.Item.Materials {
		for _, f := range byMaterial[m.ID] {
			in.Files = append(in.Files, service.MaterialFile(m.ID, f.Name, f.ContentType, f.Data))
		}
	}
	c, err := p.s.Service.ApplyOnline(r.Context(), in)
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		pg.Error = msg
		if len(byMaterial) > 0 {
			pg.Kept, pg.KeptFiles = p.kept.put(byMaterial), map[int64]string{}
			for id, fs := range byMaterial {
				pg.KeptFiles[id] = fs[0].Name
			}
		}
		p.s.renderStatus(w, r, Status(err), "service_portal_apply", pg)
		return nil
	}
	http.Redirect(w, r, "/portal/service/done?no="+url.QueryEscape(c.No), http.StatusSeeOther)
	return nil
}

func (p *servicePortal) done(w http.ResponseWriter, r *http.Request) error {
	return p.s.render(w, r, "service_portal_done", ServicePortalDonePage{Page: p.s.page(r, "service.portal.done", ""), No: r.URL.Query().Get("no")})
}

func (p *servicePortal) trackForm(w http.ResponseWriter, r *http.Request) error {
	pg := ServicePortalTrackPage{Page: p.s.page(r, "service.portal.track", ""), No: r.URL.Query().Get("no"), Ratings: service.Ratings}
	return p.s.render(w, r, "service_portal_track", pg)
}

// show renders the application for no and last4 (with msg as an error or
// a notice).
func (p *servicePortal) show(w http.ResponseWriter, r *http.Request, no, last4 string, status int, errMsg, flash string) error {
	pg := ServicePortalTrackPage{Page: p.s.page(r, "service.portal.track", ""), No: no, Last4: last4, Ratings: service.Ratings, Error: errMsg}
	pg.Flash = flash
	a, err := p.s.Service.PublicApplication(r.Context(), no, last4)
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		pg.Error, status = msg, Status(err)
	} else {
		pg.App = &a
	}
	p.s.renderStatus(w, r, status, "service_portal_track", pg)
	return nil
}

func (p *servicePortal) track(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单内容有误")
	}
	if !p.allow(w, r, p.reads) {
		return nil
	}
	return p.show(w, r, strings.TrimSpace(r.PostFormValue("no")), strings.TrimSpace(r.PostFormValue("last4")), http.StatusOK, "", "")
}

func (p *servicePortal) supply(w http.ResponseWriter, r *http.Request) error {
	if err := parseUpload(r); err != nil {
		return err
	}
	if !p.allow(w, r, p.reads) {
		return nil
	}
	no, last4 := r.PostFormValue("no"), r.PostFormValue("last4")
	files, err := formFiles(r, "files", "material")
	if err != nil {
		return err
	}
	if _, err := p.s.Service.SupplyOnline(r.Context(), no, last4, r.PostFormValue("note"), files); err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		return p.show(w, r, no, last4, Status(err), msg, "")
	}
	pg := p.s.page(r, "", "")
	return p.show(w, r, no, last4, http.StatusOK, "", pg.T("service.portal.supplied"))
}

func (p *servicePortal) review(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单内容有误")
	}
	if !p.allow(w, r, p.reads) {
		return nil
	}
	no, last4 := r.PostFormValue("no"), r.PostFormValue("last4")
	rating, _ := strconv.Atoi(r.PostFormValue("rating"))
	if err := p.s.Service.ReviewOnline(r.Context(), no, last4, rating, r.PostFormValue("note")); err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		return p.show(w, r, no, last4, Status(err), msg, "")
	}
	pg := p.s.page(r, "", "")
	return p.show(w, r, no, last4, http.StatusOK, "", pg.T("service.portal.reviewed"))
}

// result serves a result document of the application to the resident who
// gives its number and the phone's last four digits (a POST, so that they
// stay out of addresses and logs).
func (p *servicePortal) result(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单内容有误")
	}
	if !p.allow(w, r, p.reads) {
		return nil
	}
	id, _ := strconv.ParseInt(r.PostFormValue("file"), 10, 64)
	f, rc, err := p.s.Service.ResultFile(r.Context(), strings.TrimSpace(r.PostFormValue("no")), strings.TrimSpace(r.PostFormValue("last4")), id)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(f.Name))
	_, err = io.Copy(w, rc)
	return err
}
