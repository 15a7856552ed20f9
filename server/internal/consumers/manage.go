package consumers

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"github.com/nats-io/nats.go/jetstream"
)

// maxAckPending bounds the events a consumer has handed out and not had acknowledged, across all
// its workers: JetStream hands out no more until some are.
const maxAckPending = 20000

// State is where a consumer stands.
type State struct {
	// Pending is how many events it has yet to hand out (redriven dead letters included).
	Pending uint64
	// Unacknowledged is how many are handed out and not acknowledged.
	Unacknowledged uint64
	// Redelivering is how many of those were handed out more than once.
	Redelivering uint64
	// AcknowledgedThrough is the sequence up to which every event it takes was acknowledged.
	AcknowledgedThrough uint64
	// DeadLetters is how many dead letters it holds.
	DeadLetters uint64
	// Workers is how many requests for events its workers have open.
	Workers uint64
}

// Create creates a consumer that begins at start. A consumer of that name exists already:
// CONSUMER_EXISTS.
func (m *Manager) Create(ctx context.Context, spec Spec, start eventlog.Start) (Spec, error) {
	if err := spec.check(); err != nil {
		return Spec{}, err
	}
	if _, err := m.consumer(ctx, spec.Name); err == nil {
		return Spec{}, exists(spec.Name)
	} else if _, missing := rejection.As(err); !missing {
		return Spec{}, err
	}
	cfg := jetstream.ConsumerConfig{
		Durable:        spec.Name,
		Description:    "hooknorm consumer " + spec.Name,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        spec.AckDeadline,
		MaxDeliver:     -1, // sessions set events aside after MaxDeliveries (see session.go)
		MaxAckPending:  maxAckPending,
		FilterSubjects: spec.Filter.Subjects(),
		Metadata:       spec.metadata(),
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	}
	switch {
	case start.HasAfter:
		last, err := m.log.FreshLastSequence(ctx)
		if err != nil {
			return Spec{}, err
		}
		if start.After > last {
			return Spec{}, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_CURSOR_AHEAD,
				"after_sequence %d is beyond the newest event in the log, %d: give a sequence this log gave, or start with earliest", start.After, last).AtField("after_sequence")
		}
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, start.After+1
	case !start.Since.IsZero():
		since := start.Since
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	case start.Earliest:
		cfg.DeliverPolicy = jetstream.DeliverAllPolicy
	}
	// The redrive consumer first: a consumer that exists has one.
	askCtx, cancel := context.WithTimeout(ctx, 2*requestTimeout) // two requests
	defer cancel()
	if _, err := m.redrive.CreateOrUpdateConsumer(askCtx, jetstream.ConsumerConfig{
		Durable:       spec.Name,
		Description:   "hooknorm consumer " + spec.Name + ": dead letters handed out again",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       spec.AckDeadline,
		MaxDeliver:    -1,
		FilterSubject: redriveSubject(spec.Name),
	}); err != nil {
		return Spec{}, unavailable("creating the consumer's redrive queue", err)
	}
	consumer, err := m.events.CreateConsumer(askCtx, cfg)
	switch {
	case errors.Is(err, jetstream.ErrConsumerExists):
		return Spec{}, exists(spec.Name)
	case err != nil:
		return Spec{}, unavailable("creating the consumer", err)
	}
	spec.Created = consumer.CachedInfo().Created
	return spec, nil
}

// Get returns the consumer called name with its state.
func (m *Manager) Get(ctx context.Context, name string) (Spec, State, error) {
	info, err := m.consumer(ctx, name)
	if err != nil {
		return Spec{}, State{}, err
	}
	spec, _ := specOf(info.Name, info.Config.Metadata, info.Config.AckWait, info.Created)
	state, err := m.state(ctx, info)
	return spec, state, err
}

// specTTL is how long a consumer's settings are taken from memory rather than asked of NATS: acks
// and nacks need them for every call, and a cluster electing a new consumer leader answers
// lookups slowly or not at all for a moment.
const specTTL = 5 * time.Second

// cachedSpec is a consumer's settings as last read.
type cachedSpec struct {
	spec Spec
	at   time.Time
}

// Spec returns the consumer called name, as read from NATS at most specTTL ago.
func (m *Manager) Spec(ctx context.Context, name string) (Spec, error) {
	if cached, ok := m.specs.Load(name); ok && time.Since(cached.(cachedSpec).at) < specTTL {
		return cached.(cachedSpec).spec, nil
	}
	info, err := m.consumer(ctx, name)
	if err != nil {
		return Spec{}, err
	}
	spec, _ := specOf(info.Name, info.Config.Metadata, info.Config.AckWait, info.Created)
	m.specs.Store(name, cachedSpec{spec: spec, at: time.Now()})
	return spec, nil
}

