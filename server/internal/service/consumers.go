package service

import (
	"context"
	"errors"
	"sync"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/consumers"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Consumers serves hooknorm.v1.ConsumerService: thin handlers over package consumers, which does
// the work in NATS. Every call needs the consume call of a token (when hooknormd has tokens), and
// touches only consumers within the token's sources and tenants.
type Consumers struct {
	hooknormv1.UnimplementedConsumerServiceServer
	manager   *consumers.Manager
	heartbeat time.Duration
	now       func() time.Time
	stopping  chan struct{}
	stopOnce  sync.Once
}

var _ hooknormv1.ConsumerServiceServer = (*Consumers)(nil)

// NewConsumers returns the consumer service over manager; heartbeat is how long a Consume stream
// stays silent before a heartbeat (DefaultHeartbeat when 0).
func NewConsumers(manager *consumers.Manager, heartbeat time.Duration) *Consumers {
	if heartbeat <= 0 {
		heartbeat = DefaultHeartbeat
	}
	return &Consumers{manager: manager, heartbeat: heartbeat, now: time.Now, stopping: make(chan struct{})}
}

// Stop ends every Consume stream, as hooknormd shuts down; later calls do nothing.
func (c *Consumers) Stop() {
	c.stopOnce.Do(func() { close(c.stopping) })
}

// CreateConsumer creates a consumer within the token's scope: a request that names no source or
// tenant is narrowed to those the token allows, as Subscribe's is.
func (c *Consumers) CreateConsumer(ctx context.Context, req *hooknormv1.CreateConsumerRequest) (*hooknormv1.CreateConsumerResponse, error) {
	asSubscription := &hooknormv1.SubscribeRequest{Sources: req.GetSources(), Types: req.GetTypes(), TypePrefixes: req.GetTypePrefixes(), Tenant: req.GetTenant()}
	switch from := req.GetStart().(type) {
	case *hooknormv1.CreateConsumerRequest_Earliest:
		asSubscription.Start = &hooknormv1.SubscribeRequest_Earliest{Earliest: from.Earliest}
	case *hooknormv1.CreateConsumerRequest_AfterSequence:
		asSubscription.Start = &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: from.AfterSequence}
	case *hooknormv1.CreateConsumerRequest_Since:
		asSubscription.Start = &hooknormv1.SubscribeRequest_Since{Since: from.Since}
	}
	start, filter, err := subscription(asSubscription, c.now())
	if err != nil {
		return nil, err
	}
	if p := access.FromContext(ctx); p != nil {
		if filter.Sources, filter.Tenants, err = p.Scope(filter.Sources, filter.Tenant); err != nil {
			return nil, err
		}
	}
	spec := consumers.Spec{Name: req.GetName(), Filter: filter, MaxDeliveries: int(req.GetMaxDeliveries())}
	if d := req.GetAckDeadline(); d != nil {
		if err := d.CheckValid(); err != nil {
			return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST, "ack_deadline is not a valid duration").AtField("ack_deadline")
		}
		if spec.AckDeadline = d.AsDuration(); spec.AckDeadline <= 0 {
			spec.AckDeadline = -1 // refused as out of bounds, rather than taken for the default
		}
	}
	created, err := c.manager.Create(ctx, spec, start)
	if err != nil {
		return nil, c.failed(ctx, err)
	}
	return &hooknormv1.CreateConsumerResponse{Consumer: consumerOf(created, nil)}, nil
}

// GetConsumer returns a consumer with its state.
func (c *Consumers) GetConsumer(ctx context.Context, req *hooknormv1.GetConsumerRequest) (*hooknormv1.GetConsumerResponse, error) {
	if _, err := c.allowed(ctx, req.GetName()); err != nil {
		return nil, err
	}
	spec, state, err := c.manager.Get(ctx, req.GetName())
	if err != nil {
		return nil, c.failed(ctx, err)
	}
	return &hooknormv1.GetConsumerResponse{Consumer: consumerOf(spec, &state)}, nil
}

// ListConsumers lists the consumers within the token's scope.
func (c *Consumers) ListConsumers(ctx context.Context, _ *hooknormv1.ListConsumersRequest) (*hooknormv1.ListConsumersResponse, error) {
	specs, states, err := c.manager.List(ctx)
	if err != nil {
		return nil, c.failed(ctx, err)
	}
	p := access.FromContext(ctx)
	resp := &hooknormv1.ListConsumersResponse{}
	for i, spec := range specs {
		if p != nil && covers(p, spec) != nil {
			continue
		}
		resp.Consumers = append(resp.Consumers, consumerOf(spec, &states[i]))
	}
	return resp, nil
}

// DeleteConsumer deletes a consumer with its pending events and dead letters.
func (c *Consumers) DeleteConsumer(ctx context.Context, req *hooknormv1.DeleteConsumerRequest) (*hooknormv1.DeleteConsumerResponse, error) {
	if _, err := c.allowed(ctx, req.GetName()); err != nil {
		return nil, err
	}
	if err := c.manager.Delete(ctx, req.GetName()); err != nil {
		return nil, c.failed(ctx, err)
	}
	return &hooknormv1.DeleteConsumerResponse{}, nil
}

