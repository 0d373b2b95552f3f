package demo

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDomainPackagesHoldNoDemoCode: the demo data generators live here, so
// the domain packages declare nothing about the demo (their demo columns,
// the marks on generated rows, are data, not generators).
func TestDomainPackagesHoldNoDemoCode(t *testing.T) {
	t.Parallel()
	for _, pkg := range []string{"casework", "org", "catalog", "service"} {
		dir := filepath.Join("..", pkg)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := e.Name()
			if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			if strings.Contains(strings.ToLower(name), "demo") {
				t.Errorf("internal/%s/%s: demo code belongs in internal/demo", pkg, name)
			}
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				for _, id := range declNames(d) {
					if strings.Contains(strings.ToLower(id), "demo") {
						t.Errorf("internal/%s/%s declares %s: demo code belongs in internal/demo", pkg, name, id)
					}
				}
			}
		}
	}
}

// declNames are the names a top-level declaration declares.
func declNames(d ast.Decl) []string {
	var out []string
	switch d := d.(type) {
	case *ast.FuncDecl:
		out = append(out, d.Name.Name)
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				out = append(out, s.Name.Name)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					out = append(out, n.Name)
				}
			}
		}
	}
	return out
}
