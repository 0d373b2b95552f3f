package i18n

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"grassroots/internal/store"
)

// userErrorFuncs are store's constructors of a UserError from a message.
var userErrorFuncs = map[string]bool{
	"Invalid": true, "Forbidden": true, "NotFound": true, "Conflict": true,
	"Invalidf": true, "Forbiddenf": true, "NotFoundf": true, "Conflictf": true,
}

type msgUse struct {
	id  string
	pos string
}

// scanUserErrors finds every user error message written in internal/'s
// non-test Go source: the first argument of store.Invalid & co., and the
// Message of a store.UserError literal. Messages that are not a string
// literal or a constant are returned as computed, by position; a message
// built from the catalogue (a call of T) is translated already and skipped.
func scanUserErrors(t *testing.T) (ids []msgUse, computed []string) {
	t.Helper()
	root := filepath.Join("..")
	fset := token.NewFileSet()
	byDir := map[string][]*ast.File{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		byDir[filepath.Dir(path)] = append(byDir[filepath.Dir(path)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, files := range byDir {
		// store declares the constructors; its own bodies pass a parameter.
		if filepath.Base(dir) == "store" {
			continue
		}
		consts := stringConsts(files)
		take := func(e ast.Expr) {
			pos := fset.Position(e.Pos()).String()
			switch e := e.(type) {
			case *ast.BasicLit:
				if s, err := strconv.Unquote(e.Value); err == nil {
					ids = append(ids, msgUse{s, pos})
					return
				}
			case *ast.Ident:
				if s, ok := consts[e.Name]; ok {
					ids = append(ids, msgUse{s, pos})
					return
				}
			case *ast.CallExpr:
				if sel, ok := e.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "T" {
					return
				}
			}
			computed = append(computed, pos)
		}
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if isUserErrorFunc(n.Fun) && len(n.Args) > 0 {
						take(n.Args[0])
					}
				case *ast.CompositeLit:
					if isUserErrorType(n.Type) {
						for _, el := range n.Elts {
							if kv, ok := el.(*ast.KeyValueExpr); ok {
								if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Message" {
									take(kv.Value)
								}
							}
						}
					}
				}
				return true
			})
		}
	}
	sort.Strings(computed)
	return ids, computed
}

func isUserErrorFunc(fun ast.Expr) bool {
	sel, ok := fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == "store" && userErrorFuncs[sel.Sel.Name]
}

func isUserErrorType(typ ast.Expr) bool {
	sel, ok := typ.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == "store" && sel.Sel.Name == "UserError"
}

// stringConsts are the string constants declared anywhere in files.
func stringConsts(files []*ast.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			gd, ok := n.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				return true
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							if s, err := strconv.Unquote(lit.Value); err == nil {
								out[name.Name] = s
							}
						}
					}
				}
			}
			return true
		})
	}
	return out
}

func TestEveryUserErrorTranslated(t *testing.T) {
	ids, computed := scanUserErrors(t)
	if len(ids) < 100 {
		t.Fatalf("found only %d messages; is the scan looking in the right place?", len(ids))
	}
	seen := map[string]bool{}
	var missing []string
	for _, u := range ids {
		if _, ok := errorCatalog[u.id]; !ok && !seen[u.id] {
			missing = append(missing, fmt.Sprintf("%s: %q", u.pos, u.id))
		}
		seen[u.id] = true
	}
	if len(missing) > 0 {
		t.Errorf("locales/errors.en.json lacks %d messages:\n%s", len(missing), strings.Join(missing, "\n"))
	}
	var unused []string
	for id := range errorCatalog {
		if !seen[id] {
			unused = append(unused, id)
		}
	}
	sort.Strings(unused)
	for _, id := range unused {
		t.Logf("English entry not written as a literal (passed through a variable, or stale): %q", id)
	}
	// Computed messages cannot be checked here; they read in Chinese for
	// every user unless their parts are translated where they are built.
	t.Logf("%d messages checked; %d computed, not checkable:\n%s", len(seen), len(computed), strings.Join(computed, "\n"))
}

// verbRE matches a fmt verb with its flags, width and precision.
var verbRE = regexp.MustCompile(`%[-+# 0]*(\d+|\*)?(\.(\d+|\*))?[a-zA-Z%]`)

func verbs(s string) []string {
	var out []string
	for _, v := range verbRE.FindAllString(s, -1) {
		if v != "%%" {
			out = append(out, v)
		}
	}
	return out
}

func TestUserErrorVerbsMatch(t *testing.T) {
	for zh, en := range errorCatalog {
		if en == "" {
			t.Errorf("%q has an empty translation", zh)
			continue
		}
		if a, b := verbs(zh), verbs(en); !slices.Equal(a, b) {
			t.Errorf("%q has verbs %v, its English %q has %v", zh, a, en, b)
		}
	}
}

func TestVerbsCheckFails(t *testing.T) {
	if slices.Equal(verbs("第%d行：%s"), verbs("Row %s: %d")) {
		t.Error("verbs in another order should differ")
	}
	if !slices.Equal(verbs("完成率100%%，第%d项"), verbs("100%% done, item %d")) {
		t.Error("%% is not a verb")
	}
}

func TestError(t *testing.T) {
	var id string
	for k := range errorCatalog {
		if len(verbs(k)) == 0 {
			id = k
			break
		}
	}
	plain := store.Invalid(id)
	var ue *store.UserError
	if !errors.As(fmt.Errorf("save: %w", plain), &ue) {
		t.Fatal("a wrapped UserError should stay reachable")
	}
	if got := Error("zh", ue); got != id {
		t.Errorf("zh = %q, want %q", got, id)
	}
	if got := Error("en", ue); got != errorCatalog[id] {
		t.Errorf("en = %q, want %q", got, errorCatalog[id])
	}
	unknown := &store.UserError{Kind: store.ErrInvalid, Message: "没有译文的消息"}
	if got := Error("en", unknown); got != unknown.Message {
		t.Errorf("unknown id in en = %q, want the Chinese", got)
	}
}
