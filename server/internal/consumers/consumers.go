// Package consumers serves consumer groups: named subscriptions the log remembers, whose events
// are shared among the workers attached to them, each acknowledged, handed out again when a
// worker gives up or misses its deadline, and set aside as a dead letter after too many
// deliveries. It builds on JetStream durable consumers of the log's stream, so a consumer's
// position and pending events live in NATS: they survive restarts of hooknormd and are shared by
// every hooknormd on one cluster. It knows nothing of gRPC.
//
// What lives in NATS, for a consumer called NAME:
//   - a durable pull consumer NAME of the log's stream (AckExplicit, AckWait the ack deadline,
//     FilterSubjects its sources and tenants, its settings in the consumer's metadata). JetStream
//     hands each event to one pull request at a time and hands it out again after the deadline
//     or a nack. Its MaxDeliver is unlimited: a session that is handed an event for the
//     (max_deliveries+1)th time records it as a dead letter and terminates it instead of passing
//     it on, so an event is set aside even if its last worker died (see session.go);
//   - a durable pull consumer NAME of the redrive stream, a work queue of the sequences of dead
//     letters handed out again; sessions merge it with the first (see redrive.go);
//   - keys of the consumers bucket, a JetStream key-value store: dead.NAME.SEQ for each dead
//     letter, error.NAME.SEQ for the last error a nack gave (see deadletters.go).
package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names in NATS besides the log's stream.
const (
	// RedriveStream holds the sequences of dead letters handed out again, one subject per
	// consumer: hooknorm.redrive.NAME.
	RedriveStream = "HOOKNORM_REDRIVE"
	// Bucket is the key-value store of dead letters and last errors.
	Bucket = "HOOKNORM_CONSUMERS"

	redriveRoot  = "hooknorm.redrive"
	sessionRoot  = "hooknorm.sessions"
	metadataKey  = "hooknorm_consumer"
	setupTimeout = 30 * time.Second
)

// Manager creates, lists and deletes consumers, attaches workers to them and takes their acks.
// It is safe for concurrent use.
type Manager struct {
	logger   *slog.Logger
	log      *eventlog.Log
	conn     *nats.Conn
	js       jetstream.JetStream
	events   jetstream.Stream
	redrive  jetstream.Stream
	kv       jetstream.KeyValue
	counters Counters
	specs    sync.Map // name -> cachedSpec
}

// Counters receives what happens to consumers' events on this hooknormd; nil counts nothing.
type Counters interface {
	// Acknowledged counts events a worker acknowledged.
	Acknowledged(consumer string, n int)
	// Redelivered counts an event handed out again.
	Redelivered(consumer string)
	// DeadLettered counts an event set aside as a dead letter.
	DeadLettered(consumer string)
}

type noCounters struct{}

func (noCounters) Acknowledged(string, int) {}
func (noCounters) Redelivered(string)       {}
func (noCounters) DeadLettered(string)      {}

// ErrUnavailable wraps failures to reach NATS; the caller may retry.
var ErrUnavailable = eventlog.ErrUnavailable

// Open prepares the log for consumers: the redrive stream and the consumers bucket, created when
// missing with as many replicas as the log.
func Open(ctx context.Context, log *eventlog.Log, counters Counters, logger *slog.Logger) (*Manager, error) {
	if counters == nil {
		counters = noCounters{}
	}
	conn, js, events := log.JetStream()
	m := &Manager{logger: logger, log: log, conn: conn, js: js, events: events, counters: counters}
	deadline := time.Now().Add(setupTimeout)
	for {
		err := m.setUp(ctx, log.Replicas())
		if err == nil {
			return m, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("preparing the log for consumers: %w", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (m *Manager) setUp(ctx context.Context, replicas int) error {
	tryCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	redrive, err := m.js.CreateOrUpdateStream(tryCtx, jetstream.StreamConfig{
		Name:        RedriveStream,
		Description: "hooknorm: sequences of dead letters handed out again, one subject per consumer",
		Subjects:    []string{redriveRoot + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.WorkQueuePolicy,
		Replicas:    replicas,
	})
	if err != nil {
		return err
	}
	kv, err := m.js.CreateOrUpdateKeyValue(tryCtx, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "hooknorm: dead letters and last errors of consumers",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return err
	}
	m.redrive, m.kv = redrive, kv
	return nil
}

// requestTimeout bounds each request this package makes of NATS, whatever the caller's context
// allows. An answer can be lost (the request went to a server that stopped, or a consumer leader
// changed meanwhile), and a worker's session lives as long as its stream: without the bound, a
// session waited for such an answer until the worker left, while its events waited for it.
const requestTimeout = 5 * time.Second

// listTimeout bounds a listing of consumers or keys, which takes one request per page.
const listTimeout = 30 * time.Second

// bounded returns ctx bounded by requestTimeout, for one request.
func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, requestTimeout)
}

// unavailable wraps a failure to reach NATS.
func unavailable(doing string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %s: %v", ErrUnavailable, doing, err)
}
