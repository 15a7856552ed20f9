// Package collectortest is an OTLP trace receiver for tests: it accepts spans over OTLP/gRPC and
// OTLP/HTTP (protobuf or JSON) on loopback ports and keeps them, so a test can check that a
// trace reached a collector.
package collectortest

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Span is one received span, with the ids as lowercase hex, as traceparent writes them.
type Span struct {
	// Name is the span's name.
	Name string
	// Kind is the span's kind, such as SPAN_KIND_SERVER.
	Kind tracepb.Span_SpanKind
	// TraceID is the trace the span belongs to.
	TraceID string
	// SpanID identifies the span.
	SpanID string
	// ParentSpanID is the parent's span id; empty for a root span.
	ParentSpanID string
	// Attributes are the span's attributes, their values formatted with %v.
	Attributes map[string]string
	// Resource is the resource's attributes, such as service.name, formatted likewise.
	Resource map[string]string
	// Protocol is how the span arrived: grpc, http/protobuf or http/json.
	Protocol string
}

// Collector receives spans until the test ends.
type Collector struct {
	coltracepb.UnimplementedTraceServiceServer
	grpcAddr, httpAddr string

	mu    sync.Mutex
	spans []Span
}

// Start runs a collector on free loopback ports, stopped when t ends.
func Start(t testing.TB) *Collector {
	t.Helper()
	c := &Collector{}
	grpcListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for OTLP/gRPC: %v", err)
	}
	httpListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		grpcListener.Close()
		t.Fatalf("listening for OTLP/HTTP: %v", err)
	}
	c.grpcAddr, c.httpAddr = grpcListener.Addr().String(), httpListener.Addr().String()
	grpcServer := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(grpcServer, c)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", c.serveHTTP)
	httpServer := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go grpcServer.Serve(grpcListener)
	go httpServer.Serve(httpListener)
	t.Cleanup(func() {
		grpcServer.Stop()
		httpServer.Close()
	})
	return c
}

// GRPCEndpoint is the OTLP/gRPC endpoint URL, for OTEL_EXPORTER_OTLP_ENDPOINT with protocol grpc.
func (c *Collector) GRPCEndpoint() string { return "http://" + c.grpcAddr }

// HTTPEndpoint is the OTLP/HTTP base URL, for OTEL_EXPORTER_OTLP_ENDPOINT with protocol
// http/protobuf or http/json; spans are posted to /v1/traces under it.
func (c *Collector) HTTPEndpoint() string { return "http://" + c.httpAddr }

// Export receives spans over OTLP/gRPC.
func (c *Collector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	c.add(req, "grpc")
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// serveHTTP receives spans over OTLP/HTTP, as protobuf or JSON by the Content-Type.
func (c *Collector) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := &coltracepb.ExportTraceServiceRequest{}
	protocol := "http/protobuf"
	switch r.Header.Get("Content-Type") {
	case "application/x-protobuf":
		err = proto.Unmarshal(body, req)
	case "application/json":
		protocol = "http/json"
		if err = protojson.Unmarshal(body, req); err == nil {
			err = hexIDs(req)
		}
	default:
		http.Error(w, "want application/x-protobuf or application/json", http.StatusUnsupportedMediaType)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.add(req, protocol)
	answer, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(answer)
}

func (c *Collector) add(req *coltracepb.ExportTraceServiceRequest, protocol string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		resource := attributes(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.spans = append(c.spans, Span{
					Name:         s.GetName(),
					Kind:         s.GetKind(),
					TraceID:      hex.EncodeToString(s.GetTraceId()),
					SpanID:       hex.EncodeToString(s.GetSpanId()),
					ParentSpanID: hex.EncodeToString(s.GetParentSpanId()),
					Attributes:   attributes(s.GetAttributes()),
					Resource:     resource,
					Protocol:     protocol,
				})
			}
		}
	}
}

// hexIDs corrects the ids of a request read from OTLP/JSON, which writes them in hex where
// protojson expects base64: protojson decoded the hex text as base64, so encoding the bytes back
// to base64 gives the hex text again.
func hexIDs(req *coltracepb.ExportTraceServiceRequest) error {
	fix := func(id []byte) ([]byte, error) {
		if len(id) == 0 {
			return id, nil
		}
		return hex.DecodeString(base64.StdEncoding.EncodeToString(id))
	}
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				var errs [3]error
				s.TraceId, errs[0] = fix(s.TraceId)
				s.SpanId, errs[1] = fix(s.SpanId)
				s.ParentSpanId, errs[2] = fix(s.ParentSpanId)
				if err := errors.Join(errs[:]...); err != nil {
					return fmt.Errorf("span %q has an id that is not hex: %w", s.GetName(), err)
				}
			}
		}
	}
	return nil
}

// Spans returns the spans received so far, in the order they arrived.
func (c *Collector) Spans() []Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Span(nil), c.spans...)
}

// ErrTimeout is returned by WaitFor when the spans looked for did not arrive in time.
var ErrTimeout = errors.New("the spans did not arrive in time")

// WaitFor polls the received spans until done accepts them or timeout passes, and returns the
// spans it last saw, with ErrTimeout if done never accepted them.
func (c *Collector) WaitFor(timeout time.Duration, done func([]Span) bool) ([]Span, error) {
	deadline := time.Now().Add(timeout)
	for {
		spans := c.Spans()
		if done(spans) {
			return spans, nil
		}
		if time.Now().After(deadline) {
			return spans, fmt.Errorf("%w: %d spans within %s", ErrTimeout, len(spans), timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// InTrace returns the spans of one trace.
func InTrace(spans []Span, traceID string) []Span {
	var out []Span
	for _, s := range spans {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	return out
}

func attributes(kvs []*commonpb.KeyValue) map[string]string {
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			out[kv.GetKey()] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			out[kv.GetKey()] = fmt.Sprint(v.IntValue)
		case *commonpb.AnyValue_BoolValue:
			out[kv.GetKey()] = fmt.Sprint(v.BoolValue)
		case *commonpb.AnyValue_DoubleValue:
			out[kv.GetKey()] = fmt.Sprint(v.DoubleValue)
		default:
			out[kv.GetKey()] = fmt.Sprint(kv.GetValue())
		}
	}
	return out
}
