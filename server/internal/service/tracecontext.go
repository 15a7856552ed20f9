package service

import (
	"context"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"go.opentelemetry.io/otel/propagation"
)

// stampTraceContext records on event the W3C trace context of the call in ctx, the Ingest call's
// own span when hooknormd traces and otherwise the caller's, so a subscriber can continue the
// trace. A call without trace context leaves the fields empty. It is W3C Trace Context whatever
// propagator is installed, because that is what the fields hold.
func stampTraceContext(ctx context.Context, event *hooknormv1.Event) {
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	event.Traceparent = carrier.Get("traceparent")
	event.Tracestate = carrier.Get("tracestate")
}
