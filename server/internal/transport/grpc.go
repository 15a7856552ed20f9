package transport

import (
	"context"
	"log/slog"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// grpcMessageOverhead is what a request adds around its payload (source, trigger type, headers),
// allowed on top of the body limit so the gRPC and HTTP limits agree.
const grpcMessageOverhead = 64 << 10

// interceptors are hooknorm's interceptors, from outermost: on the public server, a marker that
// the call got this far (see unservedCalls); for unary calls, a count of those in flight (see
// stalled_streams.go); call metrics (the codes clients get),
// logging (one line per call, with its final code; for the gateway's calls, internal is set and
// they annotate their HTTP request's line instead), error mapping (refusals to statuses with
// ErrorInfo), panic recovery and authentication (bearer tokens and their scopes). Every call goes
// through them, whether it arrives over gRPC or from the HTTP gateway.
type interceptors struct {
	unary  []grpc.UnaryServerInterceptor
	stream []grpc.StreamServerInterceptor
}

func newInterceptors(logger *slog.Logger, requests *requestLogger, internal bool, auth authenticator, calls *grpcprom.ServerMetrics, inFlight *unaryCalls) interceptors {
	errs := errorMapper{logger: logger}
	recoverOpts := []recovery.Option{recovery.WithRecoveryHandlerContext(errs.panicked)}
	chain := interceptors{
		unary: []grpc.UnaryServerInterceptor{
			inFlight.count,
			calls.UnaryServerInterceptor(),
			requests.unary(internal),
			errs.unary,
			recovery.UnaryServerInterceptor(recoverOpts...),
			auth.unary,
		},
		stream: []grpc.StreamServerInterceptor{
			calls.StreamServerInterceptor(),
			requests.stream(internal),
			errs.stream,
			recovery.StreamServerInterceptor(recoverOpts...),
			auth.stream,
		},
	}
	if !internal { // the public server also logs the calls gRPC refuses itself (unservedCalls)
		chain.unary = append([]grpc.UnaryServerInterceptor{markServedUnary}, chain.unary...)
		chain.stream = append([]grpc.StreamServerInterceptor{markServedStream}, chain.stream...)
	}
	return chain
}

// chainedUnary is the unary interceptors as one, the first outermost, as grpc.ChainUnaryInterceptor
// runs them: for calls made in process, without a gRPC server.
func (i interceptors) chainedUnary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		next := handler
		for k := len(i.unary) - 1; k >= 0; k-- {
			interceptor, inner := i.unary[k], next
			next = func(ctx context.Context, req any) (any, error) { return interceptor(ctx, req, info, inner) }
		}
		return next(ctx, req)
	}
}

// newGRPCServer builds a gRPC server with hooknorm's interceptors. It serves the webhook service,
// grpc.health.v1 and server reflection.
func newGRPCServer(svc hooknormv1.WebhookServiceServer, maxBodyBytes int64, chain interceptors,
	healthServer *health.Server, calls *grpcprom.ServerMetrics, extra ...grpc.ServerOption) *grpc.Server {
	server := grpc.NewServer(append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(chain.unary...),
		grpc.ChainStreamInterceptor(chain.stream...),
		grpc.MaxRecvMsgSize(int(maxBodyBytes) + grpcMessageOverhead),
		grpc.ForceServerCodecV2(newFrameCodec()),
	}, extra...)...)
	hooknormv1.RegisterWebhookServiceServer(server, svc)
	healthpb.RegisterHealthServer(server, healthServer)
	reflection.Register(server)
	calls.InitializeMetrics(server)
	return server
}
