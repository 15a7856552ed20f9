package client_test

import (
	"context"
	"testing"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"go.opentelemetry.io/otel/trace"
)

func TestTraceContext(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		event                  *hooknormv1.Event
		traceID, spanID, state string
		remote                 bool
	}{
		{"stored", &hooknormv1.Event{Traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Tracestate: "vendor=opaque"},
			"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "vendor=opaque", true},
		{"none stored", &hooknormv1.Event{}, "00000000000000000000000000000000", "0000000000000000", "", false},
		{"malformed", &hooknormv1.Event{Traceparent: "00-xyz-01"}, "00000000000000000000000000000000", "0000000000000000", "", false},
		{"nil event", nil, "00000000000000000000000000000000", "0000000000000000", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := trace.SpanContextFromContext(client.TraceContext(context.Background(), tc.event))
			if sc.TraceID().String() != tc.traceID || sc.SpanID().String() != tc.spanID || sc.TraceState().String() != tc.state || sc.IsRemote() != tc.remote {
				t.Errorf("span context %s/%s state %q remote %v, want %s/%s state %q remote %v",
					sc.TraceID(), sc.SpanID(), sc.TraceState(), sc.IsRemote(), tc.traceID, tc.spanID, tc.state, tc.remote)
			}
		})
	}
}
