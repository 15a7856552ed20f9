package telemetry_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/telemetry"
	"github.com/hooknorm/hooknorm/server/internal/telemetry/collectortest"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// otelVariables are cleared before each test, so the environment the tests run in cannot decide
// their outcome.
var otelVariables = []string{
	"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
	"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
	"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED",
	"OTEL_TRACES_SAMPLER", "OTEL_PROPAGATORS",
}

func clearEnv(t *testing.T) {
	for _, name := range otelVariables {
		t.Setenv(name, "")
	}
}

// TestExportsToACollector sends a span with each OTLP protocol to an in-process collector and
// checks the span and its resource arrive.
func TestExportsToACollector(t *testing.T) {
	for _, tc := range []struct {
		protocol string
		endpoint func(*collectortest.Collector) string
	}{
		{"", (*collectortest.Collector).HTTPEndpoint}, // http/protobuf, the default
		{telemetry.ProtocolHTTPProtobuf, (*collectortest.Collector).HTTPEndpoint},
		{telemetry.ProtocolHTTPJSON, (*collectortest.Collector).HTTPEndpoint},
		{telemetry.ProtocolGRPC, (*collectortest.Collector).GRPCEndpoint},
	} {
		t.Run("protocol="+tc.protocol, func(t *testing.T) {
			clearEnv(t)
			collector := collectortest.Start(t)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", tc.endpoint(collector))
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", tc.protocol)
			t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20s3cret")
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
			var logs bytes.Buffer
			tracing, err := telemetry.Setup(context.Background(), "v1.2.3-test", slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			if !tracing.Exporting {
				t.Fatal("Exporting is false with an endpoint set")
			}
			_, span := tracing.Provider.Tracer("test").Start(context.Background(), "probe")
			traceID := span.SpanContext().TraceID().String()
			span.End()
			if err := tracing.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			spans, err := collector.WaitFor(5*time.Second, func(s []collectortest.Span) bool { return len(collectortest.InTrace(s, traceID)) > 0 })
			if err != nil {
				t.Fatalf("%v: %+v", err, spans)
			}
			got := collectortest.InTrace(spans, traceID)[0]
			want := tc.protocol
			if want == "" {
				want = telemetry.ProtocolHTTPProtobuf
			}
			if got.Name != "probe" || got.Protocol != want {
				t.Errorf("received span %q over %s, want probe over %s", got.Name, got.Protocol, want)
			}
			for key, value := range map[string]string{
				"service.name": "hooknormd", "service.version": "v1.2.3-test", "deployment.environment.name": "test",
			} {
				if got.Resource[key] != value {
					t.Errorf("resource %s = %q, want %q (resource %v)", key, got.Resource[key], value, got.Resource)
				}
			}
			if !strings.Contains(logs.String(), tc.endpoint(collector)) {
				t.Errorf("the startup log does not say where spans go: %s", logs.String())
			}
			if strings.Contains(logs.String(), "s3cret") {
				t.Errorf("the log shows a header value: %s", logs.String())
			}
		})
	}
}

// TestServiceNameFromTheEnvironment requires OTEL_SERVICE_NAME to win over hooknormd's default.
func TestServiceNameFromTheEnvironment(t *testing.T) {
	clearEnv(t)
	collector := collectortest.Start(t)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", collector.HTTPEndpoint()+"/v1/traces")
	t.Setenv("OTEL_SERVICE_NAME", "webhooks-eu")
	tracing, err := telemetry.Setup(context.Background(), "v0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_, span := tracing.Provider.Tracer("test").Start(context.Background(), "probe")
	span.End()
	if err := tracing.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans, err := collector.WaitFor(5*time.Second, func(s []collectortest.Span) bool { return len(s) > 0 })
	if err != nil {
		t.Fatal(err)
	}
	if got := spans[0].Resource["service.name"]; got != "webhooks-eu" {
		t.Errorf("service.name = %q, want webhooks-eu", got)
	}
}

// TestWithoutAnEndpointNothingIsExportedButContextFlows requires the no-op provider without an
// endpoint, and the W3C propagator installed all the same: an incoming traceparent comes out
// unchanged.
func TestWithoutAnEndpointNothingIsExportedButContextFlows(t *testing.T) {
	for _, tc := range []struct{ name, variable, value string }{
		{"no endpoint", "", ""},
		{"exporter none", "OTEL_TRACES_EXPORTER", "none"},
		{"SDK disabled", "OTEL_SDK_DISABLED", "true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			if tc.variable != "" {
				t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collectortest.Start(t).HTTPEndpoint())
				t.Setenv(tc.variable, tc.value)
			}
			var logs bytes.Buffer
			tracing, err := telemetry.Setup(context.Background(), "v0", slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer tracing.Shutdown(context.Background())
			if tracing.Exporting {
				t.Error("Exporting is true")
			}
			if !strings.Contains(logs.String(), "not exported") || !strings.Contains(logs.String(), tc.variable) {
				t.Errorf("the startup log does not say why spans are not exported: %s", logs.String())
			}
			const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
			ctx := otel.GetTextMapPropagator().Extract(context.Background(), propagation.MapCarrier{"traceparent": traceparent})
			ctx, span := tracing.Provider.Tracer("test").Start(ctx, "probe")
			defer span.End()
			if span.IsRecording() {
				t.Error("the span records though nothing is exported")
			}
			out := propagation.MapCarrier{}
			otel.GetTextMapPropagator().Inject(ctx, out)
			if out["traceparent"] != traceparent {
				t.Errorf("traceparent out = %q, want %q", out["traceparent"], traceparent)
			}
			if !trace.SpanContextFromContext(ctx).IsValid() {
				t.Error("the span context was lost")
			}
		})
	}
}

