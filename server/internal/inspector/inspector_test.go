package inspector_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hooknorm/hooknorm/server/internal/inspector"
)

func serve(method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	inspector.Handler().ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func TestAssetsAreServedWithStrictHeaders(t *testing.T) {
	cases := []struct {
		name, path, contentType, contains string
	}{
		{"the page", "/ui/", "text/html", `<script type="module" src="main.js">`},
		{"a module", "/ui/main.js", "text/javascript", "import"},
		{"the stylesheet", "/ui/inspector.css", "text/css", ":root"},
		{"the icon", "/ui/icon.svg", "image/svg+xml", "<svg"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := serve(http.MethodGet, c.path)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if got := w.Header().Get("Content-Type"); !strings.HasPrefix(got, c.contentType) {
				t.Errorf("Content-Type %q, want %s", got, c.contentType)
			}
			if !strings.Contains(w.Body.String(), c.contains) {
				t.Errorf("the body lacks %q", c.contains)
			}
			csp := w.Header().Get("Content-Security-Policy")
			for _, directive := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
				if !strings.Contains(csp, directive) {
					t.Errorf("Content-Security-Policy %q lacks %s", csp, directive)
				}
			}
			if strings.Contains(csp, "unsafe") {
				t.Errorf("Content-Security-Policy %q allows something unsafe", csp)
			}
			for header, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
				if got := w.Header().Get(header); got != want {
					t.Errorf("%s %q, want %q", header, got, want)
				}
			}
		})
	}
}

func TestTheRootLeadsToThePage(t *testing.T) {
	cases := []struct {
		name, target, location string
	}{
		{"the root", "/", "/ui/"},
		{"the page without its slash", "/ui", "/ui/"},
		{"a shared filtered view keeps its filters", "/?sources=webflow&tenant=42", "/ui/?sources=webflow&tenant=42"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := serve(http.MethodGet, c.target)
			if w.Code != http.StatusFound || w.Header().Get("Location") != c.location {
				t.Errorf("status %d to %q, want 302 to %q", w.Code, w.Header().Get("Location"), c.location)
			}
		})
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	cases := []struct {
		method string
		want   int
	}{
		{http.MethodHead, http.StatusOK},
		{http.MethodPost, http.StatusMethodNotAllowed},
		{http.MethodPut, http.StatusMethodNotAllowed},
		{http.MethodDelete, http.StatusMethodNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.method, func(t *testing.T) {
			w := serve(c.method, "/ui/")
			if w.Code != c.want {
				t.Errorf("status %d, want %d", w.Code, c.want)
			}
			if c.want == http.StatusMethodNotAllowed && w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q", w.Header().Get("Allow"))
			}
		})
	}
}

func TestAnUnknownAssetIsNotFound(t *testing.T) {
	for _, path := range []string{"/ui/nothing.js", "/ui/../go.mod", "/ui/assets/main.js"} {
		t.Run(path, func(t *testing.T) {
			if w := serve(http.MethodGet, path); w.Code != http.StatusNotFound {
				t.Errorf("status %d, want 404", w.Code)
			}
		})
	}
}

func TestServes(t *testing.T) {
	cases := []struct {
		path string
		want bool
	}{
		{"/", true}, {"/ui", true}, {"/ui/", true}, {"/ui/main.js", true},
		{"/uix", false}, {"/v1/event-types", false}, {"/healthz", false},
	}
	for _, c := range cases {
		if got := inspector.Serves(c.path); got != c.want {
			t.Errorf("Serves(%q) = %v, want %v", c.path, got, c.want)
		}
	}
}
