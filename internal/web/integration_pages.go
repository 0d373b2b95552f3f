package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"grassroots/internal/open311"
	"grassroots/internal/store"
	"grassroots/internal/webhook"
)

// AdminWebhooksPage lists the webhook endpoints with the form to register
// one; after registering, Created and Secret show the new endpoint's secret
// once.
type AdminWebhooksPage struct {
	Page
	Webhooks  []webhook.Endpoint
	Events    []string
	Form      webhook.NewEndpoint
	FormError string
	Created   *webhook.Endpoint
	Secret    string
}

// Checked reports whether event e is ticked in the form.
func (p AdminWebhooksPage) Checked(e string) bool { return slices.Contains(p.Form.Events, e) }

// AdminWebhookPage is one endpoint with its recent deliveries.
type AdminWebhookPage struct {
	Page
	Webhook    webhook.Endpoint
	Deliveries []webhook.Delivery
	Status     string
}

// Statuses are the delivery statuses the filter offers.
func (p AdminWebhookPage) Statuses() []string {
	return []string{webhook.StatusPending, webhook.StatusDelivered, webhook.StatusFailed}
}

// AdminAPIKeysPage lists the Open311 api_keys with the form to issue one;
// after issuing, Key shows the new key once.
type AdminAPIKeysPage struct {
	Page
	Keys      []open311.Key
	Name      string
	Username  string
	FormError string
	Created   *open311.Key
	Key       string
}

// integrationRoutes registers the administration of webhooks and Open311
// api_keys.
func (s *Server) integrationRoutes() {
	s.mux.HandleFunc("GET /admin/webhooks", s.adminOnly(s.adminWebhooks))
	s.mux.HandleFunc("POST /admin/webhooks", s.adminOnly(s.adminWebhookCreate))
	s.mux.HandleFunc("GET /admin/webhooks/{id}", s.adminOnly(s.adminWebhook))
	s.mux.HandleFunc("POST /admin/webhooks/{id}/active", s.adminOnly(s.adminWebhookActive))
	s.mux.HandleFunc("POST /admin/webhooks/{id}/delete", s.adminOnly(s.adminWebhookDelete))
	s.mux.HandleFunc("POST /admin/webhooks/{id}/deliveries/{delivery}/redeliver", s.adminOnly(s.adminWebhookRedeliver))
	s.mux.HandleFunc("GET /admin/apikeys", s.adminOnly(s.adminAPIKeys))
	s.mux.HandleFunc("POST /admin/apikeys", s.adminOnly(s.adminAPIKeyCreate))
	s.mux.HandleFunc("POST /admin/apikeys/{id}/revoke", s.adminOnly(s.adminAPIKeyRevoke))
}

func (s *Server) webhooks() *webhook.Service { return s.Webhooks }

func integrationID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.NotFound("编号不正确")
	}
	return id, nil
}

func (s *Server) webhooksPage(r *http.Request, form webhook.NewEndpoint) (AdminWebhooksPage, error) {
	eps, err := s.webhooks().List(r.Context(), actorOf(r))
	if err != nil {
		return AdminWebhooksPage{}, err
	}
	return AdminWebhooksPage{Page: s.page(r, "integ.webhooks.title", "integration"), Webhooks: eps, Events: webhook.Events, Form: form}, nil
}

func (s *Server) adminWebhooks(w http.ResponseWriter, r *http.Request) error {
	p, err := s.webhooksPage(r, webhook.NewEndpoint{Events: webhook.Events})
	if err != nil {
		return err
	}
	return s.render(w, r, "admin_webhooks", p)
}

func (s *Server) adminWebhookCreate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid(s.Msgs.T(langOf(r), "error.invalid"))
	}
	form := webhook.NewEndpoint{URL: r.PostFormValue("url"), Events: r.PostForm["event"], Description: r.PostFormValue("description")}
	ep, secret, err := s.webhooks().Create(r.Context(), actorOf(r), form)
	p, lerr := s.webhooksPage(r, form)
	if lerr != nil {
		return lerr
	}
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok || errors.Is(err, store.ErrForbidden) {
			return err
		}
		p.FormError = msg
		s.renderStatus(w, r, Status(err), "admin_webhooks", p)
		return nil
	}
	p.Created, p.Secret, p.Form = &ep, secret, webhook.NewEndpoint{Events: webhook.Events}
	return s.render(w, r, "admin_webhooks", p)
}

func (s *Server) adminWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := integrationID(r, "id")
	if err != nil {
		return err
	}
	ep, err := s.webhooks().Get(r.Context(), actorOf(r), id)
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	ds, err := s.webhooks().Deliveries(r.Context(), actorOf(r), webhook.DeliveryFilter{EndpointID: id, Status: status, Limit: 100})
	if err != nil {
		return err
	}
	return s.render(w, r, "admin_webhooks_detail", AdminWebhookPage{Page: s.page(r, "integ.webhook.title", "integration"), Webhook: ep, Deliveries: ds, Status: status})
}

func (s *Server) adminWebhookActive(w http.ResponseWriter, r *http.Request) error {
	id, err := integrationID(r, "id")
	if err != nil {
		return err
	}
	if err := s.webhooks().SetActive(r.Context(), actorOf(r), id, r.PostFormValue("active") == "1"); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/webhooks/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) adminWebhookDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := integrationID(r, "id")
	if err != nil {
		return err
	}
	if err := s.webhooks().Delete(r.Context(), actorOf(r), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/webhooks", http.StatusSeeOther)
	return nil
}

func (s *Server) adminWebhookRedeliver(w http.ResponseWriter, r *http.Request) error {
	id, err := integrationID(r, "id")
	if err != nil {
		return err
	}
	did, err := integrationID(r, "delivery")
	if err != nil {
		return err
	}
	if err := s.webhooks().Redeliver(r.Context(), actorOf(r), did); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/webhooks/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) apiKeysPage(r *http.Request) (AdminAPIKeysPage, error) {
	ks, err := s.Keys.List(r.Context(), actorOf(r))
	if err != nil {
		return AdminAPIKeysPage{}, err
	}
	return AdminAPIKeysPage{Page: s.page(r, "integ.apikeys.title", "integration"), Keys: ks}, nil
}

func (s *Server) adminAPIKeys(w http.ResponseWriter, r *http.Request) error {
	p, err := s.apiKeysPage(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "admin_apikeys", p)
}

func (s *Server) adminAPIKeyCreate(w http.ResponseWriter, r *http.Request) error {
	name, username := r.PostFormValue("name"), r.PostFormValue("username")
	key, k, err := s.Keys.Create(r.Context(), actorOf(r), name, username)
	p, lerr := s.apiKeysPage(r)
	if lerr != nil {
		return lerr
	}
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok || errors.Is(err, store.ErrForbidden) {
			return err
		}
		p.Name, p.Username, p.FormError = name, username, msg
		s.renderStatus(w, r, Status(err), "admin_apikeys", p)
		return nil
	}
	p.Created, p.Key = &k, key
	return s.render(w, r, "admin_apikeys", p)
}

func (s *Server) adminAPIKeyRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := integrationID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Keys.Revoke(r.Context(), actorOf(r), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/apikeys", http.StatusSeeOther)
	return nil
}
