package api

import (
	"regexp"
	"slices"
	"testing"
)

// TestEveryRouteDocumented fails when an endpoint is registered without an
// operation in the OpenAPI document, or the document names one that is gone.
func TestEveryRouteDocumented(t *testing.T) {
	t.Parallel()
	s := New(Deps{})
	documented, err := DocumentedOperations()
	if err != nil {
		t.Fatal(err)
	}
	brace := regexp.MustCompile(`\{([a-z_]+)(\.\.\.)?\}`)
	var registered []string
	for _, p := range s.Patterns() {
		registered = append(registered, brace.ReplaceAllString(p, "{$1}"))
	}
	for _, p := range registered {
		if !slices.Contains(documented, p) {
			t.Errorf("route %q is not in the OpenAPI document", p)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			t.Errorf("OpenAPI document names %q, which no route serves", d)
		}
	}
}
