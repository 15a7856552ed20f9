package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/procstat"
)

// resumeResult is a resume measurement: how long until every subscriber had caught up, and the
// process's resident memory before they resumed and at its peak while they did. The process holds
// the subscribers too; they read only each event's sequence (see glance).
type resumeResult struct {
	caughtUp, subscribers int
	elapsed               time.Duration
	before, peak          int64
}

// measureResume stores orders, stops hooknormd and starts it again on the same log, as a restart
// does, and has subscribers resume at once, each behind events behind the newest, as clients do
// after a restart. The fan-out hub keeps ring events (hooknormd's default when 0).
func measureResume(subscribers, behind, ring int, fsync eventlog.Fsync) (resumeResult, error) {
	eventLog, normalizer, closeDomain, err := openDomain(fsync)
	if err != nil {
		return resumeResult{}, err
	}
	defer closeDomain()
	srv, err := startHooknorm(eventLog, normalizer, hooknormOptions{ring: ring})
	if err != nil {
		return resumeResult{}, err
	}
	stored := behind + 100
	err = postOrders("http://"+srv.HTTPAddr(), stored)
	stopHooknorm(srv)
	if err != nil {
		return resumeResult{}, err
	}
	if srv, err = startHooknorm(eventLog, normalizer, hooknormOptions{ring: ring}); err != nil {
		return resumeResult{}, err
	}
	defer stopHooknorm(srv)
	last, err := eventLog.FreshLastSequence(context.Background())
	if err != nil {
		return resumeResult{}, err
	}

	// The peak counts from here: the Linux kernel resets it on a write of 5 to clear_refs.
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	r := resumeResult{subscribers: subscribers}
	r.before, _ = procstat.ResidentMemory(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var conns []*grpc.ClientConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range (subscribers + 99) / 100 {
		conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodecV2(glanceCodec{})))
		if err != nil {
			return resumeResult{}, err
		}
		conns = append(conns, conn)
	}
	began := time.Now()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed error
	)
	for i := range subscribers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := resumeOne(ctx, hooknormv1.NewWebhookServiceClient(conns[i/100]), last-uint64(behind), last)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				r.caughtUp++
			} else if failed == nil {
				failed = fmt.Errorf("subscriber %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(began)
	_, r.peak = procstat.ResidentMemory(0)
	if failed != nil {
		fmt.Fprintln(os.Stderr, "hooknorm-load: not every subscriber caught up; the first failure:", failed)
	}
	return r, nil
}

// resumeOne subscribes after cursor and reads until the event of sequence last, checking that the
// events come in order with none missing.
func resumeOne(ctx context.Context, api hooknormv1.WebhookServiceClient, cursor, last uint64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := api.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: cursor}})
	if err != nil {
		return err
	}
	for want := cursor + 1; want <= last; {
		var g glance
		if err := stream.RecvMsg(&g); err != nil {
			return fmt.Errorf("waiting for event %d: %w", want, err)
		}
		if !g.event {
			continue
		}
		if g.sequence != want {
			return fmt.Errorf("got event %d, want %d", g.sequence, want)
		}
		want++
	}
	return nil
}

// postOrders stores n copies of the order fixture through the webhook route at base, each with an
// event id of its own.
func postOrders(base string, n int) error {
	all, err := fixtures.All()
	if err != nil {
		return err
	}
	var order map[string]any
	for _, f := range all {
		if f.Name == orderFixture {
			if err := json.Unmarshal(f.Body, &order); err != nil {
				return err
			}
		}
	}
	if order == nil {
		return fmt.Errorf("no fixture %s", orderFixture)
	}
	for i := range n {
		order["event_id"] = fmt.Sprintf("order-%d", i)
		body, err := json.Marshal(order)
		if err != nil {
			return err
		}
		resp, err := http.Post(base+"/v1/webhooks/clickfunnels", "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("posting order %d answered %d", i, resp.StatusCode)
		}
	}
	return nil
}
