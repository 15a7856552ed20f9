package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/telemetry/collectortest"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc/metadata"
)

const (
	callerTraceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpanID      = "00f067aa0ba902b7"
	callerTraceparent = "00-" + callerTraceID + "-" + callerSpanID + "-01"
	webflowDelivery   = `{"triggerType": "form_submission", "payload": {"name": "Contact", "siteId": "site1", "data": {"email": "a@example.com"}}}`
)

// TestATraceReachesTheCollector runs hooknormd with OTEL_EXPORTER_OTLP_ENDPOINT pointing at an
// in-process OTLP receiver, posts a delivery with a traceparent over HTTP and another over gRPC,
// and requires the receiver to get both traces (the HTTP server span under the caller's span
// with the Ingest span under it; the gRPC server span under its caller's span), and the stored
// events to carry the Ingest spans' trace context to a subscriber.
func TestATraceReachesTheCollector(t *testing.T) {
	collector := collectortest.Start(t)
	clearOTELEnv(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.HTTPEndpoint())
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
	d := startDaemon(t)

	postDelivery(t, d.httpAddr)
	const grpcTraceID, grpcCallerSpanID = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	ingestOverGRPC(t, d.grpcAddr, "00-"+grpcTraceID+"-"+grpcCallerSpanID+"-01")
	const ingest = "hooknorm.v1.WebhookService/Ingest"
	find := func(spans []collectortest.Span, traceID, name string, kind tracepb.Span_SpanKind) (collectortest.Span, bool) {
		for _, s := range collectortest.InTrace(spans, traceID) {
			if s.Name == name && s.Kind == kind {
				return s, true
			}
		}
		return collectortest.Span{}, false
	}
	spans, err := collector.WaitFor(10*time.Second, func(spans []collectortest.Span) bool {
		_, httpSpan := find(spans, callerTraceID, "POST /v1/webhooks/{source}", tracepb.Span_SPAN_KIND_SERVER)
		_, ingestSpan := find(spans, callerTraceID, ingest, tracepb.Span_SPAN_KIND_INTERNAL)
		_, grpcSpan := find(spans, grpcTraceID, ingest, tracepb.Span_SPAN_KIND_SERVER)
		return httpSpan && ingestSpan && grpcSpan
	})
	if err != nil {
		t.Fatalf("%v; received %+v", err, spans)
	}
	httpSpan, _ := find(spans, callerTraceID, "POST /v1/webhooks/{source}", tracepb.Span_SPAN_KIND_SERVER)
	ingestSpan, _ := find(spans, callerTraceID, ingest, tracepb.Span_SPAN_KIND_INTERNAL)
	grpcSpan, _ := find(spans, grpcTraceID, ingest, tracepb.Span_SPAN_KIND_SERVER)
	for _, link := range []struct {
		name         string
		span         collectortest.Span
		parentSpanID string
	}{
		{"the HTTP server span", httpSpan, callerSpanID},
		{"the Ingest span of the HTTP delivery", ingestSpan, httpSpan.SpanID},
		{"the gRPC server span", grpcSpan, grpcCallerSpanID},
	} {
		if link.span.ParentSpanID != link.parentSpanID {
			t.Errorf("%s has parent %s, want %s", link.name, link.span.ParentSpanID, link.parentSpanID)
		}
	}
	if got := ingestSpan.Resource["service.name"]; got != "hooknormd" {
		t.Errorf("service.name = %q, want hooknormd", got)
	}

	events := storedEvents(t, d.grpcAddr, 2)
	for i, want := range []string{
		"00-" + callerTraceID + "-" + ingestSpan.SpanID + "-01",
		"00-" + grpcTraceID + "-" + grpcSpan.SpanID + "-01",
	} {
		if got := events[i].GetTraceparent(); got != want {
			t.Errorf("stored event %d has traceparent %q, want the Ingest span's %q", i+1, got, want)
		}
	}
	d.stop(t)
	if logs := d.logs(); !strings.Contains(logs, "spans are exported over OTLP") || !strings.Contains(logs, collector.HTTPEndpoint()) {
		t.Errorf("the startup log does not say where spans go:\n%s", logs)
	}
}

