package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// endpoint records the events POSTed to it (as hooknorm forward --format event-json sends them),
// by id; hang makes it hold the first request it gets without ever answering.
type endpoint struct {
	mu       sync.Mutex
	got      map[string]int
	hang     bool
	hung     chan string
	released chan struct{}
}

func newEndpoint(t *testing.T, hang bool) (*endpoint, string) {
	e := &endpoint{got: map[string]int{}, hang: hang, hung: make(chan string, 1), released: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var event struct {
			ID string `json:"id"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &event); err != nil || event.ID == "" {
			http.Error(w, "not an event", http.StatusBadRequest)
			return
		}
		e.mu.Lock()
		if e.hang {
			e.hang = false
			e.mu.Unlock()
			e.hung <- event.ID
			<-e.released // mid-event, until the forwarder is killed and the test ends
			return
		}
		e.got[event.ID]++
		e.mu.Unlock()
	}))
	t.Cleanup(func() { close(e.released); srv.Close() })
	return e, srv.URL
}

func (e *endpoint) count() (events, deliveries int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, n := range e.got {
		events++
		deliveries += n
	}
	return events, deliveries
}

// TestConsumerForwardersShareTheWork runs two hooknorm forward --consumer processes on one
// consumer, the README's tour: every event reaches one endpoint or the other, once. Then a third
// forwarder takes an event, its endpoint never answers, and it is killed with SIGKILL mid-event:
// the event reaches the others after the consumer's ack deadline.
func TestConsumerForwardersShareTheWork(t *testing.T) {
	d := startConsumerDaemon(t, "--data-dir", t.TempDir())
	cli := buildReplayCLI(t, t.TempDir())
	create := exec.Command(cli, "consumers", "create", "orders", "--server", d.grpcAddr, "--earliest", "--ack-deadline", "2s")
	if out, err := create.CombinedOutput(); err != nil || !strings.Contains(string(out), `"name":"orders"`) {
		t.Fatalf("hooknorm consumers create: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	endpoints := make([]*endpoint, 2)
	for i := range endpoints {
		var url string
		endpoints[i], url = newEndpoint(t, false)
		forward := exec.CommandContext(ctx, cli, "forward", "--server", d.grpcAddr, "--consumer", "orders", "--concurrency", "2",
			"--to", url, "--format", "event-json")
		if err := forward.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { forward.Process.Kill(); forward.Wait() })
	}
	ids := deliverMany(t, d.url, "fwd", 40)
	waitFor := func(want int) {
		for {
			total := 0
			for _, e := range endpoints {
				events, _ := e.count()
				total += events
			}
			if total >= want {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("the forwarders delivered %d of %d events", total, want)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	waitFor(len(ids))

	// A third forwarder whose endpoint never answers, killed mid-event.
	stuck, stuckURL := newEndpoint(t, true)
	doomed := exec.CommandContext(ctx, cli, "forward", "--server", d.grpcAddr, "--consumer", "orders", "--to", stuckURL, "--format", "event-json")
	if err := doomed.Start(); err != nil {
		t.Fatal(err)
	}
	// Events until the third forwarder is handed one: the others, attached too, take most.
	var held string
	for i := 1; held == ""; i++ {
		ids = append(ids, deliverMany(t, d.url, fmt.Sprintf("late%d", i), 1)...)
		select {
		case held = <-stuck.hung:
		case <-time.After(100 * time.Millisecond):
		}
		if i == 300 {
			t.Fatal("the third forwarder was handed none of 300 events")
		}
	}
	doomed.Process.Kill()
	doomed.Wait()
	waitFor(len(ids))

	seen := map[string]int{}
	for i, e := range endpoints {
		events, deliveries := e.count()
		if events == 0 {
			t.Errorf("forwarder %d delivered nothing: the work was not shared", i)
		}
		if deliveries != events {
			t.Errorf("forwarder %d delivered %d times for %d events", i, deliveries, events)
		}
		e.mu.Lock()
		for id, n := range e.got {
			seen[id] += n
		}
		e.mu.Unlock()
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("%s was delivered %d times; want once", id, seen[id])
		}
	}
	if seen[held] != 1 {
		t.Errorf("%s, held by the killed forwarder, did not reach the others", held)
	}
}