// Ack acknowledges events of a consumer.
func (c *Consumers) Ack(ctx context.Context, req *hooknormv1.AckRequest) (*hooknormv1.AckResponse, error) {
	if _, err := c.allowed(ctx, req.GetName()); err != nil {
		return nil, err
	}
	if err := c.manager.Ack(ctx, req.GetName(), req.GetAckTokens()); err != nil {
		return nil, c.failed(ctx, err)
	}
	return &hooknormv1.AckResponse{}, nil
}

// Nack gives an event of a consumer back.
func (c *Consumers) Nack(ctx context.Context, req *hooknormv1.NackRequest) (*hooknormv1.NackResponse, error) {
	if _, err := c.allowed(ctx, req.GetName()); err != nil {
		return nil, err
	}
	var delay time.Duration
	if d := req.GetDelay(); d != nil {
		if err := d.CheckValid(); err != nil {
			return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST, "delay is not a valid duration").AtField("delay")
		}
		delay = d.AsDuration()
	}
	dead, err := c.manager.Nack(ctx, req.GetName(), req.GetAckToken(), delay, req.GetError())
	if err != nil {
		return nil, c.failed(ctx, err)
	}
	return &hooknormv1.NackResponse{DeadLettered: &dead}, nil
}

// ListDeadLetters lists a consumer's dead letters.
func (c *Consumers) ListDeadLetters(ctx context.Context, req *hooknormv1.ListDeadLettersRequest) (*hooknormv1.ListDeadLettersResponse, error) {
	if _, err := c.allowed(ctx, req.GetName()); err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	switch {
	case size == 0:
		size = 100
	case size < 0 || size > 1000:
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST, "page_size %d is out of bounds: give from 1 to 1000", size).AtField("page_size")
	}
	letters, more, err := c.manager.DeadLetters(ctx, req.GetName(), req.GetAfterSequence(), size)
	if err != nil {
		return nil, c.failed(ctx, err)
	}
	resp := &hooknormv1.ListDeadLettersResponse{More: &more}
	for _, d := range letters {
		resp.DeadLetters = append(resp.DeadLetters, &hooknormv1.DeadLetter{Sequence: d.Sequence, EventType: d.Type,
			Deliveries: uint32(d.Deliveries), LastError: d.LastError, DeadAt: timestamppb.New(d.DeadAt)})
	}
	return resp, nil
}

// RedriveDeadLetters hands dead letters out again.
func (c *Consumers) RedriveDeadLetters(ctx context.Context, req *hooknormv1.RedriveDeadLettersRequest) (*hooknormv1.RedriveDeadLettersResponse, error) {
	if _, err := c.allowed(ctx, req.GetName()); err != nil {
		return nil, err
	}
	n, err := c.manager.Redrive(ctx, req.GetName(), req.GetSequences())
	if err != nil {
		return nil, c.failed(ctx, err)
	}
	redriven := uint64(n)
	return &hooknormv1.RedriveDeadLettersResponse{Redriven: &redriven}, nil
}

// allowed returns the consumer called name, refusing it when the token's scope does not cover
// it.
func (c *Consumers) allowed(ctx context.Context, name string) (consumers.Spec, error) {
	spec, err := c.manager.Spec(ctx, name)
	if err != nil {
		return consumers.Spec{}, c.failed(ctx, err)
	}
	if p := access.FromContext(ctx); p != nil {
		if err := covers(p, spec); err != nil {
			return consumers.Spec{}, err
		}
	}
	return spec, nil
}

func covers(p *access.Principal, spec consumers.Spec) error {
	return p.Covers(spec.Name, spec.Filter.Sources, spec.Filter.Tenant, spec.Filter.Tenants)
}

// failed passes refusals on and turns failures to reach NATS into UNAVAILABLE.
func (c *Consumers) failed(ctx context.Context, err error) error {
	if _, ok := rejection.As(err); ok || !errors.Is(err, eventlog.ErrUnavailable) {
		return err
	}
	return unavailable(ctx, err, "hooknorm's event log cannot be reached right now: try again shortly (hooknormd's log and /readyz tell its operator why)")
}

// consumerOf is a consumer as the API shows it.
func consumerOf(spec consumers.Spec, state *consumers.State) *hooknormv1.Consumer {
	out := &hooknormv1.Consumer{
		Name: spec.Name, Sources: spec.Filter.Sources, Types: spec.Filter.Types, TypePrefixes: spec.Filter.TypePrefixes,
		Tenant: spec.Filter.Tenant, Tenants: spec.Filter.Tenants, AckDeadline: durationpb.New(spec.AckDeadline),
		MaxDeliveries: int32(spec.MaxDeliveries), CreatedAt: timestamppb.New(spec.Created),
	}
	if state != nil {
		out.State = &hooknormv1.ConsumerState{Pending: &state.Pending, Unacknowledged: &state.Unacknowledged,
			Redelivering: &state.Redelivering, AcknowledgedThrough: &state.AcknowledgedThrough,
			DeadLetters: &state.DeadLetters, Workers: &state.Workers}
	}
	return out
}
