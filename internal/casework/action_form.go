package casework

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"grassroots/internal/input"
	"grassroots/internal/store"
)

// ActionFromForm reads an action from a submitted form: the one set of form
// field names for every flow, used by the case page and by the API's action
// endpoint when it is sent a form. The names are those of Action's JSON:
//
//	note, unit, units (repeated, or codes separated by commas), people
//	(repeated person ids), assignment_id, days, resolved (1/0, true/false),
//	satisfaction, rating, lng, lat, version, field_<name> (Fields[name]) and
//	file_<stage> (the files of an attachment stage).
//
// A number that does not parse, the version included, is refused, never read
// as 0. For the move from the old case page, "assignment" is read as
// assignment_id and "file" with "stage" as file_<stage>. files may be nil
// (a form without uploads).
func ActionFromForm(name string, f url.Values, files map[string][]*multipart.FileHeader) (Action, error) {
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	act := Action{Name: name, Note: f.Get("note"), UnitCode: get("unit"), Satisfaction: get("satisfaction")}
	for _, v := range f["units"] {
		for _, u := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == '\n' }) {
			if u = strings.TrimSpace(u); u != "" {
				act.UnitCodes = append(act.UnitCodes, u)
			}
		}
	}
	for _, v := range f["people"] {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id <= 0 {
			return act, store.Invalid("人员编号不正确")
		}
		act.People = append(act.People, id)
	}
	num := func(k string, invalid error) (int64, error) {
		v := get(k)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, invalid
		}
		return n, nil
	}
	assignment := "assignment_id"
	if get(assignment) == "" {
		assignment = "assignment" // the old case page's name
	}
	var err error
	if act.AssignmentID, err = num(assignment, store.Invalid("承办记录编号不正确")); err != nil {
		return act, err
	}
	n, err := num("days", store.Invalid("延期天数应为整数"))
	if err != nil {
		return act, err
	}
	act.Days = int(n)
	if n, err = num("rating", store.Invalid("评价应为1至5分")); err != nil {
		return act, err
	}
	act.Rating = int(n)
	if n, err = num("version", store.Invalid("表单版本号不正确，请刷新页面后重试")); err != nil {
		return act, err
	}
	act.Version = int(n)
	switch get("resolved") {
	case "1", "true":
		v := true
		act.Resolved = &v
	case "0", "false":
		v := false
		act.Resolved = &v
	case "":
	default:
		return act, store.Invalid("结果应为 1（已解决、通过）或 0（未解决、未通过）")
	}
	if lng, lat := get("lng"), get("lat"); lng != "" || lat != "" {
		x, y, ok := input.Point(lng, lat)
		if !ok {
			return act, store.Invalid("经纬度应为数字，如 118.5412 和 27.9187，且须同时填写")
		}
		act.Lng, act.Lat = &x, &y
	}
	for k, vs := range f {
		if field, ok := strings.CutPrefix(k, "field_"); ok && field != "" && len(vs) > 0 {
			if act.Fields == nil {
				act.Fields = map[string]string{}
			}
			act.Fields[field] = vs[0]
		}
	}
	fields := make([]string, 0, len(files))
	for k := range files {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	for _, field := range fields {
		stage, ok := strings.CutPrefix(field, "file_")
		if !ok {
			if field != "file" {
				continue
			}
			stage = get("stage")
		}
		for _, fh := range files[field] {
			a, err := readUpload(fh, stage)
			if err != nil {
				return act, err
			}
			if a != nil {
				act.Attachments = append(act.Attachments, *a)
			}
		}
	}
	return act, nil
}

// readUpload reads one uploaded file (nil when it is empty).
func readUpload(fh *multipart.FileHeader, stage string) (*NewAttachment, error) {
	if fh.Size == 0 && fh.Filename == "" {
		return nil, nil
	}
	if fh.Size > MaxAttachment {
		return nil, store.Invalidf("文件“%s”超过10MB", fh.Filename)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("read upload %s: %w", fh.Filename, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxAttachment+1))
	if err != nil {
		return nil, fmt.Errorf("read upload %s: %w", fh.Filename, err)
	}
	if len(data) == 0 {
		return nil, nil
	}
	return &NewAttachment{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Data: data, Stage: stage}, nil
}
