package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/download"
	"grassroots/internal/service"
	"grassroots/internal/store"
)

// caseEndpoints registers the case engine's endpoints: intake (idempotent by
// external_id), a case with its parts and timeline, every action a user can
// take in the UI, attachments and the category tree.
func (s *Server) caseEndpoints() {
	s.route("POST /api/v1/cases", s.authed(s.createCase))
	s.route("GET /api/v1/cases/{no}", s.authed(s.getCase))
	s.route("POST /api/v1/cases/{no}/actions/{action}", s.authed(s.caseAction))
	s.route("POST /api/v1/cases/{no}/attachments", s.authed(s.attachToCase))
	s.route("GET /api/v1/attachments/{id}", s.authed(s.getAttachment))
	s.route("GET /api/v1/categories", s.authed(s.listCategories))
}

// CaseBody is the answer to intake and actions: the case as it now stands.
type CaseBody struct {
	Case casework.Case `json:"case"`
}

// CaseDetailBody is a case with its parts, timeline, attachments, pending
// deadlines and the actions the token's user may take now.
type CaseDetailBody struct {
	casework.CaseDetail
	AllowedActions []casework.ActionSpec `json:"allowed_actions"`
	// FieldOptions are the values offered for the allowed actions'
	// flow-specific fields, by action and field (casework.OfferFieldOptions).
	FieldOptions map[string]map[string][]casework.FieldOption `json:"field_options,omitempty"`
}

func (s *Server) createCase(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var body struct {
		casework.NewCase
		// Service is a service application's desk input (casework.ServiceFlowName).
		Service *service.DeskInput `json:"service,omitempty"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	in := body.NewCase
	if in.Flow == casework.ServiceFlowName {
		return s.createServiceApplication(w, r, actor, body.Service)
	}
	if in.Channel == "" {
		in.Channel = "api"
	}
	c, created, err := s.Cases.Create(r.Context(), actor, in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/cases/"+c.No)
	}
	return writeJSON(w, status, CaseBody{Case: c})
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	d, err := s.Cases.Get(r.Context(), actor, r.PathValue("no"))
	if err != nil {
		return err
	}
	body := CaseDetailBody{CaseDetail: d, AllowedActions: s.Cases.AllowedActions(actor, d)}
	if body.AllowedActions == nil {
		body.AllowedActions = []casework.ActionSpec{}
	}
	for _, a := range body.AllowedActions {
		for _, f := range a.Needs.Fields {
			opts, offered, err := s.Cases.FieldOptions(r.Context(), actor, d.Case, f)
			if err != nil {
				return err
			}
			if !offered {
				continue
			}
			if body.FieldOptions == nil {
				body.FieldOptions = map[string]map[string][]casework.FieldOption{}
			}
			if body.FieldOptions[a.Name] == nil {
				body.FieldOptions[a.Name] = map[string][]casework.FieldOption{}
			}
			body.FieldOptions[a.Name][f] = append([]casework.FieldOption{}, opts...)
		}
	}
	return writeJSON(w, http.StatusOK, body)
}

// caseAction takes one action. The body is JSON (casework.Action), or a
// form with the very field names of the case page's action forms
// (casework.ActionFromForm), files of a stage in file_<stage> included.
func (s *Server) caseAction(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var act casework.Action
	name := r.PathValue("action")
	switch ct := r.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "multipart/form-data"):
		r.Body = http.MaxBytesReader(w, r.Body, 4*casework.MaxAttachment+1<<20)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return store.Invalid("上传内容过大")
			}
			return &store.UserError{Kind: store.ErrInvalid, Message: "表单内容无法读取", Cause: err}
		}
		defer r.MultipartForm.RemoveAll()
		var err error
		if act, err = casework.ActionFromForm(name, r.PostForm, r.MultipartForm.File); err != nil {
			return err
		}
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		if err := r.ParseForm(); err != nil {
			return &store.UserError{Kind: store.ErrInvalid, Message: "表单内容无法读取", Cause: err}
		}
		var err error
		if act, err = casework.ActionFromForm(name, r.PostForm, nil); err != nil {
			return err
		}
	case r.ContentLength != 0:
		if err := decodeJSON(r, &act); err != nil {
			return err
		}
	}
	act.Name = name
	c, err := s.Cases.Do(r.Context(), actor, r.PathValue("no"), act)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, CaseBody{Case: c})
}

func (s *Server) attachToCase(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	r.Body = http.MaxBytesReader(w, r.Body, casework.MaxAttachment+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return store.Invalid("文件超过10MB")
		}
		return &store.UserError{Kind: store.ErrInvalid, Message: "请以multipart/form-data上传文件（字段file）", Cause: err}
	}
	defer r.MultipartForm.RemoveAll()
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return &store.UserError{Kind: store.ErrInvalid, Message: "缺少文件字段file", Cause: err}
	}
	defer f.Close()
	a, err := s.Cases.Attach(r.Context(), actor, r.PathValue("no"), hdr.Filename, hdr.Header.Get("Content-Type"), f, r.FormValue("stage"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到该附件")
	}
	a, rc, err := s.Cases.OpenAttachment(r.Context(), actor, id)
	if err != nil {
		return err
	}
	defer rc.Close()
	download.Serve(w, download.File{Type: a.ContentType, Size: a.Size, Name: a.Name, Modified: a.CreatedAt}, rc)
	return nil
}

func (s *Server) listCategories(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	tree, err := s.Lists.Categories(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"categories": tree})
}
