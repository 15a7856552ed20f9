package eventlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
)

// Appended says where an event was stored.
type Appended struct {
	// Sequence is the event's position in the log; for a duplicate, the earlier event's.
	Sequence uint64
	// Duplicate reports that an event with the same source and id was already stored within the
	// duplicate window, so this one was not stored again.
	Duplicate bool
}

// ErrUnstorable is the error of an event Append refuses to store: one without an id, or whose id
// or type would break the record's headers. Normalized events never are.
var ErrUnstorable = errors.New("the event cannot be stored")

// Append stores event durably and returns where. It reads event but must not run concurrently
// with another use of it. It returns only once the log has acknowledged
// the write; an error means the event may not be stored and the delivery should be retried.
func (l *Log) Append(ctx context.Context, event *hooknormv1.Event) (Appended, error) {
	if event.GetId() == "" {
		return Appended{}, fmt.Errorf("%w: it has no id", ErrUnstorable)
	}
	if strings.ContainsFunc(event.GetId(), unicode.IsControl) || strings.ContainsFunc(event.GetType(), unicode.IsControl) {
		return Appended{}, fmt.Errorf("%w: its id %q or type %q holds a control character, which would break the record's headers", ErrUnstorable, event.GetId(), event.GetType())
	}
	// The record is the event without raw_payload and sequence, then raw_payload: encode the
	// event with both cleared, then put them back, rather than copying it; all in one buffer of
	// the record's size.
	raw, sequence := event.RawPayload, event.Sequence
	event.RawPayload, event.Sequence = nil, 0
	size := proto.Size(event)
	buf := make([]byte, 0, size+recordTailSize(raw))
	head, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(buf, event)
	event.RawPayload, event.Sequence = raw, sequence
	if err != nil {
		return Appended{}, fmt.Errorf("encoding event %s: %w", event.GetId(), err)
	}
	data, offset := encodeRecord(head, raw)
	msg := &nats.Msg{
		Subject: subject(event.GetSource(), event.GetTenant()),
		Data:    data,
		Header: nats.Header{
			jetstream.MsgIDHeader: []string{sourceToken(event.GetSource()) + ":" + event.GetId()},
			headerType:            []string{event.GetType()},
			headerRawOffset:       []string{strconv.Itoa(offset)},
		},
	}
	// A store that cannot write does not answer: refuse at once, with the cause, rather than
	// wait for the acknowledgement to time out.
	refused, err := l.storage.gate()
	if err != nil {
		return Appended{}, fmt.Errorf("%w: storing event %s: %v", ErrUnavailable, event.GetId(), err)
	}
	// Likewise without a connection to NATS, or with a stream just seen without a leader: a
	// publish would wait until the acknowledgement times out, and say only that.
	if why := l.refusedAtOnce(); why != "" {
		return Appended{}, fmt.Errorf("%w: storing event %s: %s", ErrUnavailable, event.GetId(), why)
	}
	// An asynchronous publish costs less CPU than a request per append: acknowledgements arrive
	// on one subscription for all of them. Waiting on the future keeps Append synchronous.
	future, err := l.js.PublishMsgAsync(msg)
	if err != nil {
		return Appended{}, l.appendFailed(event.GetId(), err)
	}
	select {
	case ack := <-future.Ok():
		l.natsState.noteAppend(nil)
		return Appended{Sequence: ack.Sequence, Duplicate: ack.Duplicate}, nil
	case err := <-future.Err():
		return Appended{}, l.appendFailed(event.GetId(), err)
	case <-refused:
		// The event may have been stored just before the store failed: a retry of the delivery
		// is then answered as a duplicate.
		return Appended{}, l.appendFailed(event.GetId(), errors.New("the log's storage failed while storing it"))
	case <-ctx.Done():
		// The event may still be stored; a retry of the delivery is then answered as a duplicate.
		return Appended{}, fmt.Errorf("storing event %s: %w", event.GetId(), ctx.Err())
	}
}

// appendFailed is the error of an append the log did not acknowledge, with what keeps the log from
// storing when that is known: NATS often says only that it timed out or that no answer came.
func (l *Log) appendFailed(id string, err error) error {
	if cause := l.storage.current(); cause != nil {
		return fmt.Errorf("%w: storing event %s: %v (%v)", ErrUnavailable, id, err, cause)
	}
	l.natsState.noteAppend(err)
	if cause := l.clusterCause(err); cause != "" {
		return fmt.Errorf("%w: storing event %s: %v (%s)", ErrUnavailable, id, err, cause)
	}
	return fmt.Errorf("%w: storing event %s: %v", ErrUnavailable, id, err)
}
