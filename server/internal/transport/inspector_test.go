package transport_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestTheInspectorIsServedWithoutAToken checks the inspector's routes on a hooknormd that
// requires tokens: its assets need none, the root leads to it, and what is not a GET of the root
// still reaches the API.
func TestTheInspectorIsServedWithoutAToken(t *testing.T) {
	h := secured(t)
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cases := []struct {
		name, method, path string
		wantStatus         int
		wantHeader         [2]string
		wantBody           string
	}{
		{"the root redirects to the page", http.MethodGet, "/", http.StatusFound, [2]string{"Location", "/ui/"}, ""},
		{"the page", http.MethodGet, "/ui/", http.StatusOK, [2]string{"X-Content-Type-Options", "nosniff"}, "hooknorm inspector"},
		{"a module", http.MethodGet, "/ui/live.js", http.StatusOK, [2]string{"Content-Type", "text/javascript; charset=utf-8"}, "heartbeat"},
		{"a POST to the root is told the routes", http.MethodPost, "/", http.StatusNotFound, [2]string{"Content-Type", "application/json"}, "ROUTE_NOT_FOUND"},
		{"the API still needs a token", http.MethodGet, "/v1/event-types", http.StatusUnauthorized, [2]string{"Content-Type", "application/json"}, "TOKEN_MISSING"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, h.httpURL+c.path, strings.NewReader(""))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.wantStatus, body)
			}
			if got := resp.Header.Get(c.wantHeader[0]); got != c.wantHeader[1] {
				t.Errorf("%s %q, want %q", c.wantHeader[0], got, c.wantHeader[1])
			}
			if !strings.Contains(string(body), c.wantBody) {
				t.Errorf("the body lacks %q: %.300s", c.wantBody, body)
			}
		})
	}
}
