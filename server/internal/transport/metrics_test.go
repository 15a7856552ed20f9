package transport_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches /metrics and parses it.
func (h *harness) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := h.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return families
}

// sum adds the values of a family's series whose labels include every one of want.
func sum(families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	total := 0.0
	for _, m := range families[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && labels[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			total += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			total += m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return total
}

// TestMetricsMoveWithDeliveriesAndSubscribers posts deliveries that are stored, repeated and
// refused, opens a subscription that reads them all, and scrapes /metrics: every counter moved
// by what happened.
func TestMetricsMoveWithDeliveriesAndSubscribers(t *testing.T) {
	h := start(t, 1<<20)
	const stored = 40
	for i := 1; i <= stored; i++ {
		h.ingest(t, "/v1/webhooks/clickfunnels", fmt.Sprintf(`{"event_id": "m-%d", "event_type": "contact.created", "api_version": 2, "data": {"id": %d}}`, i, i), nil)
	}
	h.ingest(t, "/v1/webhooks/clickfunnels", `{"event_id": "m-1", "event_type": "contact.created", "api_version": 2, "data": {"id": 1}}`, nil)
	if code, _ := h.post(t, "/v1/webhooks/clickfunnels", []byte(`{"event_id": "m-x", "event_type": `), nil); code != http.StatusBadRequest {
		t.Fatalf("a truncated body answered %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}})
	if err != nil {
		t.Fatal(err)
	}
	for seen := 0; seen < stored; {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if msg.GetEvent() != nil {
			seen++
		}
	}
	got := h.scrape(t)
	for _, check := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"hooknorm_deliveries_total", map[string]string{"source": "SOURCE_CLICKFUNNELS", "case": "clickfunnels.contact_created", "outcome": "stored"}, stored},
		{"hooknorm_deliveries_total", map[string]string{"outcome": "duplicate"}, 1},
		{"hooknorm_deliveries_total", map[string]string{"outcome": "rejected", "reason": "ERROR_REASON_MALFORMED_JSON", "case": ""}, 1},
		{"hooknorm_conversion_seconds", nil, stored + 1},
		{"hooknorm_log_append_seconds", nil, stored + 1},
		{"hooknorm_subscribers", nil, 1},
		{"hooknorm_log_events", nil, stored},
		{"hooknorm_log_last_sequence", nil, stored},
		{"hooknorm_subscriber_lag_events", nil, 1}, // sequence 32 was sent
		{"grpc_server_handled_total", map[string]string{"grpc_method": "Ingest", "grpc_code": "OK"}, stored + 1},
		{"grpc_server_handled_total", map[string]string{"grpc_method": "Ingest", "grpc_code": "InvalidArgument"}, 1},
	} {
		if v := sum(got, check.name, check.labels); v != check.want {
			t.Errorf("%s%v = %v, want %v", check.name, check.labels, v, check.want)
		}
	}
	if sum(got, "hooknorm_log_bytes", nil) <= 0 || got["go_goroutines"] == nil || got["process_resident_memory_bytes"] == nil {
		t.Error("the log size, Go runtime or process metrics are missing")
	}
	cancel()
	deadline := time.Now().Add(10 * time.Second)
	for sum(h.scrape(t), "hooknorm_subscribers", nil) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("hooknorm_subscribers did not return to 0 after the stream ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
