package walktest

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"strconv"

	"grassroots/internal/casework"
)

// Form is action a as the action forms post it: the field names
// casework.ActionFromForm reads (its attachments are not in it; Multipart
// adds them).
func Form(a casework.Action) url.Values {
	f := url.Values{}
	set := func(k, v string) {
		if v != "" {
			f.Set(k, v)
		}
	}
	set("note", a.Note)
	set("unit", a.UnitCode)
	f["units"] = append([]string(nil), a.UnitCodes...)
	if len(f["units"]) == 0 {
		delete(f, "units")
	}
	for _, id := range a.People {
		f.Add("people", strconv.FormatInt(id, 10))
	}
	num := func(k string, n int64) {
		if n != 0 {
			f.Set(k, strconv.FormatInt(n, 10))
		}
	}
	num("assignment_id", a.AssignmentID)
	num("days", int64(a.Days))
	num("rating", int64(a.Rating))
	num("version", int64(a.Version))
	if a.Resolved != nil {
		f.Set("resolved", map[bool]string{true: "1", false: "0"}[*a.Resolved])
	}
	set("satisfaction", a.Satisfaction)
	if a.Lng != nil && a.Lat != nil {
		f.Set("lng", strconv.FormatFloat(*a.Lng, 'f', -1, 64))
		f.Set("lat", strconv.FormatFloat(*a.Lat, 'f', -1, 64))
	}
	for k, v := range a.Fields {
		f.Set("field_"+k, v)
	}
	return f
}

// Multipart is form f with action a's attachments as a multipart body, each
// file in the field file_<stage>; contentType carries the boundary.
func Multipart(f url.Values, a casework.Action) (body []byte, contentType string, err error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range f {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				return nil, "", fmt.Errorf("write field %s: %w", k, err)
			}
		}
	}
	for _, at := range a.Attachments {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file_%s"; filename="%s"`, at.Stage, at.Name))
		h.Set("Content-Type", at.ContentType)
		w, err := mw.CreatePart(h)
		if err != nil {
			return nil, "", fmt.Errorf("write file %s: %w", at.Name, err)
		}
		if _, err := w.Write(at.Data); err != nil {
			return nil, "", fmt.Errorf("write file %s: %w", at.Name, err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", fmt.Errorf("close multipart body: %w", err)
	}
	return b.Bytes(), mw.FormDataContentType(), nil
}
