package transport

import (
	"context"
	"log/slog"
	"sync/atomic"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/metrics"
	"github.com/hooknorm/hooknorm/server/internal/requestlog"
	codepb "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// unservedCalls logs and counts the gRPC calls that gRPC itself ends before any interceptor
// runs: a request message larger than the limit, one that cannot be decoded or decompressed, or
// a call the client gave up on before sending its request. The interceptors log and count every
// other call; without this, those refusals would leave no trace on hooknormd's side. It is a
// gRPC stats handler, the one hook such calls still reach.
type unservedCalls struct {
	requests *requestLogger
	metrics  *metrics.Metrics // nil counts nothing
}

// callProgressKey keys a call's *callProgress in its context.
type callProgressKey struct{}

// callProgress is what unservedCalls knows of one call.
type callProgress struct {
	method    string
	requestID string      // the caller's x-request-id, if it sent one
	served    atomic.Bool // set once the call reached the interceptors
}

// markServed is the outermost interceptor of the public gRPC server: it tells unservedCalls the
// call reached the interceptors, which log and count it.
func markServed(ctx context.Context) {
	if progress, ok := ctx.Value(callProgressKey{}).(*callProgress); ok {
		progress.served.Store(true)
	}
}

func markServedUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	markServed(ctx)
	return handler(ctx, req)
}

func markServedStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	markServed(ss.Context())
	return handler(srv, ss)
}

// TagRPC starts following a call.
func (u unservedCalls) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, callProgressKey{}, &callProgress{method: info.FullMethodName})
}

// HandleRPC notes the caller's request id and, when a call ends in error without having reached
// the interceptors, writes its log line and counts a refused delivery. Every message of every
// call passes here too, so the event's type is checked before the context is searched.
func (u unservedCalls) HandleRPC(ctx context.Context, s stats.RPCStats) {
	switch s := s.(type) {
	case *stats.InHeader:
		if progress, ok := ctx.Value(callProgressKey{}).(*callProgress); ok {
			if ids := s.Header.Get(requestIDHeader); len(ids) > 0 {
				progress.requestID = ids[0]
			}
		}
	case *stats.End:
		if s.Error == nil {
			return
		}
		progress, ok := ctx.Value(callProgressKey{}).(*callProgress)
		if !ok || progress.served.Load() {
			return
		}
		code := status.Code(s.Error)
		record := requestlog.New(requestlog.SaneID(progress.requestID))
		record.SetMethod(progress.method)
		reasonName := ""
		if reason, refused := refusedByGRPC(code); refused {
			reasonName = ReasonName(reason)
			if progress.method == hooknormv1.WebhookService_Ingest_FullMethodName {
				u.metrics.Delivery(hooknormv1.Source_SOURCE_UNSPECIFIED, nil, metrics.Rejected, reason)
			}
		}
		record.SetStatus(codepb.Code(code).String(), reasonName)
		// hooknorm's code never ran: whatever the code, the call was the caller's to fix or drop.
		u.requests.writeLine(ctx, record, slog.LevelInfo, false, s.BeginTime)
	}
}

// refusedByGRPC is the reason of a call gRPC ended with code before the service saw it: too
// large for a message over the limit, an invalid request for one it could not decode (gRPC
// answers that INTERNAL) or decompress. A call the client cancelled or let time out was refused
// nothing.
func refusedByGRPC(code codes.Code) (hooknormv1.ErrorReason, bool) {
	switch code {
	case codes.Canceled, codes.DeadlineExceeded:
		return hooknormv1.ErrorReason_ERROR_REASON_UNSPECIFIED, false
	case codes.ResourceExhausted:
		return hooknormv1.ErrorReason_ERROR_REASON_PAYLOAD_TOO_LARGE, true
	}
	return hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST, true
}

// TagConn leaves the connection's context as it is.
func (unservedCalls) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

// HandleConn ignores connection events.
func (unservedCalls) HandleConn(context.Context, stats.ConnStats) {}
