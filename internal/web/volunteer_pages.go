package web

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"rsc.io/qr"

	"grassroots/internal/store"
	"grassroots/internal/volunteer"
)

// volunteerRoutes registers volunteer service records (志愿服务记录): a
// volunteer's record with both layers of hours, the organiser's back-fill
// and approval, the certificate ledger, the printable certificate and the
// public verification page.
func (s *Server) volunteerRoutes() {
	s.mux.HandleFunc("GET /volunteers", s.staff(s.volunteerList))
	s.mux.HandleFunc("GET /volunteers/{id}", s.staff(s.volunteerRecord))
	s.mux.HandleFunc("POST /volunteers/{id}/backfill", s.staff(s.volunteerBackfill))
	s.mux.HandleFunc("POST /volunteers/{id}/entries/{entry}/approve", s.staff(s.volunteerApprove))
	s.mux.HandleFunc("POST /volunteers/{id}/certificates", s.staff(s.volunteerRegisterCertificate))
	s.mux.HandleFunc("POST /certificates/{no}/issue", s.staff(s.certificateIssue))
	s.mux.HandleFunc("GET /certificates/{no}", s.staff(s.certificatePrint))
	s.mux.HandleFunc("GET /verify/{payload}", s.h(s.verifyPage))
	s.mux.HandleFunc("GET /volunteers/export.csv", s.staff(s.volunteerExport))
	s.mux.HandleFunc("POST /volunteers/{id}/entries/{entry}/correction", s.staff(s.volunteerAskCorrection))
	s.mux.HandleFunc("POST /volunteers/{id}/corrections/{correction}/decide", s.staff(s.volunteerDecideCorrection))
	s.mux.HandleFunc("POST /volunteers/{id}/stars", s.staff(s.volunteerGrantStar))
	s.mux.HandleFunc("POST /certificates/{no}/revoke", s.staff(s.certificateRevoke))
}

// VolunteersPage lists the volunteers whose records the user's unit keeps.
type VolunteersPage struct {
	Page
	Rows []volunteer.Row
}

func (s *Server) volunteerList(w http.ResponseWriter, r *http.Request) error {
	p := VolunteersPage{Page: s.page(r, "volunteer.list.title", "")}
	var err error
	if p.Rows, err = s.Volunteer.List(r.Context(), actorOf(r), 500); err != nil {
		return err
	}
	return s.render(w, r, "volunteer_list", p)
}

// VolunteerPage is a volunteer's record.
type VolunteerPage struct {
	Page
	Hours        volunteer.Hours
	Certificates []volunteer.Certificate
	Corrections  []volunteer.Correction
	// NextStar is the level a grant would give (the current one plus one).
	NextStar    int
	Done, Error string
}

func (s *Server) volunteerID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.NotFound("没有这个志愿者")
	}
	return id, nil
}

func (s *Server) volunteerData(r *http.Request) (VolunteerPage, error) {
	p := VolunteerPage{Page: s.page(r, "volunteer.record.title", ""), Done: r.URL.Query().Get("done")}
	id, err := s.volunteerID(r)
	if err != nil {
		return p, err
	}
	if p.Hours, err = s.Volunteer.Hours(r.Context(), actorOf(r), id); err != nil {
		return p, err
	}
	if p.Certificates, err = s.Volunteer.Certificates(r.Context(), id); err != nil {
		return p, err
	}
	if p.Corrections, err = s.Volunteer.OpenCorrections(r.Context(), id); err != nil {
		return p, err
	}
	p.NextStar = p.Hours.Star + 1
	return p, nil
}

func (s *Server) volunteerRecord(w http.ResponseWriter, r *http.Request) error {
	p, err := s.volunteerData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "volunteer_record", p)
}

// volunteerAfter renders the record with the error of a refused form, or
// goes back to it saying what was done.
func (s *Server) volunteerAfter(w http.ResponseWriter, r *http.Request, err error, done string) error {
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		p, perr := s.volunteerData(r)
		if perr != nil {
			return perr
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "volunteer_record", p)
		return nil
	}
	http.Redirect(w, r, "/volunteers/"+r.PathValue("id")+"?done="+url.QueryEscape(done), http.StatusSeeOther)
	return nil
}

