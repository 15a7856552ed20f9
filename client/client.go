// Package client is the Go client of hooknorm: it converts provider webhooks into typed events by
// calling a hooknormd over gRPC.
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	grpcbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// DefaultAddr is where a local hooknormd listens for gRPC.
const DefaultAddr = "127.0.0.1:50051"

// errorDomain is the domain of the google.rpc.ErrorInfo hooknorm sends with every refusal.
const errorDomain = "hooknorm.dev"

// Client calls one hooknormd. It is safe for concurrent use.
type Client struct {
	conn      *grpc.ClientConn
	api       hooknormv1.WebhookServiceClient
	consumers hooknormv1.ConsumerServiceClient
}

// Option configures a Client.
type Option func(*[]grpc.DialOption)

// WithDialOptions adds gRPC dial options, for example transport credentials.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(all *[]grpc.DialOption) { *all = append(*all, opts...) }
}

// WithToken sends a bearer token with every call.
func WithToken(token string) Option {
	return WithDialOptions(grpc.WithPerRPCCredentials(bearerToken(token)))
}

// WithTLS connects over TLS with cfg (nil: the system's roots).
func WithTLS(cfg *tls.Config) Option {
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return WithDialOptions(grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
}

// bearerToken sends "authorization: Bearer <token>" with every call.
type bearerToken string

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

// RequireTransportSecurity is false so local plaintext servers work; use WithTLS elsewhere.
func (bearerToken) RequireTransportSecurity() bool { return false }

// connectParams bound how long a connection attempt may take and how long the connection waits
// between attempts, so that a call to an unreachable server fails within seconds, saying why,
// and a server that comes back is found again soon.
var connectParams = grpc.ConnectParams{
	Backoff:           grpcbackoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
	MinConnectTimeout: 5 * time.Second,
}

// New returns a client of the hooknormd at addr (host:port). It connects lazily, on the first
// call; without options it connects in plaintext. A connection attempt that gets no answer within
// 5 seconds fails the calls waiting for it with Unavailable.
func New(addr string, opts ...Option) (*Client, error) {
	dialOpts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithConnectParams(connectParams)}
	for _, opt := range opts {
		opt(&dialOpts)
	}
	conn, err := grpc.NewClient(addr, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("hooknorm client for %s: %w", addr, err)
	}
	return &Client{conn: conn, api: hooknormv1.NewWebhookServiceClient(conn), consumers: hooknormv1.NewConsumerServiceClient(conn)}, nil
}

// Close releases the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Delivery is one raw webhook to convert.
type Delivery struct {
	// Source is the provider that sent it.
	Source hooknormv1.Source
	// Payload is the raw body, exactly as the provider sent it.
	Payload []byte
	// TriggerType is the Webflow trigger type of an API v1 delivery, whose bare body does not
	// name it; empty otherwise.
	TriggerType string
	// Headers are the provider's HTTP headers, if any.
	Headers map[string]string
	// IncludeRaw asks for the payload back in the event's raw_payload.
	IncludeRaw bool
	// Tenant is the tenant the delivery is for, when its body names none (a Webflow order
	// names no site); when the body names one, both must agree. Empty otherwise.
	Tenant string
}

// Normalize converts one delivery into a typed event; nothing is stored. A refused delivery
// returns an error whose Reason says why.
func (c *Client) Normalize(ctx context.Context, d Delivery) (*hooknormv1.Event, error) {
	resp, err := c.api.Normalize(ctx, &hooknormv1.NormalizeRequest{
		Source:      d.Source,
		Payload:     d.Payload,
		TriggerType: d.TriggerType,
		Headers:     d.Headers,
		IncludeRaw:  d.IncludeRaw,
		Tenant:      d.Tenant,
	})
	if err != nil {
		return nil, wrap(err)
	}
	return resp.GetEvent(), nil
}

// Ingest verifies, converts and stores one delivery, as the provider webhook routes do; it needs a
// token allowed to ingest when the server has tokens. A repeat of a stored event answers with the
// earlier sequence and Duplicate set.
func (c *Client) Ingest(ctx context.Context, d Delivery) (*hooknormv1.IngestResponse, error) {
	resp, err := c.api.Ingest(ctx, &hooknormv1.IngestRequest{
		Source: d.Source, Payload: d.Payload, TriggerType: d.TriggerType, Headers: d.Headers, Tenant: d.Tenant,
	})
	if err != nil {
		return nil, wrap(err)
	}
	return resp, nil
}

// Error is a call hooknorm refused or could not complete.
type Error struct {
	// Status is the gRPC status.
	Status *status.Status
	// Reason is hooknorm's reason, ERROR_REASON_UNSPECIFIED when the status carries none (for
	// example when the server could not be reached).
	Reason hooknormv1.ErrorReason
	// Field is the JSON path of the offending value, when the server named one.
	Field string
}

// Error returns the server's message with its reason.
func (e *Error) Error() string {
	if e.Reason == hooknormv1.ErrorReason_ERROR_REASON_UNSPECIFIED {
		return fmt.Sprintf("hooknorm: %s: %s", e.Status.Code(), e.Status.Message())
	}
	return fmt.Sprintf("hooknorm: %s (%s)", e.Status.Message(), strings.TrimPrefix(e.Reason.String(), "ERROR_REASON_"))
}

// Unreachable reports whether the call failed before hooknormd could answer it: nothing listens
// at the address, the connection or its TLS handshake failed, or no answer came in time. A
// hooknormd that answered (even "unavailable") carries a reason, so it is not unreachable.
func (e *Error) Unreachable() bool {
	code := e.Status.Code()
	return e.Reason == hooknormv1.ErrorReason_ERROR_REASON_UNSPECIFIED && (code == codes.Unavailable || code == codes.DeadlineExceeded)
}

// GRPCStatus lets status.FromError see the original status.
func (e *Error) GRPCStatus() *status.Status { return e.Status }

// ReasonOf returns hooknorm's reason for err, or ERROR_REASON_UNSPECIFIED.
func ReasonOf(err error) hooknormv1.ErrorReason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return hooknormv1.ErrorReason_ERROR_REASON_UNSPECIFIED
}

func wrap(err error) error {
	st := status.Convert(err)
	e := &Error{Status: st}
	for _, detail := range st.Details() {
		if info, ok := detail.(*errdetails.ErrorInfo); ok && info.GetDomain() == errorDomain {
			e.Reason = hooknormv1.ErrorReason(hooknormv1.ErrorReason_value["ERROR_REASON_"+info.GetReason()])
			e.Field = info.GetMetadata()["field"]
		}
	}
	return e
}

// ParseSource reads a provider name as the CLI and HTTP paths write it: "clickfunnels" or
// "webflow" (any case), or an enum name such as SOURCE_WEBFLOW.
func ParseSource(name string) (hooknormv1.Source, error) {
	upper := strings.ToUpper(strings.TrimSpace(name))
	if n, ok := hooknormv1.Source_value["SOURCE_"+upper]; ok && n != 0 {
		return hooknormv1.Source(n), nil
	}
	if n, ok := hooknormv1.Source_value[upper]; ok && n != 0 {
		return hooknormv1.Source(n), nil
	}
	return hooknormv1.Source_SOURCE_UNSPECIFIED, fmt.Errorf("unknown source %q: expected clickfunnels or webflow", name)
}