// TestWithoutAnEndpointTraceContextIsStillStored runs hooknormd without OTLP settings and
// requires the caller's traceparent on the stored event unchanged: hooknormd made no span of its
// own, so nothing could be exported.
func TestWithoutAnEndpointTraceContextIsStillStored(t *testing.T) {
	clearOTELEnv(t)
	d := startDaemon(t)
	postDelivery(t, d.httpAddr)
	if got := storedEvents(t, d.grpcAddr, 1)[0].GetTraceparent(); got != callerTraceparent {
		t.Errorf("the stored event's traceparent is %q, want the caller's %q", got, callerTraceparent)
	}
	d.stop(t)
	if logs := d.logs(); !strings.Contains(logs, "spans are not exported") {
		t.Errorf("the startup log does not say spans are not exported:\n%s", logs)
	}
}

// TestInvalidOTELSettingExitsWithCode2 requires a bad OTEL_* variable to stop hooknormd at once
// with its name.
func TestInvalidOTELSettingExitsWithCode2(t *testing.T) {
	clearOTELEnv(t)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	var stderr strings.Builder
	code := run([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, func(string) string { return "" }, &stderr)
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "OTEL_EXPORTER_OTLP_PROTOCOL") {
		t.Errorf("stderr does not name the variable: %q", stderr.String())
	}
}

// clearOTELEnv empties the OTEL_* variables for one test, so the environment the tests run in
// cannot decide their outcome.
func clearOTELEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "OTEL_") {
			t.Setenv(name, "")
		}
	}
}

// daemon is hooknormd running in-process, by run, on free loopback ports.
type daemon struct {
	httpAddr, grpcAddr string
	exit               chan int
	mu                 sync.Mutex
	lines              []string
	drained            chan struct{}
}

// startDaemon runs hooknormd and waits until it says where it serves.
func startDaemon(t *testing.T) *daemon {
	t.Helper()
	logs, logWriter := io.Pipe()
	d := &daemon{exit: make(chan int, 1), drained: make(chan struct{})}
	dataDir := t.TempDir()
	go func() {
		d.exit <- run([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-format", "json", "--data-dir", dataDir},
			func(string) string { return "" }, logWriter)
		logWriter.Close()
	}()
	serving := make(chan struct{})
	go func() {
		defer close(d.drained)
		lines := bufio.NewScanner(logs)
		for lines.Scan() {
			d.mu.Lock()
			d.lines = append(d.lines, lines.Text())
			d.mu.Unlock()
			var entry map[string]any
			if json.Unmarshal(lines.Bytes(), &entry) == nil && entry["msg"] == "hooknormd is serving" {
				d.httpAddr, _ = entry["http"].(string)
				d.grpcAddr, _ = entry["grpc"].(string)
				close(serving)
			}
		}
	}()
	select {
	case <-serving:
	case code := <-d.exit:
		t.Fatalf("hooknormd exited with %d before serving:\n%s", code, d.logs())
	case <-time.After(15 * time.Second):
		t.Fatalf("hooknormd did not serve within 15s:\n%s", d.logs())
	}
	return d
}

// stop sends the process SIGTERM, which run handles, and requires a clean exit.
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	http.DefaultClient.CloseIdleConnections()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-d.exit:
		if code != 0 {
			t.Errorf("exit code %d, want 0", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("hooknormd did not stop within 15s of SIGTERM")
	}
	<-d.drained
}

// logs is what hooknormd logged so far.
func (d *daemon) logs() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.lines, "\n")
}

// postDelivery posts a Webflow delivery with the caller's traceparent and requires it stored.
func postDelivery(t *testing.T, httpAddr string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+httpAddr+"/v1/webhooks/webflow", strings.NewReader(webflowDelivery))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("traceparent", callerTraceparent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the delivery was answered %d: %s", resp.StatusCode, body)
	}
}

// ingestOverGRPC stores a ClickFunnels delivery through the gRPC API, sending traceparent.
func ingestOverGRPC(t *testing.T, grpcAddr, traceparent string) {
	t.Helper()
	c, err := client.New(grpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", traceparent)
	if _, err := c.Ingest(ctx, client.Delivery{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS,
		Payload: []byte(`{"event_id": "ev-2", "event_type": "contact.created", "data": {"id": 2}}`)}); err != nil {
		t.Fatal(err)
	}
}

// storedEvents subscribes from the earliest event and returns the first n.
func storedEvents(t *testing.T, grpcAddr string, n int) []*hooknormv1.Event {
	t.Helper()
	c, err := client.New(grpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub := client.Subscription{UntilHead: true}
	var events []*hooknormv1.Event
	for event, err := range c.Subscribe(ctx, client.Start{Earliest: true}, client.Filter{}, &sub) {
		if err != nil {
			t.Fatal(err)
		}
		if events = append(events, event); len(events) == n {
			return events
		}
	}
	t.Fatalf("the subscription ended after %d events, want %d", len(events), n)
	return nil
}
