package eventlog

import (
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// What durable consumers of the log (package consumers) need of it: the log's connection and
// stream, the subjects a filter selects, and records made from the messages they read.

// Subjects are the subjects that select f's sources and tenants; its types are not among them
// (a reader checks those with WantsType).
func (f Filter) Subjects() []string { return f.subjects() }

// WantsType reports whether f accepts an event of this type.
func (f Filter) WantsType(eventType string) bool { return f.wants(eventType) }

// JetStream returns the log's NATS connection, its JetStream context and the stream that holds
// the log.
func (l *Log) JetStream() (*nats.Conn, jetstream.JetStream, jetstream.Stream) {
	return l.conn, l.js, l.stream
}

// Replicas is how many copies of the stream the log keeps.
func (l *Log) Replicas() int { return max(l.cfg.Replicas, 1) }

// RecordOf returns the record a message of the log's stream carries.
func RecordOf(msg jetstream.Msg) (*Record, error) {
	meta, err := msg.Metadata()
	if err != nil {
		return nil, fmt.Errorf("%w: reading: %v", ErrUnavailable, err)
	}
	data := msg.Data()
	return &Record{
		Sequence:  meta.Sequence.Stream,
		Type:      msg.Headers().Get(headerType),
		subject:   msg.Subject(),
		data:      data,
		rawOffset: parseOffset(msg.Headers().Get(headerRawOffset), len(data)),
	}, nil
}

// RecordOfStored returns the record of a message read from the log's stream by sequence.
func RecordOfStored(msg *jetstream.RawStreamMsg) *Record {
	return &Record{
		Sequence:  msg.Sequence,
		Type:      msg.Header.Get(headerType),
		subject:   msg.Subject,
		data:      msg.Data,
		rawOffset: parseOffset(msg.Header.Get(headerRawOffset), len(msg.Data)),
	}
}
