package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/client"
)

// sequenceLog records the sequences an endpoint or a subscription received, in order.
type sequenceLog struct {
	mu        sync.Mutex
	sequences []uint64
}

func (l *sequenceLog) add(seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sequences = append(l.sequences, seq)
}

// reached reports whether the last sequence received is at least seq.
func (l *sequenceLog) reached(seq uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sequences) > 0 && l.sequences[len(l.sequences)-1] >= seq
}

// check fails the test unless the sequences received are 1 to last, each once, in order.
func (l *sequenceLog) check(t *testing.T, who string, last uint64) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, seq := range l.sequences {
		if seq != uint64(i)+1 {
			t.Errorf("%s received %d events, the %dth sequence %d, want 1 to %d in order, each once (around it: %v)",
				who, len(l.sequences), i+1, seq, last, l.sequences[max(0, i-3):min(len(l.sequences), i+3)])
			return
		}
	}
	if uint64(len(l.sequences)) != last {
		t.Errorf("%s received sequences 1 to %d, want 1 to %d", who, len(l.sequences), last)
	}
}

// sequenceEndpoint is an HTTP endpoint recording the Hooknorm-Sequence of each event forward or
// replay delivers as event-json, after delay.
func sequenceEndpoint(t *testing.T, delay time.Duration) (*httptest.Server, *sequenceLog) {
	received := &sequenceLog{}
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		seq, err := strconv.ParseUint(r.Header.Get("Hooknorm-Sequence"), 10, 64)
		if err != nil {
			http.Error(w, "no Hooknorm-Sequence", http.StatusBadRequest)
			return
		}
		received.add(seq)
	}))
	t.Cleanup(endpoint.Close)
	return endpoint, received
}

// lockedOutput collects a child process's output.
type lockedOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *lockedOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *lockedOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// TestClientsResumeAcrossRestartsMidStream keeps deliveries coming while three clients read
// hooknormd's log: a Go client subscription, hooknorm forward and hooknorm replay (to an
// endpoint slow enough that it is mid-replay throughout). hooknormd is killed with SIGKILL and
// started again, then stopped with SIGTERM and started again, under them. Each reconnects by
// itself and resumes where it was: the subscription and forward get every event stored, replay
// every event up to the head it started with, each once and in order; replay then exits.
func TestClientsResumeAcrossRestartsMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a child process under client processes")
	}
	cli := buildReplayCLI(t, t.TempDir())
	grpcAddr, httpAddr := freePort(t), freePort(t)
	args := []string{"--data-dir", t.TempDir(), "--grpc-addr", grpcAddr, "--http-addr", httpAddr, "--heartbeat-interval", "200ms"}
	url := "http://" + httpAddr
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	proc := startProcess(t, args...)
	defer func() { proc.kill() }()
	httpClient := &http.Client{Timeout: 5 * time.Second}
	posted := 0
	post := func() uint64 {
		t.Helper()
		posted++
		seq, err := deliver(ctx, httpClient, url, fmt.Sprintf("ev-%d", posted))
		if err != nil {
			t.Fatalf("delivering ev-%d: %v", posted, err)
		}
		n, err := strconv.ParseUint(seq, 10, 64)
		if err != nil {
			t.Fatalf("delivering ev-%d answered sequence %q", posted, seq)
		}
		return n
	}
	for range 100 {
		post()
	}

	subscribed := &sequenceLog{}
	c, err := client.New(grpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	subscriptionErr := make(chan error, 1)
	go func() {
		for event, err := range c.Subscribe(ctx, client.Start{Earliest: true}, client.Filter{}, nil) {
			if err != nil {
				subscriptionErr <- err
				return
			}
			subscribed.add(event.GetSequence())
		}
		subscriptionErr <- ctx.Err()
	}()
	forwardTo, forwarded := sequenceEndpoint(t, 0)
	forwardOut := &lockedOutput{}
	forward := exec.CommandContext(ctx, cli, "forward", "--server", grpcAddr, "--earliest", "--to", forwardTo.URL,
		"--format", "event-json", "--cursor-file", filepath.Join(t.TempDir(), "cursor"))
	forward.Stdout, forward.Stderr = forwardOut, forwardOut
	replayTo, replayed := sequenceEndpoint(t, 30*time.Millisecond)
	replayOut := &lockedOutput{}
	replay := exec.CommandContext(ctx, cli, "replay", "--server", grpcAddr, "--earliest", "--to", replayTo.URL, "--format", "event-json")
	replay.Stdout, replay.Stderr = replayOut, replayOut
	for _, cmd := range []*exec.Cmd{forward, replay} {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	replayDone := make(chan error, 1)
	go func() { replayDone <- replay.Wait() }()
	defer func() {
		forward.Process.Kill()
		forward.Wait()
		if t.Failed() {
			t.Logf("hooknorm forward:\n%s\nhooknorm replay:\n%s\nhooknormd:\n%s", forwardOut, replayOut, proc.logs)
		}
	}()

	// Deliveries go on while hooknormd is killed and while it stops cleanly, retried as a
	// provider retries them.
	for range 20 {
		post()
	}
	// Each restart comes once replay has delivered some more: mid-replay.
	awaitReplayed := func(n int) {
		t.Helper()
		for !replayed.reached(uint64(n)) {
			if ctx.Err() != nil {
				t.Fatalf("hooknorm replay did not deliver %d events:\n%s", n, replayOut)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	awaitReplayed(10)
	proc.kill()
	proc = startProcess(t, args...)
	for range 20 {
		post()
	}
	awaitReplayed(30)
	proc.terminateForResume(t)
	proc = startProcess(t, args...)
	var last uint64
	for range 20 {
		last = post()
	}
	if last != uint64(posted) {
		t.Fatalf("%d deliveries stored as %d events", posted, last)
	}

	for _, reader := range []struct {
		name     string
		received *sequenceLog
	}{{"the Go client subscription", subscribed}, {"hooknorm forward", forwarded}} {
		for !reader.received.reached(last) && ctx.Err() == nil {
			select {
			case err := <-subscriptionErr:
				t.Fatalf("the Go client subscription ended: %v", err)
			case <-time.After(20 * time.Millisecond):
			}
		}
		reader.received.check(t, reader.name, last)
	}
	if err := <-replayDone; err != nil {
		t.Fatalf("hooknorm replay: %v", err)
	}
	head := regexp.MustCompile(`replayed \d+ events up to sequence (\d+)`).FindStringSubmatch(replayOut.String())
	if head == nil {
		t.Fatalf("hooknorm replay did not say how far it replayed:\n%s", replayOut)
	}
	replayHead, _ := strconv.ParseUint(head[1], 10, 64)
	if replayHead < 100 {
		t.Errorf("hooknorm replay replayed up to sequence %d, before the 100 events stored when it started", replayHead)
	}
	replayed.check(t, "hooknorm replay", replayHead)
}
