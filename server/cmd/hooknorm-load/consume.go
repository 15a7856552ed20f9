package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/consumers"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/metrics"
	"github.com/hooknorm/hooknorm/server/internal/service"
)

// The consume measurement (-consume N) stores N copies of the 12 KB ClickFunnels order in a
// hooknormd served in this process (gRPC on loopback, metrics on, as hooknormd runs), then reads
// them all, one way after the other, and reports events per second:
//   - Subscribe from the earliest event to the head, one stream: the baseline, reading with no
//     acknowledgement;
//   - Consume with acks through the Go client (c.Consume), by 1 and by 8 workers sharing one
//     consumer, each worker a client of its own, each running 1 or 16 handlers at once (-hold):
//     with one, each event is acknowledged before the worker takes the next; with sixteen, the
//     acknowledgements of handlers that finish together share one Ack.
// The handlers do nothing but count, so the figures are hooknormd's and the client's own.

// consumeResult is one way of reading the stored events.
type consumeResult struct {
	name    string
	events  int
	elapsed time.Duration
}

// measureConsume runs the consume measurement with n events, for each worker count.
func measureConsume(n int, workerCounts, holds []int, fsync eventlog.Fsync) ([]consumeResult, error) {
	eventLog, normalizer, closeDomain, err := openDomain(fsync)
	if err != nil {
		return nil, err
	}
	defer closeDomain()
	measured := metrics.New()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	groups, err := consumers.Open(ctx, eventLog, measured.ConsumerCounters(), slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	measured.WatchConsumers(groups.Stats)
	srv, err := startHooknorm(eventLog, normalizer, hooknormOptions{metrics: measured, consumers: service.NewConsumers(groups, service.DefaultHeartbeat)})
	if err != nil {
		return nil, err
	}
	defer stopHooknorm(srv)
	if err := postOrders("http://"+srv.HTTPAddr(), n); err != nil {
		return nil, err
	}

	var results []consumeResult
	started := time.Now()
	read, err := subscribeAll(ctx, srv.GRPCAddr(), n)
	if err != nil {
		return nil, err
	}
	results = append(results, consumeResult{"Subscribe, 1 stream", read, time.Since(started)})
	for _, workers := range workerCounts {
		for _, hold := range holds {
			r, err := consumeAll(ctx, srv.GRPCAddr(), n, workers, hold)
			if err != nil {
				return nil, err
			}
			results = append(results, r)
		}
	}
	return results, nil
}

// subscribeAll reads every stored event with one subscription, from the earliest to the head.
func subscribeAll(ctx context.Context, addr string, n int) (int, error) {
	c, err := client.New(addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	read := 0
	for _, err := range c.Subscribe(ctx, client.Start{Earliest: true}, client.Filter{}, &client.Subscription{UntilHead: true}) {
		if err != nil {
			return read, err
		}
		read++
	}
	if read != n {
		return read, fmt.Errorf("Subscribe read %d events of %d", read, n)
	}
	return read, nil
}

// consumeAll creates a consumer from the earliest event and has workers consume it, each with a
// client of its own running hold handlers at once, until every event is acknowledged.
func consumeAll(ctx context.Context, addr string, n, workers, hold int) (consumeResult, error) {
	admin, err := client.New(addr)
	if err != nil {
		return consumeResult{}, err
	}
	defer admin.Close()
	name := fmt.Sprintf("bench-%d-%d", workers, hold)
	if _, err := admin.CreateConsumer(ctx, &hooknormv1.CreateConsumerRequest{
		Name: name, Start: &hooknormv1.CreateConsumerRequest_Earliest{Earliest: true},
	}); err != nil {
		return consumeResult{}, err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var handled atomic.Int64
	failures := make(chan error, workers)
	started := time.Now()
	for range workers {
		c, err := client.New(addr)
		if err != nil {
			return consumeResult{}, err
		}
		defer c.Close()
		go func() {
			failures <- c.Consume(ctx, name, func(context.Context, *hooknormv1.ConsumedEvent) error {
				if handled.Add(1) == int64(n) {
					stop() // Consume returns once the handled events are acknowledged
				}
				return nil
			}, &client.ConsumeOptions{Concurrency: hold})
		}()
	}
	for range workers {
		if err := <-failures; err != nil && ctx.Err() == nil {
			return consumeResult{}, err
		}
	}
	elapsed := time.Since(started)
	if got := handled.Load(); got < int64(n) {
		return consumeResult{}, fmt.Errorf("%d workers handled %d events of %d", workers, got, n)
	}
	// Every event handled must be acknowledged: none pending, none held.
	consumer, err := admin.GetConsumer(context.Background(), name)
	if err != nil {
		return consumeResult{}, err
	}
	if state := consumer.GetState(); state.GetPending() != 0 || state.GetUnacknowledged() != 0 {
		return consumeResult{}, fmt.Errorf("%d workers handled every event, but the consumer has %d pending and %d unacknowledged",
			workers, state.GetPending(), state.GetUnacknowledged())
	}
	r := consumeResult{name: fmt.Sprintf("Consume with acks, %d worker(s) x %d handler(s)", workers, hold), events: int(handled.Load()), elapsed: elapsed}
	if handled.Load() > int64(n) {
		r.name += fmt.Sprintf(" (%d handed out again)", handled.Load()-int64(n))
	}
	return r, nil
}
