package web

// One action form for every flow: the field names are casework.ActionFromForm's,
// which are those of the API's action body (casework.Action's JSON); the API's
// action endpoint reads a form with the same function. docs/ARCHITECTURE.md
// ("Actions on the web and the API") describes them.

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// ActionForm is what the user typed into an action form, kept when the
// action is refused so that nothing is lost.
type ActionForm struct {
	Action, Note, Unit, Units, Days, Resolved, Satisfaction, Rating, Lng, Lat string
	Fields                                                                    map[string]string
}

// parseActionForm reads action name's inputs from a submitted form (URL
// encoded or multipart) with casework.ActionFromForm, resolving the unit
// pickers' text to codes, and what was typed for showing it again.
func (s *Server) parseActionForm(w http.ResponseWriter, r *http.Request, name string) (casework.Action, ActionForm, error) {
	form := ActionForm{Action: name}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if r.MultipartForm == nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxMultipart)
			if err := r.ParseMultipartForm(32 << 20); err != nil {
				return casework.Action{Name: name}, form, store.Invalid("上传的文件过大（每个文件不超过10MB）")
			}
		}
	} else if err := r.ParseForm(); err != nil {
		return casework.Action{Name: name}, form, store.Invalid("提交的内容无法读取")
	}
	f := r.PostForm
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	form.Note, form.Unit, form.Days, form.Resolved = f.Get("note"), get("unit"), get("days"), get("resolved")
	form.Satisfaction, form.Rating, form.Lng, form.Lat = get("satisfaction"), get("rating"), get("lng"), get("lat")
	form.Units = strings.Join(f["units"], ", ")
	for k, vs := range f {
		if field, ok := strings.CutPrefix(k, "field_"); ok && len(vs) > 0 {
			if form.Fields == nil {
				form.Fields = map[string]string{}
			}
			form.Fields[field] = vs[0]
		}
	}
	var files map[string][]*multipart.FileHeader
	if r.MultipartForm != nil {
		files = r.MultipartForm.File
	}
	act, err := casework.ActionFromForm(name, f, files)
	if err != nil {
		return act, form, err
	}
	ctx := r.Context()
	if act.UnitCode != "" {
		act.UnitCode = s.resolveUnit(ctx, act.UnitCode)
	}
	for i, u := range act.UnitCodes {
		act.UnitCodes[i] = s.resolveUnit(ctx, u)
	}
	return act, form, nil
}

// formFiles reads the uploaded files of a multipart field.
func formFiles(r *http.Request, field, stage string) ([]casework.NewAttachment, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []casework.NewAttachment
	for _, fh := range r.MultipartForm.File[field] {
		if fh.Size == 0 && fh.Filename == "" {
			continue
		}
		if fh.Size > casework.MaxAttachment {
			return nil, store.Invalid(fmt.Sprintf("文件“%s”超过10MB", fh.Filename))
		}
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("read upload %s: %w", fh.Filename, err)
		}
		data, err := io.ReadAll(io.LimitReader(f, casework.MaxAttachment+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read upload %s: %w", fh.Filename, err)
		}
		if len(data) == 0 {
			continue
		}
		out = append(out, casework.NewAttachment{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Data: data, Stage: stage})
	}
	return out, nil
}
