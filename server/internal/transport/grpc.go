package transport

import (
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

// newGRPCServer builds the gRPC server with hooknorm's interceptors, from outermost: call metrics,
// logging (one line per call, with its final code; on the internal server, the gateway's calls
// annotate their HTTP request's line instead), error mapping (refusals to statuses with
// ErrorInfo), panic recovery and authentication (bearer tokens and their scopes). It serves the
// webhook service, grpc.health.v1 and server reflection.
func newGRPCServer(logger *slog.Logger, requests *requestLogger, internal bool, svc hooknormv1.WebhookServiceServer, maxBodyBytes int64,
	auth authenticator, healthServer *health.Server, calls *grpcprom.ServerMetrics, extra ...grpc.ServerOption) *grpc.Server {
	errs := errorMapper{logger: logger}
	recoverOpts := []recovery.Option{recovery.WithRecoveryHandlerContext(errs.panicked)}
	server := grpc.NewServer(append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(
			calls.UnaryServerInterceptor(), // outermost: it counts the codes clients get
			requests.unary(internal),
			errs.unary,
			recovery.UnaryServerInterceptor(recoverOpts...),
			auth.unary,
		),
		grpc.ChainStreamInterceptor(
			calls.StreamServerInterceptor(),
			requests.stream(internal),
			errs.stream,
			recovery.StreamServerInterceptor(recoverOpts...),
			auth.stream,
		),
		grpc.MaxRecvMsgSize(int(maxBodyBytes) + grpcMessageOverhead),
		grpc.ForceServerCodecV2(newFrameCodec()),
	}, extra...)...)
	hooknormv1.RegisterWebhookServiceServer(server, svc)
	healthpb.RegisterHealthServer(server, healthServer)
	reflection.Register(server)
	calls.InitializeMetrics(server)
	return server
}
