package eventlog_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func config(dir string) eventlog.Config {
	return eventlog.Config{
		DataDir:         dir,
		RetentionAge:    72 * time.Hour,
		DuplicateWindow: 48 * time.Hour,
		Fsync:           eventlog.FsyncPeriodic,
		SyncInterval:    time.Minute,
		MaxRecordBytes:  8 << 20,
	}
}

func open(t *testing.T, cfg eventlog.Config) *eventlog.Log {
	t.Helper()
	l, err := eventlog.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func event(id string, source hooknormv1.Source, eventType, tenant string) *hooknormv1.Event {
	return &hooknormv1.Event{Id: id, Source: source, Type: eventType, Tenant: tenant, RawPayload: []byte(`{"id": "` + id + `"}`)}
}

func appendAll(t *testing.T, l *eventlog.Log, events ...*hooknormv1.Event) []uint64 {
	t.Helper()
	var seqs []uint64
	for _, e := range events {
		a, err := l.Append(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, a.Sequence)
	}
	return seqs
}

// readN reads n records (and gaps, written as "gap a-b") from a reader, as id@sequence strings;
// it passes over what the reader says of how far it has read.
func readN(t *testing.T, l *eventlog.Log, start eventlog.Start, filter eventlog.Filter, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := l.Read(ctx, start, filter)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	for len(got) < n {
		item, err := r.Next(ctx)
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		rec, gap := item.Record, item.Gap
		if gap != nil {
			got = append(got, fmt.Sprintf("gap %d-%d", gap.First, gap.Last))
			continue
		}
		if rec == nil {
			continue
		}
		e := &hooknormv1.Event{}
		if err := proto.Unmarshal(rec.EventBytes(false), e); err != nil {
			t.Fatal(err)
		}
		if e.GetSequence() != rec.Sequence || e.GetRawPayload() != nil {
			t.Fatalf("record %d decodes to sequence %d with raw %q", rec.Sequence, e.GetSequence(), e.GetRawPayload())
		}
		got = append(got, fmt.Sprintf("%s@%d", e.GetId(), rec.Sequence))
	}
	return got
}

func TestAppendStoresOnceAndReadsInOrder(t *testing.T) {
	l := open(t, config(t.TempDir()))
	cf, wf := hooknormv1.Source_SOURCE_CLICKFUNNELS, hooknormv1.Source_SOURCE_WEBFLOW
	seqs := appendAll(t, l,
		event("a", cf, "orders/invoice.paid", "42"),
		event("b", wf, "form_submission", "site1"),
		event("c", cf, "subscription.canceled", "43"),
		event("d", cf, "orders/transaction.created", "42"),
	)
	if fmt.Sprint(seqs) != "[1 2 3 4]" {
		t.Fatalf("sequences %v", seqs)
	}
	again, err := l.Append(context.Background(), event("a", cf, "orders/invoice.paid", "42"))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.Sequence != 1 {
		t.Errorf("repeat of a = %+v, want duplicate of sequence 1", again)
	}
	sameIDOtherSource, err := l.Append(context.Background(), event("a", wf, "form_submission", "site1"))
	if err != nil || sameIDOtherSource.Duplicate {
		t.Errorf("an id of another source is not a duplicate: %+v %v", sameIDOtherSource, err)
	}

	cases := []struct {
		name   string
		start  eventlog.Start
		filter eventlog.Filter
		want   []string
	}{
		{"earliest", eventlog.Start{Earliest: true}, eventlog.Filter{}, []string{"a@1", "b@2", "c@3", "d@4", "a@5"}},
		{"after a sequence", eventlog.Start{HasAfter: true, After: 2}, eventlog.Filter{}, []string{"c@3", "d@4", "a@5"}},
		{"after zero", eventlog.Start{HasAfter: true}, eventlog.Filter{}, []string{"a@1", "b@2"}},
		{"one source", eventlog.Start{Earliest: true}, eventlog.Filter{Sources: []hooknormv1.Source{wf}}, []string{"b@2", "a@5"}},
		{"one tenant", eventlog.Start{Earliest: true}, eventlog.Filter{Tenant: "42"}, []string{"a@1", "d@4"}},
		{"exact type", eventlog.Start{Earliest: true}, eventlog.Filter{Types: []string{"subscription.canceled"}}, []string{"c@3"}},
		{"type prefix", eventlog.Start{Earliest: true}, eventlog.Filter{TypePrefixes: []string{"orders/"}}, []string{"a@1", "d@4"}},
		{"since", eventlog.Start{Since: time.Now().Add(-time.Minute)}, eventlog.Filter{Tenant: "43"}, []string{"c@3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := readN(t, l, c.start, c.filter, len(c.want)); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("read %v, want %v", got, c.want)
			}
		})
	}
}

