package eventlog_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
)

// readThrough reads from a reader until it has read through sequence last (a record or progress
// says so), and returns what it read in order: "r<seq>" for a record, "t<seq>" for how far it
// has read, "gap a-b".
func readThrough(t *testing.T, r *eventlog.Reader, last uint64) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	for {
		item, err := r.Next(ctx)
		if err != nil {
			t.Fatalf("read %v, then: %v (never through %d)", got, err, last)
		}
		switch {
		case item.Record != nil:
			got = append(got, fmt.Sprintf("r%d", item.Record.Sequence))
			if item.Record.Sequence >= last {
				return got
			}
		case item.Gap != nil:
			got = append(got, fmt.Sprintf("gap %d-%d", item.Gap.First, item.Gap.Last))
		default:
			got = append(got, fmt.Sprintf("t%d", item.Through))
			if item.Through >= last {
				return got
			}
		}
	}
}

// records keeps the records of what readThrough read.
func records(read []string) []string {
	return slices.DeleteFunc(slices.Clone(read), func(s string) bool { return s[0] != 'r' })
}

// TestFilteredReaderReachesTheNewestEvent reads logs whose newest events the filter leaves out,
// from every kind of start: the reader returns exactly the events the filter accepts, then says it
// has read through the newest event, rather than waiting on for an event it would accept.
func TestFilteredReaderReachesTheNewestEvent(t *testing.T) {
	l := open(t, config(t.TempDir()))
	cf, wf := hooknormv1.Source_SOURCE_CLICKFUNNELS, hooknormv1.Source_SOURCE_WEBFLOW
	appendAll(t, l,
		event("o1", cf, "order.created", "42"),
		event("w1", wf, "form_submission", "site1"),
		event("c1", cf, "contact.created", "42"),
		event("c2", cf, "contact.created", "43"),
		event("c3", cf, "contact.created", "42"),
		event("c4", cf, "contact.created", "43"),
	)
	const last = 6
	earliest := eventlog.Start{Earliest: true}
	cases := []struct {
		name   string
		start  eventlog.Start
		filter eventlog.Filter
		want   []string
	}{
		{"type prefix", earliest, eventlog.Filter{TypePrefixes: []string{"order."}}, []string{"r1"}},
		{"exact type", earliest, eventlog.Filter{Types: []string{"form_submission"}}, []string{"r2"}},
		{"type nothing has", earliest, eventlog.Filter{Types: []string{"invoice.paid"}}, nil},
		{"tenant", earliest, eventlog.Filter{Tenant: "42"}, []string{"r1", "r3", "r5"}},
		{"tenants of a scope", earliest, eventlog.Filter{Tenants: []string{"site1", "nobody"}}, []string{"r2"}},
		{"source", earliest, eventlog.Filter{Sources: []hooknormv1.Source{wf}}, []string{"r2"}},
		{"tenant and type", earliest, eventlog.Filter{Tenant: "42", TypePrefixes: []string{"order."}}, []string{"r1"}},
		{"tenant nothing has", earliest, eventlog.Filter{Tenant: "44"}, nil},
		{"after a sequence", eventlog.Start{HasAfter: true, After: 1}, eventlog.Filter{Tenant: "42"}, []string{"r3", "r5"}},
		{"since", eventlog.Start{Since: time.Now().Add(-time.Hour)}, eventlog.Filter{Sources: []hooknormv1.Source{wf}}, []string{"r2"}},
		{"since with nothing after", eventlog.Start{Since: time.Now().Add(-time.Hour)}, eventlog.Filter{Tenant: "44"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r, err := l.Read(ctx, c.start, c.filter)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got := readThrough(t, r, last)
			if fmt.Sprint(records(got)) != fmt.Sprint(c.want) {
				t.Errorf("read %v: records %v, want %v", got, records(got), c.want)
			}
		})
	}
}

