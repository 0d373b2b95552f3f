package open311

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"grassroots/internal/store"
)

// The attribute datatypes of GeoReport v2.
const (
	TypeString          = "string"
	TypeNumber          = "number"
	TypeDatetime        = "datetime"
	TypeText            = "text"
	TypeSingleValueList = "singlevaluelist"
	TypeMultiValueList  = "multivaluelist"
)

var datatypes = []string{TypeString, TypeNumber, TypeDatetime, TypeText, TypeSingleValueList, TypeMultiValueList}

// Field is one extra field a category asks at intake, as stored in
// categories.fields_json (a JSON array of these). It is the category's
// Open311 attribute.
type Field struct {
	Code                string       `json:"code"`
	Name                string       `json:"name,omitempty"`
	Description         string       `json:"description,omitempty"`
	Datatype            string       `json:"datatype"`
	DatatypeDescription string       `json:"datatype_description,omitempty"`
	Required            bool         `json:"required,omitempty"`
	Order               int          `json:"order,omitempty"`
	Variable            *bool        `json:"variable,omitempty"` // default true
	Values              []FieldValue `json:"values,omitempty"`
}

// FieldValue is one choice of a list field.
type FieldValue struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// IsVariable reports whether the field takes input (false: it only informs).
func (f Field) IsVariable() bool { return f.Variable == nil || *f.Variable }

// ParseFields reads a category's fields_json ("" is no fields) and checks it.
func ParseFields(js string) ([]Field, error) {
	if strings.TrimSpace(js) == "" {
		return nil, nil
	}
	var fs []Field
	if err := json.Unmarshal([]byte(js), &fs); err != nil {
		return nil, fmt.Errorf("fields_json: %w", err)
	}
	seen := map[string]bool{}
	for i, f := range fs {
		if f.Code == "" || seen[f.Code] {
			return nil, fmt.Errorf("fields_json: field %d: missing or repeated code %q", i+1, f.Code)
		}
		seen[f.Code] = true
		if !slices.Contains(datatypes, f.Datatype) {
			return nil, fmt.Errorf("fields_json: field %s: datatype %q is not one of %s", f.Code, f.Datatype, strings.Join(datatypes, ", "))
		}
		list := f.Datatype == TypeSingleValueList || f.Datatype == TypeMultiValueList
		if list && len(f.Values) == 0 {
			return nil, fmt.Errorf("fields_json: field %s: a list needs values", f.Code)
		}
		if f.Order == 0 {
			fs[i].Order = i + 1
		}
	}
	sort.SliceStable(fs, func(a, b int) bool { return fs[a].Order < fs[b].Order })
	return fs, nil
}

// service is a leaf category offered as an Open311 service.
type service struct {
	id         int64
	code, name string
	kind       string
	group      string
	deptName   string
	fieldsJSON string
}

// services lists the active leaf categories (those without active
// children), in the tree's order; code, when not "", picks one.
func (h *Handler) services(ctx context.Context, code string) ([]service, error) {
	q := `SELECT c.id, c.code, c.name, c.kind, COALESCE(p.name, ''), COALESCE(d.name, ''), c.fields_json
		FROM categories c
		LEFT JOIN categories p ON p.id = c.parent_id
		LEFT JOIN units d ON d.id = c.dept_unit_id
		WHERE c.active = 1 AND c.parent_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM categories ch WHERE ch.parent_id = c.id AND ch.active = 1)`
	var args []any
	if code != "" {
		q += ` AND c.code = ?`
		args = append(args, code)
	}
	rows, err := h.db.Reader(ctx).Query(ctx, q+` ORDER BY c.sort, c.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	defer rows.Close()
	var out []service
	for rows.Next() {
		var s service
		if err := rows.Scan(&s.id, &s.code, &s.name, &s.kind, &s.group, &s.deptName, &s.fieldsJSON); err != nil {
			return nil, fmt.Errorf("list services: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// service returns one service, or a 404.
func (h *Handler) service(ctx context.Context, code string) (service, []Field, error) {
	ss, err := h.services(ctx, code)
	if err != nil {
		return service{}, nil, err
	}
	if len(ss) == 0 {
		return service{}, nil, store.NotFoundf("找不到服务 %s (service_code not found)", code)
	}
	fields, err := ParseFields(ss[0].fieldsJSON)
	if err != nil {
		return service{}, nil, fmt.Errorf("service %s: %w", code, err)
	}
	return ss[0], fields, nil
}

func (s service) toWire() Service {
	out := Service{ServiceCode: s.code, ServiceName: s.name, Metadata: strings.TrimSpace(s.fieldsJSON) != "" && s.fieldsJSON != "[]",
		Type: "realtime", Keywords: strPtr(s.kind), Group: strPtr(s.group)}
	if s.deptName != "" {
		out.Description = strPtr("责任部门：" + s.deptName)
	}
	return out
}

func definitionOf(code string, fields []Field) ServiceDefinition {
	def := ServiceDefinition{ServiceCode: code, Attributes: []Attribute{}}
	for _, f := range fields {
		a := Attribute{Variable: f.IsVariable(), Code: f.Code, Datatype: f.Datatype, Required: f.Required, Order: f.Order,
			DatatypeDescription: strPtr(f.DatatypeDescription), Description: strPtr(f.Name)}
		if f.Description != "" {
			d := f.Description
			if f.Name != "" {
				d = f.Name + "：" + f.Description
			}
			a.Description = &d
		}
		for _, v := range f.Values {
			a.Values = append(a.Values, AttributeValue(v))
		}
		def.Attributes = append(def.Attributes, a)
	}
	return def
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
