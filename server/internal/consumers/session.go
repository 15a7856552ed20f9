package consumers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// A session serves one worker attached to a consumer. It asks JetStream for at most as many
// events as the worker may still hold (max_unacknowledged less those it holds), so JetStream
// shares the events among the consumer's workers and none waits in a buffer with its deadline
// running. An event leaves what the worker holds when it is acknowledged or given back (on
// whichever hooknormd: Ack and Nack tell the session through NATS) or when its deadline passes.
// Before handing an event out, the session:
//   - acknowledges it without handing it out if its type is not among the consumer's types
//     (JetStream filters by source and tenant, the subjects, but not by type);
//   - sets it aside as a dead letter if it has been handed out MaxDeliveries times already, the
//     last time without an ack or a nack before its deadline.
// It also takes the consumer's redriven dead letters, checked at least every redriveCheck.

// Bounds of sessions.
const (
	// DefaultMaxUnacknowledged is how many events a worker holds when it does not say.
	DefaultMaxUnacknowledged = 1
	// MaxMaxUnacknowledged is the most a worker may hold.
	MaxMaxUnacknowledged = 1000
	// fetchWait is how long one request for events waits for them.
	fetchWait = time.Second
	// redriveCheck is how often a session looks for redriven dead letters.
	redriveCheck = time.Second
	// retryFor is how long a session tries to reach the consumer again before giving up.
	retryFor = 30 * time.Second
	// notFoundFor is how long NATS must say a session's consumer is gone before the session ends.
	notFoundFor = 10 * time.Second
)

// Delivery is an event handed out to a worker.
type Delivery struct {
	// Record is the event.
	Record *eventlog.Record
	// Attempt is how many times it has been handed out, this time included.
	Attempt uint64
	// Token is what Ack and Nack take.
	Token string
	// Deadline is when it is handed out again unless acknowledged.
	Deadline time.Time
}

// Session hands a consumer's events to one worker. Next and Close are called from one goroutine
// at a time; Pending from any.
type Session struct {
	m        *Manager
	spec     Spec
	id       string
	max      int
	events   jetstream.Consumer
	redrive  jetstream.Consumer
	sub      *nats.Subscription
	settled  chan *nats.Msg
	held     map[string]time.Time // the tokens of events the worker holds, with their deadlines
	batch    jetstream.MessageBatch
	redriven bool // the batch comes from the redrive queue
	lastLook time.Time
	pending  atomic.Uint64 // read by heartbeats while Next runs
}

// Attach attaches a worker that holds at most maxUnacknowledged events (0: the default) to the
// consumer called name.
func (m *Manager) Attach(ctx context.Context, name string, maxUnacknowledged int) (*Session, error) {
	switch {
	case maxUnacknowledged == 0:
		maxUnacknowledged = DefaultMaxUnacknowledged
	case maxUnacknowledged < 0 || maxUnacknowledged > MaxMaxUnacknowledged:
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"max_unacknowledged %d is out of bounds: give from 1 to %d", maxUnacknowledged, MaxMaxUnacknowledged).AtField("max_unacknowledged")
	}
	info, err := m.consumer(ctx, name)
	if err != nil {
		return nil, err
	}
	spec, _ := specOf(info.Name, info.Config.Metadata, info.Config.AckWait, info.Created)
	askCtx, cancel := bounded(ctx)
	defer cancel()
	events, err := m.events.Consumer(askCtx, name)
	if err != nil {
		return nil, unavailable("attaching to the consumer", err)
	}
	redrive, err := m.redrive.Consumer(askCtx, name)
	if err != nil {
		return nil, unavailable("attaching to the consumer's redrive queue", err)
	}
	s := &Session{m: m, spec: spec, id: nuid.Next(), max: maxUnacknowledged, events: events, redrive: redrive,
		settled: make(chan *nats.Msg, 4*maxUnacknowledged+16), held: map[string]time.Time{}}
	s.pending.Store(info.NumPending)
	if s.sub, err = m.conn.ChanSubscribe(sessionRoot+"."+s.id, s.settled); err != nil {
		return nil, unavailable("attaching to the consumer", err)
	}
	return s, nil
}

// Spec is the consumer the session serves.
func (s *Session) Spec() Spec { return s.spec }

// Pending is how many events the consumer had yet to hand out, as last counted.
func (s *Session) Pending() uint64 { return s.pending.Load() }

// Next returns the next event for the worker, once it holds fewer than it may. It blocks until
// there is one or ctx ends; a consumer deleted meanwhile ends it with CONSUMER_NOT_FOUND.
func (s *Session) Next(ctx context.Context) (Delivery, error) {
	var failingSince time.Time
	for {
		s.release()
		if s.batch != nil {
			select {
			case msg, ok := <-s.batch.Messages():
				if !ok {
					err := s.batch.Error()
					s.batch = nil
					if s.redriven {
						// The next look at the redrive queue is redriveCheck after this one ended, not
						// after it began: a queue slow to answer (a NATS server under load, a leader
						// being elected) must not take every turn from the consumer's own events.
						s.lastLook = time.Now()
					}
					if err != nil {
						if err := s.failed(ctx, err, &failingSince); err != nil {
							return Delivery{}, err
						}
					}
					continue
				}
				failingSince = time.Time{}
				d, ok, err := s.take(ctx, msg)
				if err != nil {
					return Delivery{}, err
				}
				if ok {
					return d, nil
				}
			case <-ctx.Done():
				return Delivery{}, ctx.Err()
			}
			continue
		}
		room := s.max - len(s.held)
		if room <= 0 {
			if err := s.waitForRoom(ctx); err != nil {
				return Delivery{}, err
			}
			continue
		}
		var err error
		if time.Since(s.lastLook) >= redriveCheck {
			s.lastLook = time.Now()
			s.batch, err = s.redrive.FetchNoWait(room)
			s.redriven = true
		} else {
			s.batch, err = s.events.Fetch(room, jetstream.FetchMaxWait(fetchWait))
			s.redriven = false
		}
		if err != nil {
			s.batch = nil
			if err := s.failed(ctx, err, &failingSince); err != nil {
				return Delivery{}, err
			}
		}
	}
}

