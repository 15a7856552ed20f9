package client_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/servertest"
)

func ingest(t *testing.T, c *client.Client, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		body := fmt.Sprintf(`{"event_id": "ev-%d", "event_type": "contact.updated", "workspace_id": 42, "api_version": 2, "data": {"id": %d}}`, i, i)
		if _, err := c.Ingest(context.Background(), client.Delivery{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSubscribeResumesAcrossARestart reads part of the log, restarts the server under the
// iterator, and reads on: every event once, in order, with no sign of the restart.
func TestSubscribeResumesAcrossARestart(t *testing.T) {
	srv := startServer(t)
	c := newClient(t, srv.GRPCAddr())
	ingest(t, c, 1, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var sub client.Subscription
	var got []uint64
	for event, err := range c.Subscribe(ctx, client.Start{Earliest: true}, client.Filter{}, &sub) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, event.GetSequence())
		if len(got) == 3 {
			if err := srv.Restart(500 * time.Millisecond); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) == 10 {
			break
		}
	}
	if fmt.Sprint(got) != "[1 2 3 4 5 6 7 8 9 10]" {
		t.Errorf("read %v across a restart", got)
	}
	if cursor, ok := sub.Cursor(); !ok || cursor != 10 {
		t.Errorf("cursor %d, %v", cursor, ok)
	}
}

// TestNewOnlySubscriptionLosesNothingWhileReconnecting subscribes to new events only, lets a
// heartbeat confirm its position, restarts the server and stores events right away: the
// iterator, reconnecting, still gets them all.
func TestNewOnlySubscriptionLosesNothingWhileReconnecting(t *testing.T) {
	srv := startServer(t)
	c := newClient(t, srv.GRPCAddr())
	ingest(t, c, 1, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var sub client.Subscription
	events := make(chan uint64, 16)
	go func() {
		for event, err := range c.Subscribe(ctx, client.Start{}, client.Filter{}, &sub) {
			if err != nil {
				return
			}
			events <- event.GetSequence()
		}
	}()
	time.Sleep(time.Second) // heartbeats confirm the position: after 2
	if err := srv.Restart(0); err != nil {
		t.Fatal(err)
	}
	// A fresh connection stores events at once, while the iterator's connection is still
	// backing off from the restart.
	ingest(t, newClient(t, srv.GRPCAddr()), 3, 5)
	for want := uint64(3); want <= 5; want++ {
		select {
		case got := <-events:
			if got != want {
				t.Fatalf("got %d, want %d", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("event %d never arrived", want)
		}
	}
}

// TestSinceSubscriptionResumesWithItsSinceBeforeAnyEvent starts at a time after the events
// already stored and restarts the server before anything arrived: the reconnected iterator asks
// for the same time again, so it does not replay the older events.
func TestSinceSubscriptionResumesWithItsSinceBeforeAnyEvent(t *testing.T) {
	srv := startServer(t)
	c := newClient(t, srv.GRPCAddr())
	ingest(t, c, 1, 2)
	time.Sleep(20 * time.Millisecond) // received_at of 1 and 2 is strictly before since
	since := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	events := make(chan uint64, 16)
	go func() {
		for event, err := range c.Subscribe(ctx, client.Start{Since: since}, client.Filter{}, nil) {
			if err != nil {
				return
			}
			events <- event.GetSequence()
		}
	}()
	time.Sleep(500 * time.Millisecond) // the stream is open and its opening heartbeat read
	if err := srv.Restart(0); err != nil {
		t.Fatal(err)
	}
	ingest(t, newClient(t, srv.GRPCAddr()), 3, 3)
	select {
	case got := <-events:
		if got != 3 {
			t.Errorf("first event %d, want 3", got)
		}
	case <-ctx.Done():
		t.Fatal("event 3 never arrived")
	}
}

// TestReplayUntilHeadEndsWhenTheLastEventsAreFilteredOut replays a log whose newest events the
// filter leaves out: the server says at once that the subscription has caught up, so the replay
// ends without waiting for a heartbeat (an hour apart here, far more than this test waits).
func TestReplayUntilHeadEndsWhenTheLastEventsAreFilteredOut(t *testing.T) {
	srv := startServer(t, servertest.WithHeartbeat(time.Hour))
	c := newClient(t, srv.GRPCAddr())
	ingest(t, c, 1, 3)
	for i := 4; i <= 6; i++ {
		body := fmt.Sprintf(`{"event_id": "other-%d", "event_type": "contact.created", "workspace_id": 42, "api_version": 2, "data": {"id": %d}}`, i, i)
		if _, err := c.Ingest(context.Background(), client.Delivery{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sub := client.Subscription{UntilHead: true}
	var got []uint64
	for event, err := range c.Subscribe(ctx, client.Start{Earliest: true}, client.Filter{Types: []string{"contact.updated"}}, &sub) {
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		got = append(got, event.GetSequence())
	}
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("replayed %v, want [1 2 3]", got)
	}
	if cursor, ok := sub.Cursor(); !ok || cursor != 6 {
		t.Errorf("cursor %d, %v; want 6, the head", cursor, ok)
	}
}

func TestSubscribeStopsOnARefusal(t *testing.T) {
	c := newClient(t, startServer(t).GRPCAddr())
	for _, err := range c.Subscribe(context.Background(), client.Start{}, client.Filter{Sources: []hooknormv1.Source{9}}, nil) {
		if client.ReasonOf(err) != hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST {
			t.Errorf("error %v, want INVALID_REQUEST", err)
		}
		return
	}
	t.Error("the iterator ended without the refusal")
}

// TestSubscribeStopsOnACursorFromAnotherLog resumes after a sequence the log never reached, as a
// client does whose hooknormd lost its log: the iterator yields CURSOR_AHEAD once and ends, rather
// than waiting, or retrying, until the new log passes the cursor.
func TestSubscribeStopsOnACursorFromAnotherLog(t *testing.T) {
	srv := startServer(t)
	c := newClient(t, srv.GRPCAddr())
	ingest(t, c, 1, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var yields []error
	for event, err := range c.Subscribe(ctx, client.Start{HasAfter: true, After: 10}, client.Filter{}, nil) {
		if event != nil {
			t.Fatalf("event %d after a cursor beyond the log", event.GetSequence())
		}
		yields = append(yields, err)
	}
	if len(yields) != 1 || client.ReasonOf(yields[0]) != hooknormv1.ErrorReason_ERROR_REASON_CURSOR_AHEAD {
		t.Errorf("yielded %v, want one CURSOR_AHEAD refusal", yields)
	}
}

// TestSubscribeReportsEachRetry subscribes to an address nothing listens on: each failed attempt
// is reported with its count, its delay and an error that says the server was not reached.
func TestSubscribeReportsEachRetry(t *testing.T) {
	c := newClient(t, "127.0.0.1:1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var retries []client.Retry
	sub := &client.Subscription{OnRetry: func(r client.Retry) {
		retries = append(retries, r)
		if len(retries) == 3 {
			cancel()
		}
	}}
	for _, err := range c.Subscribe(ctx, client.Start{}, client.Filter{}, sub) {
		t.Fatalf("yielded %v", err)
	}
	if len(retries) != 3 {
		t.Fatalf("%d retries reported, want 3", len(retries))
	}
	for i, r := range retries {
		var e *client.Error
		if r.Attempt != i+1 || r.Wait <= 0 || !errors.As(r.Err, &e) || !e.Unreachable() {
			t.Errorf("retry %d: %+v", i+1, r)
		}
	}
}

// TestSubscribeReportsTheConnection subscribes to a running server: OnConnected is called once
// the stream opens.
func TestSubscribeReportsTheConnection(t *testing.T) {
	srv := startServer(t)
	c := newClient(t, srv.GRPCAddr())
	ingest(t, c, 1, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	connected := 0
	sub := &client.Subscription{OnConnected: func() { connected++ }}
	for _, err := range c.Subscribe(ctx, client.Start{Earliest: true}, client.Filter{}, sub) {
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	if connected != 1 {
		t.Errorf("OnConnected called %d times, want 1", connected)
	}
}
