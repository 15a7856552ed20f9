package transport

import (
	"context"
	"fmt"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc"
)

// inProcess serves the gateway's unary calls (Normalize, ListEventTypes, and Ingest from the provider routes) by
// calling the service directly, through the same interceptors as a gRPC call. The request is not
// encoded, sent over a connection and decoded again: the body the HTTP handler read becomes the
// payload as it is. Subscribe, a stream, still goes through the in-memory gRPC connection.
type inProcess struct {
	hooknormv1.UnimplementedWebhookServiceServer
	svc       hooknormv1.WebhookServiceServer
	intercept grpc.UnaryServerInterceptor
}

// Normalize calls the service's Normalize through the interceptors.
func (p inProcess) Normalize(ctx context.Context, req *hooknormv1.NormalizeRequest) (*hooknormv1.NormalizeResponse, error) {
	return callInProcess(ctx, p, hooknormv1.WebhookService_Normalize_FullMethodName, req, p.svc.Normalize)
}

// Ingest calls the service's Ingest through the interceptors.
func (p inProcess) Ingest(ctx context.Context, req *hooknormv1.IngestRequest) (*hooknormv1.IngestResponse, error) {
	return callInProcess(ctx, p, hooknormv1.WebhookService_Ingest_FullMethodName, req, p.svc.Ingest)
}

// ListEventTypes calls the service's ListEventTypes through the interceptors.
func (p inProcess) ListEventTypes(ctx context.Context, req *hooknormv1.ListEventTypesRequest) (*hooknormv1.ListEventTypesResponse, error) {
	return callInProcess(ctx, p, hooknormv1.WebhookService_ListEventTypes_FullMethodName, req, p.svc.ListEventTypes)
}

// callInProcess runs one unary call of method through the interceptors, as a gRPC server would.
func callInProcess[Req, Resp any](ctx context.Context, p inProcess, method string, req *Req,
	handler func(context.Context, *Req) (*Resp, error)) (*Resp, error) {
	info := &grpc.UnaryServerInfo{Server: p.svc, FullMethod: method}
	resp, err := p.intercept(ctx, req, info, func(ctx context.Context, req any) (any, error) {
		return handler(ctx, req.(*Req))
	})
	if err != nil {
		return nil, err
	}
	typed, ok := resp.(*Resp)
	if !ok || typed == nil {
		return nil, fmt.Errorf("%s returned no response", method)
	}
	return typed, nil
}