func formTime(v string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02T15:04", v, shanghaiZone)
	return t, err == nil
}

var shanghaiZone = time.FixedZone("CST", 8*3600)

func (s *Server) volunteerBackfill(w http.ResponseWriter, r *http.Request) error {
	id, err := s.volunteerID(r)
	if err != nil {
		return err
	}
	start, ok1 := formTime(r.PostFormValue("start"))
	end, ok2 := formTime(r.PostFormValue("end"))
	minutes, err := strconv.Atoi(r.PostFormValue("minutes"))
	switch {
	case !ok1 || !ok2:
		err = store.Invalid("请填写活动的开始和结束时间")
	case err != nil:
		err = store.Invalid("补录时长应为整数分钟")
	default:
		_, err = s.Volunteer.BackFill(r.Context(), actorOf(r), volunteer.BackFill{PersonID: id, UnitID: actorOf(r).UnitID,
			Start: start, End: end, Minutes: minutes, Place: r.PostFormValue("place"), Content: r.PostFormValue("content"),
			Reason: r.PostFormValue("reason")})
	}
	return s.volunteerAfter(w, r, err, "backfill")
}

func (s *Server) volunteerApprove(w http.ResponseWriter, r *http.Request) error {
	entry, err := strconv.ParseInt(r.PathValue("entry"), 10, 64)
	if err != nil {
		return store.NotFound("没有这条服务记录")
	}
	decision := r.PostFormValue("decision")
	err = s.Volunteer.Approve(r.Context(), actorOf(r), entry, decision != "reject", decision == "promote", r.PostFormValue("note"))
	return s.volunteerAfter(w, r, err, "approve")
}

func (s *Server) volunteerRegisterCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := s.volunteerID(r)
	if err != nil {
		return err
	}
	_, err = s.Volunteer.RegisterCertificate(r.Context(), actorOf(r), id, volunteer.CertRequest{From: r.PostFormValue("from"),
		To: r.PostFormValue("to"), Responsible: r.PostFormValue("responsible"), Clerk: r.PostFormValue("clerk")})
	return s.volunteerAfter(w, r, err, "certificate")
}

func (s *Server) certificateIssue(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Volunteer.IssueCertificate(r.Context(), actorOf(r), r.PathValue("no"))
	if err != nil {
		if c.PersonID == 0 {
			return err
		}
		r.SetPathValue("id", strconv.FormatInt(c.PersonID, 10))
		return s.volunteerAfter(w, r, err, "")
	}
	http.Redirect(w, r, "/certificates/"+url.PathEscape(c.Stated.No), http.StatusSeeOther)
	return nil
}

// CertificatePage is the printable A4 certificate.
type CertificatePage struct {
	Page
	Cert volunteer.Certificate
	// QR is the payload's QR code as a data: URL (PNG); VerifyURL the
	// public page that checks it.
	QR        template.URL
	VerifyURL string
	PublicKey string
}

func (s *Server) certificatePrint(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Volunteer.CertificateFor(r.Context(), actorOf(r), r.PathValue("no"))
	if err != nil {
		return err
	}
	p := CertificatePage{Page: s.page(r, "volunteer.cert.title", ""), Cert: c}
	if c.Payload != "" {
		code, err := qr.Encode(c.Payload, qr.M)
		if err != nil {
			return err
		}
		// A data: URL of our own PNG: safe, and html/template would
		// otherwise refuse it.
		p.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(code.PNG()))
		p.VerifyURL = "/verify/" + c.Payload
	}
	if pub, ok := volunteer.PublicKey(); ok {
		p.PublicKey = hex.EncodeToString(pub)
	}
	return s.render(w, r, "volunteer_certificate", p)
}

// VerifyPage is the public check of a certificate: what it states, or why
// it fails.
type VerifyPage struct {
	Page
	Stated    *volunteer.Stated
	Error     string
	PublicKey string
}

