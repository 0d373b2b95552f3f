package casework

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// flowNameAllowed lists the places in internal/web and internal/api that
// still name a flow, each with its reason. Adding a flow must not add to it.
var flowNameAllowed = map[string]string{
	// Pages of one flow's own registry or desk, not the case engine's lists.
	"web/mobile_pages.go":        "the grid worker's phone pages report grid events by design",
	"web/portal_pages.go":        "residents report 12345 cases on the portal",
	"web/service_pages.go":       "the service window's own pages (service package)",
	"web/service_items_admin.go": "the service window's own pages (service package)",
	"api/coord_endpoints.go":     "the coordination list endpoints are per flow, as their web lists",
	"api/case_endpoints.go":      "a service application is created with its desk input through the service package",
}

// TestNoFlowNamesInWebAndAPI: the web and API layers read the flows'
// declarations (Flow.Nav, Primary, NoteLabel, Needs...) instead of naming
// flows; a flow's name as a Go string literal, a quoted template string or
// a flow= query appears only in the allowed files above.
func TestNoFlowNamesInWebAndAPI(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, f := range BuiltinFlows() {
		names[f.Name] = true
	}
	var alts []string
	for n := range names {
		alts = append(alts, regexp.QuoteMeta(n))
	}
	tmplRE := regexp.MustCompile(`"(` + strings.Join(alts, "|") + `)"|flow=(` + strings.Join(alts, "|") + `)\b`)
	queryRE := regexp.MustCompile(`flow=(` + strings.Join(alts, "|") + `)\b`)
	found := map[string][]string{}
	for _, dir := range []string{"../web", "../api"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel := strings.TrimPrefix(filepath.ToSlash(path), "../")
			switch {
			case strings.HasSuffix(path, "_test.go"):
			case strings.HasSuffix(path, ".go"):
				fset := token.NewFileSet()
				file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
				if err != nil {
					return err
				}
				ast.Inspect(file, func(n ast.Node) bool {
					lit, ok := n.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						return true
					}
					v, err := strconv.Unquote(lit.Value)
					if err == nil && (names[v] || queryRE.MatchString(v)) {
						found[rel] = append(found[rel], fset.Position(lit.Pos()).String()+" "+lit.Value)
					}
					return true
				})
			case strings.HasSuffix(path, ".html"):
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				for i, line := range strings.Split(string(b), "\n") {
					if m := tmplRE.FindString(line); m != "" {
						found[rel] = append(found[rel], rel+":"+strconv.Itoa(i+1)+" "+m)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for file, hits := range found {
		if _, ok := flowNameAllowed[file]; !ok {
			t.Errorf("%s names flows (read the flow's declaration instead):\n  %s", file, strings.Join(hits, "\n  "))
		}
	}
	for file := range flowNameAllowed {
		if len(found[file]) == 0 {
			t.Errorf("%s no longer names a flow: drop it from flowNameAllowed", file)
		}
	}
}
