package eventlog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
)

// natsConsumerLimit is how many consumers NATS keeps on a stream by default: it refuses more.
const natsConsumerLimit = 1000

// awaitReaders waits until the log reports reading readers holding a consumer and waiting readers
// waiting for one, and fails the test if it does not within ten seconds.
func awaitReaders(t *testing.T, l *eventlog.Log, reading, waiting int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, w := l.Readers()
		if r == reading && w == waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log has %d readers reading and %d waiting, want %d and %d", r, w, reading, waiting)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nextSequence reads the next item of r and fails the test unless it is a record.
func nextSequence(ctx context.Context, t *testing.T, r *eventlog.Reader) uint64 {
	t.Helper()
	item, err := r.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if item.Record == nil {
		t.Fatalf("read %+v, want a record", item)
	}
	return item.Record.Sequence
}

// TestMoreReadersThanNATSKeepsConsumers reads the log with more readers at once than NATS keeps
// consumers on a stream, as a thousand subscriptions resuming after a restart do: every reader
// reads every event. Before, each reader opened a consumer as it opened and left it to NATS for
// five minutes when it closed, and NATS refused the readers beyond its limit.
func TestMoreReadersThanNATSKeepsConsumers(t *testing.T) {
	l := open(t, config(t.TempDir()))
	appendAll(t, l, event("a", hooknormv1.Source_SOURCE_CLICKFUNNELS, "contact.created", "42"),
		event("b", hooknormv1.Source_SOURCE_CLICKFUNNELS, "contact.created", "42"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const readers = natsConsumerLimit + 100
	failures := make(chan error, readers)
	var wg sync.WaitGroup
	for i := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := l.Read(ctx, eventlog.Start{Earliest: true}, eventlog.Filter{})
			if err != nil {
				failures <- fmt.Errorf("reader %d: %w", i, err)
				return
			}
			defer r.Close()
			var got []uint64
			for len(got) < 2 {
				item, err := r.Next(ctx)
				if err != nil {
					failures <- fmt.Errorf("reader %d, after %v: %w", i, got, err)
					return
				}
				got = append(got, item.Record.Sequence)
			}
			if fmt.Sprint(got) != "[1 2]" {
				failures <- fmt.Errorf("reader %d read %v, want [1 2]", i, got)
			}
		}()
	}
	wg.Wait()
	close(failures)
	n := 0
	for err := range failures {
		if n++; n <= 5 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Errorf("%d of %d readers failed", n, readers)
	}
	awaitReaders(t, l, 0, 0)
}

// TestReadersBeyondTheBoundWaitForASlot lets two readers hold a consumer at a time: a third waits
// in Next, the log counts it as waiting, and it reads once another closes; the reader Follow
// opens, which the fan-out hub reads with, never waits.
func TestReadersBeyondTheBoundWaitForASlot(t *testing.T) {
	cfg := config(t.TempDir())
	cfg.MaxReaders = 2
	l := open(t, cfg)
	appendAll(t, l, event("a", hooknormv1.Source_SOURCE_CLICKFUNNELS, "contact.created", "42"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var readers []*eventlog.Reader
	for range 3 {
		r, err := l.Read(ctx, eventlog.Start{Earliest: true}, eventlog.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		readers = append(readers, r)
	}
	for _, r := range readers[:2] {
		if seq := nextSequence(ctx, t, r); seq != 1 {
			t.Fatalf("read %d, want 1", seq)
		}
	}
	third := make(chan uint64, 1)
	go func() { third <- nextSequence(ctx, t, readers[2]) }()
	awaitReaders(t, l, 2, 1)

	follower, err := l.Follow(ctx, eventlog.Start{Earliest: true}, eventlog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defer follower.Close()
	if seq := nextSequence(ctx, t, follower); seq != 1 {
		t.Errorf("the follower read %d, want 1", seq)
	}
	select {
	case seq := <-third:
		t.Fatalf("the third reader read %d while two others held the two slots", seq)
	default:
	}

	readers[0].Close()
	if seq := <-third; seq != 1 {
		t.Errorf("the third reader read %d, want 1", seq)
	}
	awaitReaders(t, l, 2, 0)
}

// TestReaderWhoseCallerStopsReadingGivesItsConsumerUp stops reading from a reader, as a subscriber
// that stops reading stops its subscription's: the reader gives up its consumer, well before NATS
// would remove it, and reads on where it was when it is read again. Before, it kept the consumer
// and what it had fetched ahead; once NATS removed the consumer, it waited for missed heartbeats
// before reading on.
func TestReaderWhoseCallerStopsReadingGivesItsConsumerUp(t *testing.T) {
	cfg := config(t.TempDir())
	cfg.ReaderInactiveThreshold = time.Second
	l := open(t, cfg)
	cf := hooknormv1.Source_SOURCE_CLICKFUNNELS
	appendAll(t, l, event("a", cf, "contact.created", "42"), event("b", cf, "contact.created", "42"), event("c", cf, "contact.created", "42"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := l.Read(ctx, eventlog.Start{Earliest: true}, eventlog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := []uint64{nextSequence(ctx, t, r)}
	awaitReaders(t, l, 0, 0)                    // parked: no consumer, nothing fetched ahead
	time.Sleep(2 * cfg.ReaderInactiveThreshold) // past the time NATS keeps an unused consumer
	appendAll(t, l, event("d", cf, "contact.created", "42"))
	for len(got) < 4 {
		got = append(got, nextSequence(ctx, t, r))
	}
	if fmt.Sprint(got) != "[1 2 3 4]" {
		t.Errorf("read %v, want [1 2 3 4]", got)
	}
	if reading, _ := l.Readers(); reading != 1 {
		t.Errorf("the reader read on without a consumer: %d readers hold one", reading)
	}
}

// TestRecordsAsLargeAsTheLogAcceptsAreRead stores records of 100 KB, 1.5 MB and 6 MB in a log
// that accepts records of up to 8 MB, and reads them with a reader and with the reader Follow
// opens. Before, a reader fetched at most 1 MiB at a time: NATS refused to deliver a larger
// record, and the reader, the fan-out hub's included, waited at it for ever.
func TestRecordsAsLargeAsTheLogAcceptsAreRead(t *testing.T) {
	l := open(t, config(t.TempDir()))
	cf := hooknormv1.Source_SOURCE_CLICKFUNNELS
	sizes := []int{100 << 10, 1536 << 10, 6 << 20}
	for i, size := range sizes {
		e := event(fmt.Sprint("large-", i), cf, "contact.updated", "42")
		e.RawPayload = make([]byte, size)
		if _, err := l.Append(context.Background(), e); err != nil {
			t.Fatalf("storing %d bytes: %v", size, err)
		}
	}
	appendAll(t, l, event("small", cf, "contact.updated", "42"))
	for name, open := range map[string]func(context.Context, eventlog.Start, eventlog.Filter) (*eventlog.Reader, error){
		"Read": l.Read, "Follow": l.Follow,
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r, err := open(ctx, eventlog.Start{Earliest: true}, eventlog.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for want := uint64(1); want <= 4; want++ {
				if seq := nextSequence(ctx, t, r); seq != want {
					t.Fatalf("read %d, want %d", seq, want)
				}
			}
		})
	}
}
