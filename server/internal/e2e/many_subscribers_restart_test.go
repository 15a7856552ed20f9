package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/client"
	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/procstat"
)

// orderFixture is the ClickFunnels order fixture, about 12 KB, the largest realistic delivery.
const orderFixture = "clickfunnels/order_created.v2"

// postOrders stores n copies of the order fixture, each with an event id of its own, from
// several clients, and fails the test unless each is stored.
func postOrders(ctx context.Context, t *testing.T, url string, n int) {
	t.Helper()
	all, err := fixtures.All()
	if err != nil {
		t.Fatal(err)
	}
	var order map[string]any
	for _, f := range all {
		if f.Name == orderFixture {
			if err := json.Unmarshal(f.Body, &order); err != nil {
				t.Fatal(err)
			}
		}
	}
	if order == nil {
		t.Fatalf("no fixture %s", orderFixture)
	}
	bodies := make(chan []byte, n)
	for i := range n {
		order["event_id"] = fmt.Sprintf("order-%d", i)
		body, err := json.Marshal(order)
		if err != nil {
			t.Fatal(err)
		}
		bodies <- body
	}
	close(bodies)
	httpClient := &http.Client{Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	failures := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range bodies {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/webhooks/clickfunnels", bytes.NewReader(body))
				if err != nil {
					failures <- err
					return
				}
				resp, err := httpClient.Do(req)
				if err != nil {
					failures <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failures <- fmt.Errorf("posting an order answered %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Fatal(err)
	}
}

// TestManySubscribersResumeAfterARestart stores 12 KB orders, kills hooknormd and starts it
// again, and has a thousand subscriptions of the Go client (the number the load tool measures)
// resume at once, each from a cursor 1 to 20 events behind the newest: every one gets every event
// after its cursor, once, in order. It logs how long that took and hooknormd's peak memory.
// Before, every one of them read the log with a consumer of its own, up to 1 MiB each, and NATS
// refuses more than a thousand consumers on a stream: the last ones never caught up.
func TestManySubscribersResumeAfterARestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a thousand subscriptions against a child process")
	}
	const (
		subscribers = 1000
		orders      = 300
		maxBehind   = 20
		perClient   = 100 // subscriptions sharing one client (one connection), as the load tool does
	)
	grpcAddr, httpAddr := freePort(t), freePort(t)
	args := []string{"--data-dir", t.TempDir(), "--grpc-addr", grpcAddr, "--http-addr", httpAddr}
	url := "http://" + httpAddr
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	proc := startProcess(t, args...)
	postOrders(ctx, t, url, orders)
	proc.kill()
	proc = startProcess(t, args...)
	defer proc.kill()
	proc.showLogsIfFailed(t)
	_, before := procstat.ResidentMemory(proc.cmd.Process.Pid)

	clients := make([]*client.Client, subscribers/perClient)
	for i := range clients {
		c, err := client.New(grpcAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	began := time.Now()
	var (
		wg       sync.WaitGroup
		caughtUp atomic.Int64
		failures = make(chan error, subscribers)
	)
	for i := range subscribers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cursor := uint64(orders - 1 - i%maxBehind)
			want := cursor + 1
			for event, err := range clients[i/perClient].Subscribe(ctx, client.Start{HasAfter: true, After: cursor}, client.Filter{}, nil) {
				if err != nil {
					failures <- fmt.Errorf("subscriber %d, waiting for %d: %w", i, want, err)
					return
				}
				if event.GetSequence() != want {
					failures <- fmt.Errorf("subscriber %d got event %d, want %d", i, event.GetSequence(), want)
					return
				}
				if want++; want > orders {
					caughtUp.Add(1)
					return
				}
			}
			failures <- fmt.Errorf("subscriber %d stopped waiting for event %d: %v", i, want, ctx.Err())
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	close(failures)
	n := 0
	for err := range failures {
		if n++; n <= 5 {
			t.Error(err)
		}
	}
	_, peak := procstat.ResidentMemory(proc.cmd.Process.Pid)
	t.Logf("%d of %d subscriptions resumed 1 to %d orders behind and caught up in %s; hooknormd's peak resident memory %d MiB (%d MiB before they resumed)",
		caughtUp.Load(), subscribers, maxBehind, elapsed.Round(time.Millisecond), peak>>20, before>>20)
	if caughtUp.Load() != subscribers {
		t.Errorf("%d of %d subscriptions caught up", caughtUp.Load(), subscribers)
	}
}
