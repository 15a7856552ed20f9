package eventlog

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
)

// TestReaderReadsOnAfterJetStreamRestart restarts the embedded JetStream, as hooknormd does to
// recover from a storage failure, under open readers: each reads on from where it was, the events
// stored before the restart and after it, in order and once, and its caller sees nothing.
func TestReaderReadsOnAfterJetStreamRestart(t *testing.T) {
	l, err := Open(context.Background(), Config{
		DataDir: t.TempDir(), DuplicateWindow: time.Hour, Fsync: FsyncPeriodic, SyncInterval: time.Minute, MaxRecordBytes: 1 << 20,
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store := func(id string) {
		t.Helper()
		event := &hooknormv1.Event{Id: id, Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Type: "contact.created"}
		if _, err := l.Append(ctx, event); err != nil {
			t.Fatal(err)
		}
	}
	store("a")
	store("b")
	cases := []struct {
		name  string
		start Start
		read  int // records read before the restart
	}{
		{"earliest, nothing read yet", Start{Earliest: true}, 0},
		{"earliest, one read", Start{Earliest: true}, 1},
		{"after a sequence, all read", Start{HasAfter: true, After: 0}, 2},
	}
	readers := make([]*Reader, len(cases))
	var got = make([][]uint64, len(cases))
	for i, c := range cases {
		if readers[i], err = l.Read(ctx, c.start, Filter{}); err != nil {
			t.Fatal(err)
		}
		defer readers[i].Close()
		for range c.read {
			item, err := readers[i].Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = append(got[i], item.Record.Sequence)
		}
	}
	if err := l.restartJetStream(ctx); err != nil {
		t.Fatal(err)
	}
	store("c")
	for i, c := range cases {
		readCtx, cancelRead := context.WithTimeout(ctx, 10*time.Second)
		for len(got[i]) < 3 {
			item, err := readers[i].Next(readCtx)
			if err != nil {
				t.Fatalf("%s: after %v: %v", c.name, got[i], err)
			}
			if item.Gap != nil {
				t.Fatalf("%s: a gap %+v after the restart", c.name, item.Gap)
			}
			got[i] = append(got[i], item.Record.Sequence)
		}
		cancelRead()
		if fmt.Sprint(got[i]) != "[1 2 3]" {
			t.Errorf("%s: read %v across the restart, want [1 2 3]", c.name, got[i])
		}
	}
}
