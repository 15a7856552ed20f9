// Package fanout hands the events at the head of the log to many live subscriptions with one
// reader: each event is read and encoded once, however many subscribe. It keeps the newest events
// in a bounded ring, read from the log as it starts, so a subscription that starts or resumes close
// to the head joins at once, even right after a restart, when every subscriber resumes. A
// subscription too slow to keep up is dropped from the hub, never waited for: it reads the
// durable log on its own and joins again when it has caught up. It knows nothing of gRPC.
package fanout

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/eventlog"
)

// Hub follows the head of the log and distributes its records.
type Hub struct {
	log *eventlog.Log

	mu      sync.Mutex
	ring    ring   // the newest records
	head    uint64 // the sequence of the newest record seen
	live    map[*Live]struct{}
	failed  error // set while the hub is not following the log
	started bool  // the hub has followed the log: head is where to follow it from again
	ready   chan struct{}
}

// Live is a subscription served by the hub.
type Live struct {
	hub    *Hub
	filter eventlog.Filter
	after  uint64
	// Records delivers the subscription's records in log order.
	Records <-chan *eventlog.Record
	records chan *eventlog.Record
	// Dropped is closed when the hub drops the subscription: it fell too far behind, or the hub
	// failed (see Err). Records may still hold records to read before reading the log.
	Dropped <-chan struct{}
	dropped chan struct{}
}

// New returns a hub that keeps the newest records, at most ringSize of them and at most ringBytes
// of their stored bytes.
func New(log *eventlog.Log, ringSize int, ringBytes int64) *Hub {
	return &Hub{
		log:    log,
		ring:   ring{slots: make([]*eventlog.Record, max(ringSize, 1)), maxBytes: ringBytes},
		live:   map[*Live]struct{}{},
		ready:  make(chan struct{}),
		failed: errors.New("the fan-out hub is starting"),
	}
}

// ErrStopped is why a hub stopped when its context ended.
var ErrStopped = errors.New("the fan-out hub stopped")

// retryDelay is how long a hub waits before following the log again after a failure.
const retryDelay = time.Second

// Run follows the log until ctx ends. When reading fails, it drops every live subscription (they
// read the log on their own meanwhile), refuses new ones, and follows again from where it was.
func (h *Hub) Run(ctx context.Context) error {
	var readyOnce sync.Once
	markReady := func() { readyOnce.Do(func() { close(h.ready) }) }
	defer markReady()
	for {
		err := h.follow(ctx, markReady)
		if ctx.Err() != nil {
			err = ErrStopped
		}
		h.mu.Lock()
		h.failed = err
		for l := range h.live {
			h.dropLocked(l)
		}
		h.mu.Unlock()
		markReady()
		if ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(retryDelay):
		}
	}
}

// follow reads the log after the hub's head and distributes every record, until reading fails.
// The first time, it starts with the newest records the ring holds (see preload).
func (h *Hub) follow(ctx context.Context, markReady func()) error {
	h.mu.Lock()
	after, started := h.head, h.started
	h.mu.Unlock()
	if !started {
		events, bytes, last, err := h.log.Stats(ctx)
		if err != nil {
			return err
		}
		after = last - h.preload(events, bytes)
	}
	reader, err := h.log.Follow(ctx, eventlog.Start{HasAfter: true, After: after}, eventlog.Filter{})
	if err != nil {
		return err
	}
	defer reader.Close()
	h.mu.Lock()
	h.head, h.started, h.failed = after, true, nil
	h.mu.Unlock()
	markReady()
	for {
		item, err := reader.Next(ctx)
		switch {
		case err != nil:
			return err
		case item.Gap != nil:
			h.forget(item.Gap.Last) // retention outran the hub itself: start afresh after the gap
		case item.Record != nil:
			h.distribute(item.Record)
		}
	}
}

// preload returns how many of the newest records the hub reads into its ring as it starts, of a
// log holding events of bytes in all: as many as the ring holds, by count and by their average
// size. After a restart every subscription resumes at once, most of them close to the head: they
// join the hub from its ring rather than each reading the log on its own. While the hub reads
// them, its head is behind the log's; a subscription resuming at or after the head joins at once
// all the same, and is handed only what follows its cursor.
func (h *Hub) preload(events, bytes uint64) uint64 {
	n := min(uint64(len(h.ring.slots)), events)
	if h.ring.maxBytes > 0 && events > 0 && bytes > 0 {
		n = min(n, uint64(h.ring.maxBytes)/max(bytes/events, 1))
	}
	return n
}

