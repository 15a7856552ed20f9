package transport

import (
	"context"
	"fmt"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"google.golang.org/grpc"
)

// consumeRoute is the HTTP route of Consume (proto/hooknorm/v1/http.yaml).
const consumeRoute = "/v1/consumers/{name}:consume"

// consumerCalls names the calls of hooknorm.v1.ConsumerService as tokens scope them: every one
// needs the consume call, and the service itself checks that the consumer is within the token's
// sources and tenants.
var consumerCalls = map[string]string{
	hooknormv1.ConsumerService_CreateConsumer_FullMethodName:     access.CallConsume,
	hooknormv1.ConsumerService_GetConsumer_FullMethodName:        access.CallConsume,
	hooknormv1.ConsumerService_ListConsumers_FullMethodName:      access.CallConsume,
	hooknormv1.ConsumerService_DeleteConsumer_FullMethodName:     access.CallConsume,
	hooknormv1.ConsumerService_Consume_FullMethodName:            access.CallConsume,
	hooknormv1.ConsumerService_Ack_FullMethodName:                access.CallConsume,
	hooknormv1.ConsumerService_Nack_FullMethodName:               access.CallConsume,
	hooknormv1.ConsumerService_ListDeadLetters_FullMethodName:    access.CallConsume,
	hooknormv1.ConsumerService_RedriveDeadLetters_FullMethodName: access.CallConsume,
}

func init() {
	for method, call := range consumerCalls {
		callOf[method] = call
	}
}

// registerConsumerService serves svc, when set, on a gRPC server.
func registerConsumerService(server *grpc.Server, svc hooknormv1.ConsumerServiceServer) {
	if svc != nil {
		hooknormv1.RegisterConsumerServiceServer(server, svc)
	}
}

// registerConsumers adds the consumer service's routes to the gateway: every call goes through
// conn, as Subscribe does, so through the interceptors; Consume, a stream, is registered in open
// while it streams. A hooknormd that serves no consumers answers them NOT_IMPLEMENTED.
func registerConsumers(ctx context.Context, mux, streamMux *runtime.ServeMux, conn *grpc.ClientConn, open *openStreams) error {
	if err := hooknormv1.RegisterConsumerServiceHandler(ctx, mux, conn); err != nil {
		return fmt.Errorf("registering the consumer routes: %w", err)
	}
	if err := hooknormv1.RegisterConsumerServiceHandler(ctx, streamMux, conn); err != nil {
		return fmt.Errorf("registering the consumer routes: %w", err)
	}
	if err := mux.HandlePath(http.MethodGet, consumeRoute, func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Accel-Buffering", "no")
		open.serve(w, func() { streamMux.ServeHTTP(w, r) })
	}); err != nil {
		return fmt.Errorf("registering %s: %w", consumeRoute, err)
	}
	return nil
}
