package e2e

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
)

// TestConsumeAcknowledgesInBatches runs the Go client's Consume with sixteen handlers at once on
// 300 events: each is handled once and acknowledged (the consumer ends with none pending or
// unacknowledged), and the handlers that finish while an Ack is on its way share the next, so
// hooknormd answers fewer Ack calls than there were events.
func TestConsumeAcknowledgesInBatches(t *testing.T) {
	d := startConsumerDaemon(t, "--data-dir", t.TempDir())
	const events = 300
	ids := deliverMany(t, d.url, "batch", events)
	createConsumer(t, d.api, "orders", 30*time.Second, 5)

	c, err := client.New(d.grpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	handled := newHandledLog()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	workCtx, stopWork := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- c.Consume(workCtx, "orders", func(_ context.Context, e *hooknormv1.ConsumedEvent) error {
			time.Sleep(2 * time.Millisecond) // a handler that does some work
			if handled.add(0, e.GetEvent().GetId()) == events {
				stopWork()
			}
			return nil
		}, &client.ConsumeOptions{Concurrency: 16, OnSettleError: func(e *hooknormv1.ConsumedEvent, err error) {
			t.Errorf("acknowledging %d: %v", e.GetEvent().GetSequence(), err)
		}})
	}()
	<-done // Consume returns once the acknowledgements of the handled events were sent
	handled.checkOnce(t, ids, 1)

	got, err := d.api.GetConsumer(ctx, &hooknormv1.GetConsumerRequest{Name: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.GetConsumer().GetState(); s.GetPending() != 0 || s.GetUnacknowledged() != 0 || s.GetAcknowledgedThrough() != events {
		t.Errorf("after every event was handled the consumer stands at %v", s)
	}
	calls := ackCalls(t, d.url)
	if calls == 0 || calls >= events {
		t.Errorf("%d events were acknowledged in %d Ack calls; want fewer calls than events", events, calls)
	}
	t.Logf("%d events acknowledged in %d Ack calls", events, calls)
}

// ackCalls reads from hooknormd's metrics how many Ack calls it answered OK.
func ackCalls(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	scraped, _ := io.ReadAll(resp.Body)
	line := regexp.MustCompile(`(?m)^grpc_server_handled_total\{[^}]*grpc_code="OK"[^}]*grpc_method="Ack"[^}]*\} (\d+)$`).FindSubmatch(scraped)
	if line == nil {
		t.Fatalf("/metrics has no count of Ack calls answered OK")
	}
	n, _ := strconv.Atoi(string(line[1]))
	return n
}
