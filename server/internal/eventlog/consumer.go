package eventlog

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A reader reads through a consumer of the stream, which fetches up to readAheadRecords records
// ahead of the reader's caller. NATS keeps a bounded number of consumers per stream (1,000 by
// default, shared by every hooknormd on one cluster), and removes a consumer nobody pulls from
// after its inactive threshold; a reader whose consumer was removed so would wait for missed
// heartbeats before reading on. So a reader holds a consumer only while it is read from:
//   - it opens one when it is first read, where it starts, or after the last record it fetched;
//   - it parks when its caller has not read from it for a while (a subscriber that stopped
//     reading): it stops and deletes its consumer, with what it fetched ahead, and opens a new one
//     when it is read again;
//   - closing it deletes its consumer, rather than leaving it to NATS for the inactive threshold.
//
// And at most Config.MaxReaders readers hold a consumer at once (the reader Follow opens aside): a
// reader beyond them waits in Next until another parks or closes. That bounds what readers fetch
// ahead, however many subscriptions read the log at once, and leaves NATS room for the consumer
// that follows the head for every subscription.

// DefaultMaxReaders is how many readers hold a consumer at once when Config.MaxReaders is 0.
const DefaultMaxReaders = 128

// defaultInactiveThreshold is how long NATS keeps a consumer nobody pulls from, unless
// Config.ReaderInactiveThreshold says otherwise.
const defaultInactiveThreshold = 5 * time.Minute

// maxParkAfter is the longest a reader keeps its consumer while its caller does not read from it.
const maxParkAfter = 30 * time.Second

// consumerDeleteTimeout bounds how long deleting a consumer a reader gave up may take.
const consumerDeleteTimeout = 5 * time.Second

// parkAfter is how long a reader keeps its consumer while its caller does not read from it: well
// within the time NATS keeps a consumer nobody pulls from.
func (l *Log) parkAfter() time.Duration {
	threshold := l.cfg.ReaderInactiveThreshold
	if threshold <= 0 {
		threshold = defaultInactiveThreshold
	}
	return min(maxParkAfter, threshold/2)
}

// nextMessage returns the next message of the reader's consumer, opening one when the reader holds
// none (it was not read yet, or it parked) and when a restart of JetStream interrupted it.
func (r *Reader) nextMessage(ctx context.Context) (jetstream.Msg, error) {
	for {
		r.mu.Lock()
		messages, generation := r.messages, r.generation
		r.mu.Unlock()
		if messages == nil {
			if err := r.open(ctx); err != nil {
				return nil, err
			}
			continue
		}
		msg, err := messages.Next(jetstream.NextContext(ctx))
		if err == nil || ctx.Err() != nil || generation == r.log.generation.Load() {
			return msg, err
		}
		if err := r.open(ctx); err != nil {
			return nil, err
		}
	}
}

// open opens a consumer after how far the reader has fetched or read (where it starts, before
// either), in place of the one it had if any, once it holds a reader slot.
func (r *Reader) open(ctx context.Context) error {
	if err := r.takeSlot(ctx); err != nil {
		return err
	}
	cfg := r.cfg
	if after := max(r.fetched, r.last); after > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = jetstream.DeliverByStartSequencePolicy, after+1, nil
	}
	generation := r.log.generation.Load()
	consumer, messages, err := r.log.consume(ctx, cfg, r.readAhead())
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		messages.Stop()
		r.log.deleteConsumer(consumer)
		return jetstream.ErrMsgIteratorClosed
	}
	r.dropConsumerLocked()
	r.messages, r.consumer, r.generation = messages, consumer, generation
	if r.park == nil {
		r.park = time.AfterFunc(r.log.parkAfter(), r.parkIfIdle)
	} else {
		r.park.Reset(r.log.parkAfter())
	}
	return nil
}

