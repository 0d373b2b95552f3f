package api

import (
	"net/http"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/volunteer"
)

// volunteerEndpoints registers volunteer service records (志愿服务记录),
// their certificates and the public check of a certificate.
func (s *Server) volunteerEndpoints() {
	s.route("GET /api/v1/volunteers/{id}/hours", s.authed(s.volunteerHours))
	s.route("POST /api/v1/volunteers/{id}/certificates", s.authed(s.registerCertificate))
	s.route("POST /api/v1/certificates/{no}/issue", s.authed(s.issueCertificate))
	s.route("GET /api/v1/certificates/verify", s.verifyCertificate)
}

func personParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.NotFound("没有这个志愿者")
	}
	return id, nil
}

func (s *Server) volunteerHours(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := personParam(r)
	if err != nil {
		return err
	}
	h, err := s.Volunteer.Hours(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}

// CertificateRequest asks for a certificate over a period.
type CertificateRequest struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Responsible string `json:"responsible"`
	Clerk       string `json:"clerk"`
}

func (s *Server) registerCertificate(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := personParam(r)
	if err != nil {
		return err
	}
	var req CertificateRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	c, err := s.Volunteer.RegisterCertificate(r.Context(), actor, id, volunteer.CertRequest{From: req.From, To: req.To,
		Responsible: req.Responsible, Clerk: req.Clerk})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (s *Server) issueCertificate(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	c, err := s.Volunteer.IssueCertificate(r.Context(), actor, r.PathValue("no"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// CertificateCheck is the answer of the public check: what the certificate
// states, nothing more.
type CertificateCheck struct {
	Valid  bool             `json:"valid"`
	Stated volunteer.Stated `json:"stated"`
}

func (s *Server) verifyCertificate(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Volunteer.Verify(r.Context(), r.URL.Query().Get("payload"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, CertificateCheck{Valid: true, Stated: st})
}
