package web

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// hrefs finds the links of a page.
var hrefs = regexp.MustCompile(`href="([^"]*)"`)

// Every link the UI shows a user leads to a page that user may open: the
// walk follows, for each signed-in role, every same-site link from the home
// page on (breadth first, up to a bound), and a link answered 403 or 404 is
// a link the page should not have shown (or a broken one).
func TestEveryLinkShownIsAllowed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newWalkFixture(t, db)
		for _, role := range walkRoles {
			if role == roleAnon {
				continue
			}
			seen := map[string]bool{"/": true}
			queue := []string{"/"}
			from := map[string]string{}
			for len(queue) > 0 && len(seen) < 400 {
				page := queue[0]
				queue = queue[1:]
				r := httptest.NewRequest(http.MethodGet, page, nil)
				w := httptest.NewRecorder()
				fx.s.mux.ServeHTTP(w, withState(r, requestState{Actor: fx.actors[role], CSRF: "test-csrf"}))
				switch {
				case w.Code == http.StatusForbidden || w.Code == http.StatusNotFound:
					t.Errorf("%s: the link to %s on %s answers %d", role, page, from[page], w.Code)
					continue
				case w.Code >= 500:
					t.Errorf("%s: %s (linked from %s) answers %d", role, page, from[page], w.Code)
					continue
				case w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html"):
					continue
				}
				for _, m := range hrefs.FindAllStringSubmatch(w.Body.String(), -1) {
					link := html.UnescapeString(m[1])
					u, err := url.Parse(link)
					if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(u.Path, "/") {
						continue
					}
					if strings.HasPrefix(u.Path, "/static/") || u.Path == "/logout" || strings.HasSuffix(u.Path, ".xlsx") ||
						strings.Contains(u.Path, "/export") || strings.Contains(u.Path, "/attachments/") {
						continue
					}
					u.Fragment = ""
					target := u.String()
					if !seen[target] {
						seen[target] = true
						from[target] = page
						queue = append(queue, target)
					}
				}
			}
			if len(seen) < 15 {
				t.Errorf("%s: the walk reached only %d pages", role, len(seen))
			}
		}
	})
}
