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

// TestNoFlowNamesInWebAndAPI: the web and API layers read the flows'
// declarations (Flow.Nav, Primary, NoteLabel, Needs...) instead of naming
// flows; a flow's name as a Go string literal, a quoted template string or
// a flow= query appears nowhere in them (tests aside).
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
		t.Errorf("%s names flows (read the flow's declaration instead):\n  %s", file, strings.Join(hits, "\n  "))
	}
}
