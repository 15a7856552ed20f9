package eventlog_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
)

// syncBuffer is a log destination written from NATS's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestAFollowerThatLagsLosesNoMessage has the follower (the fan-out hub's reader) fall behind the
// log, reading 300 stored records slowly: it reads each once, in order, and NATS drops none of the
// messages sent to it. Bounded by bytes, its pull requests each ended with a status message that
// overflowed the client's buffer whenever it lagged by a whole request ("slow consumer"), and its
// consumer started over.
func TestAFollowerThatLagsLosesNoMessage(t *testing.T) {
	logged := &syncBuffer{}
	l, err := eventlog.Open(context.Background(), config(t.TempDir()), slog.New(slog.NewTextHandler(logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const records = 300
	for i := range records {
		appendAll(t, l, event(fmt.Sprintf("ev-%d", i), hooknormv1.Source_SOURCE_CLICKFUNNELS, "orders/created", ""))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := l.Follow(ctx, eventlog.Start{Earliest: true}, eventlog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for want := uint64(1); want <= records; {
		item, err := r.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if item.Record == nil {
			continue
		}
		if item.Record.Sequence != want {
			t.Fatalf("read sequence %d, want %d", item.Record.Sequence, want)
		}
		want++
		time.Sleep(3 * time.Millisecond) // a hub busy with its subscribers
	}
	if strings.Contains(logged.String(), "slow consumer") {
		t.Errorf("NATS dropped messages sent to the follower:\n%s", logged.String())
	}
}
