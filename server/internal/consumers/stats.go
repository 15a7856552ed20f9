package consumers

import (
	"context"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/metrics"
	"github.com/nats-io/nats.go/jetstream"
)

// Stats reports where every consumer stands, for the metrics.
func (m *Manager) Stats(ctx context.Context) ([]metrics.ConsumerStat, error) {
	specs, states, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	stats := make([]metrics.ConsumerStat, len(specs))
	for i, spec := range specs {
		s := states[i]
		stats[i] = metrics.ConsumerStat{Name: spec.Name, Pending: s.Pending, Unacknowledged: s.Unacknowledged, DeadLetters: s.DeadLetters}
		if s.Pending+s.Unacknowledged > 0 {
			stats[i].OldestUnacknowledged = m.oldestAfter(ctx, spec, s.AcknowledgedThrough)
		}
	}
	return stats, nil
}

// oldestAfter returns how long ago the first event the consumer takes after the sequence floor
// was stored: the oldest it has not had acknowledged.
func (m *Manager) oldestAfter(ctx context.Context, spec Spec, floor uint64) time.Duration {
	var oldest time.Time
	for _, subject := range spec.Filter.Subjects() {
		msg, err := m.stored(ctx, floor+1, jetstream.WithGetMsgSubject(subject))
		if err != nil {
			continue
		}
		if oldest.IsZero() || msg.Time.Before(oldest) {
			oldest = msg.Time
		}
	}
	if oldest.IsZero() {
		return 0
	}
	return time.Since(oldest)
}
