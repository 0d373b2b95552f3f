package api

import (
	"net/http"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/province"
	"grassroots/internal/store"
	"grassroots/internal/webhook"
)

// integrationEndpoints registers webhook administration and the provincial
// 12345 exchange, over the services in Deps; the outbox writers themselves
// are registered on the engine once, at wiring.
func (s *Server) integrationEndpoints() {
	hooks := s.Webhooks
	s.route("GET /api/v1/webhooks", s.authed(func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
		eps, err := hooks.List(r.Context(), actor)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, WebhookList{Webhooks: eps})
	}))
	s.route("POST /api/v1/webhooks", s.authed(func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
		var in webhook.NewEndpoint
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		ep, secret, err := hooks.Create(r.Context(), actor, in)
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(ep.ID, 10))
		return writeJSON(w, http.StatusCreated, WebhookCreated{Webhook: ep, Secret: secret})
	}))
	s.route("GET /api/v1/webhooks/{id}", s.authed(func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		ep, err := hooks.Get(r.Context(), actor, id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, ep)
	}))
	s.route("POST /api/v1/webhooks/{id}/active", s.authed(func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in WebhookActive
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if err := hooks.SetActive(r.Context(), actor, id, in.Active); err != nil {
			return err
		}
		ep, err := hooks.Get(r.Context(), actor, id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, ep)
	}))
	s.route("DELETE /api/v1/webhooks/{id}", s.authed(func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := hooks.Delete(r.Context(), actor, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}))
	s.route("GET /api/v1/webhooks/{id}/deliveries", s.authed(func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if _, err := hooks.Get(r.Context(), actor, id); err != nil {
			return err
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		ds, err := hooks.Deliveries(r.Context(), actor, webhook.DeliveryFilter{EndpointID: id, Status: r.URL.Query().Get("status"), Limit: limit})
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, WebhookDeliveries{Deliveries: ds})
	}))
	s.route("POST /api/v1/webhook-deliveries/{id}/redeliver", s.authed(func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := hooks.Redeliver(r.Context(), actor, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusAccepted)
		return nil
	}))

	s.route("POST /api/v1/province/cases", s.authed(func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
		if s.Province == nil {
			return store.NotFound("案件引擎未启用")
		}
		var in province.InboundCase
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		rc, err := s.Province.Receive(r.Context(), actor, in)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if rc.Created {
			status = http.StatusCreated
		}
		w.Header().Set("Location", "/api/v1/province/cases/"+rc.PlatformID)
		return writeJSON(w, status, rc)
	}))
	s.route("GET /api/v1/province/cases/{platform_id}", s.authed(func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
		if s.Province == nil {
			return store.NotFound("案件引擎未启用")
		}
		st, err := s.Province.Query(r.Context(), actor, r.PathValue("platform_id"))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, st)
	}))
}

// WebhookList is the answer of GET /api/v1/webhooks.
type WebhookList struct {
	Webhooks []webhook.Endpoint `json:"webhooks"`
}

// WebhookCreated is a new endpoint with its signing secret, shown once.
type WebhookCreated struct {
	Webhook webhook.Endpoint `json:"webhook"`
	Secret  string           `json:"secret"`
}

// WebhookActive pauses or resumes an endpoint.
type WebhookActive struct {
	Active bool `json:"active"`
}

// WebhookDeliveries lists an endpoint's deliveries.
type WebhookDeliveries struct {
	Deliveries []webhook.Delivery `json:"deliveries"`
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.NotFound("编号不正确")
	}
	return id, nil
}
