package transport

import (
	"context"
	"log/slog"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
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

// newGRPCServer builds the gRPC server with hooknorm's interceptors, from outermost: logging (one
// line per call, with its final code), error mapping (refusals to statuses with ErrorInfo), panic
// recovery and authentication (bearer tokens and their scopes). It serves the webhook service, grpc.health.v1 and server reflection.
func newGRPCServer(logger *slog.Logger, svc hooknormv1.WebhookServiceServer, maxBodyBytes int64, auth authenticator,
	healthServer *health.Server, calls *grpcprom.ServerMetrics, extra ...grpc.ServerOption) *grpc.Server {
	errs := errorMapper{logger: logger}
	logCalls := logging.LoggerFunc(func(ctx context.Context, level logging.Level, msg string, fields ...any) {
		logger.Log(ctx, slog.Level(level), msg, fields...)
	})
	logOpts := []logging.Option{logging.WithLogOnEvents(logging.FinishCall)}
	recoverOpts := []recovery.Option{recovery.WithRecoveryHandlerContext(errs.panicked)}
	server := grpc.NewServer(append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(
			calls.UnaryServerInterceptor(), // outermost: it counts the codes clients get
			logging.UnaryServerInterceptor(logCalls, logOpts...),
			errs.unary,
			recovery.UnaryServerInterceptor(recoverOpts...),
			auth.unary,
		),
		grpc.ChainStreamInterceptor(
			calls.StreamServerInterceptor(),
			logging.StreamServerInterceptor(logCalls, logOpts...),
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
