package eventlog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/nats-io/nats.go/jetstream"
)

// Start says where a reader begins. The zero Start reads only events stored from now on.
type Start struct {
	// Earliest starts at the oldest retained event.
	Earliest bool
	// After, when HasAfter, resumes after the event with this sequence.
	After    uint64
	HasAfter bool
	// Since, when not zero, starts at the first event stored at or after it.
	Since time.Time
}

// Filter says which events a reader wants; an empty field accepts all.
type Filter struct {
	// Sources keeps events of these providers.
	Sources []hooknormv1.Source
	// Tenant keeps events of this provider account.
	Tenant string
	// Tenants, when not empty, keeps only events of these accounts (besides Tenant).
	Tenants []string
	// Types keeps events whose type is one of these.
	Types []string
	// TypePrefixes keeps events whose type starts with one of these.
	TypePrefixes []string
}

// subjects are the subjects that select f's sources and tenants on the server.
func (f Filter) subjects() []string {
	tenants := []string{"*"}
	switch {
	case f.Tenant != "":
		tenants = []string{tenantToken(f.Tenant)}
	case len(f.Tenants) > 0:
		tenants = tenants[:0]
		for _, t := range f.Tenants {
			tenants = append(tenants, tenantToken(t))
		}
	}
	sources := []string{"*"}
	if len(f.Sources) > 0 {
		sources = sources[:0]
		for _, source := range f.Sources {
			sources = append(sources, sourceToken(source))
		}
	}
	var subjects []string
	for _, source := range sources {
		for _, tenant := range tenants {
			subjects = append(subjects, subjectRoot+"."+source+"."+tenant)
		}
	}
	return subjects
}

// Matches reports whether f accepts rec: its source, tenant and type.
func (f Filter) Matches(rec *Record) bool {
	if f.bySubject() {
		source, tenant, ok := strings.Cut(strings.TrimPrefix(rec.subject, subjectRoot+"."), ".")
		if !ok {
			return false
		}
		if f.Tenant != "" && tenant != tenantToken(f.Tenant) {
			return false
		}
		if len(f.Tenants) > 0 && !slices.ContainsFunc(f.Tenants, func(t string) bool { return tenantToken(t) == tenant }) {
			return false
		}
		if len(f.Sources) > 0 && !slices.ContainsFunc(f.Sources, func(s hooknormv1.Source) bool { return sourceToken(s) == source }) {
			return false
		}
	}
	return f.wants(rec.Type)
}

// bySubject reports whether f leaves out events of some sources or tenants.
func (f Filter) bySubject() bool {
	return len(f.Sources) > 0 || f.Tenant != "" || len(f.Tenants) > 0
}

// byType reports whether f leaves out events of some types.
func (f Filter) byType() bool {
	return len(f.Types) > 0 || len(f.TypePrefixes) > 0
}

// wants reports whether f accepts an event type.
func (f Filter) wants(eventType string) bool {
	if !f.byType() {
		return true
	}
	for _, t := range f.Types {
		if t == eventType {
			return true
		}
	}
	for _, prefix := range f.TypePrefixes {
		if strings.HasPrefix(eventType, prefix) {
			return true
		}
	}
	return false
}

// Gap is a range of events that were removed by retention before a reader could read them.
type Gap struct {
	// First and Last are the first and last sequence lost.
	First, Last uint64
}

// Item is what a reader returns: exactly one of its fields is set.
type Item struct {
	// Record is the next event the filter accepts.
	Record *Record
	// Gap is a range of events retention removed before the reader could read them.
	Gap *Gap
	// Through, when not zero, says how far the reader has read: it has returned every event the
	// filter accepts up to this sequence. It moves on past the events the filter leaves out.
	Through uint64
}

// Reader reads events in log order. Its memory is bounded: it fetches from the log as it is read,
// so a slow reader lags on the log rather than holding events in memory. A reader whose filter
// leaves events out also says how far it has read, past them: once it has read everything stored,
// and every second while it is leaving events out.
type Reader struct {
	log    *Log
	filter Filter
	cfg    jetstream.OrderedConsumerConfig // where it started, to open its consumer (see consumer.go)
	// last is how far the reader has read: every event up to it was returned, left out by the
	// filter, or reported lost. It is 0 before anything is read from the earliest event.
	last uint64
	// told is how far the caller knows the reader has read.
	told uint64
	// placed reports that last is known; it is false only for a since start the log could not
	// place among its events, until the first event is read.
	placed   bool
	fetched  uint64 // the sequence of the last record fetched, 0 before the first
	gap      *Gap   // a gap to return before anything else
	held     *Record
	progress *progress // nil when the filter takes every event

	// bounded reports that the reader takes one of the log's reader slots to hold a consumer.
	bounded bool
	done    chan struct{} // closed by Close

	mu sync.Mutex // guards the reader's consumer, which parking, closing and restarts end
	// messages are the records of the reader's consumer; nil while it holds none (see consumer.go).
	messages   jetstream.MessagesContext
	consumer   jetstream.Consumer
	generation uint64 // the log's generation when messages was opened
	slot       bool   // the reader holds one of the log's reader slots
	reading    bool   // the caller is in Next
	readAt     time.Time
	park       *time.Timer // parks the reader once its caller has not read from it for a while
	closed     bool
}

// Read opens a reader at start with filter. Its consumer opens when it is first read, once one of
// the log's reader slots is free (see Config.MaxReaders).
func (l *Log) Read(ctx context.Context, start Start, filter Filter) (*Reader, error) {
	return l.openReader(ctx, start, filter, true)
}

