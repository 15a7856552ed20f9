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
	if len(f.Sources) > 0 || f.Tenant != "" || len(f.Tenants) > 0 {
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

// wants reports whether f accepts an event type.
func (f Filter) wants(eventType string) bool {
	if len(f.Types) == 0 && len(f.TypePrefixes) == 0 {
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

// Reader reads events in log order. Its memory is bounded: it fetches from the log as it is read,
// so a slow reader lags on the log rather than holding events in memory.
type Reader struct {
	log     *Log
	filter  Filter
	cfg     jetstream.OrderedConsumerConfig // where it started, to reopen (see reopen.go)
	last    uint64                          // the sequence of the last record read, or the one before the start
	fetched uint64                          // the sequence of the last record fetched, 0 before the first
	gap     *Gap                            // a gap to return before anything else
	held    *Record

	mu         sync.Mutex // guards what a restart of the embedded JetStream interrupts
	messages   jetstream.MessagesContext
	generation uint64 // the log's generation when messages was opened
	closed     bool
}

// readBufferBytes bounds what a reader holds in memory ahead of its caller.
const readBufferBytes = 1 << 20

// Read opens a reader at start with filter.
func (l *Log) Read(ctx context.Context, start Start, filter Filter) (*Reader, error) {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: filter.subjects(), DeliverPolicy: jetstream.DeliverNewPolicy}
	r := &Reader{log: l, filter: filter}
	switch {
	case start.HasAfter:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, start.After+1
		r.last = start.After
		first, _, err := l.bounds(ctx)
		if err != nil {
			return nil, err
		}
		if first > start.After+1 {
			r.gap = &Gap{First: start.After + 1, Last: first - 1}
			r.last = first - 1
		}
	case !start.Since.IsZero():
		since := start.Since
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	case start.Earliest:
		cfg.DeliverPolicy = jetstream.DeliverAllPolicy
	}
	r.cfg = cfg
	r.generation = l.generation.Load()
	var err error
	if r.messages, err = l.consume(ctx, cfg); err != nil {
		return nil, err
	}
	l.addReader(r)
	return r, nil
}

// consume opens an ordered consumer of the log with cfg.
func (l *Log) consume(ctx context.Context, cfg jetstream.OrderedConsumerConfig) (jetstream.MessagesContext, error) {
	consumer, err := l.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: opening a reader: %v", ErrUnavailable, err)
	}
	messages, err := consumer.Messages(jetstream.PullMaxMessagesWithBytesLimit(256, readBufferBytes))
	if err != nil {
		return nil, fmt.Errorf("%w: opening a reader: %v", ErrUnavailable, err)
	}
	return messages, nil
}

// Next returns the next record the filter accepts, or a gap when events the reader should have
// read were removed by retention first. It blocks until one is stored or ctx ends.
func (r *Reader) Next(ctx context.Context) (*Record, *Gap, error) {
	for {
		if gap := r.gap; gap != nil {
			r.gap = nil
			return nil, gap, nil
		}
		rec := r.held
		r.held = nil
		if rec == nil {
			var err error
			if rec, err = r.fetch(ctx); err != nil {
				return nil, nil, err
			}
			if gap := r.lostBefore(ctx, rec.Sequence); gap != nil {
				r.gap, r.held = gap, rec // the gap first, then this record
				continue
			}
		}
		r.last = rec.Sequence
		if r.filter.wants(rec.Type) {
			return rec, nil, nil
		}
	}
}

// fetch reads the next stored record.
func (r *Reader) fetch(ctx context.Context) (*Record, error) {
	msg, err := r.nextMessage(ctx)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, jetstream.ErrMsgIteratorClosed):
		return nil, err
	default:
		return nil, fmt.Errorf("%w: reading: %v", ErrUnavailable, err)
	}
	meta, err := msg.Metadata()
	if err != nil {
		return nil, fmt.Errorf("%w: reading: %v", ErrUnavailable, err)
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

// Close stops the reader. It may be called while another goroutine waits in Next, which then
// returns.
func (r *Reader) Close() {
	r.log.removeReader(r)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	r.messages.Stop()
}