// TestSinceStartIsPlacedAtOnce starts a filtered reader at a time between events: it leaves out
// the event before the time that its filter accepts, and says at once that it has read through
// the newest event, as none after the time is for it.
func TestSinceStartIsPlacedAtOnce(t *testing.T) {
	l := open(t, config(t.TempDir()))
	cf := hooknormv1.Source_SOURCE_CLICKFUNNELS
	appendAll(t, l, event("c1", cf, "contact.created", "42"))
	since := time.Now()
	appendAll(t, l, event("c2", cf, "contact.created", "43"), event("c3", cf, "contact.created", "43"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := l.Read(ctx, eventlog.Start{Since: since}, eventlog.Filter{Tenant: "42"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := readThrough(t, r, 3); fmt.Sprint(got) != "[t3]" {
		t.Errorf("read %v, want through 3 alone: the event of tenant 42 is older than the start", got)
	}
}

// TestProgressNeverPassesAnEventNotYetRead appends events of two tenants and types while
// filtered readers read them, and checks every progress a reader reported against what it had
// returned by then: it never claims an event it accepts before returning it, and in the end it
// returned every such event.
func TestProgressNeverPassesAnEventNotYetRead(t *testing.T) {
	l := open(t, config(t.TempDir()))
	cf, wf := hooknormv1.Source_SOURCE_CLICKFUNNELS, hooknormv1.Source_SOURCE_WEBFLOW
	filters := []struct {
		name   string
		filter eventlog.Filter
		wants  func(*hooknormv1.Event) bool
	}{
		{"tenant", eventlog.Filter{Tenant: "42"}, func(e *hooknormv1.Event) bool { return e.GetTenant() == "42" }},
		{"type prefix", eventlog.Filter{TypePrefixes: []string{"order."}}, func(e *hooknormv1.Event) bool { return e.GetType() == "order.created" }},
		{"source", eventlog.Filter{Sources: []hooknormv1.Source{wf}}, func(e *hooknormv1.Event) bool { return e.GetSource() == wf }},
	}
	const total = 400
	stored := make([]*hooknormv1.Event, total+1) // by sequence
	var storedMu sync.Mutex

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	readers := make([]*eventlog.Reader, len(filters))
	for i, f := range filters {
		r, err := l.Read(ctx, eventlog.Start{HasAfter: true}, f.filter)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		readers[i] = r
	}
	reads := make([][]string, len(filters))
	var wg sync.WaitGroup
	for i, r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				item, err := r.Next(ctx)
				if err != nil {
					t.Errorf("%s: read %d items, then %v", filters[i].name, len(reads[i]), err)
					return
				}
				switch {
				case item.Record != nil:
					reads[i] = append(reads[i], fmt.Sprintf("r%d", item.Record.Sequence))
					if item.Record.Sequence >= total {
						return
					}
				case item.Gap != nil:
					reads[i] = append(reads[i], fmt.Sprintf("gap %d-%d", item.Gap.First, item.Gap.Last))
				default:
					reads[i] = append(reads[i], fmt.Sprintf("t%d", item.Through))
					if item.Through >= total {
						return
					}
				}
			}
		}()
	}
	for n := range total {
		var e *hooknormv1.Event
		switch {
		case n == total-1:
			// The newest event is one no filter accepts, so each reader can only finish by saying
			// it has read through it, however the reads and appends interleave.
			e = event(fmt.Sprintf("c%d", n), cf, "contact.created", "43")
		case n%11 == 5:
			e = event(fmt.Sprintf("w%d", n), wf, "form_submission", "site1")
		case n%7 == 3:
			e = event(fmt.Sprintf("o%d", n), cf, "order.created", "42")
		case n%2 == 0:
			e = event(fmt.Sprintf("c%d", n), cf, "contact.created", "43")
		default:
			e = event(fmt.Sprintf("c%d", n), cf, "contact.created", "42")
		}
		a, err := l.Append(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		storedMu.Lock()
		stored[a.Sequence] = e
		storedMu.Unlock()
		if n%8 == 0 {
			time.Sleep(5 * time.Millisecond) // let the readers catch up now and then, and ask the log
		}
	}
	wg.Wait()
	for i, f := range filters {
		var want []uint64
		for seq := uint64(1); seq <= total; seq++ {
			if f.wants(stored[seq]) {
				want = append(want, seq)
			}
		}
		returned := map[uint64]bool{}
		throughs := 0
		for _, item := range reads[i] {
			var seq uint64
			fmt.Sscanf(item[1:], "%d", &seq)
			switch item[0] {
			case 'r':
				returned[seq] = true
			case 't':
				throughs++
				for _, w := range want {
					if w <= seq && !returned[w] {
						t.Fatalf("%s: said it had read through %d before returning event %d, which it accepts; read %v", f.name, seq, w, reads[i])
					}
				}
			default:
				t.Fatalf("%s: %s: no event was removed", f.name, item)
			}
		}
		if len(returned) != len(want) || throughs == 0 {
			t.Errorf("%s: returned %d events, want %d; said how far it had read %d times", f.name, len(returned), len(want), throughs)
		}
	}
}
