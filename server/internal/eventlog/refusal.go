package eventlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// NATS says why it refused to store an event only in its answer to that event: the next ones it
// may not answer at all (a leader over its storage limit steps down, and the stream is left
// without one). So the log keeps what the cluster last said, and what became of the connection,
// to tell readiness and every refused delivery the cause.

// explainTimeout bounds how long a failed append waits to learn why the log cannot store.
const explainTimeout = 2 * time.Second

// leaderlessHold is how long after the stream was last seen without a leader appends are refused
// at once, rather than each waiting for an acknowledgement that cannot come. Readiness checks,
// subscribers' heartbeats and refused appends look again; a stream seen with a leader, or an
// append stored, ends it at once.
const leaderlessHold = 2 * time.Second

// natsState is what the log last learned of its NATS connection and of the cluster's refusals.
type natsState struct {
	mu             sync.Mutex
	leaderless     string // why the stream had no leader when last seen, "" when it had one
	leaderlessAt   time.Time
	lagging        string // which replicas were not current when the stream was last seen, or ""
	laggingAt      time.Time
	refusal        string // why the cluster last refused to store an event, "" once one is stored
	refusedAt      time.Time
	disconnect     string // the error the connection last dropped with
	disconnectedAt time.Time
	down           bool   // between a dropped connection and the reconnection
	unwritable     bool   // whether the last note left the log unable to store
	failures       uint64 // how many times a note left it unable to store after it could
}

// settleLocked counts a change from writable to not, after a note. s.mu must be held.
func (s *natsState) settleLocked() {
	unwritable := s.down || s.leaderless != "" || s.refusal != ""
	if unwritable && !s.unwritable {
		s.failures++
	}
	s.unwritable = unwritable
}

// health reports whether, as last seen, the cluster lets the log store (connected, the stream
// with a leader, no refusal for lack of storage since the last event stored), and how many times
// it stopped letting it.
func (s *natsState) health() (writable bool, failures uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.unwritable, s.failures
}

// storageRefusal explains an append error in which NATS refused to store for lack of storage,
// or returns "".
func storageRefusal(err error) string {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	switch apiErr.ErrorCode {
	case codeInsufficientResources, codeStorageResources:
		return fmt.Sprintf("the NATS cluster has no room to store events (%s): a NATS server's JetStream is over its storage limit (max_file_store) or out of disk; "+
			"raise the limit or free space there, or bound the log with --retention-bytes below the limit", apiErr.Description)
	case codeAccountResources:
		return fmt.Sprintf("the NATS account hooknormd connects as is at its JetStream storage limit (%s): raise the account's limit, or bound the log with --retention-bytes below it",
			apiErr.Description)
	}
	return ""
}

// noteAppend records what became of an append: a refusal for lack of storage is kept until an
// append succeeds.
func (s *natsState) noteAppend(err error) {
	refusal := ""
	if err != nil {
		if refusal = storageRefusal(err); refusal == "" {
			return // nothing learned: keep what is known
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusal, s.refusedAt = refusal, time.Now()
	if err == nil {
		s.leaderless = "" // stored: the stream has a leader
	}
	s.settleLocked()
}

// noteLeader records whether the stream was seen with a leader: why is "" when it was.
func (s *natsState) noteLeader(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leaderless, s.leaderlessAt = why, time.Now()
	s.settleLocked()
}

// laggingHold is how long what the stream's state last said of its replicas explains a refusal
// when the state cannot be asked for again in time (a cluster under load answers slowly).
const laggingHold = 30 * time.Second

// noteLagging records which replicas the stream's state, as last seen with a leader, named as
// not current ("" for none).
func (s *natsState) noteLagging(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lagging, s.laggingAt = text, time.Now()
}

// lastLagging says which replicas were not current when the stream was last seen, if that was
// within laggingHold, or returns "".
func (s *natsState) lastLagging() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lagging == "" || time.Since(s.laggingAt) > laggingHold {
		return ""
	}
	return fmt.Sprintf("when last seen, %s ago: %s", time.Since(s.laggingAt).Round(time.Second), s.lagging)
}

// knownLeaderless says why the stream had no leader when last seen, if that was within
// leaderlessHold, or returns "".
func (s *natsState) knownLeaderless() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leaderless == "" || time.Since(s.leaderlessAt) > leaderlessHold {
		return ""
	}
	return s.leaderless
}

// lastRefusal says why the cluster last refused to store an event, since none was stored, or "".
func (s *natsState) lastRefusal() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refusal == "" {
		return ""
	}
	return fmt.Sprintf("the NATS cluster last refused an event %s ago: %s", time.Since(s.refusedAt).Round(time.Second), s.refusal)
}

// noteDisconnect records why the connection dropped.
func (s *natsState) noteDisconnect(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disconnect, s.disconnectedAt, s.down = err.Error(), time.Now(), true
	s.settleLocked()
}

// noteReconnect records that the connection is back.
func (s *natsState) noteReconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = false
	s.settleLocked()
}

// disconnected says that the log is not connected to NATS, since when and why, as far as known.
func (s *natsState) disconnected(where string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	why := ""
	if s.disconnect != "" {
		why = fmt.Sprintf(" (the connection dropped %s ago: %s)", time.Since(s.disconnectedAt).Round(time.Second), s.disconnect)
	}
	return fmt.Sprintf("not connected to NATS at %s%s; hooknormd reconnects by itself as soon as a NATS server answers", where, why)
}

// withRefusal adds to err why the cluster last refused to store an event, if it did since the
// last event stored.
func (l *Log) withRefusal(err error) error {
	if refusal := l.natsState.lastRefusal(); refusal != "" {
		return fmt.Errorf("%w; %s", err, refusal)
	}
	return err
}

// refusedAtOnce says why an append cannot be stored now, without asking NATS: the log is not
// connected, or the stream was just seen without a leader. It returns "" otherwise.
func (l *Log) refusedAtOnce() string {
	if l.conn != nil && !l.conn.IsConnected() {
		return l.natsState.disconnected(location(l.cfg))
	}
	why := l.natsState.knownLeaderless()
	if why == "" {
		return ""
	}
	if refusal := l.natsState.lastRefusal(); refusal != "" {
		return why + "; " + refusal
	}
	return why
}

// unreachable returns why the log cannot reach NATS now, or nil while it is connected.
func (l *Log) unreachable() error {
	if l.conn != nil && l.conn.IsConnected() {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrUnavailable, l.natsState.disconnected(location(l.cfg)))
}

// clusterCause explains, for a failed append on an external cluster, why the log cannot store:
// not connected, a stream without a leader, a refusal for lack of storage; NATS itself often
// says only that no answer came. It returns "" when no cause is known.
func (l *Log) clusterCause(appendErr error) string {
	if l.storage != nil {
		return "" // the embedded log's storage tells its own cause
	}
	var causes []string
	if err := l.unreachable(); err != nil {
		causes = append(causes, l.natsState.disconnected(location(l.cfg)))
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), explainTimeout)
		info, err := l.info(ctx)
		cancel()
		if err != nil {
			causes = append(causes, strings.TrimPrefix(err.Error(), ErrUnavailable.Error()+": "))
			if known := l.natsState.lastLagging(); known != "" {
				causes = append(causes, known)
			}
		} else if behind := lagging(info); behind != "" {
			causes = append(causes, behind)
		}
	}
	if refusal := storageRefusal(appendErr); refusal != "" {
		causes = append(causes, refusal)
	} else if refusal := l.natsState.lastRefusal(); refusal != "" {
		causes = append(causes, refusal)
	}
	return strings.Join(causes, "; ")
}
