package eventlog

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
)

// A restart of the embedded JetStream (see storage) ends the consumers readers read from, without
// telling them: they would wait for a heartbeat to go missing before reading on. So the log counts
// its restarts (its generation), interrupts every open reader after one, and a reader interrupted
// so opens a new consumer after the last record it fetched and reads on, unnoticed by its caller.

// addReader registers an open reader, for restarts to interrupt.
func (l *Log) addReader(r *Reader) {
	l.readersMu.Lock()
	defer l.readersMu.Unlock()
	if l.readers == nil {
		l.readers = map[*Reader]struct{}{}
	}
	l.readers[r] = struct{}{}
}

// removeReader forgets a closed reader.
func (l *Log) removeReader(r *Reader) {
	l.readersMu.Lock()
	defer l.readersMu.Unlock()
	delete(l.readers, r)
}

// interruptReaders counts a restart of JetStream and has every open reader reopen its consumer.
func (l *Log) interruptReaders() {
	l.generation.Add(1)
	l.readersMu.Lock()
	defer l.readersMu.Unlock()
	for r := range l.readers {
		r.mu.Lock()
		r.messages.Stop()
		r.mu.Unlock()
	}
}

// nextMessage returns the next message of the reader's consumer, reopening the consumer when a
// restart of JetStream interrupted it.
func (r *Reader) nextMessage(ctx context.Context) (jetstream.Msg, error) {
	for {
		r.mu.Lock()
		messages, generation := r.messages, r.generation
		r.mu.Unlock()
		msg, err := messages.Next(jetstream.NextContext(ctx))
		if err == nil || ctx.Err() != nil || generation == r.log.generation.Load() {
			return msg, err
		}
		if err := r.reopen(ctx); err != nil {
			return nil, err
		}
	}
}

// reopen opens a new consumer after how far the reader has fetched or read (where it started,
// before either) in place of the interrupted one.
func (r *Reader) reopen(ctx context.Context) error {
	cfg := r.cfg
	if after := max(r.fetched, r.last); after > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = jetstream.DeliverByStartSequencePolicy, after+1, nil
	}
	generation := r.log.generation.Load()
	messages, err := r.log.consume(ctx, cfg)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		messages.Stop()
		return jetstream.ErrMsgIteratorClosed
	}
	r.messages.Stop()
	r.messages, r.generation = messages, generation
	return nil
}
