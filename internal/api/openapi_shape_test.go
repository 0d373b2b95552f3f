package api

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The checks here are the ones generated clients depend on (openapi-typescript,
// oapi-codegen with their default settings): a name for every operation, the
// error answers declared, nothing dangling, nothing required that may be left
// out. `redocly lint` says the same from outside (scripts/openapi-check.sh).

var operationMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// docOperation is one operation of the document, a path's or a callback's.
type docOperation struct {
	where    string // "POST /api/v1/cases", or "callback ... of POST /api/v1/webhooks"
	op       map[string]any
	callback bool
}

func documentOperations(t *testing.T) (map[string]any, []docOperation) {
	t.Helper()
	doc, err := Document()
	if err != nil {
		t.Fatal(err)
	}
	var ops []docOperation
	var walk func(paths map[string]any, prefix string, callback bool)
	walk = func(paths map[string]any, prefix string, callback bool) {
		for p, item := range paths {
			for _, m := range operationMethods {
				op, ok := item.(map[string]any)[m].(map[string]any)
				if !ok {
					continue
				}
				where := prefix + strings.ToUpper(m) + " " + p
				ops = append(ops, docOperation{where: where, op: op, callback: callback})
				cbs, _ := op["callbacks"].(map[string]any)
				for name, cb := range cbs {
					walk(cb.(map[string]any), "callback "+name+" of "+where+": ", true)
				}
			}
		}
	}
	walk(doc["paths"].(map[string]any), "", false)
	sort.Slice(ops, func(i, j int) bool { return ops[i].where < ops[j].where })
	return doc, ops
}

// TestOperationIDs checks that every operation has an operationId, camelCase
// and unique: generated clients name their functions after it.
func TestOperationIDs(t *testing.T) {
	t.Parallel()
	_, ops := documentOperations(t)
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	seen := map[string]string{}
	for _, o := range ops {
		id, _ := o.op["operationId"].(string)
		switch {
		case id == "":
			t.Errorf("%s: no operationId", o.where)
		case !camel.MatchString(id):
			t.Errorf("%s: operationId %q is not camelCase", o.where, id)
		case seen[id] != "":
			t.Errorf("%s: operationId %q is also %s's", o.where, id, seen[id])
		default:
			seen[id] = o.where
		}
	}
}

// TestErrorResponsesDeclared checks that every API operation declares its
// error answers with the error schema: a 4XX at all, 401 when it needs a
// token, 413 and 415 when it reads a body (input.DecodeJSON's refusals).
func TestErrorResponsesDeclared(t *testing.T) {
	t.Parallel()
	doc, ops := documentOperations(t)
	for _, o := range ops {
		resps, _ := o.op["responses"].(map[string]any)
		var fourXX []string
		for code := range resps {
			if strings.HasPrefix(code, "4") {
				fourXX = append(fourXX, code)
			}
		}
		if len(fourXX) == 0 {
			t.Errorf("%s: no 4XX response", o.where)
			continue
		}
		if o.callback {
			continue // the receiver's answers, not ours
		}
		for _, code := range fourXX {
			if !isErrorResponse(t, doc, resps[code]) {
				t.Errorf("%s: response %s is not %s (or an object with its \"error\")", o.where, code, errRef)
			}
		}
		want := []string{"400"} // input.Guard refuses any request's bad path or query
		if sec, ok := o.op["security"].([]any); !ok || len(sec) > 0 {
			want = append(want, "401")
		}
		if o.op["requestBody"] != nil {
			want = append(want, "413", "415")
		}
		for _, code := range want {
			if !slices.Contains(fourXX, code) {
				t.Errorf("%s: no %s response", o.where, code)
			}
		}
	}
}

const errRef = "#/components/responses/Error"

// isErrorResponse tells whether a response is the error response, or a JSON
// object that carries the error schema's "error" and more (an import's
// refused rows).
func isErrorResponse(t *testing.T, doc map[string]any, resp any) bool {
	r, _ := resp.(map[string]any)
	if ref, _ := r["$ref"].(string); ref == errRef {
		return true
	}
	content, _ := r["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	schema, _ := media["schema"].(map[string]any)
	if ref, ok := schema["$ref"].(string); ok {
		schema, _ = resolveRef(t, doc, ref).(map[string]any)
	}
	props, _ := schema["properties"].(map[string]any)
	req, _ := schema["required"].([]any)
	return props["error"] != nil && slices.Contains(req, any("error"))
}

// TestNoUnusedComponents checks that every component is reached from an
// operation: a dangling schema is documentation of nothing.
func TestNoUnusedComponents(t *testing.T) {
	t.Parallel()
	doc, _ := documentOperations(t)
	comps := doc["components"].(map[string]any)
	reached := map[string]bool{}
	var visit func(v any)
	visit = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && !reached[ref] {
				reached[ref] = true
				visit(resolveRef(t, doc, ref))
			}
			for _, x := range v {
				visit(x)
			}
		case []any:
			for _, x := range v {
				visit(x)
			}
		}
	}
	visit(doc["paths"])
	for kind, group := range comps {
		if kind == "securitySchemes" {
			continue // named by "security", not by $ref
		}
		for name := range group.(map[string]any) {
			if ref := "#/components/" + kind + "/" + name; !reached[ref] {
				t.Errorf("component %s is not used", ref)
			}
		}
	}
}

