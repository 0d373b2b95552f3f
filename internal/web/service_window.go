package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"grassroots/internal/service"
	"grassroots/internal/store"
)

// The service window's own work pages beside the desk: the back office's
// queue (后台分类办理), the window roles of a centre's staff, and the online
// service stations (网上服务站).

// ServiceQueuePage is the back office's queue of applications.
type ServiceQueuePage struct {
	Page
	Apps  []service.Application
	Roles map[string][]string
}

// ServiceStaffPage is a centre's staff with their window roles.
type ServiceStaffPage struct {
	Page
	Site      *service.Site
	CanAssign bool
	Roles     []string
	Error     string
	Form      service.StaffInput
}

// ServiceStationsPage lists the online stations and, for townships, the
// form that records one.
type ServiceStationsPage struct {
	Page
	Stations   []service.Station
	Residences []service.Residence
	Error      string
	CanRecord  bool // the user works the service window (the form)
}

func (s *Server) serviceWindowRoutes() {
	s.mux.HandleFunc("GET /service/queue", s.staff(s.serviceQueue))
	s.mux.HandleFunc("GET /service/staff", s.staff(s.serviceStaff))
	s.mux.HandleFunc("POST /service/staff", s.staff(s.serviceStaffPost))
	s.mux.HandleFunc("POST /service/staff/{id}/remove", s.staff(s.serviceStaffRemove))
	s.mux.HandleFunc("GET /service/stations", s.staff(s.serviceStations))
	s.mux.HandleFunc("POST /service/stations", s.staff(s.serviceStationsPost))
}

func (s *Server) serviceQueue(w http.ResponseWriter, r *http.Request) error {
	ctx, actor := r.Context(), actorOf(r)
	pg := ServiceQueuePage{Page: s.page(r, "window.queue.title", serviceArea)}
	var err error
	if pg.Apps, err = s.Service.Queue(ctx, actor); err != nil {
		return err
	}
	if pg.Roles, err = s.Service.Roles(ctx, actor); err != nil {
		return err
	}
	return s.render(w, r, "service_queue", pg)
}

// staffSite is the centre whose staff the page shows: ?site=, else the
// user's own.
func (s *Server) staffSite(r *http.Request, id string) (*service.Site, error) {
	if id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, store.NotFound("找不到该便民服务中心或服务点")
		}
		site, err := s.Service.Site(r.Context(), n)
		if err != nil {
			return nil, err
		}
		return &site, nil
	}
	site, ok, err := s.Service.SiteOf(r.Context(), actorOf(r))
	if err != nil || !ok {
		return nil, err
	}
	return &site, nil
}

func (s *Server) renderStaff(w http.ResponseWriter, r *http.Request, siteID string, status int, errMsg string, form service.StaffInput) error {
	pg := ServiceStaffPage{Page: s.page(r, "window.staff.title", serviceArea), Roles: service.WindowRoles, Error: errMsg, Form: form}
	site, err := s.staffSite(r, siteID)
	if err != nil {
		return err
	}
	if site != nil {
		pg.Site, pg.CanAssign = site, service.CanAssignRoles(actorOf(r), *site)
	}
	if done := r.URL.Query().Get("done"); done != "" && errMsg == "" {
		pg.Flash = pg.T("window.staff.done")
	}
	s.renderStatus(w, r, status, "service_staff", pg)
	return nil
}

func (s *Server) serviceStaff(w http.ResponseWriter, r *http.Request) error {
	return s.renderStaff(w, r, r.URL.Query().Get("site"), http.StatusOK, "", service.StaffInput{})
}

func (s *Server) serviceStaffPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单内容有误")
	}
	in := service.StaffInput{Username: r.PostFormValue("username"), Role: r.PostFormValue("role"), Office: r.PostFormValue("office"), Post: r.PostFormValue("post")}
	in.SiteID, _ = strconv.ParseInt(r.PostFormValue("site_id"), 10, 64)
	in.WindowID, _ = strconv.ParseInt(r.PostFormValue("window_id"), 10, 64)
	if _, err := s.Service.AssignRole(r.Context(), actorOf(r), in); err != nil {
		msg, ok := userMessage(r, err)
		if !ok || errors.Is(err, store.ErrForbidden) || errors.Is(err, store.ErrNotFound) {
			return err
		}
		return s.renderStaff(w, r, strconv.FormatInt(in.SiteID, 10), Status(err), msg, in)
	}
	http.Redirect(w, r, "/service/staff?site="+strconv.FormatInt(in.SiteID, 10)+"&done=1", http.StatusSeeOther)
	return nil
}

func (s *Server) serviceStaffRemove(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到该岗位")
	}
	if err := s.Service.RemoveRole(r.Context(), actorOf(r), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/service/staff?site="+r.PostFormValue("site_id")+"&done=1", http.StatusSeeOther)
	return nil
}

func (s *Server) renderStations(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	pg := ServiceStationsPage{Page: s.page(r, "window.stations.title", serviceArea), Error: errMsg, CanRecord: service.IsStaff(actorOf(r))}
	var err error
	if pg.Stations, err = s.Service.Stations(r.Context(), r.URL.Query().Get("township")); err != nil {
		return err
	}
	if pg.Residences, err = s.Service.Residences(r.Context()); err != nil {
		return err
	}
	if r.URL.Query().Get("done") != "" && errMsg == "" {
		pg.Flash = pg.T("window.stations.done")
	}
	s.renderStatus(w, r, status, "service_stations", pg)
	return nil
}

func (s *Server) serviceStations(w http.ResponseWriter, r *http.Request) error {
	return s.renderStations(w, r, http.StatusOK, "")
}

func (s *Server) serviceStationsPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单内容有误")
	}
	in := service.StationInput{Unit: r.PostFormValue("unit"), Name: r.PostFormValue("name"), Address: r.PostFormValue("address"),
		Helper: r.PostFormValue("helper"), Phone: r.PostFormValue("phone")}
	for _, v := range r.PostForm["villages"] {
		if v = strings.TrimSpace(v); v != "" {
			in.Villages = append(in.Villages, v)
		}
	}
	if _, err := s.Service.SaveStation(r.Context(), actorOf(r), in); err != nil {
		msg, ok := userMessage(r, err)
		if !ok || errors.Is(err, store.ErrForbidden) {
			return err
		}
		return s.renderStations(w, r, Status(err), msg)
	}
	http.Redirect(w, r, "/service/stations?done=1", http.StatusSeeOther)
	return nil
}

// TransferText names how an item moved down: 全链条划转, or 部分下放 with
// the steps the county kept; "" for an item not moved down this way.
func (p Page) TransferText(it service.Item) string {
	switch it.Transfer {
	case service.TransferWhole:
		return p.T("window.transfer.whole")
	case service.TransferPartial:
		steps := make([]string, len(it.CountySteps))
		for i, st := range it.CountySteps {
			steps[i] = p.T("window.step." + st)
		}
		return p.T("window.transfer.partial") + "：" + p.T("window.transfer.county_kept") + strings.Join(steps, "、")
	}
	return ""
}
