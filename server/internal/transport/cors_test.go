package transport_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/transport"
)

const pageOrigin = "https://app.example.com"

// TestBrowserPagesOfAllowedOriginsMayCallTheAPI serves the API to pages of one origin, behind
// tokens, as a browser calls it: the preflight is answered without a token, allowing the token
// and JSON headers; the subscription then streams to that origin with the request id readable;
// another origin is allowed nothing.
func TestBrowserPagesOfAllowedOriginsMayCallTheAPI(t *testing.T) {
	h := securedWith(t, func(c *transport.Config) { c.CORSOrigins = []string{pageOrigin} })

	preflight := func(origin string) *http.Response {
		t.Helper()
		return h.send(context.Background(), t, http.MethodOptions, "/v1/events:subscribe", "", map[string]string{
			"Origin": origin, "Access-Control-Request-Method": http.MethodGet, "Access-Control-Request-Headers": "authorization, x-request-id",
		})
	}
	resp := preflight(pageOrigin)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != pageOrigin ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Errorf("preflight from %s answered %d %v, want 204 allowing it and its token", pageOrigin, resp.StatusCode, resp.Header)
	}
	if resp := preflight("https://evil.example.com"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin was allowed: %v", resp.Header)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream := h.open(ctx, t, "/v1/events:subscribe?earliest=true", map[string]string{"Origin": pageOrigin, "Authorization": "Bearer ops-token"})
	if stream.StatusCode != http.StatusOK || stream.Header.Get("Access-Control-Allow-Origin") != pageOrigin ||
		!strings.Contains(strings.ToLower(stream.Header.Get("Access-Control-Expose-Headers")), "x-request-id") {
		t.Errorf("subscription from %s answered %d %v, want 200 readable by it, with its request id", pageOrigin, stream.StatusCode, stream.Header)
	}
	if line, err := bufio.NewReader(stream.Body).ReadString('\n'); err != nil || !strings.Contains(line, `"heartbeat"`) {
		t.Errorf("subscription from %s sent %q, %v; want the opening heartbeat", pageOrigin, line, err)
	}
}

// TestNoOriginIsAllowedByDefault calls the API as a page of another origin would on a server
// with no allowed origins: no answer carries CORS headers, so browsers keep the API to pages of
// its own origin.
func TestNoOriginIsAllowedByDefault(t *testing.T) {
	h := start(t, 1<<20)
	for _, method := range []string{http.MethodOptions, http.MethodGet} {
		resp := h.send(context.Background(), t, method, "/openapi.json", "", map[string]string{
			"Origin": pageOrigin, "Access-Control-Request-Method": http.MethodGet,
		})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("%s from %s was allowed (%q) with no allowed origins", method, pageOrigin, got)
		}
	}
}
