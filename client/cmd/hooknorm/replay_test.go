package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
)

// TestReplayDeliversTheBackfillAndExits stores events, replays them from an hour ago to a
// CloudEvents receiver (down for a while, filtered to one type) and checks that replay exits by
// itself once it has delivered everything stored when it started, in order, and nothing newer.
func TestReplayDeliversTheBackfillAndExits(t *testing.T) {
	srv := startServer(t)
	c, err := client.New(srv.GRPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ingest := func(from, to int, typ string) {
		for i := from; i <= to; i++ {
			body := fmt.Sprintf(`{"event_id": "rp-%d", "event_type": %q, "workspace_id": 7, "api_version": 2, "data": {"id": %d}}`, i, typ, i)
			if _, err := c.Ingest(context.Background(), client.Delivery{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(body)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ingest(1, 4, "order.created")
	ingest(5, 6, "contact.created") // filtered out, and after the last order: replay must still end
	r := startReceiver(t)
	r.down.Store(true)
	time.AfterFunc(700*time.Millisecond, func() { r.down.Store(false) })
	var stderr strings.Builder
	exit := make(chan int, 1)
	go func() {
		exit <- runContext(context.Background(), []string{"replay", "--since", "1h", "--to", r.url, "--type", "order.created"},
			strings.NewReader(""), io.Discard, &stderr, func(k string) string { return map[string]string{serverEnv: srv.GRPCAddr()}[k] })
	}()
	var got []*hooknormv1.Event
	for done := false; !done; {
		select {
		case e := <-r.events:
			got = append(got, e)
			if len(got) == 1 {
				ingest(7, 7, "order.created") // stored after replay started: not part of it
			}
		case err := <-r.errs:
			t.Fatalf("the receiver: %v", err)
		case code := <-exit:
			if code != exitOK {
				t.Fatalf("replay exited %d: %s", code, stderr.String())
			}
			done = true
		case <-time.After(60 * time.Second):
			t.Fatalf("replay did not finish; it said: %s", stderr.String())
		}
	}
	for len(r.events) > 0 {
		got = append(got, <-r.events)
	}
	if sequences(got) != "1 2 3 4" {
		t.Errorf("replayed %s, want 1 2 3 4", sequences(got))
	}
	if !strings.Contains(stderr.String(), "hooknorm: replayed 4 events up to sequence 6 (4 delivered, 0 dead-lettered); the last was sequence 4\n") {
		t.Errorf("replay summary: %s", stderr.String())
	}
}

func TestReplayNeedsAStart(t *testing.T) {
	var stderr strings.Builder
	code := runContext(context.Background(), []string{"replay", "--to", "http://127.0.0.1:1/"}, strings.NewReader(""), io.Discard, &stderr,
		func(string) string { return "" })
	if code != exitUsage || !strings.Contains(stderr.String(), "--since, --after or --earliest") {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
}

// TestProgressDrawsOnlyOnATerminal feeds a progress bar two events of a span of ten sequences:
// on a terminal it draws the bar with the count and reaches 100%, elsewhere it writes nothing.
func TestProgressDrawsOnlyOnATerminal(t *testing.T) {
	var tty, pipe strings.Builder
	for w, terminal := range map[*strings.Builder]bool{&tty: true, &pipe: false} {
		p := newProgress(w, terminal)
		p.update(1, 11, 20)
		p.update(2, 20, 20)
		p.clear()
	}
	if pipe.Len() != 0 {
		t.Errorf("off a terminal the bar wrote %q", pipe.String())
	}
	for _, want := range []string{"events 1", "events 2", "100%", "(10/10"} {
		if !strings.Contains(tty.String(), want) {
			t.Errorf("on a terminal the bar lacks %q: %q", want, tty.String())
		}
	}
}
