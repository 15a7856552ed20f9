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
// (the events whose handlers finish while an Ack is on its way share the next one) and giving back
// each whose handler fails. Several workers, in this process or others, on this hooknormd or
// others sharing its log, may consume one consumer: each event goes to one of them at a time.
// When the stream breaks, Consume attaches again with backoff, for as long as it takes. It returns
// when ctx ends (ctx's error, once running handlers have returned and the events they handled are
// acknowledged, for at most 5 s) or with an error the server gives for the request itself: an
// unknown consumer (CONSUMER_NOT_FOUND, when the server still says so 30 s after the worker was
// last attached), a token or scope, a bad argument.
func (c *Client) Consume(ctx context.Context, name string, handler Handler, opts *ConsumeOptions) error {
	if opts == nil {
		opts = &ConsumeOptions{}
	}
	concurrency := max(opts.Concurrency, 1)
	slots := make(chan struct{}, concurrency)
	acks := c.startAcker(ctx, name, opts, concurrency)
	var running sync.WaitGroup
	defer func() {
		running.Wait()
		acks.stop()
	}()
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
				c.handle(ctx, name, handler, event, opts, acks)
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

// handle runs the handler on one event and hands it to acks to be acknowledged, or gives it back.
func (c *Client) handle(ctx context.Context, name string, handler Handler, event *hooknormv1.ConsumedEvent, opts *ConsumeOptions, acks *acker) {
	failure := handler(ctx, event)
	if failure == nil {
		acks.queue <- event // handled, even if Consume is stopping: acknowledged as it stops
		return
	}
	if ctx.Err() != nil {
		return // stopped: the event is handed out again after its deadline
	}
	req := &hooknormv1.NackRequest{Name: name, AckToken: event.GetAckToken(), Error: truncateError(failure.Error())}
	if opts.NackDelay != nil {
		req.Delay = durationpb.New(opts.NackDelay(event.GetAttempt()))
	}
	err := settleWithRetries(ctx, func() error {
		_, err := c.consumers.Nack(ctx, req)
		return err
	})
	if err != nil && ctx.Err() == nil && opts.OnSettleError != nil {
		opts.OnSettleError(event, wrap(err))
	}
}

// settleWithRetries calls settle until it succeeds, fails for good, ctx ends or it was tried
// settleTries times, and returns its last error.
func settleWithRetries(ctx context.Context, settle func() error) error {
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
	return err
}

// maxAckBatch is the most tokens one Ack carries; the server takes up to 1,000.
const maxAckBatch = 1000

// acker acknowledges the events of one Consume call's handlers in batches: the events whose
// handlers finish while an Ack is on its way go together in the next one. One handler at a time
// costs an Ack per event, as before; many at a time share the round trips.
type acker struct {
	c      *Client
	name   string
	opts   *ConsumeOptions
	queue  chan *hooknormv1.ConsumedEvent
	done   chan struct{}
	cancel context.CancelFunc // ends the acknowledgements still on their way
}

// ackFlushTimeout is how long a stopping Consume may take to acknowledge the events its handlers
// finished.
const ackFlushTimeout = 5 * time.Second

// startAcker starts acknowledging the events put on its queue (at most capacity at once) until
// the queue is closed; done is closed once the last batch was sent. Its acknowledgements outlive
// ctx by up to ackFlushTimeout, so that a Consume stopped by its caller still acknowledges the
// events its handlers finished rather than have them handed out again.
func (c *Client) startAcker(ctx context.Context, name string, opts *ConsumeOptions, capacity int) *acker {
	a := &acker{c: c, name: name, opts: opts, queue: make(chan *hooknormv1.ConsumedEvent, capacity), done: make(chan struct{})}
	ackCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	go a.run(ackCtx)
	return a
}

// stop waits for the events on the queue to be acknowledged, for at most ackFlushTimeout; nothing
// may be queued after it.
func (a *acker) stop() {
	close(a.queue)
	timer := time.NewTimer(ackFlushTimeout)
	defer timer.Stop()
	select {
	case <-a.done:
	case <-timer.C:
		a.cancel()
		<-a.done
	}
	a.cancel()
}

func (a *acker) run(ctx context.Context) {
	defer close(a.done)
	for event := range a.queue {
		batch := []*hooknormv1.ConsumedEvent{event}
	gather:
		for len(batch) < maxAckBatch {
			select {
			case more, ok := <-a.queue:
				if !ok {
					break gather
				}
				batch = append(batch, more)
			default:
				break gather
			}
		}
		a.ack(ctx, batch)
	}
}

// ack acknowledges a batch of events with one Ack. A batch the server refuses for good (it checks
// every token before it acknowledges any: a consumer deleted and created anew meanwhile refuses
// its old tokens) is acknowledged event by event, so that one refused token costs no other its
// acknowledgement.
func (a *acker) ack(ctx context.Context, batch []*hooknormv1.ConsumedEvent) {
	tokens := make([]string, len(batch))
	for i, event := range batch {
		tokens[i] = event.GetAckToken()
	}
	err := settleWithRetries(ctx, func() error {
		_, err := a.c.consumers.Ack(ctx, &hooknormv1.AckRequest{Name: a.name, AckTokens: tokens})
		return err
	})
	if err == nil || ctx.Err() != nil {
		return
	}
	if final(err) && len(batch) > 1 {
		for _, event := range batch {
			a.ack(ctx, []*hooknormv1.ConsumedEvent{event})
		}
		return
	}
	if a.opts.OnSettleError != nil {
		for _, event := range batch {
			a.opts.OnSettleError(event, wrap(err))
		}
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
