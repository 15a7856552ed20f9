package transport

import (
	"context"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// tracerName is the instrumentation scope of the spans this package starts itself.
const tracerName = "github.com/hooknorm/hooknorm/server/internal/transport"

// The HTTP paths that get no span: probes and scrapes, which would drown the traces that matter.
var untracedPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// grpcServerTracing makes a server span of every gRPC call but health checks, continuing the
// trace context the call carries. tp nil means the global tracer provider.
func grpcServerTracing(tp trace.TracerProvider) grpc.ServerOption {
	return grpc.StatsHandler(otelgrpc.NewServerHandler(
		otelgrpc.WithTracerProvider(tp),
		otelgrpc.WithFilter(filters.Not(filters.HealthCheck())),
	))
}

// grpcClientTracing makes a client span of every call the gateway makes over its gRPC connection
// (Subscribe), and sends the trace context along, so the request's trace reads HTTP server span,
// gRPC client span, gRPC server span.
func grpcClientTracing(tp trace.TracerProvider) grpc.DialOption {
	return grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(tp)))
}

// traceInProcess makes a span of every unary call the gateway makes in process, around the
// interceptors, named by the method as a gRPC server span is: the HTTP server span's child, and
// the parent of whatever the service does. tp nil means the global tracer provider.
func traceInProcess(tp trace.TracerProvider, next grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	tracer := tp.Tracer(tracerName)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		method := strings.TrimPrefix(info.FullMethod, "/")
		ctx, span := tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(attribute.String("rpc.method", method)))
		defer span.End()
		resp, err := next(ctx, req, info, handler)
		code := status.Code(err)
		span.SetAttributes(attribute.String("rpc.response.status_code", code.String()))
		if serverFault(code) { // a refused delivery is the caller's fault, not a failed span
			span.SetStatus(otelcodes.Error, status.Convert(err).Message())
		}
		return resp, err
	}
}

// serverFault reports whether a call that ended with code failed on hooknormd's side, as the
// OpenTelemetry conventions for gRPC servers count failures.
func serverFault(code codes.Code) bool {
	switch code {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented, codes.Internal, codes.Unavailable, codes.DataLoss:
		return true
	}
	return false
}

// traceHTTP makes a server span of every HTTP request but probes and scrapes, continuing the
// trace context of its traceparent header. The span is named by the method until the gateway
// matches a route, which names it by the route (see nameSpanByRoute). tp nil means the global
// tracer provider. A no-op provider records no span, so then the request's trace context is
// only carried into its context (see carryTraceContext), which costs a fraction of a span.
func traceHTTP(tp trace.TracerProvider, next http.Handler) http.Handler {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if _, recordsNothing := tp.(noop.TracerProvider); recordsNothing {
		return carryTraceContext(next)
	}
	return otelhttp.NewHandler(next, "hooknormd",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithFilter(func(r *http.Request) bool { return !untracedPaths[r.URL.Path] }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if r.URL.Path == "/openapi.json" {
				return r.Method + " /openapi.json"
			}
			return r.Method
		}),
	)
}

// carryTraceContext puts the trace context of a request's headers (traceparent, tracestate and
// baggage, as the global propagator reads them) into the request's context, where the in-process
// call and the stored event find it, as the server span otelhttp would start carries it.
func carryTraceContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		if ctx != r.Context() {
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// nameSpanByRoute names the HTTP server span by the gateway route matched, such as
// "POST /v1/webhooks/{source}", and records the route as http.route: a name with the path
// itself would make every tenant or trigger type a span name of its own.
func nameSpanByRoute(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		if pattern, ok := runtime.HTTPPattern(r.Context()); ok {
			route := strings.ReplaceAll(pattern.String(), "=*}", "}")
			span := trace.SpanFromContext(r.Context())
			span.SetName(r.Method + " " + route)
			span.SetAttributes(attribute.String("http.route", route))
		}
		next(w, r, params)
	}
}
