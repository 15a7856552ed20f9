package transport_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/grpc/metadata"
)

const (
	incomingTraceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	incomingTraceparent = "00-" + incomingTraceID + "-00f067aa0ba902b7-01"
	incomingTracestate  = "vendor=opaque"
)

// useTracing installs, for one test, a tracer provider that records spans in memory and the W3C
// propagator, as telemetry.Setup installs them globally.
func useTracing(t *testing.T, withSpans bool) *tracetest.SpanRecorder {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	})
	if !withSpans {
		otel.SetTracerProvider(noop.NewTracerProvider())
		return nil
	}
	recorder := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	t.Cleanup(func() { provider.Shutdown(context.Background()) })
	otel.SetTracerProvider(provider)
	return recorder
}

// TestAnHTTPDeliveryIsOneTraceToTheStoredEvent posts a delivery with a traceparent and requires
// one trace: the HTTP server span under the caller's span, the in-process Ingest span under it,
// and the stored event carrying the Ingest span's context. A delivery over gRPC gets a gRPC server
// span under its caller's span. Probes and scrapes get no span.
func TestAnHTTPDeliveryIsOneTraceToTheStoredEvent(t *testing.T) {
	recorder := useTracing(t, true)
	h := start(t, 1<<20)
	h.ingest(t, "/v1/webhooks/webflow", wfV2Form, map[string]string{"traceparent": incomingTraceparent, "tracestate": incomingTracestate})
	const grpcTraceID = "0af7651916cd43dd8448eb211c80319c"
	ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", "00-"+grpcTraceID+"-b7ad6b7169203331-01")
	if _, err := h.client.Ingest(ctx, &hooknormv1.IngestRequest{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(cfContact)}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(h.httpURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	var httpSpan, ingestSpan, grpcSpan sdktrace.ReadOnlySpan
	deadline := time.Now().Add(5 * time.Second)
	for httpSpan == nil || ingestSpan == nil || grpcSpan == nil {
		if time.Now().After(deadline) {
			t.Fatalf("missing spans after 5s: HTTP %v, in-process Ingest %v, gRPC Ingest %v; ended: %v", httpSpan != nil, ingestSpan != nil, grpcSpan != nil, names(recorder.Ended()))
		}
		time.Sleep(10 * time.Millisecond)
		for _, s := range recorder.Ended() {
			switch {
			case s.Name() == "POST /v1/webhooks/{source}" && s.SpanKind() == trace.SpanKindServer:
				httpSpan = s
			case s.Name() == "hooknorm.v1.WebhookService/Ingest" && s.SpanKind() == trace.SpanKindInternal:
				ingestSpan = s
			case s.Name() == "hooknorm.v1.WebhookService/Ingest" && s.SpanKind() == trace.SpanKindServer:
				grpcSpan = s
			}
		}
	}
	for _, link := range []struct {
		name                  string
		child                 sdktrace.ReadOnlySpan
		traceID, parentSpanID string
	}{
		{"HTTP server span", httpSpan, incomingTraceID, "00f067aa0ba902b7"},
		{"in-process Ingest span", ingestSpan, incomingTraceID, httpSpan.SpanContext().SpanID().String()},
		{"gRPC server span", grpcSpan, grpcTraceID, "b7ad6b7169203331"},
	} {
		if got := link.child.SpanContext().TraceID().String(); got != link.traceID {
			t.Errorf("%s is in trace %s, want %s", link.name, got, link.traceID)
		}
		if got := link.child.Parent().SpanID().String(); got != link.parentSpanID {
			t.Errorf("%s has parent %s, want %s", link.name, got, link.parentSpanID)
		}
	}
	if route := attributeOf(httpSpan, "http.route"); route != "/v1/webhooks/{source}" {
		t.Errorf("http.route = %q", route)
	}
	for _, s := range recorder.Ended() {
		if s.Name() == "GET" || s.SpanKind() == trace.SpanKindServer && s.Name() == "grpc.health.v1.Health/Check" {
			t.Errorf("a probe or scrape got a span: %s %v", s.Name(), s.Attributes())
		}
	}

	events := h.subscribe(t, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}}, 2)
	for i, want := range []struct{ traceparent, tracestate string }{
		{"00-" + incomingTraceID + "-" + ingestSpan.SpanContext().SpanID().String() + "-01", incomingTracestate},
		{"00-" + grpcTraceID + "-" + grpcSpan.SpanContext().SpanID().String() + "-01", ""},
	} {
		if got := events[i].GetTraceparent(); got != want.traceparent {
			t.Errorf("event %d: stored traceparent %q, want the Ingest span's %q", i+1, got, want.traceparent)
		}
		if got := events[i].GetTracestate(); got != want.tracestate {
			t.Errorf("event %d: stored tracestate %q, want %q", i+1, got, want.tracestate)
		}
	}
}

// TestTraceContextIsStoredWithoutTracing requires the caller's trace context to reach the stored
// event when no spans are made, over HTTP and over gRPC, and no trace context without one.
func TestTraceContextIsStoredWithoutTracing(t *testing.T) {
	useTracing(t, false)
	h := start(t, 1<<20)
	h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, map[string]string{"traceparent": incomingTraceparent})
	ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", incomingTraceparent, "tracestate", incomingTracestate)
	if _, err := h.client.Ingest(ctx, &hooknormv1.IngestRequest{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(cfContact)}); err != nil {
		t.Fatal(err)
	}
	h.ingest(t, "/v1/webhooks/webflow", wfV2Form, nil)

	events := h.subscribe(t, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}}, 3)
	for i, want := range []struct{ traceparent, tracestate string }{
		{incomingTraceparent, ""},
		{incomingTraceparent, incomingTracestate},
		{"", ""},
	} {
		if got := events[i].GetTraceparent(); got != want.traceparent {
			t.Errorf("event %d: traceparent %q, want %q", i+1, got, want.traceparent)
		}
		if got := events[i].GetTracestate(); got != want.tracestate {
			t.Errorf("event %d: tracestate %q, want %q", i+1, got, want.tracestate)
		}
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.SpanKind().String()+" "+s.Name())
	}
	return out
}

func attributeOf(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}
