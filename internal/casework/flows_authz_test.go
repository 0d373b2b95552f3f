package casework

import (
	"os"
	"strings"
	"testing"
)

const (
	authzDoc      = "../../docs/AUTHORIZATION.md"
	authzDocBegin = "<!-- BEGIN GENERATED: casework.AuthorizationTable (go test ./internal/casework -run TestAuthorizationDoc; GRASSROOTS_UPDATE_DOCS=1 rewrites it) -->"
	authzDocEnd   = "<!-- END GENERATED -->"
)

// TestAuthorizationDoc keeps docs/AUTHORIZATION.md's table of who may open
// and act on each flow equal to the flow declarations, so the document is
// the rule. GRASSROOTS_UPDATE_DOCS=1 rewrites the generated part.
func TestAuthorizationDoc(t *testing.T) {
	t.Parallel()
	for _, sc := range AuthorizationScopes(BuiltinFlows()) {
		if scopeWords[sc] == "" {
			t.Errorf("scope %q has no words in the authorisation table", sc)
		}
	}
	raw, err := os.ReadFile(authzDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, authzDocBegin), strings.Index(doc, authzDocEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the generated section's markers", authzDoc)
	}
	want := "\n\n" + AuthorizationTable(BuiltinFlows())
	got := doc[i+len(authzDocBegin) : j]
	if got == want {
		return
	}
	if os.Getenv("GRASSROOTS_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(authzDoc, []byte(doc[:i+len(authzDocBegin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s differs from the flow declarations; run GRASSROOTS_UPDATE_DOCS=1 go test ./internal/casework -run TestAuthorizationDoc", authzDoc)
}