func TestRawPayloadOnRequest(t *testing.T) {
	l := open(t, config(t.TempDir()))
	appendAll(t, l, event("a", hooknormv1.Source_SOURCE_CLICKFUNNELS, "contact.created", ""))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := l.Read(ctx, eventlog.Start{Earliest: true}, eventlog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	item, err := r.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec := item.Record
	withRaw := &hooknormv1.Event{}
	if err := proto.Unmarshal(rec.EventBytes(true), withRaw); err != nil {
		t.Fatal(err)
	}
	if string(withRaw.GetRawPayload()) != `{"id": "a"}` || withRaw.GetType() != "contact.created" || withRaw.GetSequence() != 1 {
		t.Errorf("event with raw = %v", withRaw)
	}
}

func TestNewOnlyByDefault(t *testing.T) {
	l := open(t, config(t.TempDir()))
	appendAll(t, l, event("old", hooknormv1.Source_SOURCE_WEBFLOW, "form_submission", ""))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := l.Read(ctx, eventlog.Start{}, eventlog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	appendAll(t, l, event("new", hooknormv1.Source_SOURCE_WEBFLOW, "form_submission", ""))
	item, err := r.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rec := item.Record; rec == nil || rec.Sequence != 2 {
		t.Errorf("first read %+v, want the record of sequence 2 (only events stored after the call)", item)
	}
}

// TestGapWhenRetentionRemovedEvents resumes from a cursor older than what the log retains and
// requires an explicit gap, never a silent jump.
func TestGapWhenRetentionRemovedEvents(t *testing.T) {
	cfg := config(t.TempDir())
	cfg.RetentionBytes = 4096
	l := open(t, cfg)
	var events []*hooknormv1.Event
	for i := range 60 {
		e := event(fmt.Sprintf("e%02d", i), hooknormv1.Source_SOURCE_CLICKFUNNELS, "contact.updated", "")
		e.RawPayload = make([]byte, 200)
		events = append(events, e)
	}
	appendAll(t, l, events...)
	got := readN(t, l, eventlog.Start{HasAfter: true, After: 3}, eventlog.Filter{}, 2)
	if len(got) != 2 || got[0][:4] != "gap " {
		t.Fatalf("read %v, want a gap first", got)
	}
	var first, last uint64
	var next string
	if _, err := fmt.Sscanf(got[0], "gap %d-%d", &first, &last); err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Sscanf(got[1], "%s", &next); err != nil {
		t.Fatal(err)
	}
	if first != 4 || last < first || next != fmt.Sprintf("e%02d@%d", last, last+1) {
		t.Errorf("gap %d-%d then %s: want the gap to start at 4 and the next record to follow it", first, last, next)
	}
}

func TestEventsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	l, err := eventlog.Open(context.Background(), config(dir), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, l, event("kept", hooknormv1.Source_SOURCE_CLICKFUNNELS, "contact.created", "7"))
	l.Close()

	reopened := open(t, config(dir))
	if got := readN(t, reopened, eventlog.Start{Earliest: true}, eventlog.Filter{}, 1); got[0] != "kept@1" {
		t.Errorf("after a restart read %v", got)
	}
	again, err := reopened.Append(context.Background(), event("kept", hooknormv1.Source_SOURCE_CLICKFUNNELS, "contact.created", "7"))
	if err != nil || !again.Duplicate {
		t.Errorf("the duplicate window did not survive the restart: %+v %v", again, err)
	}
}

// TestAppendFailsWhenTheLogIsGone checks that an append the log cannot acknowledge returns an
// ErrUnavailable error, which Ingest answers with 503 so the provider retries, rather than
// waiting for ever or reporting the event stored.
func TestAppendFailsWhenTheLogIsGone(t *testing.T) {
	l := open(t, config(t.TempDir()))
	appendAll(t, l, event("a", hooknormv1.Source_SOURCE_CLICKFUNNELS, "contact.created", ""))
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	appended, err := l.Append(ctx, event("b", hooknormv1.Source_SOURCE_CLICKFUNNELS, "contact.created", ""))
	if !errors.Is(err, eventlog.ErrUnavailable) || appended.Sequence != 0 {
		t.Fatalf("Append on a closed log = %+v, %v; want no sequence and ErrUnavailable", appended, err)
	}
}

// TestAppendRefusesWhatWouldBreakTheHeaders appends events whose id or type holds a line break,
// which would let them write headers of their own into the record: each is refused as
// unstorable, and nothing is stored.
func TestAppendRefusesWhatWouldBreakTheHeaders(t *testing.T) {
	l := open(t, config(t.TempDir()))
	cf := hooknormv1.Source_SOURCE_CLICKFUNNELS
	for _, e := range []*hooknormv1.Event{
		event("", cf, "contact.created", "42"),
		event("e-1\r\nHooknorm-Type: orders/forged", cf, "contact.created", "42"),
		event("e-2", cf, "contact.created\nNats-Msg-Id: clickfunnels:e-1", "42"),
	} {
		if _, err := l.Append(context.Background(), e); !errors.Is(err, eventlog.ErrUnstorable) {
			t.Errorf("Append(id %q, type %q) = %v, want ErrUnstorable", e.GetId(), e.GetType(), err)
		}
	}
	if last, err := l.FreshLastSequence(context.Background()); err != nil || last != 0 {
		t.Errorf("the log's newest sequence is %d (%v), want 0: nothing stored", last, err)
	}
}

func TestDuplicateWindowIsCutToTheRetentionAge(t *testing.T) {
	for _, c := range []struct{ window, age, want time.Duration }{
		{48 * time.Hour, 7 * 24 * time.Hour, 48 * time.Hour},
		{48 * time.Hour, time.Hour, time.Hour},
		{48 * time.Hour, 0, 48 * time.Hour}, // no age limit
	} {
		if got := eventlog.DuplicateWindow(eventlog.Config{DuplicateWindow: c.window, RetentionAge: c.age}); got != c.want {
			t.Errorf("window %s with retention %s: %s, want %s", c.window, c.age, got, c.want)
		}
	}
}
