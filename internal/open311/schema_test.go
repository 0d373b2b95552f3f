package open311_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// schemaValidator checks JSON values against the GeoReport v2 JSON Schemas
// published by the Open311 project (testdata/schema, copied from
// open311/schema-validation). It implements the part of JSON Schema those
// files use: type, enum, required, properties, items, anyOf, $ref to a
// sibling file, maxLength and the date-time and uri formats.
type schemaValidator struct {
	dir     string
	schemas map[string]map[string]any
}

func newSchemaValidator(t *testing.T) *schemaValidator {
	t.Helper()
	v := &schemaValidator{dir: filepath.Join("testdata", "schema"), schemas: map[string]map[string]any{}}
	entries, err := os.ReadDir(v.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(v.dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var s map[string]any
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("schema %s: %v", e.Name(), err)
		}
		v.schemas[e.Name()] = s
	}
	return v
}

// Validate checks the JSON document doc against the schema file name.
func (v *schemaValidator) Validate(name string, doc []byte) error {
	s, ok := v.schemas[name]
	if !ok {
		return fmt.Errorf("no schema %s", name)
	}
	var val any
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.UseNumber()
	if err := dec.Decode(&val); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return v.check(s, val, "$")
}

func (v *schemaValidator) check(s map[string]any, val any, at string) error {
	if ref, ok := s["$ref"].(string); ok {
		target, ok := v.schemas[ref]
		if !ok {
			return fmt.Errorf("%s: unresolved $ref %s", at, ref)
		}
		if err := v.check(target, val, at); err != nil {
			return err
		}
	}
	if anyOf, ok := s["anyOf"].([]any); ok {
		var errs []string
		matched := false
		for _, sub := range anyOf {
			err := v.check(sub.(map[string]any), val, at)
			if err == nil {
				matched = true
				break
			}
			errs = append(errs, err.Error())
		}
		if !matched {
			return fmt.Errorf("%s: matches none of anyOf: %s", at, strings.Join(errs, "; "))
		}
	}
	if typ, ok := s["type"].(string); ok {
		if err := checkType(typ, val); err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, val) {
		return fmt.Errorf("%s: %v is not one of %v", at, val, enum)
	}
	if str, ok := val.(string); ok {
		if ml, ok := s["maxLength"].(float64); ok && utf8.RuneCountInString(str) > int(ml) {
			return fmt.Errorf("%s: longer than %v", at, ml)
		}
		switch s["format"] {
		case "date-time":
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				return fmt.Errorf("%s: %q is not an RFC 3339 date-time", at, str)
			}
		case "uri":
			if u, err := url.Parse(str); err != nil || u.Scheme == "" {
				return fmt.Errorf("%s: %q is not a URI", at, str)
			}
		}
	}
	if obj, ok := val.(map[string]any); ok {
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := obj[r.(string)]; !ok {
					return fmt.Errorf("%s: lacks required %q", at, r)
				}
			}
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for k, sub := range props {
				if pv, ok := obj[k]; ok {
					if err := v.check(sub.(map[string]any), pv, at+"."+k); err != nil {
						return err
					}
				}
			}
		}
	}
	if arr, ok := val.([]any); ok {
		if items, ok := s["items"].(map[string]any); ok {
			for i, it := range arr {
				if err := v.check(items, it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkType(typ string, val any) error {
	ok := false
	switch typ {
	case "string":
		_, ok = val.(string)
	case "boolean":
		_, ok = val.(bool)
	case "null":
		ok = val == nil
	case "array":
		_, ok = val.([]any)
	case "object":
		_, ok = val.(map[string]any)
	case "number":
		_, ok = val.(json.Number)
	case "integer":
		if n, isNum := val.(json.Number); isNum {
			_, err := n.Int64()
			ok = err == nil
		}
	default:
		return fmt.Errorf("schema type %q not supported by the test validator", typ)
	}
	if !ok {
		return fmt.Errorf("%v (%T) is not of type %s", val, val, typ)
	}
	return nil
}

// TestValidatorCatches makes sure the validator fails what it should.
func TestValidatorCatches(t *testing.T) {
	v := newSchemaValidator(t)
	cases := []struct {
		schema, doc string
		ok          bool
	}{
		{"requests.json", `[{"service_request_id":"1","status":"open","service_code":"B01001","requested_datetime":"2026-11-26T09:00:00+08:00"}]`, true},
		{"requests.json", `[{"service_request_id":"1","status":"pending","service_code":"B01001","requested_datetime":"2026-11-26T09:00:00+08:00"}]`, false},
		{"requests.json", `[{"service_request_id":"1","status":"open","service_code":"B01001"}]`, false},
		{"requests.json", `[{"service_request_id":"1","status":"open","service_code":"B01001","requested_datetime":"2026-11-26 09:00"}]`, false},
		{"requests.json", `[{"service_request_id":1,"status":"open","service_code":"B01001","requested_datetime":"2026-11-26T09:00:00Z"}]`, false},
		{"requests.json", `{"service_request_id":"1"}`, false},
		{"services.json", `[{"service_code":"a","service_name":"b","metadata":"true","type":"realtime"}]`, false},
		{"services.json", `[{"service_code":"a","service_name":"b","metadata":true,"type":"realtime","group":null}]`, true},
		{"service-definition.json", `{"service_code":"a","attributes":[{"variable":true,"code":"x","datatype":"color","required":false}]}`, false},
		{"service-definition.json", `{"service_code":"a","attributes":[{"variable":true,"code":"x","datatype":"string","required":false,"order":1.5}]}`, false},
	}
	for i, c := range cases {
		err := v.Validate(c.schema, []byte(c.doc))
		if (err == nil) != c.ok {
			t.Errorf("case %d (%s): err = %v, want ok=%v", i, c.schema, err, c.ok)
		}
	}
}