func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) error {
	p := VerifyPage{Page: s.page(r, "volunteer.verify.title", "")}
	if pub, ok := volunteer.PublicKey(); ok {
		p.PublicKey = hex.EncodeToString(pub)
	}
	st, err := s.Volunteer.Verify(r.Context(), r.PathValue("payload"))
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		p.Error = msg
		s.renderStatus(w, r, http.StatusOK, "volunteer_verify", p)
		return nil
	}
	p.Stated = &st
	return s.render(w, r, "volunteer_verify", p)
}

// volunteerExport is the CSV of the approved entries the user's unit
// organised over a period (docs/VOLUNTEER.md, "CSV export").
func (s *Server) volunteerExport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	now := time.Now().In(shanghaiZone)
	to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, shanghaiZone).AddDate(0, 0, 1)
	from := to.AddDate(-1, 0, 0)
	if v := q.Get("from"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, shanghaiZone)
		if err != nil {
			return store.Invalid("日期的格式应为 2026-01-01")
		}
		from = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, shanghaiZone)
		if err != nil {
			return store.Invalid("日期的格式应为 2026-01-01")
		}
		to = t.AddDate(0, 0, 1)
	}
	if !to.After(from) {
		return store.Invalid("截止日期应不早于起始日期")
	}
	var b bytes.Buffer
	b.WriteString("\ufeff") // a BOM, so that Excel reads the UTF-8
	if err := s.Volunteer.ExportCSV(r.Context(), actorOf(r), &b, from, to); err != nil {
		return err
	}
	name := "志愿服务记录_" + from.Format("20060102") + "-" + to.AddDate(0, 0, -1).Format("20060102") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", "attachment; filename=\"volunteer-records.csv\"; filename*=UTF-8''"+url.PathEscape(name))
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(b.Bytes())
	return err
}

func (s *Server) volunteerAskCorrection(w http.ResponseWriter, r *http.Request) error {
	entry, err := strconv.ParseInt(r.PathValue("entry"), 10, 64)
	if err != nil {
		return store.NotFound("没有这条服务记录")
	}
	minutes := 0
	if v := r.PostFormValue("minutes"); v != "" {
		if minutes, err = strconv.Atoi(v); err != nil {
			return s.volunteerAfter(w, r, store.Invalid("更正后的时长应为整数分钟"), "")
		}
	}
	_, err = s.Volunteer.AskCorrection(r.Context(), actorOf(r), entry, r.PostFormValue("reason"), minutes)
	return s.volunteerAfter(w, r, err, "correction_asked")
}

func (s *Server) volunteerDecideCorrection(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("correction"), 10, 64)
	if err != nil {
		return store.NotFound("没有这条更正申请")
	}
	accept := r.PostFormValue("decision") == "correct"
	minutes := 0
	if accept {
		if minutes, err = strconv.Atoi(r.PostFormValue("minutes")); err != nil {
			return s.volunteerAfter(w, r, store.Invalid("更正后的时长应为整数分钟"), "")
		}
	}
	err = s.Volunteer.Correct(r.Context(), actorOf(r), id, accept, minutes, r.PostFormValue("note"))
	return s.volunteerAfter(w, r, err, "correction_decided")
}

func (s *Server) volunteerGrantStar(w http.ResponseWriter, r *http.Request) error {
	id, err := s.volunteerID(r)
	if err != nil {
		return err
	}
	level, err := strconv.Atoi(r.PostFormValue("level"))
	if err != nil {
		return s.volunteerAfter(w, r, store.Invalid("星级应为1至5"), "")
	}
	return s.volunteerAfter(w, r, s.Volunteer.GrantStar(r.Context(), actorOf(r), id, level), "star")
}

func (s *Server) certificateRevoke(w http.ResponseWriter, r *http.Request) error {
	no := r.PathValue("no")
	c, err := s.Volunteer.CertificateFor(r.Context(), actorOf(r), no)
	if err != nil {
		return err
	}
	r.SetPathValue("id", strconv.FormatInt(c.PersonID, 10))
	return s.volunteerAfter(w, r, s.Volunteer.RevokeCertificate(r.Context(), actorOf(r), no, r.PostFormValue("reason")), "revoked")
}