// Follow opens a reader like Read that takes no reader slot: for the one reader that follows the
// head of the log for every subscription (the fan-out hub), which must never wait behind them.
func (l *Log) Follow(ctx context.Context, start Start, filter Filter) (*Reader, error) {
	return l.openReader(ctx, start, filter, false)
}

func (l *Log) openReader(ctx context.Context, start Start, filter Filter, bounded bool) (*Reader, error) {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: filter.subjects(), DeliverPolicy: jetstream.DeliverByStartSequencePolicy}
	r := &Reader{log: l, filter: filter, placed: true, bounded: bounded, done: make(chan struct{})}
	switch {
	case start.HasAfter:
		cfg.OptStartSeq = start.After + 1
		r.last = start.After
		first, _, err := l.bounds(ctx)
		if err != nil {
			return nil, err
		}
		if first > start.After+1 {
			r.gap = &Gap{First: start.After + 1, Last: first - 1}
			r.last = first - 1
		}
	case start.Earliest && start.Since.IsZero():
		cfg.DeliverPolicy = jetstream.DeliverAllPolicy
	default:
		after, err := l.startAfter(ctx, start.Since)
		switch {
		case errors.Is(err, errTimeUnplaced):
			since := start.Since
			cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
			r.placed = false
		case err != nil:
			return nil, err
		default:
			cfg.OptStartSeq = after + 1
			r.last = after
		}
	}
	r.told = r.last
	r.progress = newProgress(filter, cfg.FilterSubjects)
	r.cfg = cfg
	l.addReader(r)
	return r, nil
}

// startAfter returns the sequence after which a reader starting at since (now, when zero) begins.
func (l *Log) startAfter(ctx context.Context, since time.Time) (uint64, error) {
	if since.IsZero() {
		return l.FreshLastSequence(ctx)
	}
	return l.lastBefore(ctx, since)
}

// Next returns the next record the filter accepts, a gap when events the reader should have read
// were removed by retention first, or how far the reader has read when its filter left events
// out. It blocks until one of them comes or ctx ends.
func (r *Reader) Next(ctx context.Context) (Item, error) {
	r.mu.Lock()
	r.reading = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.reading, r.readAt = false, time.Now()
		r.mu.Unlock()
	}()
	return r.next(ctx)
}

func (r *Reader) next(ctx context.Context) (Item, error) {
	for {
		if gap := r.gap; gap != nil {
			r.gap = nil
			r.last, r.told = max(r.last, gap.Last), max(r.told, gap.Last)
			return Item{Gap: gap}, nil
		}
		if through := r.checkProgress(ctx); through > 0 {
			return Item{Through: through}, nil
		}
		if r.gap != nil {
			continue
		}
		rec := r.held
		r.held = nil
		if rec == nil {
			var err error
			if rec, err = r.fetch(ctx); err != nil {
				return Item{}, err
			}
			if rec == nil {
				continue // waited long enough to work out how far it has read
			}
			if gap := r.lostBefore(ctx, rec.Sequence); gap != nil {
				r.gap, r.held = gap, rec // the gap first, then this record
				continue
			}
		}
		if rec.Sequence <= r.last {
			continue // a gap or progress already covered it
		}
		r.last, r.placed = rec.Sequence, true
		if r.filter.wants(rec.Type) {
			r.told = rec.Sequence
			return Item{Record: rec}, nil
		}
		r.progress.leftOut()
	}
}

// fetch reads the next stored record. A reader that reports progress waits only until it is time
// to work out how far it has read, and then returns no record.
func (r *Reader) fetch(ctx context.Context) (*Record, error) {
	wait := ctx
	if r.progress != nil {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, r.progress.wait())
		defer cancel()
	}
	msg, err := r.nextMessage(wait)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case wait.Err() != nil:
		r.progress.due = true
		return nil, nil
	case errors.Is(err, jetstream.ErrMsgIteratorClosed):
		return nil, err
	default:
		return nil, fmt.Errorf("%w: reading: %v", ErrUnavailable, err)
	}
	meta, err := msg.Metadata()
	if err != nil {
		return nil, fmt.Errorf("%w: reading: %v", ErrUnavailable, err)
	}
	if r.progress != nil && meta.NumPending == 0 {
		r.progress.due = true // nothing more stored for the reader, as far as the log counted
	}
	data := msg.Data()
	r.fetched = meta.Sequence.Stream
	return &Record{
		Sequence:  meta.Sequence.Stream,
		Type:      msg.Headers().Get(headerType),
		subject:   msg.Subject(),
		data:      data,
		rawOffset: parseOffset(msg.Headers().Get(headerRawOffset), len(data)),
	}, nil
}

// lostBefore returns the events between the last one read and seq that retention removed, if any.
// A jump in sequences is normal (the filter skips other events); only a jump past the log's
// first sequence means events were lost.
func (r *Reader) lostBefore(ctx context.Context, seq uint64) *Gap {
	if r.last == 0 || seq <= r.last+1 {
		return nil
	}
	first, _, err := r.log.bounds(ctx)
	if err != nil || first <= r.last+1 {
		return nil
	}
	return &Gap{First: r.last + 1, Last: min(first, seq) - 1}
}

// Close stops the reader and removes its consumer from the log. It may be called while another
// goroutine waits in Next, which then returns.
func (r *Reader) Close() {
	r.log.removeReader(r)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	close(r.done)
	if r.park != nil {
		r.park.Stop()
	}
	r.releaseLocked()
}
