package transport_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
)

func TestHealthAndReflection(t *testing.T) {
	h := start(t, 1<<20)
	health := healthpb.NewHealthClient(h.conn)
	for _, service := range []string{"", hooknormv1.WebhookService_ServiceDesc.ServiceName} {
		resp, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("health check %q: %v", service, err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q = %v, want SERVING", service, resp.GetStatus())
		}
	}

	stream, err := reflectionpb.NewServerReflectionClient(h.conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range resp.GetListServicesResponse().GetService() {
		found = found || s.GetName() == "hooknorm.v1.WebhookService"
	}
	if !found {
		t.Errorf("reflection does not list hooknorm.v1.WebhookService: %v", resp.GetListServicesResponse())
	}
}

// TestShutdownFinishesInFlightRequests starts a request whose body is still arriving, shuts the
// server down, then finishes the body: the request completes with 200 and Shutdown returns only
// after it, cleanly.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	h := start(t, 1<<20)
	bodyReader, bodyWriter := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, h.httpURL+"/v1/normalize/clickfunnels", bodyReader)
	if err != nil {
		t.Fatal(err)
	}
	answered := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- -1
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	if _, err := fmt.Fprint(bodyWriter, `{"event_type": "contact.created", `); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the request reach the handler before shutting down

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdown <- h.server.Shutdown(ctx)
	}()
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := fmt.Fprint(bodyWriter, `"data": {"id": 1}}`); err != nil {
		t.Fatal(err)
	}
	bodyWriter.Close()
	if code := <-answered; code != http.StatusOK {
		t.Errorf("in-flight request got %d, want 200", code)
	}
	if err := <-shutdown; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	health := healthpb.NewHealthClient(h.conn)
	if _, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{}); err == nil {
		t.Error("the gRPC server still answers after Shutdown")
	}
}

// TestSlowBodiesAreCutOff sends a body slower than the body timeout: it is refused rather than
// holding the connection, while a subscription stream on the same server lives longer than that.
func TestSlowBodiesAreCutOff(t *testing.T) {
	h := start(t, 1<<20)
	streamCtx, stopStream := context.WithTimeout(context.Background(), 3*bodyTimeout)
	defer stopStream()
	streamReq, err := http.NewRequestWithContext(streamCtx, http.MethodGet, h.httpURL+"/v1/events:subscribe", nil)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := http.DefaultClient.Do(streamReq)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()

	bodyReader, bodyWriter := io.Pipe()
	defer bodyWriter.Close()
	req, err := http.NewRequest(http.MethodPost, h.httpURL+"/v1/webhooks/clickfunnels", bodyReader)
	if err != nil {
		t.Fatal(err)
	}
	go fmt.Fprint(bodyWriter, `{"event_type": `)
	started := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || time.Since(started) > 2*bodyTimeout {
		t.Errorf("a stalled body got %d after %s", resp.StatusCode, time.Since(started))
	}

	// The stream outlives the body timeout: it still delivers heartbeats.
	time.Sleep(bodyTimeout + heartbeat)
	line := make([]byte, 256)
	n, err := stream.Body.Read(line)
	if err != nil || !strings.Contains(string(line[:n]), "heartbeat") {
		t.Errorf("the stream after the body timeout: %q, %v", line[:n], err)
	}
}
