package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
)

// receiver is an HTTP endpoint that reads CloudEvents with cloudevents/sdk-go. While down it
// answers 503.
type receiver struct {
	url    string
	down   atomic.Bool
	mu     sync.Mutex
	got    []string // "id type source subject sequence"
	events chan *hooknormv1.Event
	errs   chan error
}

func startReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{events: make(chan *hooknormv1.Event, 64), errs: make(chan error, 64)}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.down.Load() {
			io.Copy(io.Discard, req.Body)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		ce, err := cehttp.NewEventFromHTTPRequest(req)
		if err != nil {
			r.errs <- err
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if err := ce.Validate(); err != nil {
			r.errs <- err
		}
		e := &hooknormv1.Event{}
		if err := protojson.Unmarshal(ce.Data(), e); err != nil {
			r.errs <- fmt.Errorf("data is not a hooknorm.v1.Event: %w", err)
		}
		if ce.DataSchema() != DataSchema || ce.DataContentType() != "application/json" || ce.Time().IsZero() {
			r.errs <- fmt.Errorf("attributes %v", ce)
		}
		seq, _ := ce.Extensions()["hooknormsequence"].(string)
		r.mu.Lock()
		r.got = append(r.got, fmt.Sprintf("%s %s %s %s %s", ce.ID(), ce.Type(), ce.Source(), ce.Subject(), seq))
		r.mu.Unlock()
		r.events <- e
		w.WriteHeader(http.StatusAccepted)
	})}
	go srv.Serve(listener)
	t.Cleanup(func() { srv.Close() })
	r.url = "http://" + listener.Addr().String() + "/hooks"
	return r
}

// forwardFor runs forward with args until n events arrived at the receiver, then stops it like
// Ctrl-C and returns its stderr.
func forwardFor(t *testing.T, r *receiver, env map[string]string, n int, args ...string) ([]*hooknormv1.Event, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr strings.Builder
	exit := make(chan int, 1)
	go func() {
		exit <- runContext(ctx, append([]string{"forward", "--to", r.url}, args...), strings.NewReader(""), io.Discard, &stderr,
			func(k string) string { return env[k] })
	}()
	var got []*hooknormv1.Event
	for len(got) < n {
		select {
		case e := <-r.events:
			got = append(got, e)
		case err := <-r.errs:
			t.Fatalf("the receiver: %v", err)
		case code := <-exit:
			t.Fatalf("forward exited %d early: %s", code, stderr.String())
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d events arrived; forward said: %s", len(got), n, stderr.String())
		}
	}
	// The receiver has the last event, but forward may not have read its answer yet: with a
	// cursor file, wait until forward has recorded it, or a restart would rightly send it again.
	if cursor := flagValue(args, "--cursor-file"); cursor != "" {
		want := fmt.Sprint(got[len(got)-1].GetSequence())
		deadline := time.Now().Add(30 * time.Second)
		for {
			data, _ := os.ReadFile(cursor)
			if strings.TrimSpace(string(data)) == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the cursor file says %q, want %s", data, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	cancel()
	if code := <-exit; code != exitInterrupted {
		t.Errorf("forward exited %d after Ctrl-C, want %d: %s", code, exitInterrupted, stderr.String())
	}
	return got, stderr.String()
}

// flagValue returns the value given to flag in args, or "" when it is absent.
func flagValue(args []string, flag string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			return args[i+1]
		}
	}
	return ""
}

func sequences(events []*hooknormv1.Event) string {
	var s []string
	for _, e := range events {
		s = append(s, fmt.Sprint(e.GetSequence()))
	}
	return strings.Join(s, " ")
}

