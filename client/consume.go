package client

import (
	"context"
	"strings"
	"sync"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Handler handles one event handed out by a consumer. Returning nil acknowledges the event;
// returning an error gives it back (a nack, with the error's text), so it is handed out again or,
// after the consumer's maximum deliveries, set aside as a dead letter. Its ctx ends when Consume
// is stopped; an event whose handler did not finish is handed out again after its ack deadline.
type Handler func(ctx context.Context, event *hooknormv1.ConsumedEvent) error

// ConsumeOptions configure Consume. The zero value runs one handler at a time.
type ConsumeOptions struct {
	// Concurrency is how many handlers run at once, and so how many events this worker holds
	// unacknowledged at most; 0 means 1.
	Concurrency int
	// IncludeRaw asks for each event's raw_payload.
	IncludeRaw bool
	// NackDelay, when set, says how long to wait before an event given back is handed out again,
	// by the attempt that failed; nil hands it out again at once.
	NackDelay func(attempt uint32) time.Duration
	// OnRetry, when set, is called each time the stream could not open or broke and Consume is
	// about to try again.
	OnRetry func(Retry)
	// OnConnected, when set, is called each time a stream opens.
	OnConnected func()
	// OnSettleError, when set, is called when an ack or a nack failed after retries: the event is
	// then handed out again after its deadline.
	OnSettleError func(event *hooknormv1.ConsumedEvent, err error)
}

// goneFor is how long after it was last attached Consume keeps trying a consumer the server says
// does not exist: a NATS cluster electing a new leader may say so for a moment.
const goneFor = 30 * time.Second

// missing reports whether err says the consumer does not exist.
func missing(err error) bool {
	return wrap(err).(*Error).Reason == hooknormv1.ErrorReason_ERROR_REASON_CONSUMER_NOT_FOUND
}

// settleTries is how many times an ack or a nack is tried.
const settleTries = 5

// Consume attaches this worker to the consumer called name and runs handler on its events, with
// at most opts.Concurrency handlers at once, acknowledging each event whose handler returns nil
// and giving back each whose handler fails. Several workers, in this process or others, on this
// hooknormd or others sharing its log, may consume one consumer: each event goes to one of them at
// a time. When the stream breaks, Consume attaches again with backoff, for as long as it takes. It
// returns when ctx ends (ctx's error, once running handlers have returned) or with an error the
// server gives for the request itself: an unknown consumer (CONSUMER_NOT_FOUND, when the server
// still says so 30 s after the worker was last attached), a token or scope, a bad argument.
func (c *Client) Consume(ctx context.Context, name string, handler Handler, opts *ConsumeOptions) error {
	if opts == nil {
		opts = &ConsumeOptions{}
	}
	concurrency := max(opts.Concurrency, 1)
	slots := make(chan struct{}, concurrency)
	var running sync.WaitGroup
	defer running.Wait()
	retries := newBackoff()
	attempt := 0
	attached := time.Now()
	for {
		stream, err := c.consumers.Consume(ctx, &hooknormv1.ConsumeRequest{Name: name, MaxUnacknowledged: int32(concurrency), IncludeRaw: opts.IncludeRaw})
		for opened := false; err == nil; opened = true {
			var msg *hooknormv1.ConsumeResponse
			if msg, err = stream.Recv(); err != nil {
				break
			}
			if !opened {
				retries.Reset()
				attempt = 0
				attached = time.Now()
				if opts.OnConnected != nil {
					opts.OnConnected()
				}
			}
			event := msg.GetEvent()
			if event == nil {
				continue // a heartbeat
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			running.Add(1)
			go func() {
				defer func() { <-slots; running.Done() }()
				c.handle(ctx, name, handler, event, opts)
			}()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if final(err) && !(missing(err) && time.Since(attached) < goneFor) {
			return wrap(err)
		}
		wait := retries.NextBackOff()
		attempt++
		if opts.OnRetry != nil {
			opts.OnRetry(Retry{Err: wrap(err), Attempt: attempt, Wait: wait})
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// handle runs the handler on one event and acknowledges it or gives it back.
func (c *Client) handle(ctx context.Context, name string, handler Handler, event *hooknormv1.ConsumedEvent, opts *ConsumeOptions) {
	failure := handler(ctx, event)
	if ctx.Err() != nil {
		return // stopped: the event is handed out again after its deadline
	}
	settle := func() error {
		_, err := c.consumers.Ack(ctx, &hooknormv1.AckRequest{Name: name, AckTokens: []string{event.GetAckToken()}})
		return err
	}
	if failure != nil {
		req := &hooknormv1.NackRequest{Name: name, AckToken: event.GetAckToken(), Error: truncateError(failure.Error())}
		if opts.NackDelay != nil {
			req.Delay = durationpb.New(opts.NackDelay(event.GetAttempt()))
		}
		settle = func() error {
			_, err := c.consumers.Nack(ctx, req)
			return err
		}
	}
	retries := newBackoff()
	var err error
	for try := 1; try <= settleTries; try++ {
		if err = settle(); err == nil || final(err) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(retries.NextBackOff()):
		}
	}
	if err != nil && ctx.Err() == nil && opts.OnSettleError != nil {
		opts.OnSettleError(event, wrap(err))
	}
}

// truncateError keeps an error's text within what a nack may carry (1024 bytes).
func truncateError(text string) string {
	const limit = 1024
	if len(text) <= limit {
		return text
	}
	return strings.ToValidUTF8(text[:limit-3], "") + "..."
}
