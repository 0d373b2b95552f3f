package web

// The patrol log on the phone (巡查日志、民情日志, internal/patrol): start a
// patrol, note what is seen (a point of where is optional), report what is
// found through the report form, end it. The note form goes through the
// phone's outbox like a report.

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"grassroots/internal/casework"
	"grassroots/internal/patrol"
	"grassroots/internal/store"
)

func (s *Server) patrolRoutes() {
	s.mux.HandleFunc("GET /m/patrol", s.gridWorker(s.patrolPage))
	s.mux.HandleFunc("POST /m/patrol", s.gridWorker(s.patrolStart))
	s.mux.HandleFunc("POST /m/patrol/{id}/notes", s.gridWorker(s.patrolNote))
	s.mux.HandleFunc("POST /m/patrol/{id}/end", s.gridWorker(s.patrolEnd))
}

// PatrolPage is the worker's patrol under way (or the button to start one)
// and today's patrols of their grid.
type PatrolPage struct {
	Page
	Current *patrol.Patrol
	Today   []patrol.Patrol
	Error   string
	Idem    string
	// Form is the location the note form starts with (none: the worker
	// adds one if they choose).
	Form struct{ Lng, Lat string }
}

func (s *Server) patrolPageData(r *http.Request) (PatrolPage, error) {
	p := PatrolPage{Page: s.page(r, "patrol.title", "mobile"), Idem: newIdem()}
	actor := actorOf(r)
	cur, ok, err := s.Patrol.Current(r.Context(), actor)
	if err != nil {
		return p, err
	}
	if ok {
		p.Current = &cur
	}
	grid := actor.UnitCode
	if ok {
		grid = cur.GridCode
	}
	from, to, err := casework.DayBounds(casework.Today(time.Now()))
	if err != nil {
		return p, err
	}
	if list, err := s.Patrol.ForGrid(r.Context(), actor, grid, from, to); err == nil {
		p.Today = list
	}
	return p, nil
}

func (s *Server) patrolPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.patrolPageData(r)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "start":
		p.Flash = p.T("patrol.started")
	case "note":
		p.Flash = p.T("patrol.noted")
	case "end":
		p.Flash = p.T("patrol.ended")
	}
	return s.render(w, r, "patrol", p)
}

// patrolFail shows the page again with the error of a refused step.
func (s *Server) patrolFail(w http.ResponseWriter, r *http.Request, err error) error {
	msg, ok := userMessage(r, err)
	if !ok || errors.Is(err, store.ErrForbidden) {
		return err
	}
	p, perr := s.patrolPageData(r)
	if perr != nil {
		return perr
	}
	p.Error = msg
	s.renderStatus(w, r, Status(err), "patrol", p)
	return nil
}

func (s *Server) patrolStart(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("提交的内容无法读取")
	}
	if _, err := s.Patrol.Start(r.Context(), actorOf(r), r.PostFormValue("grid")); err != nil {
		return s.patrolFail(w, r, err)
	}
	http.Redirect(w, r, "/m/patrol?done=start", http.StatusSeeOther)
	return nil
}

func patrolID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.NotFound("没有这次巡查")
	}
	return id, nil
}

func (s *Server) patrolNote(w http.ResponseWriter, r *http.Request) error {
	if err := parseUpload(r); err != nil {
		return err
	}
	id, err := patrolID(r)
	if err != nil {
		return err
	}
	lng, lat, err := formPoint(r.PostFormValue("lng"), r.PostFormValue("lat"))
	if err == nil {
		err = s.Patrol.AddNote(r.Context(), actorOf(r), id, patrol.NewNote{Note: r.PostFormValue("note"), Lng: lng, Lat: lat, ClientID: formIdem(r)})
	}
	if err != nil {
		return s.patrolFail(w, r, err)
	}
	http.Redirect(w, r, "/m/patrol?done=note", http.StatusSeeOther)
	return nil
}

func (s *Server) patrolEnd(w http.ResponseWriter, r *http.Request) error {
	if err := parseUpload(r); err != nil {
		return err
	}
	id, err := patrolID(r)
	if err != nil {
		return err
	}
	if _, err := s.Patrol.End(r.Context(), actorOf(r), id, r.PostFormValue("summary")); err != nil {
		return s.patrolFail(w, r, err)
	}
	http.Redirect(w, r, "/m/patrol?done=end", http.StatusSeeOther)
	return nil
}
