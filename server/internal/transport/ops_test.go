package transport_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/transport"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// getURL fetches url and returns the status and body.
func getURL(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestMetricsOnAListenerOfTheirOwn starts a server with a metrics address: it serves /metrics,
// /healthz and /readyz and nothing of the API, and /metrics leaves the HTTP listener, which still
// answers the probes.
func TestMetricsOnAListenerOfTheirOwn(t *testing.T) {
	h := startLogging(t, slog.New(slog.DiscardHandler), 1<<20, service.Options{},
		func(cfg *transport.Config) { cfg.MetricsAddr = "127.0.0.1:0" })
	ops := "http://" + h.server.MetricsAddr()
	if ops == "http://" {
		t.Fatal("no metrics address")
	}
	h.ingest(t, "/v1/webhooks/clickfunnels", cfContact, nil)
	if code, body := getURL(t, ops+"/metrics"); code != http.StatusOK || !strings.Contains(body, `hooknorm_deliveries_total{case="clickfunnels.contact_created",outcome="stored"`) {
		t.Errorf("metrics listener /metrics: %d\n%.300s", code, body)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := getURL(t, ops+path); code != http.StatusOK {
			t.Errorf("metrics listener %s: %d %s", path, code, body)
		}
		if code, body := h.get(t, path); code != http.StatusOK {
			t.Errorf("HTTP listener %s: %d %s", path, code, body)
		}
	}
	if code, _ := getURL(t, ops+"/v1/events:subscribe?earliest=true"); code != http.StatusNotFound {
		t.Errorf("the metrics listener serves the API: %d", code)
	}
	if code, _ := getURL(t, ops+"/openapi.json"); code != http.StatusNotFound {
		t.Errorf("the metrics listener serves the API document: %d", code)
	}
	if code, body := h.get(t, "/metrics"); code != http.StatusNotFound || strings.Contains(body, "hooknorm_") {
		t.Errorf("the HTTP listener still serves /metrics: %d", code)
	}
}

// TestDrainedServerIsUnreadyButServes drains a server as hooknormd does during --shutdown-delay:
// /readyz answers 503 on both listeners and gRPC health says NOT_SERVING, while deliveries and
// API calls are still served.
func TestDrainedServerIsUnreadyButServes(t *testing.T) {
	h := startLogging(t, slog.New(slog.DiscardHandler), 1<<20, service.Options{},
		func(cfg *transport.Config) { cfg.MetricsAddr = "127.0.0.1:0" })
	h.server.Drain()
	if code, body := h.get(t, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
		t.Errorf("HTTP /readyz while draining: %d %s", code, body)
	}
	if code, _ := getURL(t, "http://"+h.server.MetricsAddr()+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("metrics listener /readyz while draining: %d", code)
	}
	health, err := healthpb.NewHealthClient(h.conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || health.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("gRPC health while draining: %v, %v", health, err)
	}
	h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, nil)
	if code, _ := h.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz while draining: %d", code)
	}
	events := h.subscribe(t, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}}, 1)
	if len(events) != 1 {
		t.Errorf("a subscription while draining got %d events", len(events))
	}
}