// TestPropagatorsFromTheEnvironment requires the trace context hooknormd reads and sends to be
// the one OTEL_PROPAGATORS names: W3C Trace Context when unset, B3 alone when it says b3, and
// none at all when it says none.
func TestPropagatorsFromTheEnvironment(t *testing.T) {
	const (
		traceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
		traceparent = "00-" + traceID + "-00f067aa0ba902b7-01"
		b3          = traceID + "-00f067aa0ba902b7-1"
	)
	incoming := propagation.MapCarrier{"traceparent": traceparent, "b3": b3}
	for _, tc := range []struct {
		name, value string
		wantTrace   bool   // whether the incoming context is read
		wantHeader  string // the header the context is sent in
	}{
		{"unset", "", true, "traceparent"},
		{"W3C and baggage", " tracecontext , baggage ", true, "traceparent"},
		{"B3 alone", "b3", true, "b3"},
		{"none", "none", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv("OTEL_PROPAGATORS", tc.value)
			tracing, err := telemetry.Setup(context.Background(), "v0", slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer tracing.Shutdown(context.Background())
			propagator := otel.GetTextMapPropagator()
			sc := trace.SpanContextFromContext(propagator.Extract(context.Background(), incoming))
			if got := sc.TraceID().String() == traceID; got != tc.wantTrace {
				t.Fatalf("incoming trace read: %v, want %v (span context %v)", got, tc.wantTrace, sc)
			}
			out := propagation.MapCarrier{}
			propagator.Inject(trace.ContextWithRemoteSpanContext(context.Background(), sc), out)
			if tc.wantHeader != "" && !strings.Contains(out[tc.wantHeader], traceID) {
				t.Errorf("sent %v, want the trace in %s", out, tc.wantHeader)
			}
			for _, header := range []string{"traceparent", "b3"} {
				if header != tc.wantHeader && out[header] != "" {
					t.Errorf("sent %s: %q, which OTEL_PROPAGATORS=%q does not name", header, out[header], tc.value)
				}
			}
		})
	}
}

// TestInvalidSettingsNameTheirVariable requires each invalid setting to be refused with its
// variable's name, and a header's value never to be repeated.
func TestInvalidSettingsNameTheirVariable(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"endpoint without scheme", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{"traces endpoint not a URL", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://bad host:4318"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{"endpoint without host", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http:///v1"}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{"unknown protocol", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "thrift"}, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{"unknown traces protocol", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http"}, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"},
		{"header without =", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS": "a=1,s3cret"}, "OTEL_EXPORTER_OTLP_HEADERS is invalid: pair 2"},
		{"header badly escaped", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "authorization=s3cret%zz"}, "OTEL_EXPORTER_OTLP_TRACES_HEADERS is invalid: pair 1"},
		{"unknown exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER"},
		{"SDK disabled not a boolean", map[string]string{"OTEL_SDK_DISABLED": "yes"}, "OTEL_SDK_DISABLED"},
		{"unknown propagator", map[string]string{"OTEL_PROPAGATORS": "tracecontext,zipkin"}, "OTEL_PROPAGATORS"},
		{"resource attributes", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_RESOURCE_ATTRIBUTES": "region"}, "OTEL_RESOURCE_ATTRIBUTES"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			for name, value := range tc.env {
				t.Setenv(name, value)
			}
			tracing, err := telemetry.Setup(context.Background(), "v0", slog.New(slog.DiscardHandler))
			if err == nil {
				tracing.Shutdown(context.Background())
				t.Fatalf("Setup accepted %v", tc.env)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows a header value", err)
			}
		})
	}
}
