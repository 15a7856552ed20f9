package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// endpoint is a real HTTP endpoint for forward and replay (event-json format) that refuses the
// events of some sequences with 400 and takes the others.
type endpoint struct {
	*httptest.Server
	mu        sync.Mutex
	attempts  map[string]int // per sequence
	delivered []string       // sequences taken, in order
	taken     chan string
}

func startEndpoint(t *testing.T, refuse ...string) *endpoint {
	t.Helper()
	e := &endpoint{attempts: map[string]int{}, taken: make(chan string, 100)}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		seq := req.Header.Get("Hooknorm-Sequence")
		e.mu.Lock()
		defer e.mu.Unlock()
		e.attempts[seq]++
		if slices.Contains(refuse, seq) {
			http.Error(w, "order "+seq+" lacks a customer", http.StatusBadRequest)
			return
		}
		e.delivered = append(e.delivered, seq)
		e.taken <- seq
	}))
	t.Cleanup(e.Close)
	return e
}

// storeOrders stores n ClickFunnels orders, sequences 1 to n.
func storeOrders(t *testing.T, addr string, n int) {
	t.Helper()
	c, err := client.New(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 1; i <= n; i++ {
		body := fmt.Sprintf(`{"event_id": "dl-%d", "event_type": "order.created", "workspace_id": 42, "api_version": 2, "data": {"id": %d}}`, i, i)
		if _, err := c.Ingest(context.Background(), client.Delivery{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestForwardDeadLettersARefusedEventAndDeliversTheRest forwards three events to an endpoint
// that answers 400 to the second: forward sends it the default number of times, writes it to the
// dead-letter file with its status and reason, says so, and delivers the third, in order.
func TestForwardDeadLettersARefusedEventAndDeliversTheRest(t *testing.T) {
	srv := startServer(t)
	storeOrders(t, srv.GRPCAddr(), 3)
	to := startEndpoint(t, "2")
	dir := t.TempDir()
	deadLetter, cursor := filepath.Join(dir, "dead.jsonl"), filepath.Join(dir, "cursor")
	forward := start(t, map[string]string{serverEnv: srv.GRPCAddr()}, "forward", "--to", to.URL, "--format", "event-json", "--earliest",
		"--dead-letter", deadLetter, "--cursor-file", cursor)
	for _, want := range []string{"1", "3"} {
		select {
		case got := <-to.taken:
			if got != want {
				t.Fatalf("the endpoint took sequence %s, want %s", got, want)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("sequence %s never arrived", want)
		}
	}
	waitForFile(t, cursor, "3\n")
	code, lines := forward.stop(t)
	stderr := strings.Join(lines, "\n")
	if code != exitInterrupted {
		t.Errorf("exit %d after Ctrl-C", code)
	}
	to.mu.Lock()
	attempts, delivered := to.attempts["2"], strings.Join(to.delivered, " ")
	to.mu.Unlock()
	if attempts != defaultMaxAttempts || delivered != "1 3" {
		t.Errorf("sequence 2 was sent %d times, want %d; delivered %q, want \"1 3\"", attempts, defaultMaxAttempts, delivered)
	}
	for _, want := range []string{
		fmt.Sprintf("answered 400 Bad Request: order 2 lacks a customer (attempt 1 of %d); retrying in ", defaultMaxAttempts),
		fmt.Sprintf("hooknorm: gave up on sequence 2 (id dl-2) after %d attempts: %s answered 400 Bad Request: order 2 lacks a customer; written to %s", defaultMaxAttempts, to.URL, deadLetter),
		fmt.Sprintf("hooknorm: forwarded 3 events (2 delivered, 1 dead-lettered to %s); the last was sequence 3", deadLetter),
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	data, err := os.ReadFile(deadLetter)
	if err != nil {
		t.Fatal(err)
	}
	var letter struct {
		Sequence uint64          `json:"sequence"`
		ID       string          `json:"id"`
		Status   int             `json:"status"`
		Reason   string          `json:"reason"`
		Attempts int             `json:"attempts"`
		To       string          `json:"to"`
		Event    json.RawMessage `json:"event"`
	}
	if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); len(lines) != 1 {
		t.Fatalf("the dead-letter file holds %d lines, want 1:\n%s", len(lines), data)
	}
	if err := json.Unmarshal(data, &letter); err != nil {
		t.Fatal(err)
	}
	event := &hooknormv1.Event{}
	if err := protojson.Unmarshal(letter.Event, event); err != nil {
		t.Fatalf("the dead letter's event is not a hooknorm.v1.Event: %v", err)
	}
	if letter.Sequence != 2 || letter.ID != "dl-2" || letter.Status != 400 || letter.Attempts != defaultMaxAttempts || letter.To != to.URL ||
		!strings.Contains(letter.Reason, "400 Bad Request: order 2 lacks a customer") || event.GetId() != "dl-2" || event.GetSequence() != 2 {
		t.Errorf("dead letter %+v, event %v", letter, event)
	}
}

// TestForwardWithoutDeadLetterStopsAtARefusedEvent forwards to an endpoint that refuses the
// second event: without --dead-letter, forward does not drop it but stops there after
// --max-attempts, exit code 4, naming the event, the flag, and where to resume.
func TestForwardWithoutDeadLetterStopsAtARefusedEvent(t *testing.T) {
	srv := startServer(t)
	storeOrders(t, srv.GRPCAddr(), 3)
	to := startEndpoint(t, "2")
	cursor := filepath.Join(t.TempDir(), "cursor")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stderr strings.Builder
	code := runContext(ctx, []string{"forward", "--server", srv.GRPCAddr(), "--to", to.URL, "--format", "event-json", "--earliest",
		"--max-attempts", "2", "--cursor-file", cursor}, strings.NewReader(""), io.Discard, &stderr, func(string) string { return "" })
	if code != exitUndelivered {
		t.Errorf("exit %d, want %d", code, exitUndelivered)
	}
	want := "hooknorm: stopped at sequence 2 (id dl-2): " + to.URL + " answered 400 Bad Request: order 2 lacks a customer, 2 times (--max-attempts). " +
		"It was not dropped: fix the endpoint, or give --dead-letter FILE to set such events aside and go on; resume with --after 1\n"
	if !strings.HasSuffix(stderr.String(), want) || !strings.Contains(stderr.String(), "forwarded 1 event (1 delivered, 0 dead-lettered)") {
		t.Errorf("stderr %q\nwant it to end with %q", stderr.String(), want)
	}
	if data, _ := os.ReadFile(cursor); string(data) != "1\n" {
		t.Errorf("the cursor file says %q, want 1", data)
	}
}

// TestReplayDeadLettersAndCounts replays to an endpoint that refuses one event: replay finishes
// (exit code 0) with the event in the dead-letter file, and its summary counts both.
func TestReplayDeadLettersAndCounts(t *testing.T) {
	srv := startServer(t)
	storeOrders(t, srv.GRPCAddr(), 3)
	to := startEndpoint(t, "1")
	deadLetter := filepath.Join(t.TempDir(), "dead.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stderr strings.Builder
	code := runContext(ctx, []string{"replay", "--server", srv.GRPCAddr(), "--to", to.URL, "--format", "event-json", "--earliest",
		"--max-attempts", "1", "--dead-letter", deadLetter}, strings.NewReader(""), io.Discard, &stderr, func(string) string { return "" })
	if code != exitOK || !strings.HasSuffix(stderr.String(), "hooknorm: replayed 3 events up to sequence 3 (2 delivered, 1 dead-lettered to "+deadLetter+"); the last was sequence 3\n") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if data, _ := os.ReadFile(deadLetter); !strings.HasPrefix(string(data), `{"sequence":1,"id":"dl-1","status":400,`) {
		t.Errorf("dead-letter file %q", data)
	}
}

// TestInterruptedReplayDoesNotExitZero stops a replay while the endpoint is down: it exits with
// the interrupted code, not 0, saying nothing was delivered.
func TestInterruptedReplayDoesNotExitZero(t *testing.T) {
	srv := startServer(t)
	storeOrders(t, srv.GRPCAddr(), 2)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	replay := start(t, map[string]string{serverEnv: srv.GRPCAddr()}, "replay", "--to", down.URL, "--earliest")
	for line := replay.line(t); !strings.Contains(line, "answered 503 Service Unavailable; retrying in "); line = replay.line(t) {
	}
	code, last := replay.stop(t)
	if code != exitInterrupted || len(last) == 0 || last[len(last)-1] != "hooknorm: interrupted before any event was delivered; run the same command again" {
		t.Errorf("exit %d, last lines %q", code, last)
	}
}

// waitForFile waits until the file at path holds want.
func waitForFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _ := os.ReadFile(path)
		if string(data) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, want %q", path, data, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
