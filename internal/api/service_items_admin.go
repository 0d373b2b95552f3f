package api

import (
	"errors"
	"net/http"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/service"
	"grassroots/internal/store"
)

// serviceItemAdminEndpoints registers the maintenance of service items
// (county administrators and the approval office).
func (s *Server) serviceItemAdminEndpoints() {
	s.route("PUT /api/v1/service-items/{code}", s.authed(s.putServiceItem))
}

// putServiceItem creates the service item of a matter, or replaces it with
// its materials: 201 when it did not exist (or was withdrawn), 200 when it
// was changed.
func (s *Server) putServiceItem(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if err := s.serviceOn(); err != nil {
		return err
	}
	if !service.CanMaintainItems(actor) {
		return store.Forbidden("只有县级管理员或县委编办可以维护服务事项")
	}
	var in service.ItemInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	code := strings.ToUpper(strings.TrimSpace(r.PathValue("code")))
	if c := strings.ToUpper(strings.TrimSpace(in.Code)); c != "" && c != code {
		return store.Invalid("请求体中的事项编码(code)与地址中的 " + code + " 不一致")
	}
	in.Code = code
	status := http.StatusOK
	if _, err := s.Service.Item(r.Context(), code); errors.Is(err, store.ErrNotFound) {
		status = http.StatusCreated
	} else if err != nil {
		return err
	}
	it, err := s.Service.SaveItem(r.Context(), actor, in)
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/service-items/"+it.Code)
	}
	return writeJSON(w, status, it)
}