// List returns every consumer, by name, with its state.
func (m *Manager) List(ctx context.Context) ([]Spec, []State, error) {
	listCtx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	lister := m.events.ListConsumers(listCtx)
	var infos []*jetstream.ConsumerInfo
	for info := range lister.Info() {
		if _, ok := specOf(info.Name, info.Config.Metadata, info.Config.AckWait, info.Created); ok {
			infos = append(infos, info)
		}
	}
	if err := lister.Err(); err != nil {
		return nil, nil, unavailable("listing consumers", err)
	}
	slices.SortFunc(infos, func(a, b *jetstream.ConsumerInfo) int { return strings.Compare(a.Name, b.Name) })
	specs, states := make([]Spec, len(infos)), make([]State, len(infos))
	for i, info := range infos {
		specs[i], _ = specOf(info.Name, info.Config.Metadata, info.Config.AckWait, info.Created)
		var err error
		if states[i], err = m.state(ctx, info); err != nil {
			return nil, nil, err
		}
	}
	return specs, states, nil
}

// Delete deletes the consumer called name, its redrive queue, its dead letters and last errors.
// The events stay in the log.
func (m *Manager) Delete(ctx context.Context, name string) error {
	if _, err := m.consumer(ctx, name); err != nil {
		return err
	}
	m.specs.Delete(name)
	askCtx, cancel := context.WithTimeout(ctx, 3*requestTimeout) // three requests
	defer cancel()
	if err := m.events.DeleteConsumer(askCtx, name); errors.Is(err, jetstream.ErrConsumerNotFound) {
		return notFound(name)
	} else if err != nil {
		return unavailable("deleting the consumer", err)
	}
	if err := m.redrive.DeleteConsumer(askCtx, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		m.logger.Warn("a deleted consumer's redrive queue could not be deleted", "consumer", name, "error", err)
	}
	if err := m.redrive.Purge(askCtx, jetstream.WithPurgeSubject(redriveSubject(name))); err != nil {
		m.logger.Warn("a deleted consumer's redriven dead letters could not be purged", "consumer", name, "error", err)
	}
	for _, prefix := range []string{deadPrefix, errorPrefix} {
		keys, err := m.keys(ctx, prefix+name+".>")
		if err != nil {
			return err
		}
		for _, key := range keys {
			if err := m.purge(ctx, key); err != nil {
				return unavailable("deleting the consumer's dead letters", err)
			}
		}
	}
	return nil
}

// consumer returns the JetStream information of the consumer called name, refusing a name no
// hooknorm consumer has.
func (m *Manager) consumer(ctx context.Context, name string) (*jetstream.ConsumerInfo, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	ctx, cancel := bounded(ctx)
	defer cancel()
	c, err := m.events.Consumer(ctx, name)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		return nil, notFound(name)
	case err != nil:
		return nil, unavailable("looking the consumer up", err)
	}
	info := c.CachedInfo()
	if _, ok := specOf(info.Name, info.Config.Metadata, info.Config.AckWait, info.Created); !ok {
		return nil, notFound(name)
	}
	return info, nil
}

// state counts where a consumer stands.
func (m *Manager) state(ctx context.Context, info *jetstream.ConsumerInfo) (State, error) {
	dead, err := m.keys(ctx, deadPrefix+info.Name+".>")
	if err != nil {
		return State{}, err
	}
	s := State{
		Pending:             info.NumPending,
		Unacknowledged:      uint64(info.NumAckPending),
		Redelivering:        uint64(info.NumRedelivered),
		AcknowledgedThrough: info.AckFloor.Stream,
		DeadLetters:         uint64(len(dead)),
		Workers:             uint64(info.NumWaiting),
	}
	askCtx, cancel := bounded(ctx)
	defer cancel()
	if r, err := m.redrive.Consumer(askCtx, info.Name); err == nil {
		s.Pending += r.CachedInfo().NumPending
		s.Unacknowledged += uint64(r.CachedInfo().NumAckPending)
	}
	return s, nil
}

func notFound(name string) error {
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_CONSUMER_NOT_FOUND,
		"there is no consumer %q: create it first, or check the name with hooknorm consumers list", name).AtField("name")
}

func exists(name string) error {
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_CONSUMER_EXISTS,
		"a consumer %q exists already: attach workers to it with Consume, or delete it first to create it anew", name).AtField("name")
}

func redriveSubject(name string) string { return redriveRoot + "." + name }
