package fanout_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/fanout"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// setup opens a log and runs a hub on it with a ring of ringSize records.
func setup(t *testing.T, ringSize int) (*eventlog.Log, *fanout.Hub) {
	t.Helper()
	l, err := eventlog.Open(context.Background(), eventlog.Config{
		DataDir: t.TempDir(), RetentionAge: time.Hour, DuplicateWindow: time.Hour, MaxRecordBytes: 1 << 20,
		Fsync: eventlog.FsyncPeriodic, SyncInterval: time.Minute,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	hub := fanout.New(l, ringSize, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		hub.Run(ctx)
	}()
	<-hub.Ready()
	t.Cleanup(func() {
		cancel()
		<-done
		l.Close()
	})
	return l, hub
}

func appendEvents(t *testing.T, l *eventlog.Log, from, to int, eventType string) {
	t.Helper()
	for i := from; i <= to; i++ {
		e := &hooknormv1.Event{Id: fmt.Sprintf("e%d", i), Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Type: eventType}
		if _, err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// receive reads n records from a live subscription, as their sequences.
func receive(t *testing.T, live *fanout.Live, n int) []uint64 {
	t.Helper()
	var got []uint64
	for len(got) < n {
		select {
		case rec := <-live.Records:
			got = append(got, rec.Sequence)
		case <-time.After(10 * time.Second):
			t.Fatalf("received %v, then nothing", got)
		}
	}
	return got
}

// waitHead waits until the hub has seen sequence seq.
func waitHead(t *testing.T, hub *fanout.Hub, seq uint64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); hub.Head() < seq; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the hub is at %d, want %d", hub.Head(), seq)
		}
	}
}

func TestSubscriptionsGetWhatIsStoredAfterTheirStart(t *testing.T) {
	l, hub := setup(t, 16)
	appendEvents(t, l, 1, 3, "contact.created")
	waitHead(t, hub, 3)
	live, backlog, ok := hub.Join(3, eventlog.Filter{TypePrefixes: []string{"orders/"}}, 16)
	if !ok || len(backlog) != 0 {
		t.Fatalf("Join after the head = %v, backlog %d", ok, len(backlog))
	}
	defer live.Leave()
	appendEvents(t, l, 4, 5, "contact.updated")
	appendEvents(t, l, 6, 8, "orders/invoice.paid")
	if got := receive(t, live, 3); fmt.Sprint(got) != "[6 7 8]" {
		t.Errorf("received %v, want the three orders/ events", got)
	}
}

func TestJoinFromTheRing(t *testing.T) {
	l, hub := setup(t, 5)
	appendEvents(t, l, 1, 8, "contact.created")
	waitHead(t, hub, 8)
	live, backlog, ok := hub.Join(5, eventlog.Filter{}, 16)
	if !ok {
		t.Fatal("the ring holds 4 to 8: a subscription after 5 should join")
	}
	defer live.Leave()
	var got []uint64
	for _, rec := range backlog {
		got = append(got, rec.Sequence)
	}
	appendEvents(t, l, 9, 9, "contact.created")
	got = append(got, receive(t, live, 1)...)
	if fmt.Sprint(got) != "[6 7 8 9]" {
		t.Errorf("got %v, want 6 7 8 from the ring, then 9 live", got)
	}
	if _, _, ok := hub.Join(2, eventlog.Filter{}, 16); ok {
		t.Error("the ring no longer holds 3: a subscription after 2 must read the log first")
	}
}

// TestSlowSubscriptionsAreDroppedNotWaitedFor fills one subscription's buffer: the hub drops it
// and keeps serving the other at once.
func TestSlowSubscriptionsAreDroppedNotWaitedFor(t *testing.T) {
	l, hub := setup(t, 64)
	slow, _, _ := hub.Join(0, eventlog.Filter{}, 2)
	fast, _, _ := hub.Join(0, eventlog.Filter{}, 64)
	defer fast.Leave()
	appendEvents(t, l, 1, 10, "contact.created")
	if got := receive(t, fast, 10); len(got) != 10 {
		t.Fatalf("the fast subscription got %v", got)
	}
	select {
	case <-slow.Dropped:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow subscription was not dropped")
	}
	if got := receive(t, slow, 2); fmt.Sprint(got) != "[1 2]" {
		t.Errorf("what the slow subscription had buffered: %v, want [1 2]", got)
	}
}

// TestRingIsBoundedByBytes keeps the ring under its byte bound: joining before what it still holds
// must read the log first.
func TestRingIsBoundedByBytes(t *testing.T) {
	l, err := eventlog.Open(context.Background(), eventlog.Config{
		DataDir: t.TempDir(), RetentionAge: time.Hour, DuplicateWindow: time.Hour, MaxRecordBytes: 1 << 20,
		Fsync: eventlog.FsyncPeriodic, SyncInterval: time.Minute,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	hub := fanout.New(l, 1000, 3000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		hub.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	<-hub.Ready()
	for i := 1; i <= 20; i++ {
		e := &hooknormv1.Event{Id: fmt.Sprintf("e%d", i), Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Type: "contact.created",
			RawPayload: make([]byte, 500)}
		if _, err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	waitHead(t, hub, 20)
	if _, _, ok := hub.Join(10, eventlog.Filter{}, 8); ok {
		t.Error("a ring of 3,000 bytes holds 11 records of over 500 bytes")
	}
	live, backlog, ok := hub.Join(17, eventlog.Filter{}, 8)
	if !ok || len(backlog) != 3 {
		t.Fatalf("joining after 17: %v, backlog %d", ok, len(backlog))
	}
	live.Leave()
}

// TestHubStartsWithTheNewestRecords starts a hub on a log that already holds events, as hooknormd
// starts after a restart: subscriptions resuming near the head join it at once, from the newest
// records it read into its ring as it started, and only one resuming further back than the ring
// holds must read the log first. Before, the ring started empty, and every subscription resuming
// even one event behind read the log on its own.
func TestHubStartsWithTheNewestRecords(t *testing.T) {
	l, err := eventlog.Open(context.Background(), eventlog.Config{
		DataDir: t.TempDir(), RetentionAge: time.Hour, DuplicateWindow: time.Hour, MaxRecordBytes: 1 << 20,
		Fsync: eventlog.FsyncPeriodic, SyncInterval: time.Minute,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	appendEvents(t, l, 1, 10, "contact.created")
	cases := []struct {
		name        string
		ring        int
		ringBytes   int64
		after       uint64
		joins       bool
		wantBacklog string
	}{
		{"one behind", 5, 0, 9, true, "[10]"},
		{"as far back as the ring holds", 5, 0, 5, true, "[6 7 8 9 10]"},
		{"further back than the ring holds", 5, 0, 4, false, ""},
		{"at the head", 5, 0, 10, true, "[]"},
		{"a ring bounded by bytes", 100, 1, 8, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hub := fanout.New(l, c.ring, c.ringBytes)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				hub.Run(ctx)
			}()
			defer func() {
				cancel()
				<-done
			}()
			<-hub.Ready()
			waitHead(t, hub, 10)
			live, backlog, ok := hub.Join(c.after, eventlog.Filter{}, 16)
			if ok != c.joins {
				t.Fatalf("Join after %d = %v, want %v", c.after, ok, c.joins)
			}
			if !ok {
				return
			}
			defer live.Leave()
			got := []uint64{}
			for _, rec := range backlog {
				got = append(got, rec.Sequence)
			}
			if fmt.Sprint(got) != c.wantBacklog {
				t.Errorf("joining after %d handed %v, want %s", c.after, got, c.wantBacklog)
			}
		})
	}
}
