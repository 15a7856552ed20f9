package consumers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"github.com/nats-io/nats.go"
	"golang.org/x/sync/errgroup"
)

// MaxAckTokens is how many events one Ack may acknowledge.
const MaxAckTokens = 1000

// MaxNackDelay is the longest a nack may delay handing an event out again.
const MaxNackDelay = 12 * time.Hour

// maxErrorBytes is the longest error a nack may give.
const maxErrorBytes = 1024

// Ack acknowledges the events of the consumer called name that tokens stand for: they leave its
// pending set. Every token is checked before any is acknowledged.
func (m *Manager) Ack(ctx context.Context, name string, tokens []string) error {
	if len(tokens) == 0 || len(tokens) > MaxAckTokens {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"ack_tokens holds %d tokens: give from 1 to %d", len(tokens), MaxAckTokens).AtField("ack_tokens")
	}
	parsed := make([]token, len(tokens))
	for i, text := range tokens {
		var err error
		if parsed[i], err = parseToken(name, text, fmt.Sprintf("ack_tokens[%d]", i)); err != nil {
			return err
		}
	}
	// The acknowledgements go to JetStream at once, at most ackParallelism waiting for their
	// confirmation at a time: a worker that acknowledges a batch waits for about one round trip,
	// not one per event.
	var acked atomic.Int64
	group, groupCtx := errgroup.WithContext(ctx)
	group.SetLimit(ackParallelism)
	for i, t := range parsed {
		group.Go(func() error {
			if err := m.settle(groupCtx, name, t, []byte("+ACK")); err != nil {
				return err
			}
			acked.Add(1)
			if t.attempt > 1 { // a nack may have left an error behind
				m.forgetError(groupCtx, name, t.sequence)
			}
			m.notify(t, tokens[i])
			return nil
		})
	}
	err := group.Wait()
	m.counters.Acknowledged(name, int(acked.Load()))
	return err
}

// ackParallelism is how many acknowledgements of one Ack wait for JetStream at a time.
const ackParallelism = 64

// Nack gives the event of the consumer called name that the token stands for back: it is handed
// out again after delay, or set aside as a dead letter if it had its maximum deliveries. A
// non-empty errText is kept as its last error.
func (m *Manager) Nack(ctx context.Context, name, text string, delay time.Duration, errText string) (dead bool, err error) {
	t, err := parseToken(name, text, "ack_token")
	if err != nil {
		return false, err
	}
	switch {
	case delay < 0 || delay > MaxNackDelay:
		return false, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"delay %s is out of bounds: give from 0 to %s", delay, MaxNackDelay).AtField("delay")
	case len(errText) > maxErrorBytes:
		return false, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"error is %d bytes; give at most %d", len(errText), maxErrorBytes).AtField("error")
	}
	spec, err := m.Spec(ctx, name)
	if err != nil {
		return false, err
	}
	defer m.notify(t, text)
	if t.attempt >= uint64(spec.MaxDeliveries) {
		if errText == "" {
			errText = fmt.Sprintf("given back (nack) on delivery %d, with no error", t.attempt)
		}
		if err := m.bury(ctx, name, t.sequence, t.attempt, errText); err != nil {
			return false, err
		}
		return true, m.settle(ctx, name, t, []byte("+TERM"))
	}
	if errText != "" {
		putCtx, cancel := bounded(ctx)
		_, err := m.kv.Put(putCtx, errorKey(name, t.sequence), []byte(errText))
		cancel()
		if err != nil {
			return false, unavailable("keeping the event's error", err)
		}
	}
	payload := []byte("-NAK")
	if delay > 0 {
		payload = []byte(`-NAK {"delay": ` + strconv.FormatInt(int64(delay), 10) + `}`)
	}
	return false, m.settle(ctx, name, t, payload)
}

// settle sends JetStream an ack, nack or termination of a delivery and waits for it to confirm.
func (m *Manager) settle(ctx context.Context, name string, t token, payload []byte) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	_, err := m.conn.RequestWithContext(ctx, t.subject, payload)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		if _, err := m.consumer(ctx, name); err != nil {
			return err
		}
		return unavailable("acknowledging", err)
	case err != nil:
		return unavailable("acknowledging", err)
	}
	return nil
}

// notify tells the session that handed an event out that it was acknowledged or given back, so
// it may hand out another. A lost notice only delays that until the event's deadline.
func (m *Manager) notify(t token, text string) {
	_ = m.conn.Publish(sessionRoot+"."+t.session, []byte(text))
}
