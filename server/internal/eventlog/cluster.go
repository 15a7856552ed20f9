package eventlog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// leaderless explains why a replicated stream cannot store, or returns "" when it can: a stream
// on a NATS cluster stores only through its leader, and has none while a majority of its replicas
// is unreachable. Such a stream still answers for its state (a replica without a leader answers
// stream info), so an answer alone does not mean the log can be written.
func leaderless(info *jetstream.StreamInfo) string {
	cluster := info.Cluster
	if cluster == nil || cluster.Leader != "" {
		return ""
	}
	replicas := len(cluster.Replicas) + 1
	var unreachable []string
	for _, peer := range cluster.Replicas {
		if peer.Offline || !peer.Current {
			unreachable = append(unreachable, peer.Name)
		}
	}
	detail := ""
	if len(unreachable) > 0 {
		detail = fmt.Sprintf(" (not current: %s)", strings.Join(unreachable, ", "))
	}
	return fmt.Sprintf("the stream %s has no leader: fewer than a majority of its %d replicas are reachable%s, so the NATS cluster cannot store events until they are back",
		StreamName, replicas, detail)
}

// Bounds of info's wait for an answer from a stream's leader.
const (
	infoTimeout      = 5 * time.Second
	leaderAttempts   = 10
	leaderRetryDelay = 100 * time.Millisecond
)

// info returns the stream's state as its leader knows it. A replica that has lost touch with the
// leader (one just restarted, say) answers too, with what it holds, which may be behind the
// leader; when its answer arrives first, the leader's is asked for again, for a moment, before the
// log is declared unavailable. A stale newest sequence would end a replay before the head, or
// refuse a valid cursor as ahead of the log.
func (l *Log) info(ctx context.Context) (*jetstream.StreamInfo, error) {
	for attempt := 1; ; attempt++ {
		// A request whose answer is lost (sent as the connection dropped, or to a server that
		// stopped) would wait for ever without a deadline, and hold up every caller of bounds.
		askCtx, cancel := context.WithTimeout(ctx, infoTimeout)
		info, err := l.stream.Info(askCtx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		why := leaderless(info)
		if why == "" {
			return info, nil
		}
		if attempt == leaderAttempts {
			return nil, fmt.Errorf("%w: %s", ErrUnavailable, why)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %s", ErrUnavailable, why)
		case <-time.After(leaderRetryDelay):
		}
	}
}
