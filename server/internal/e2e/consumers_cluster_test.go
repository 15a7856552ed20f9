package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
)

// globalAccount is the NATS account of clients on a server without accounts.
const globalAccount = "$G"

// TestConsumerClusterReplicasShareOneConsumer runs two hooknormd replicas on a three-node NATS
// cluster with one consumer. An event handed out by one replica is acknowledged through the
// other. Then four workers (the Go client's Consume), two on each replica, share the consumer
// while deliveries flow to both replicas and the NATS node that leads the consumer stops: every
// acknowledged delivery is handled exactly once. The ack deadline (15 s) leaves room for an ack that waited for a new
// consumer leader to be retried in time.
func TestConsumerClusterReplicasShareOneConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node NATS cluster")
	}
	nodes, urls := startNATSCluster(t, 3)
	replicas := []*consumerDaemon{
		startConsumerDaemon(t, "--nats-url", strings.Join(urls, ","), "--nats-replicas", "3"),
		startConsumerDaemon(t, "--nats-url", strings.Join([]string{urls[1], urls[2], urls[0]}, ","), "--nats-replicas", "3"),
	}
	createConsumer(t, replicas[0].api, "orders", 15*time.Second, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Handed out by replica 0, acknowledged through replica 1.
	deliverMany(t, replicas[0].url, "cross", 1)
	stream, err := replicas[0].api.Consume(ctx, &hooknormv1.ConsumeRequest{Name: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	first := nextEvent(t, stream)
	if _, err := replicas[1].api.Ack(ctx, &hooknormv1.AckRequest{Name: "orders", AckTokens: []string{first.GetAckToken()}}); err != nil {
		t.Fatalf("acknowledging through the other replica: %v", err)
	}
	got, err := replicas[1].api.GetConsumer(ctx, &hooknormv1.GetConsumerRequest{Name: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.GetConsumer().GetState(); s.GetAcknowledgedThrough() != first.GetEvent().GetSequence() || s.GetUnacknowledged() != 0 {
		t.Fatalf("after the ack through the other replica the consumer stands at %v", s)
	}

	handled := newHandledLog()
	workCtx, stopWork := context.WithCancel(ctx)
	var workers sync.WaitGroup
	for w := range 4 {
		c, err := client.New(replicas[w%2].grpcAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		workers.Add(1)
		go func() {
			defer workers.Done()
			err := c.Consume(workCtx, "orders", func(_ context.Context, e *hooknormv1.ConsumedEvent) error {
				handled.add(w, e.GetEvent().GetId())
				return nil
			}, &client.ConsumeOptions{Concurrency: 4, OnRetry: func(r client.Retry) { t.Logf("worker %d: %v", w, r.Err) },
				OnSettleError: func(e *hooknormv1.ConsumedEvent, err error) {
					t.Logf("worker %d: settling %d: %v", w, e.GetEvent().GetSequence(), err)
				}})
			t.Logf("worker %d ended: %v", w, err)
			if workCtx.Err() == nil {
				t.Errorf("worker %d stopped: %v", w, err)
			}
		}()
	}

	var (
		mu    sync.Mutex
		acked = []string{"cross-1"}
		feed  sync.WaitGroup
	)
	handled.add(-1, "cross-1")
	stopFeed := make(chan struct{})
	httpClient := &http.Client{Timeout: 10 * time.Second}
	for s := range 2 {
		feed.Add(1)
		go func() {
			defer feed.Done()
			for i := 0; ; i++ {
				select {
				case <-stopFeed:
					return
				default:
				}
				id := fmt.Sprintf("ev-%d-%d", s, i)
				if _, err := deliver(ctx, httpClient, replicas[(s+i)%2].url, id); err != nil {
					t.Errorf("delivering %s: %v", id, err)
					return
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	// Under load, the node that leads the consumer stops: the pull requests waiting there, the
	// acks on their way to it and the lookups it was answering are lost.
	leader := -1
	for i, node := range nodes {
		if node.JetStreamIsConsumerLeader(globalAccount, eventlog.StreamName, "orders") {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatal("no NATS node leads the consumer")
	}
	nodes[leader].Shutdown()
	time.Sleep(3 * time.Second)
	close(stopFeed)
	feed.Wait()
	progressed, last := time.Now(), -1
	for {
		handled.mu.Lock()
		n := len(handled.by)
		handled.mu.Unlock()
		if n >= len(acked) {
			break
		}
		if n != last {
			progressed, last = time.Now(), n
		}
		if time.Since(progressed) > 45*time.Second {
			// Stalled, past three ack deadlines: say where the consumer stands and where each
			// hooknormd's goroutines are while the workers are still attached (the log shows the
			// stacks: SIGQUIT ends the process after printing them).
			state, err := replicas[1].api.GetConsumer(context.Background(), &hooknormv1.GetConsumerRequest{Name: "orders"})
			for _, r := range replicas {
				r.proc.cmd.Process.Signal(syscall.SIGQUIT)
			}
			t.Fatalf("the workers handled %d of %d events and none for 45 s; the consumer stands at %v (%v)", n, len(acked), state.GetConsumer().GetState(), err)
		}
		select {
		case <-ctx.Done():
			state, err := replicas[1].api.GetConsumer(context.Background(), &hooknormv1.GetConsumerRequest{Name: "orders"})
			t.Fatalf("the workers handled %d of %d events; the consumer stands at %v (%v)", n, len(acked), state.GetConsumer().GetState(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	time.Sleep(16 * time.Second) // past the ack deadline: a repeat would come now
	stopWork()
	workers.Wait()
	handled.checkOnce(t, acked, 4)
	t.Logf("%d events delivered to two replicas while a NATS node stopped, handled once each by four workers on both replicas", len(acked))
}
