package api

import (
	"net/http"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/service"
	"grassroots/internal/store"
)

// serviceEndpoints registers the universal service window: the service
// items with their materials and time limits, one-time notices, the
// service side of applications (made through POST /api/v1/cases with flow
// "service"), supplements, delivery, reviews and the figures.
func (s *Server) serviceEndpoints() {
	s.route("GET /api/v1/service-items", s.authed(s.listServiceItems))
	s.route("GET /api/v1/service-items/{code}", s.authed(s.getServiceItem))
	s.route("POST /api/v1/service-notices", s.authed(s.createServiceNotice))
	s.route("GET /api/v1/service-applications/{no}", s.authed(s.getServiceApplication))
	s.route("POST /api/v1/service-applications/{no}/supplement", s.authed(s.supplyServiceApplication))
	s.route("POST /api/v1/service-applications/{no}/delivery", s.authed(s.deliverServiceApplication))
	s.route("POST /api/v1/service-applications/{no}/review", s.authed(s.reviewServiceApplication))
	s.route("GET /api/v1/service-figures", s.authed(s.serviceFigures))
	s.route("GET /api/v1/service-queue", s.authed(s.serviceQueue))
	s.route("POST /api/v1/service-staff", s.authed(s.assignServiceRole))
	s.route("DELETE /api/v1/service-staff/{id}", s.authed(s.removeServiceRole))
	s.route("GET /api/v1/service-stations", s.authed(s.listServiceStations))
	s.route("POST /api/v1/service-stations", s.authed(s.createServiceStation))
	s.route("POST /api/v1/service-applications/{no}/exchange", s.authed(s.exchangeServiceApplication))
	s.serviceItemAdminEndpoints()
}

func (s *Server) serviceOn() error {
	if s.Service == nil {
		return store.NotFound("便民服务未启用")
	}
	return nil
}

func (s *Server) listServiceItems(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	q := r.URL.Query()
	items, err := s.Service.Items(r.Context(), service.ItemFilter{Q: q.Get("q"), Online: q.Get("online") == "1" || q.Get("online") == "true",
		Devolved: q.Get("devolved") == "1" || q.Get("devolved") == "true", Level: q.Get("level"), Transfer: q.Get("transfer")})
	if err != nil {
		return err
	}
	if items == nil {
		items = []service.Item{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) getServiceItem(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	it, err := s.Service.Item(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, it)
}

// createServiceApplication accepts an application at the token user's
// window or service point (POST /api/v1/cases with flow "service").
func (s *Server) createServiceApplication(w http.ResponseWriter, r *http.Request, actor access.Actor, in *service.DeskInput) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	if in == nil {
		return store.Invalid("便民服务申请请在service字段中给出事项(item)、申请人(applicant_name、phone)和已核验的材料(present)")
	}
	c, err := s.Service.Accept(r.Context(), actor, *in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/cases/"+c.No)
	return writeJSON(w, http.StatusCreated, CaseBody{Case: c})
}

func (s *Server) createServiceNotice(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	var in service.DeskInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	n, err := s.Service.IssueNotice(r.Context(), actor, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, n)
}

func (s *Server) getServiceApplication(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	d, err := s.Service.Application(r.Context(), actor, r.PathValue("no"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d.Application)
}

// ServiceStepBody is the input of a supplement, a delivery or a review.
type ServiceStepBody struct {
	Note   string `json:"note,omitempty"`
	Via    string `json:"via,omitempty"`
	Method string `json:"method,omitempty"`
	Ref    string `json:"ref,omitempty"`
	Rating int    `json:"rating,omitempty"`
	// WindowID is the window of the pickup centre a delivery is made at
	// (0: its delivery window).
	WindowID int64 `json:"window_id,omitempty"`
	// Status and Text are the provincial exchange's answer to a
	// cross-county application (accepted, approved, refused).
	Status string `json:"status,omitempty"`
	Text   string `json:"text,omitempty"`
}

func (s *Server) serviceStep(w http.ResponseWriter, r *http.Request, actor access.Actor, fn func(b ServiceStepBody) error) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	var b ServiceStepBody
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &b); err != nil {
			return err
		}
	}
	if err := fn(b); err != nil {
		return err
	}
	d, err := s.Service.Application(r.Context(), actor, r.PathValue("no"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d.Application)
}

func (s *Server) supplyServiceApplication(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	return s.serviceStep(w, r, actor, func(b ServiceStepBody) error {
		_, err := s.Service.Supply(r.Context(), actor, r.PathValue("no"), b.Note, b.Via, nil)
		return err
	})
}

func (s *Server) deliverServiceApplication(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	return s.serviceStep(w, r, actor, func(b ServiceStepBody) error {
		_, err := s.Service.DeliverAt(r.Context(), actor, r.PathValue("no"), b.Method, b.Ref, b.WindowID)
		return err
	})
}

func (s *Server) reviewServiceApplication(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	return s.serviceStep(w, r, actor, func(b ServiceStepBody) error {
		return s.Service.RecordReview(r.Context(), actor, r.PathValue("no"), b.Rating, b.Note)
	})
}

func (s *Server) serviceFigures(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	f, err := parsePeriod(r)
	if err != nil {
		return err
	}
	fig, err := s.Service.Figures(r.Context(), actor, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, fig)
}

// parsePeriod reads from and to (YYYY-MM-DD, to inclusive) in Asia/Shanghai.
func parsePeriod(r *http.Request) (service.FigureFilter, error) {
	loc := time.FixedZone("CST", 8*3600)
	var f service.FigureFilter
	for _, p := range []struct {
		key string
		dst *time.Time
		add int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		v := r.URL.Query().Get(p.key)
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			return f, store.Invalid("日期格式应为 YYYY-MM-DD：" + p.key + "=" + strconv.Quote(v))
		}
		*p.dst = t.AddDate(0, 0, p.add)
	}
	return f, nil
}

// serviceQueue lists the back office's open applications (后台办理队列).
func (s *Server) serviceQueue(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	apps, err := s.Service.Queue(r.Context(), actor)
	if err != nil {
		return err
	}
	if apps == nil {
		apps = []service.Application{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"applications": apps})
}

func (s *Server) assignServiceRole(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	var in service.StaffInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	st, err := s.Service.AssignRole(r.Context(), actor, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, st)
}

func (s *Server) removeServiceRole(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到该岗位")
	}
	if err := s.Service.RemoveRole(r.Context(), actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listServiceStations(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	list, err := s.Service.Stations(r.Context(), r.URL.Query().Get("township"))
	if err != nil {
		return err
	}
	if list == nil {
		list = []service.Station{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"stations": list})
}

func (s *Server) createServiceStation(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	var in service.StationInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	st, err := s.Service.SaveStation(r.Context(), actor, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, st)
}

// exchangeServiceApplication takes the provincial exchange's answer to a
// cross-county application.
func (s *Server) exchangeServiceApplication(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	var b ServiceStepBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	a, err := s.Service.ExchangeStatus(r.Context(), actor, r.PathValue("no"), b.Status, b.Text)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}