// failed decides what a failed request for events means: the consumer was deleted (NATS says
// so for notFoundFor: a cluster electing a consumer leader may say so for a moment), or NATS is
// away for longer than retryFor; otherwise it waits a little and lets Next try again.
func (s *Session) failed(ctx context.Context, cause error, since *time.Time) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if since.IsZero() {
		*since = time.Now()
		s.m.logger.Warn("a worker's request for events failed; trying again", "consumer", s.spec.Name, "session", s.id, "error", cause)
	}
	if _, err := s.m.consumer(ctx, s.spec.Name); err != nil {
		if _, refused := rejection.As(err); refused && time.Since(*since) > notFoundFor {
			return err
		}
	}
	if time.Since(*since) > retryFor {
		return unavailable("reading the consumer", cause)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(250 * time.Millisecond):
		return nil
	}
}

// take turns a message from JetStream into a delivery for the worker; ok is false when the
// session dealt with it itself (an unwanted type, a dead letter, a redriven event retention
// removed).
func (s *Session) take(ctx context.Context, msg jetstream.Msg) (Delivery, bool, error) {
	meta, err := msg.Metadata()
	if err != nil {
		return Delivery{}, false, unavailable("reading the consumer", err)
	}
	var rec *eventlog.Record
	if s.redriven {
		seq, _ := strconv.ParseUint(string(msg.Data()), 10, 64)
		stored, err := s.m.stored(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			s.m.logger.Warn("a redriven dead letter is no longer in the log: retention removed it", "consumer", s.spec.Name, "sequence", seq)
			_ = msg.Term()
			return Delivery{}, false, nil
		} else if err != nil {
			return Delivery{}, false, unavailable("reading a redriven dead letter", err)
		}
		rec = eventlog.RecordOfStored(stored)
	} else {
		if rec, err = eventlog.RecordOf(msg); err != nil {
			return Delivery{}, false, err
		}
		s.pending.Store(meta.NumPending)
		if !s.spec.Filter.WantsType(rec.Type) {
			_ = msg.Ack()
			return Delivery{}, false, nil
		}
	}
	t := token{session: s.id, sequence: rec.Sequence, subject: msg.Reply(), attempt: meta.NumDelivered}
	if meta.NumDelivered > uint64(s.spec.MaxDeliveries) {
		last := s.m.lastError(ctx, s.spec.Name, rec.Sequence)
		if last == "" {
			last = fmt.Sprintf("its ack deadline passed on delivery %d", meta.NumDelivered-1)
		}
		if err := s.m.bury(ctx, s.spec.Name, rec.Sequence, meta.NumDelivered-1, last); err != nil {
			return Delivery{}, false, err
		}
		return Delivery{}, false, s.m.settle(ctx, s.spec.Name, t, []byte("+TERM"))
	}
	if meta.NumDelivered > 1 {
		s.m.counters.Redelivered(s.spec.Name)
	}
	d := Delivery{Record: rec, Attempt: meta.NumDelivered, Token: t.String(), Deadline: time.Now().Add(s.spec.AckDeadline)}
	s.held[d.Token] = d.Deadline
	return d, true, nil
}

// release forgets the events the worker holds that were acknowledged, given back or are past
// their deadline.
func (s *Session) release() {
	for {
		select {
		case msg := <-s.settled:
			delete(s.held, string(msg.Data))
			continue
		default:
		}
		break
	}
	now := time.Now()
	for token, deadline := range s.held {
		if !now.Before(deadline) {
			delete(s.held, token)
		}
	}
}

// waitForRoom waits until an event the worker holds is settled or past its deadline.
func (s *Session) waitForRoom(ctx context.Context) error {
	var first time.Time
	for _, deadline := range s.held {
		if first.IsZero() || deadline.Before(first) {
			first = deadline
		}
	}
	timer := time.NewTimer(time.Until(first))
	defer timer.Stop()
	select {
	case msg := <-s.settled:
		delete(s.held, string(msg.Data))
	case <-timer.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// Close detaches the worker. Events JetStream sent for it that it was not handed are given back
// at once, in the background; those it was handed stay its own until acknowledged, given back or
// past their deadline.
func (s *Session) Close() {
	_ = s.sub.Unsubscribe()
	if batch := s.batch; batch != nil {
		s.batch = nil
		go func() {
			for msg := range batch.Messages() {
				_ = msg.Nak()
			}
		}()
	}
}
