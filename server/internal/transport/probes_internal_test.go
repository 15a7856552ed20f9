package transport

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestReadinessDropsWhenShutdownBegins marks the probes as stopping, as Shutdown does before it
// closes the listeners: /readyz answers 503 at once, and a later good check does not turn the
// gRPC health service back to SERVING.
func TestReadinessDropsWhenShutdownBegins(t *testing.T) {
	p := &probes{health: health.NewServer()}
	p.setServing(true)
	srv := httptest.NewServer(p.routes(http.NotFoundHandler()))
	defer srv.Close()
	get := func() (int, string) {
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get(); code != http.StatusOK {
		t.Fatalf("before shutdown: %d %s", code, body)
	}
	p.stopping.Store(true)
	p.health.Shutdown()
	if code, body := get(); code != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
		t.Errorf("during shutdown: %d %s", code, body)
	}
	resp, err := p.health.Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("gRPC health during shutdown: %v, %v", resp, err)
	}
}