// takeSlot waits for one of the log's reader slots, unless the reader holds one or needs none.
func (r *Reader) takeSlot(ctx context.Context) error {
	r.mu.Lock()
	held := r.slot || !r.bounded
	r.mu.Unlock()
	if held {
		return nil
	}
	select {
	case r.log.readerSlots <- struct{}{}:
	default:
		r.log.waitingReaders.Add(1)
		defer r.log.waitingReaders.Add(-1)
		select {
		case r.log.readerSlots <- struct{}{}:
		case <-r.done:
			return jetstream.ErrMsgIteratorClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		<-r.log.readerSlots
		return jetstream.ErrMsgIteratorClosed
	}
	r.slot = true
	return nil
}

// Readers returns how many readers hold one of the log's reader slots (a consumer) and how many
// wait for one. The reader Follow opens is not counted.
func (l *Log) Readers() (reading, waiting int) {
	return len(l.readerSlots), int(l.waitingReaders.Load())
}

// parkIfIdle gives up the reader's consumer and slot when its caller has not read from it for
// parkAfter; otherwise it looks again when that time would be up.
func (r *Reader) parkIfIdle() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.messages == nil {
		return
	}
	wait := r.log.parkAfter()
	if !r.reading {
		idle := time.Since(r.readAt)
		if idle >= wait {
			r.releaseLocked()
			return
		}
		wait -= idle
	}
	r.park.Reset(wait)
}

// releaseLocked gives up the reader's consumer, with what it fetched ahead, and its slot. The
// reader opens a new consumer after the last record it fetched when it is read again.
func (r *Reader) releaseLocked() {
	r.dropConsumerLocked()
	if r.slot {
		r.slot = false
		<-r.log.readerSlots
	}
}

// dropConsumerLocked stops the reader's consumer and deletes it from the log.
func (r *Reader) dropConsumerLocked() {
	if r.messages == nil {
		return
	}
	r.messages.Stop()
	r.log.deleteConsumer(r.consumer)
	r.messages, r.consumer = nil, nil
}

// readAhead is how far the reader's consumer fetches ahead of its caller: readAheadRecords
// records at most. A reader that holds one of the log's reader slots also fetches at most as many
// bytes as readAheadRecords of the largest records the log takes, so that a hundred readers do not
// hold gigabytes. The follower (Follow: the fan-out hub's one reader, which lags rarely) fetches
// by count only: a pull request bounded by bytes that ends on its count is followed by a status
// message, and when the reader lags by a whole request that message overflows the NATS client's
// buffer, as many messages as the request asks for: NATS drops a message ("slow consumer") and
// the ordered consumer starts over, which under load the follower did every few seconds.
func (r *Reader) readAhead() jetstream.PullMessagesOpt {
	if !r.bounded {
		return jetstream.PullMaxMessages(readAheadRecords)
	}
	return jetstream.PullMaxMessagesWithBytesLimit(readAheadRecords, r.log.fetchBytes())
}

// consume opens an ordered consumer of the log with cfg, fetching ahead as ahead says.
func (l *Log) consume(ctx context.Context, cfg jetstream.OrderedConsumerConfig, ahead jetstream.PullMessagesOpt) (jetstream.Consumer, jetstream.MessagesContext, error) {
	cfg.InactiveThreshold = l.cfg.ReaderInactiveThreshold
	// Bounded whatever the reader's context allows: an answer lost to a stopping server must not
	// hold the reader until its subscriber leaves.
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	consumer, err := l.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: opening a reader: %v", ErrUnavailable, err)
	}
	messages, err := consumer.Messages(ahead)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: opening a reader: %v", ErrUnavailable, err)
	}
	return consumer, messages, nil
}

// readAheadRecords is how many records a reader's consumer fetches ahead of its caller, at most:
// about 200 KB of 12 KB orders, and 25 MB for the most readers that hold a consumer at once.
const readAheadRecords = 16

// fetchOverhead is what NATS counts in a record's size besides what the stream stores of it: its
// subject and the reply subject it is delivered with.
const fetchOverhead = 64 << 10

// fetchBytes bounds the bytes of each fetch of a reader's consumer: the largest record the NATS
// server accepts, and the rest. NATS never delivers a record larger than a fetch may bring; it
// refuses the fetch instead, and the reader, fetching again and again, would never read past it.
func (l *Log) fetchBytes() int {
	return int(l.conn.MaxPayload()) + fetchOverhead
}

// deleteConsumer deletes a consumer a reader gave up, in the background: a reader closes or parks
// at once, and NATS would otherwise keep the consumer for its inactive threshold.
func (l *Log) deleteConsumer(consumer jetstream.Consumer) {
	info := consumer.CachedInfo()
	if info == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), consumerDeleteTimeout)
		defer cancel()
		if err := l.stream.DeleteConsumer(ctx, info.Name); err != nil {
			l.logger.Debug("a reader's consumer could not be deleted; NATS removes it once it is inactive", "consumer", info.Name, "error", err)
		}
	}()
}
