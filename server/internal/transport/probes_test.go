package transport_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// get fetches path and returns the status and body.
func (h *harness) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return getURL(t, h.httpURL+path)
}

// TestReadinessFollowsTheLog checks /healthz and /readyz while the log is up, then stops the log
// under the running server: /readyz answers 503 naming the cause and the gRPC health service says
// NOT_SERVING, while /healthz still answers (the process is alive) and /metrics serves all but the
// log's gauges.
func TestReadinessFollowsTheLog(t *testing.T) {
	h := start(t, 1<<20)
	health := healthpb.NewHealthClient(h.conn)
	if code, body := h.get(t, "/healthz"); code != http.StatusOK || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := h.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz with the log up: %d %s", code, body)
	}
	h.log.Close()
	code, body := h.get(t, "/readyz")
	var answer struct{ Status, Reason string }
	if err := json.Unmarshal([]byte(body), &answer); err != nil || code != http.StatusServiceUnavailable ||
		answer.Status != "unavailable" || !strings.Contains(answer.Reason, "NATS") {
		t.Errorf("/readyz with the log down: %d %s", code, body)
	}
	resp, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "hooknorm.v1.WebhookService"})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("gRPC health with the log down: %v, %v", resp, err)
	}
	if code, _ := h.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with the log down: %d", code)
	}
	if code, body := h.get(t, "/metrics"); code != http.StatusOK || !strings.Contains(body, "hooknorm_subscribers") || strings.Contains(body, "hooknorm_log_events") {
		t.Errorf("/metrics with the log down: %d, want 200 without the log gauges:\n%.500s", code, body)
	}
}

// TestOpenAPIDocumentIsServed fetches /openapi.json: an OpenAPI 2 document naming every route of
// the HTTP API.
func TestOpenAPIDocumentIsServed(t *testing.T) {
	h := start(t, 1<<20)
	code, body := h.get(t, "/openapi.json")
	if code != http.StatusOK {
		t.Fatalf("/openapi.json: %d", code)
	}
	var doc struct {
		Swagger string                    `json:"swagger"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Swagger != "2.0" {
		t.Errorf("swagger %q, want 2.0", doc.Swagger)
	}
	for _, route := range []string{"/v1/webhooks/{source}", "/v1/webhooks/{source}/{triggerType}", "/v1/events:subscribe", "/v1/normalize/{source}"} {
		if _, ok := doc.Paths[route]; !ok {
			t.Errorf("no %s among %d paths", route, len(doc.Paths))
		}
	}
}
