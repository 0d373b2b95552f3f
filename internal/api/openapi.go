package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// The OpenAPI document is kept in parts, one per area (openapi/*.json), each
// a partial document with "paths" and "components"; they are merged here.
//
//go:embed openapi/*.json
var openapiFS embed.FS

var (
	openapiOnce sync.Once
	openapiDoc  map[string]any
	openapiErr  error
)

// Document returns the merged OpenAPI 3 document.
func Document() (map[string]any, error) {
	openapiOnce.Do(func() { openapiDoc, openapiErr = mergeOpenAPI() })
	return openapiDoc, openapiErr
}

func mergeOpenAPI() (map[string]any, error) {
	names, err := fs.Glob(openapiFS, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	doc := map[string]any{}
	paths := map[string]any{}
	schemas := map[string]any{}
	components := map[string]any{}
	for _, n := range names {
		b, err := fs.ReadFile(openapiFS, n)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("openapi part %s: %w", n, err)
		}
		for k, v := range part {
			switch k {
			case "paths":
				// Parts may share a path (GET and POST of /api/v1/cases live in
				// different areas); an operation defined twice is an error.
				for p, item := range v.(map[string]any) {
					existing, _ := paths[p].(map[string]any)
					if existing == nil {
						existing = map[string]any{}
						paths[p] = existing
					}
					for op, def := range item.(map[string]any) {
						if _, dup := existing[op]; dup {
							return nil, fmt.Errorf("openapi part %s: %s %s defined twice", n, op, p)
						}
						existing[op] = def
					}
				}
			case "components":
				for ck, cv := range v.(map[string]any) {
					if ck == "schemas" {
						for sn, sv := range cv.(map[string]any) {
							if _, dup := schemas[sn]; dup {
								return nil, fmt.Errorf("openapi part %s: schema %s defined twice", n, sn)
							}
							schemas[sn] = sv
						}
						continue
					}
					existing, _ := components[ck].(map[string]any)
					if existing == nil {
						existing = map[string]any{}
					}
					for ik, iv := range cv.(map[string]any) {
						existing[ik] = iv
					}
					components[ck] = existing
				}
			default:
				doc[k] = v
			}
		}
	}
	components["schemas"] = schemas
	doc["paths"] = paths
	doc["components"] = components
	return doc, nil
}

// DocumentedOperations lists "METHOD /path" for every operation in the document.
func DocumentedOperations() ([]string, error) {
	doc, err := Document()
	if err != nil {
		return nil, err
	}
	var out []string
	for p, item := range doc["paths"].(map[string]any) {
		for m := range item.(map[string]any) {
			switch m {
			case "get", "post", "put", "patch", "delete":
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	doc, err := Document()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, doc)
}
