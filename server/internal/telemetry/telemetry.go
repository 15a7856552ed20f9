// Package telemetry sets up hooknormd's tracing from the standard OpenTelemetry environment
// variables: spans are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, and trace context is propagated always, with the
// propagators OTEL_PROPAGATORS names (W3C Trace Context and Baggage by default).
package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// ServiceName is the service.name spans carry unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES names another.
const ServiceName = "hooknormd"

// Tracing is the tracing hooknormd runs with.
type Tracing struct {
	// Provider starts spans. When nothing is exported it is a no-op provider, which still carries
	// incoming trace context through, so it reaches the stored events and outgoing calls.
	Provider trace.TracerProvider
	// Exporting reports whether spans are exported.
	Exporting bool
	shutdown  func(context.Context) error
}

// Setup reads the standard OTEL_* variables from the process environment, where the OpenTelemetry
// SDK reads the exporter's own settings (headers, certificates, timeout, compression, batching,
// sampler), and installs globally the tracer provider it builds and the propagator
// OTEL_PROPAGATORS names (W3C TraceContext and Baggage when unset). With no OTLP endpoint set,
// nothing is exported. An invalid setting is
// refused with an error naming its variable. version is the service.version spans carry. Setup
// logs whether spans are exported, and where: the endpoint, never the headers.
func Setup(ctx context.Context, version string, logger *slog.Logger) (*Tracing, error) {
	propagator, propagators, err := readPropagator(os.Getenv)
	if err != nil {
		return nil, err
	}
	otel.SetTextMapPropagator(propagator)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing: OpenTelemetry failed; spans may be lost", "error", err)
	}))
	settings, err := readSettings(os.Getenv)
	if err != nil {
		return nil, err
	}
	if !settings.export {
		provider := noop.NewTracerProvider()
		otel.SetTracerProvider(provider)
		if settings.off != "" {
			logger.Info("tracing: spans are not exported, switched off by "+settings.off+"; trace context is still propagated and stored on events", "propagators", propagators)
		} else {
			logger.Info("tracing: spans are not exported, set OTEL_EXPORTER_OTLP_ENDPOINT to export them; trace context is still propagated and stored on events", "propagators", propagators)
		}
		return &Tracing{Provider: provider, shutdown: func(context.Context) error { return nil }}, nil
	}

	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", ServiceName), attribute.String("service.version", version)),
		resource.WithFromEnv(), // OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME, win over the above
	)
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME is invalid (want key=value pairs separated by commas): %w", err)
	}
	var exporter sdktrace.SpanExporter
	if settings.protocol == ProtocolGRPC {
		exporter, err = otlptracegrpc.New(ctx)
	} else {
		exporter, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("creating the OTLP trace exporter for %s (%s): %w", settings.endpoint, settings.protocol, err)
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	otel.SetTracerProvider(provider)
	logger.Info("tracing: spans are exported over OTLP",
		"endpoint", settings.endpoint, "variable", settings.endpointVariable, "protocol", settings.protocol, "propagators", propagators)
	return &Tracing{Provider: provider, Exporting: true, shutdown: provider.Shutdown}, nil
}

// Shutdown exports the spans still buffered and stops exporting; call it once, on exit, after
// the servers have stopped. ctx bounds how long it waits for the collector.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if err := t.shutdown(ctx); err != nil {
		return fmt.Errorf("flushing the last spans: %w", err)
	}
	return nil
}
