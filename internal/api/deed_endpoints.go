package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/download"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/volunteer"
)

// deedEndpoints registers good deeds (办实事好事): the list and counts of
// the caller's subtree, recording one, and marking a resolved case as one
// (the case page's panel, as JSON). The rules are the volunteer ledger's
// (RecordDeed) and the party registry's (CaseDeedOffer, MarkCaseDeed).
func (s *Server) deedEndpoints() {
	s.route("GET /api/v1/party/deeds", s.authed(s.partyDeeds))
	s.route("POST /api/v1/party/deeds", s.authed(s.recordDeed))
	s.route("GET /api/v1/party/deeds/{id}/photo", s.authed(s.deedPhoto))
	s.route("GET /api/v1/cases/{no}/deed", s.authed(s.caseDeedOffer))
	s.route("POST /api/v1/cases/{no}/deed", s.authed(s.markCaseDeed))
}

// DeedsAnswer is the good deeds of the caller's subtree over a period.
type DeedsAnswer struct {
	From        string                `json:"from"`
	To          string                `json:"to"`
	Total       int                   `json:"total"`
	ByCommunity []volunteer.DeedCount `json:"by_community"`
	Deeds       []volunteer.Deed      `json:"deeds"`
}

// partyDeeds lists the good deeds done in the caller's subtree from..to
// (inclusive days; the last twelve months by default), newest first.
func (s *Server) partyDeeds(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	from, to, err := period(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("from") == "" {
		from = to.AddDate(-1, 0, 0)
	}
	limit := 200
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 5000 {
			return store.Invalid("limit 应为1至5000之间的整数")
		}
	}
	a := DeedsAnswer{From: from.Format("2006-01-02"), To: to.AddDate(0, 0, -1).Format("2006-01-02")}
	if a.ByCommunity, err = s.Volunteer.DeedsByCommunity(r.Context(), actor, from, to); err != nil {
		return err
	}
	for _, c := range a.ByCommunity {
		a.Total += c.Deeds
	}
	if a.Deeds, err = s.Volunteer.Deeds(r.Context(), actor, from, to, limit); err != nil {
		return err
	}
	if a.ByCommunity == nil {
		a.ByCommunity = []volunteer.DeedCount{}
	}
	if a.Deeds == nil {
		a.Deeds = []volunteer.Deed{}
	}
	return writeJSON(w, http.StatusOK, a)
}

// recordDeed takes the deed as JSON, or, with an evidence photo, as
// multipart/form-data: the JSON's fields as form fields and the photo in
// the field photo (as case attachments are uploaded).
func (s *Server) recordDeed(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in volunteer.DeedInput
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, casework.MaxAttachment+1<<20)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return store.Invalid("文件超过10MB")
			}
			return &store.UserError{Kind: store.ErrInvalid, Message: "上传的内容过大或不完整，请减少照片后重试", Cause: err}
		}
		defer r.MultipartForm.RemoveAll()
		in = volunteer.DeedInput{Community: r.FormValue("community"), DoerUnit: r.FormValue("doer_unit"),
			Beneficiary: r.FormValue("beneficiary"), Problem: r.FormValue("problem"), ConfirmedAs: r.FormValue("confirmed_as"),
			ConfirmedBy: r.FormValue("confirmed_by"), DoneOn: r.FormValue("done_on")}
		if v := strings.TrimSpace(r.FormValue("doer_person_id")); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return store.Invalid("doer_person_id 应为整数")
			}
			in.DoerPersonID = id
		}
		if f, hdr, err := r.FormFile("photo"); err == nil {
			data, err := io.ReadAll(io.LimitReader(f, casework.MaxAttachment+1))
			f.Close()
			if err != nil {
				return fmt.Errorf("read upload: %w", err)
			}
			in.PhotoName, in.Photo = hdr.Filename, data
		}
	} else if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.Volunteer.RecordDeedInput(r.Context(), actor, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, d)
}

// CaseDeedAnswer is whether a case can be marked as a good deed: the
// panel's proposal, or null.
type CaseDeedAnswer struct {
	Offer *party.DeedOffer `json:"offer"`
}

func (s *Server) caseDeedOffer(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	d, err := s.Cases.Get(r.Context(), actor, r.PathValue("no"))
	if err != nil {
		return err
	}
	o, err := s.Party.CaseDeedOffer(r.Context(), actor, d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, CaseDeedAnswer{Offer: o})
}

func (s *Server) markCaseDeed(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in party.CaseDeedInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.Cases.Get(r.Context(), actor, r.PathValue("no"))
	if err != nil {
		return err
	}
	id, err := s.Party.MarkCaseDeed(r.Context(), actor, d, in)
	if err != nil {
		return err
	}
	deed, err := s.Volunteer.Deed(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, deed)
}

// deedPhoto serves a good deed's evidence photo to those who may read the
// deed, with the sniffed image type it was stored as.
func (s *Server) deedPhoto(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到该照片")
	}
	rc, ct, size, err := s.Volunteer.DeedPhoto(r.Context(), actor, id)
	if err != nil {
		return err
	}
	defer rc.Close()
	download.Serve(w, download.File{Type: ct, Size: size, Inline: true}, rc)
	return nil
}
