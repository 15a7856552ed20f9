package eventlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// leaderless explains why a replicated stream cannot store, or returns "" when it can: a stream
// on a NATS cluster stores only through its leader, and has none while fewer than a majority of
// its replicas can take part. Such a stream still answers for its state (a replica without a
// leader answers stream info), so an answer alone does not mean the log can be written. A replica
// takes no part while its NATS server is down or cut off, and also while the server's JetStream
// is over its storage limit, or after the server turned JetStream off because its disk filled; a
// NATS server does not turn it on again by itself.
func leaderless(info *jetstream.StreamInfo) string {
	cluster := info.Cluster
	if cluster == nil || cluster.Leader != "" {
		return ""
	}
	// Without a leader, the replica that answers lists every replica, itself included.
	replicas := max(info.Config.Replicas, len(cluster.Replicas))
	detail := ""
	if behind := notCurrent(cluster); len(behind) > 0 {
		detail = fmt.Sprintf(" (not current: %s)", strings.Join(behind, ", "))
	}
	return fmt.Sprintf("the stream %s has no leader, so the NATS cluster cannot store events: fewer than a majority of its %d replicas can take part%s. "+
		"A replica cannot while its NATS server is down or cut off, is over its JetStream storage limit (max_file_store), "+
		"or has turned JetStream off because its disk filled (its log says \"JetStream out of resources, will be DISABLED\"): "+
		"such a server does not resume by itself; free space, then restart it. hooknormd stores again, without a restart, once a majority is back",
		StreamName, replicas, detail)
}

// lagging names the replicas of a stream with a leader that are not current, or returns "" when
// all are: with fewer than a majority current, the leader cannot store until it steps down, and
// an append waits for an acknowledgement that does not come.
func lagging(info *jetstream.StreamInfo) string {
	cluster := info.Cluster
	if cluster == nil || cluster.Leader == "" {
		return ""
	}
	behind := notCurrent(cluster)
	if len(behind) == 0 {
		return ""
	}
	replicas := len(cluster.Replicas) + 1 // with a leader, the replicas listed are the others
	text := fmt.Sprintf("of the %d replicas of the stream %s (leader %s), %s not current", replicas, StreamName, cluster.Leader, strings.Join(behind, ", "))
	if replicas-len(behind) <= replicas/2 {
		text += ", so it cannot store on a majority (see those NATS servers' logs)"
	}
	return text
}

// notCurrent names the replicas listed in cluster that are offline or behind.
func notCurrent(cluster *jetstream.ClusterInfo) []string {
	var behind []string
	for _, peer := range cluster.Replicas {
		if peer.Offline || !peer.Current {
			behind = append(behind, peer.Name)
		}
	}
	return behind
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
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil, fmt.Errorf("%w: the stream %s is gone from NATS (%v): someone deleted it; nothing can be stored until hooknormd is restarted, "+
				"which creates it anew, empty (subscribers' cursors then belong to the old log)", ErrUnavailable, StreamName, err)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: asking NATS for the state of the stream %s: %v", ErrUnavailable, StreamName, err)
		}
		why := leaderless(info)
		if why == "" {
			l.natsState.noteLeader("")
			l.natsState.noteLagging(lagging(info))
			return info, nil
		}
		if attempt == leaderAttempts {
			l.natsState.noteLeader(why)
			return nil, fmt.Errorf("%w: %s", ErrUnavailable, why)
		}
		select {
		case <-ctx.Done():
			l.natsState.noteLeader(why)
			return nil, fmt.Errorf("%w: %s", ErrUnavailable, why)
		case <-time.After(leaderRetryDelay):
		}
	}
}