// Ready is closed once the hub follows the log (or failed to).
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// distribute appends rec to the ring and hands it to every live subscription that wants it,
// dropping those whose buffer is full.
func (h *Hub) distribute(rec *eventlog.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ring.push(rec)
	h.head = rec.Sequence
	for l := range h.live {
		if rec.Sequence <= l.after || !l.filter.Matches(rec) {
			continue
		}
		select {
		case l.records <- rec:
		default:
			h.dropLocked(l)
		}
	}
}

// forget empties the ring after a gap in the hub's own reading.
func (h *Hub) forget(through uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ring.clear()
	h.head = through
	for l := range h.live {
		h.dropLocked(l) // they must see the gap: they read it from the log
	}
}

func (h *Hub) dropLocked(l *Live) {
	delete(h.live, l)
	close(l.dropped)
}

// Head returns the sequence of the newest record the hub has seen.
func (h *Hub) Head() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.head
}

// Join serves a subscription from the hub if the hub holds everything after sequence after (or
// after is at or past its head), returning the records it already holds that the subscription
// wants, to deliver before Records. buffer bounds what the subscription may fall behind before it
// is dropped. Join reports false when the subscription must first read the log on its own.
func (h *Hub) Join(after uint64, filter eventlog.Filter, buffer int) (*Live, []*eventlog.Record, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed != nil || !h.holdsAfter(after) {
		return nil, nil, false
	}
	var backlog []*eventlog.Record
	for i := range h.ring.n {
		if rec := h.ring.at(i); rec.Sequence > after && filter.Matches(rec) {
			backlog = append(backlog, rec)
		}
	}
	return h.joinLocked(max(after, h.head), filter, buffer), backlog, true
}

// holdsAfter reports whether the hub holds every record after sequence after.
func (h *Hub) holdsAfter(after uint64) bool {
	if after >= h.head {
		return true
	}
	return h.ring.n > 0 && h.ring.at(0).Sequence <= after+1
}

func (h *Hub) joinLocked(after uint64, filter eventlog.Filter, buffer int) *Live {
	records, dropped := make(chan *eventlog.Record, max(buffer, 1)), make(chan struct{})
	l := &Live{hub: h, filter: filter, after: after, Records: records, records: records, Dropped: dropped, dropped: dropped}
	h.live[l] = struct{}{}
	return l
}

// Caught returns the hub's head if the subscription has taken every record handed to it: then it
// has been given everything it wants up to the head. It reports false while records wait.
func (l *Live) Caught() (uint64, bool) {
	l.hub.mu.Lock()
	defer l.hub.mu.Unlock()
	if len(l.records) > 0 {
		return 0, false
	}
	return l.hub.head, true
}

// Leave ends a live subscription.
func (l *Live) Leave() {
	l.hub.mu.Lock()
	defer l.hub.mu.Unlock()
	if _, ok := l.hub.live[l]; ok {
		l.hub.dropLocked(l)
	}
}

// Err returns why the hub is not following the log, or nil while it is.
func (h *Hub) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failed
}

// ring is a circular buffer of the newest records, bounded by count and by bytes.
type ring struct {
	slots    []*eventlog.Record
	start    int   // index of the oldest record
	n        int   // how many records it holds
	bytes    int64 // their stored size
	maxBytes int64 // 0: no byte bound
}

// push adds rec, evicting the oldest records while the ring is over either bound.
func (r *ring) push(rec *eventlog.Record) {
	if r.n == len(r.slots) {
		r.evict()
	}
	r.slots[(r.start+r.n)%len(r.slots)] = rec
	r.n++
	r.bytes += int64(rec.Size())
	for r.maxBytes > 0 && r.bytes > r.maxBytes && r.n > 1 {
		r.evict()
	}
}

// evict drops the oldest record.
func (r *ring) evict() {
	r.bytes -= int64(r.slots[r.start].Size())
	r.slots[r.start] = nil
	r.start = (r.start + 1) % len(r.slots)
	r.n--
}

// at returns the i-th oldest record.
func (r *ring) at(i int) *eventlog.Record { return r.slots[(r.start+i)%len(r.slots)] }

// clear forgets every record.
func (r *ring) clear() {
	clear(r.slots)
	r.start, r.n, r.bytes = 0, 0, 0
}
