// Package service implements hooknorm.v1.WebhookService as thin gRPC handlers: each turns its
// request into a call on a domain package and returns what it gets. Errors stay domain errors
// (rejection.Error); the transport maps them to gRPC statuses in one place.
package service

import (
	"context"
	"strings"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/grpc/metadata"
)

// providerHeaderPrefixes are the header name prefixes of the providers' delivery headers, which
// the HTTP gateway forwards as gRPC metadata.
var providerHeaderPrefixes = []string{"x-webflow-", "x-webhook-clickfunnels-"}

// Webhooks serves hooknorm.v1.WebhookService.
type Webhooks struct {
	hooknormv1.UnimplementedWebhookServiceServer
	normalizer *normalize.Normalizer
	now        func() time.Time
}

var _ hooknormv1.WebhookServiceServer = (*Webhooks)(nil)

// NewWebhooks returns the service, converting deliveries with normalizer.
func NewWebhooks(normalizer *normalize.Normalizer) *Webhooks {
	return &Webhooks{normalizer: normalizer, now: time.Now}
}

// Normalize converts one delivery and returns the event; nothing is stored.
func (s *Webhooks) Normalize(ctx context.Context, req *hooknormv1.NormalizeRequest) (*hooknormv1.NormalizeResponse, error) {
	event, err := s.normalizer.Normalize(normalize.Delivery{
		Source:      req.GetSource(),
		Body:        req.GetPayload(),
		TriggerType: req.GetTriggerType(),
		Headers:     providerHeaders(ctx, req.GetHeaders()),
		ReceivedAt:  s.now(),
	})
	if err != nil {
		return nil, err
	}
	if !req.GetIncludeRaw() {
		event.RawPayload = nil
	}
	return &hooknormv1.NormalizeResponse{Event: event}, nil
}

// Ingest is declared by the contract; the durable log that serves it is not built yet.
func (s *Webhooks) Ingest(context.Context, *hooknormv1.IngestRequest) (*hooknormv1.IngestResponse, error) {
	return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_NOT_IMPLEMENTED,
		"Ingest is not served yet: this build has no durable log; use Normalize to convert a delivery")
}

// Subscribe is declared by the contract; the durable log that serves it is not built yet.
func (s *Webhooks) Subscribe(*hooknormv1.SubscribeRequest, hooknormv1.WebhookService_SubscribeServer) error {
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_NOT_IMPLEMENTED,
		"Subscribe is not served yet: this build has no durable log")
}

// providerHeaders merges the headers given in the request with the provider headers that arrived
// as gRPC metadata (as the HTTP gateway forwards them); headers given in the request win.
func providerHeaders(ctx context.Context, given map[string]string) map[string]string {
	md, _ := metadata.FromIncomingContext(ctx)
	headers := make(map[string]string, len(given)+2)
	for key, values := range md {
		if len(values) > 0 && hasProviderPrefix(key) {
			headers[key] = values[0]
		}
	}
	for key, value := range given {
		headers[strings.ToLower(key)] = value
	}
	return headers
}

func hasProviderPrefix(key string) bool {
	for _, prefix := range providerHeaderPrefixes {
		if strings.HasPrefix(key, prefix) {
			return true
		}
	}
	return false
}