// TestForwardSurvivesAReceiverOutageAndARestart forwards to a CloudEvents receiver that is down
// at first: the events arrive once it is up, in order. Then forward is stopped, more events are
// stored, and a restarted forward resumes from its cursor file: nothing lost, nothing reordered.
func TestForwardSurvivesAReceiverOutageAndARestart(t *testing.T) {
	srv := startServer(t)
	env := map[string]string{serverEnv: srv.GRPCAddr()}
	c, err := client.New(srv.GRPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ingest := func(from, to int) {
		for i := from; i <= to; i++ {
			body := fmt.Sprintf(`{"event_id": "fw-%d", "event_type": "order.created", "subject_id": %d, "workspace_id": 42, "api_version": 2, "data": {"id": %d}}`, i, 100+i, 100+i)
			if _, err := c.Ingest(context.Background(), client.Delivery{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(body)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ingest(1, 3)
	r := startReceiver(t)
	r.down.Store(true)
	go func() {
		time.Sleep(1500 * time.Millisecond)
		r.down.Store(false)
	}()
	cursor := filepath.Join(t.TempDir(), "cursor")
	got, stderr := forwardFor(t, r, env, 3, "--earliest", "--cursor-file", cursor)
	if sequences(got) != "1 2 3" {
		t.Errorf("after the outage: %s", sequences(got))
	}
	if !strings.Contains(stderr, "answered 503 Service Unavailable; retrying") {
		t.Errorf("forward did not report the outage: %s", stderr)
	}
	if data, _ := os.ReadFile(cursor); strings.TrimSpace(string(data)) != "3" {
		t.Errorf("cursor file %q, want 3", data)
	}
	r.mu.Lock()
	first := r.got[0]
	r.mu.Unlock()
	if first != "fw-1 com.clickfunnels.order.created hooknorm/clickfunnels/42 101 1" {
		t.Errorf("CloudEvent attributes %q", first)
	}

	ingest(4, 6) // while forward is stopped
	got, stderr = forwardFor(t, r, env, 3, "--earliest", "--cursor-file", cursor, "--mode", "structured")
	if sequences(got) != "4 5 6" {
		t.Errorf("after the restart: %s (%s)", sequences(got), stderr)
	}
	if !strings.Contains(stderr, "resuming after sequence 3") {
		t.Errorf("forward did not say where it resumed: %s", stderr)
	}
}

func TestForwardEventJSON(t *testing.T) {
	srv := startServer(t)
	c, err := client.New(srv.GRPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Ingest(context.Background(), client.Delivery{Source: hooknormv1.Source_SOURCE_WEBFLOW,
		Payload: []byte(`{"triggerType": "form_submission", "payload": {"name": "Contact", "siteId": "s1"}}`)}); err != nil {
		t.Fatal(err)
	}
	bodies := make(chan string, 1)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	receiver := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		data, _ := io.ReadAll(req.Body)
		bodies <- req.Header.Get("Hooknorm-Sequence") + " " + req.Header.Get("Content-Type") + " " + string(data)
	})}
	go receiver.Serve(listener)
	defer receiver.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, []string{"forward", "--to", "http://" + listener.Addr().String(), "--format", "event-json", "--earliest"},
			strings.NewReader(""), io.Discard, io.Discard, func(k string) string { return map[string]string{serverEnv: srv.GRPCAddr()}[k] })
	}()
	select {
	case body := <-bodies:
		if !strings.HasPrefix(body, "1 application/json {") || !strings.Contains(body, `"formSubmission"`) {
			t.Errorf("event-json delivery %q", body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("nothing delivered")
	}
	cancel()
	<-done
}

// TestForwardCarriesTheTraceContext stores a delivery made within a trace and forwards it, in
// each format: the request continues the trace in its traceparent and tracestate headers, and a
// CloudEvent carries them as its Distributed Tracing extension.
func TestForwardCarriesTheTraceContext(t *testing.T) {
	// hooknormd reads trace context with the W3C propagator it installs at start (see
	// server/internal/telemetry); the in-process test server needs it installed here.
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator()) })
	const traceparent, tracestate = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "vendor=opaque"
	srv := startServer(t)
	c, err := client.New(srv.GRPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", traceparent, "tracestate", tracestate)
	if _, err := c.Ingest(ctx, client.Delivery{Source: hooknormv1.Source_SOURCE_WEBFLOW,
		Payload: []byte(`{"triggerType": "form_submission", "payload": {"name": "Contact", "siteId": "s1"}}`)}); err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 4)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	receiver := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got := req.Header.Get("traceparent") + " " + req.Header.Get("tracestate")
		if req.Header.Get("Content-Type") != "application/json" || req.Header.Get("ce-id") != "" {
			ce, err := cehttp.NewEventFromHTTPRequest(req)
			if err != nil {
				seen <- err.Error()
				return
			}
			got += " | " + fmt.Sprint(ce.Extensions()["traceparent"]) + " " + fmt.Sprint(ce.Extensions()["tracestate"])
		} else {
			io.Copy(io.Discard, req.Body)
		}
		seen <- got
	})}
	go receiver.Serve(listener)
	defer receiver.Close()
	for _, format := range [][]string{{"--mode", "binary"}, {"--mode", "structured"}, {"--format", "event-json"}} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() {
			done <- runContext(ctx, append([]string{"forward", "--to", "http://" + listener.Addr().String(), "--earliest"}, format...),
				strings.NewReader(""), io.Discard, io.Discard, func(k string) string { return map[string]string{serverEnv: srv.GRPCAddr()}[k] })
		}()
		want := traceparent + " " + tracestate + " | " + traceparent + " " + tracestate
		if format[0] == "--format" {
			want = traceparent + " " + tracestate
		}
		select {
		case got := <-seen:
			if got != want {
				t.Errorf("%v: trace context %q, want %q", format, got, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%v: nothing delivered", format)
		}
		cancel()
		<-done
	}
}

// TestForwardSaysWhenItsCursorFileIsFromAnotherLog resumes from a cursor file beyond the log's
// newest event, as after the log was recreated: forward stops at once, exit code 2 (its input,
// the file, is wrong), saying which file to remove, rather than waiting until the new log passes
// the old cursor.
func TestForwardSaysWhenItsCursorFileIsFromAnotherLog(t *testing.T) {
	srv := startServer(t)
	cursor := filepath.Join(t.TempDir(), "cursor")
	if err := os.WriteFile(cursor, []byte("1000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stderr strings.Builder
	code := runContext(ctx, []string{"forward", "--to", "http://127.0.0.1:1/hooks", "--cursor-file", cursor}, strings.NewReader(""), io.Discard, &stderr,
		func(name string) string { return map[string]string{serverEnv: srv.GRPCAddr()}[name] })
	if code != exitUsage || !strings.Contains(stderr.String(), "\nhooknorm: "+cursor+" holds cursor 1000, beyond the newest event in this log (CURSOR_AHEAD)") ||
		!strings.Contains(stderr.String(), "Remove "+cursor+" to start over") {
		t.Errorf("exit %d, stderr %q; want 2 and the cursor file named", code, stderr.String())
	}
}
