package client

import (
	"context"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"go.opentelemetry.io/otel/propagation"
)

// TraceContext returns ctx carrying, as the remote parent, the W3C trace context stored on event:
// that of the Ingest call that stored it. A span started from the result continues the webhook
// request's trace. An event stored without trace context leaves ctx as it is. It reads the
// event's traceparent and tracestate as W3C Trace Context whatever global propagator is
// installed, because that is what the fields hold.
func TraceContext(ctx context.Context, event *hooknormv1.Event) context.Context {
	if event.GetTraceparent() == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{
		"traceparent": event.GetTraceparent(),
		"tracestate":  event.GetTracestate(),
	})
}
