package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// lookupTimeout bounds one question to the log about what it stores.
const lookupTimeout = 5 * time.Second

// msgGetSubject is the JetStream API subject that loads a stored message on the stream's leader.
// jetstream.Stream.GetMsg would use the direct get API, which any replica answers: a replica
// behind the leader may not hold an event the leader already reported as stored, and a reader
// that concluded from it that no such event exists would skip it.
const msgGetSubject = "$JS.API.STREAM.MSG.GET." + StreamName

// msgGetRequest asks for the first message at or after a sequence (or a time) on a subject.
type msgGetRequest struct {
	Seq       uint64     `json:"seq,omitempty"`
	NextFor   string     `json:"next_by_subj,omitempty"`
	StartTime *time.Time `json:"start_time,omitempty"`
}

// stored is where the log's leader found a message.
type stored struct {
	Sequence uint64    `json:"seq"`
	Time     time.Time `json:"time"`
}

// firstStored returns the first message req selects, or false when the log holds none.
func (l *Log) firstStored(ctx context.Context, req msgGetRequest) (stored, bool, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return stored{}, false, err
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	reply, err := l.conn.RequestWithContext(ctx, msgGetSubject, body)
	if err != nil {
		return stored{}, false, fmt.Errorf("%w: looking up the log: %v", ErrUnavailable, err)
	}
	var answer struct {
		Error   *jetstream.APIError `json:"error"`
		Message *stored             `json:"message"`
	}
	if err := json.Unmarshal(reply.Data, &answer); err != nil {
		return stored{}, false, fmt.Errorf("%w: looking up the log: %v", ErrUnavailable, err)
	}
	switch {
	case answer.Error != nil && answer.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
		return stored{}, false, nil
	case answer.Error != nil:
		return stored{}, false, fmt.Errorf("%w: looking up the log: %w", ErrUnavailable, answer.Error)
	case answer.Message == nil:
		return stored{}, false, fmt.Errorf("%w: looking up the log: an answer without a message", ErrUnavailable)
	}
	return *answer.Message, true, nil
}

// nextMatching returns the sequence of the first event at or after from on any of subjects, or
// false when the log holds none now.
func (l *Log) nextMatching(ctx context.Context, from uint64, subjects []string) (uint64, bool, error) {
	var next uint64
	var found bool
	for _, subject := range subjects {
		msg, ok, err := l.firstStored(ctx, msgGetRequest{Seq: from, NextFor: subject})
		if err != nil {
			return 0, false, err
		}
		if ok && (!found || msg.Sequence < next) {
			next, found = msg.Sequence, true
		}
	}
	return next, found, nil
}

// errTimeUnplaced says the log cannot tell which event was stored first at or after a time: a
// NATS server older than 2.11 ignores the time in a lookup.
var errTimeUnplaced = errors.New("the log cannot place a time among its events")

// lastBefore returns the sequence after which the events stored at or after since begin: the one
// before the first such event, or the newest event when there is none yet.
func (l *Log) lastBefore(ctx context.Context, since time.Time) (uint64, error) {
	// The newest sequence is read first: when no event is stored at or after since, none up to it
	// is, and the events after it are stored from now on.
	last, err := l.FreshLastSequence(ctx)
	if err != nil {
		return 0, err
	}
	msg, found, err := l.firstStored(ctx, msgGetRequest{StartTime: &since, NextFor: subjectRoot + ".>"})
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) {
			return 0, fmt.Errorf("%w: %v", errTimeUnplaced, err)
		}
		return 0, err
	}
	switch {
	case !found:
		return last, nil
	case msg.Time.Before(since):
		return 0, errTimeUnplaced // the time was ignored: this is the oldest event
	}
	return msg.Sequence - 1, nil
}

// freshBounds returns the first and last sequence of the log, asking the log now.
func (l *Log) freshBounds(ctx context.Context) (first, last uint64, err error) {
	info, err := l.info(ctx)
	if err != nil {
		return 0, 0, err
	}
	return info.State.FirstSeq, info.State.LastSeq, nil
}