// TestNoRequiredDefaults checks that no request schema requires a field it
// gives a default, and that no component schema a request names gives one at
// all: a client may leave such a field out, and openapi-typescript's types
// (defaultNonNullable, on by default) make a component's field with a
// default required. The server's default is said in the description.
func TestNoRequiredDefaults(t *testing.T) {
	t.Parallel()
	doc, ops := documentOperations(t)
	for _, o := range ops {
		if o.callback {
			continue
		}
		body, _ := o.op["requestBody"].(map[string]any)
		content, _ := body["content"].(map[string]any)
		for ct, media := range content {
			seen := map[string]bool{}
			var check func(path string, s any)
			check = func(path string, s any) {
				m, ok := s.(map[string]any)
				if !ok {
					return
				}
				if ref, ok := m["$ref"].(string); ok {
					if seen[ref] {
						return
					}
					seen[ref] = true
					check(ref, resolveRef(t, doc, ref))
					return
				}
				props, _ := m["properties"].(map[string]any)
				if strings.HasPrefix(path, "#/components/") {
					for name, p := range props {
						if _, has := p.(map[string]any)["default"]; has {
							t.Errorf("%s (%s) %s: %q has a default", o.where, ct, path, name)
						}
					}
				}
				req, _ := m["required"].([]any)
				for _, r := range req {
					p, _ := props[r.(string)].(map[string]any)
					if ref, ok := p["$ref"].(string); ok {
						p, _ = resolveRef(t, doc, ref).(map[string]any)
					}
					if _, has := p["default"]; has {
						t.Errorf("%s (%s) %s: %q is required but has a default", o.where, ct, path, r)
					}
				}
				for name, p := range props {
					check(path+"."+name, p)
				}
				for _, k := range []string{"items", "additionalProperties"} {
					check(path+"."+k, m[k])
				}
				for _, k := range []string{"allOf", "oneOf", "anyOf"} {
					list, _ := m[k].([]any)
					for _, x := range list {
						check(path+"."+k, x)
					}
				}
			}
			check("body", media.(map[string]any)["schema"])
		}
	}
}

// resolveRef looks a local $ref up in the document.
func resolveRef(t *testing.T, doc map[string]any, ref string) any {
	t.Helper()
	if !strings.HasPrefix(ref, "#/") {
		t.Fatalf("non-local $ref %q", ref)
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("$ref %q: %q is not an object", ref, part)
		}
		if cur, ok = m[part]; !ok {
			t.Fatalf("$ref %q: no %q", ref, part)
		}
	}
	return cur
}
