package client

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/cenkalti/backoff/v5"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Start says where a subscription begins. The zero Start delivers only events stored from now on.
type Start struct {
	// Earliest starts at the oldest event the log retains.
	Earliest bool
	// After, when HasAfter, resumes after the event with this sequence (a cursor).
	After    uint64
	HasAfter bool
	// Since, when not zero, starts at the first event received at or after it.
	Since time.Time
}

// Filter says which events a subscription wants; empty fields accept all.
type Filter struct {
	Sources      []hooknormv1.Source
	Types        []string
	TypePrefixes []string
	Tenant       string
	IncludeRaw   bool
}

// GapError reports events the log removed (by retention) before the subscription read them.
// Subscribe yields it and goes on with the next retained event.
type GapError struct {
	First, Last uint64
}

func (e *GapError) Error() string {
	return fmt.Sprintf("hooknorm: events %d to %d were removed by retention before they could be read", e.First, e.Last)
}

// Subscription tells where a Subscribe iterator is, so a caller can store its cursor.
type Subscription struct {
	// UntilHead, set before calling Subscribe, ends the iterator once it has yielded every event
	// up to the head: the latest sequence when the subscription first opened. It suits backfills
	// and batch jobs that read what is there and stop.
	UntilHead bool
	// OnRetry, when set before calling Subscribe, is called each time the stream could not open
	// or broke and Subscribe is about to try again, so a caller can say why and when.
	OnRetry func(Retry)
	// OnConnected, when set before calling Subscribe, is called each time a stream opens (its
	// first message arrives), for example to say that a connection came back after retries.
	OnConnected func()

	cursor    uint64
	known     bool
	head      uint64
	headKnown bool
}

// Retry says why a subscription's stream could not open or broke, and when Subscribe tries again.
type Retry struct {
	// Err is why, an *Error: its Status says what failed, and Unreachable whether the server
	// could be reached at all.
	Err error
	// Attempt counts the failures in a row, from 1; it starts again after a stream opens.
	Attempt int
	// Wait is how long Subscribe waits before the next attempt.
	Wait time.Duration
}

// Cursor returns the sequence to resume after, and whether there is one yet.
func (s *Subscription) Cursor() (uint64, bool) { return s.cursor, s.known }

// Head returns the log's latest sequence when the subscription first opened, and whether the
// server has said it yet (it does as the stream opens).
func (s *Subscription) Head() (uint64, bool) { return s.head, s.headKnown }

// reachedHead reports whether a subscription with UntilHead has nothing more to yield.
func (s *Subscription) reachedHead() bool {
	return s.UntilHead && s.headKnown && (s.head == 0 || s.known && s.cursor >= s.head)
}

// Subscribe returns the subscription's events in log order as an iterator. When the stream
// breaks, it reconnects with backoff and resumes after the last event it yielded (or the last
// position a heartbeat confirmed), so a caller sees no gap and no repeat across reconnects. It
// stops when ctx ends, when the caller stops iterating, or with an error the server gives for the
// request itself (a bad argument, a missing token, a scope, or CURSOR_AHEAD: a cursor beyond the
// log's newest event, which this log never gave; or TOO_MANY_STREAMS: a token past its limit of
// open subscriptions). Each retry is reported to sub.OnRetry, when set. It yields a *GapError when events were lost to
// retention, and carries on.
func (c *Client) Subscribe(ctx context.Context, start Start, filter Filter, sub *Subscription) iter.Seq2[*hooknormv1.Event, error] {
	if sub == nil {
		sub = &Subscription{}
	}
	if start.HasAfter {
		sub.cursor, sub.known = start.After, true
	}
	return func(yield func(*hooknormv1.Event, error) bool) {
		retries := newBackoff()
		attempt := 0
		for {
			req := c.subscribeRequest(start, filter, sub)
			stream, err := c.api.Subscribe(ctx, req)
			for opened := false; err == nil; opened = true {
				var msg *hooknormv1.SubscribeResponse
				if msg, err = stream.Recv(); err != nil {
					break
				}
				if !opened {
					retries.Reset()
					attempt = 0
					if sub.OnConnected != nil {
						sub.OnConnected()
					}
				}
				switch m := msg.GetMessage().(type) {
				case *hooknormv1.SubscribeResponse_Event:
					if sub.UntilHead && sub.headKnown && m.Event.GetSequence() > sub.head {
						return // stored after the subscription opened
					}
					sub.cursor, sub.known = m.Event.GetSequence(), true
					if !yield(m.Event, nil) || sub.reachedHead() {
						return
					}
				case *hooknormv1.SubscribeResponse_Gap:
					sub.cursor, sub.known = max(sub.cursor, m.Gap.GetLastSequence()), true
					if !yield(nil, &GapError{First: m.Gap.GetFirstSequence(), Last: m.Gap.GetLastSequence()}) || sub.reachedHead() {
						return
					}
				case *hooknormv1.SubscribeResponse_Heartbeat:
					if !sub.headKnown {
						sub.head, sub.headKnown = m.Heartbeat.GetLatestSequence(), true
					}
					// A cursor of 0 before anything was sent says nothing for a start at a time:
					// the next connection must ask for the same since.
					if cursor := m.Heartbeat.GetCursor(); cursor > sub.cursor || (!sub.known && (cursor > 0 || start.Since.IsZero())) {
						sub.cursor, sub.known = cursor, true
					}
					if sub.reachedHead() {
						return
					}
				}
			}
			if ctx.Err() != nil {
				return
			}
			if final(err) {
				yield(nil, wrap(err))
				return
			}
			wait := retries.NextBackOff()
			attempt++
			if sub.OnRetry != nil {
				sub.OnRetry(Retry{Err: wrap(err), Attempt: attempt, Wait: wait})
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
	}
}

// subscribeRequest is the request of the next connection: the requested start the first time,
// after the cursor once there is one.
func (c *Client) subscribeRequest(start Start, filter Filter, sub *Subscription) *hooknormv1.SubscribeRequest {
	req := &hooknormv1.SubscribeRequest{
		Sources: filter.Sources, Types: filter.Types, TypePrefixes: filter.TypePrefixes,
		Tenant: filter.Tenant, IncludeRaw: filter.IncludeRaw,
	}
	switch {
	case sub.known:
		req.Start = &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: sub.cursor}
	case start.Earliest:
		req.Start = &hooknormv1.SubscribeRequest_Earliest{Earliest: true}
	case !start.Since.IsZero():
		req.Start = &hooknormv1.SubscribeRequest_Since{Since: timestamppb.New(start.Since)}
	}
	return proto.Clone(req).(*hooknormv1.SubscribeRequest)
}

// final reports whether a stream error is about the request itself, so retrying cannot help: a
// bad argument or cursor, a missing or unknown token, a scope, a token past its limit of open
// subscriptions, or a server that does not serve the call.
func final(err error) bool {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.OutOfRange, codes.Unauthenticated, codes.PermissionDenied, codes.ResourceExhausted,
		codes.Unimplemented, codes.NotFound:
		return true
	}
	return errors.Is(err, context.Canceled)
}

// newBackoff returns the delays between attempts to open a stream: exponential with jitter,
// from about 100 ms up to 4 s give or take a quarter, for as long as it takes, so a subscription
// resumes within five seconds of hooknormd coming back, however long it was away.
func newBackoff() *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     100 * time.Millisecond,
		RandomizationFactor: 0.25,
		Multiplier:          2,
		MaxInterval:         4 * time.Second,
	}
	b.Reset()
	return b
}
