package service

import (
	"context"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/consumers"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Consume attaches a worker to a consumer and streams it the consumer's events, never more than
// it may hold unacknowledged; a heartbeat first, and whenever nothing was sent for a while.
func (c *Consumers) Consume(req *hooknormv1.ConsumeRequest, stream hooknormv1.ConsumerService_ConsumeServer) error {
	ctx := stream.Context()
	if _, err := c.allowed(ctx, req.GetName()); err != nil {
		return err
	}
	if p := access.FromContext(ctx); p != nil {
		done, err := p.OpenStream()
		if err != nil {
			return err
		}
		defer done()
	}
	session, err := c.manager.Attach(ctx, req.GetName(), int(req.GetMaxUnacknowledged()))
	if err != nil {
		return c.failed(ctx, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	type next struct {
		delivery consumers.Delivery
		err      error
	}
	deliveries := make(chan next)
	// The session is read by one goroutine at a time: it is closed once the one calling Next has
	// returned.
	nextDone := make(chan struct{})
	defer func() {
		cancel()
		<-nextDone
		session.Close()
	}()
	go func() {
		defer close(nextDone)
		for {
			d, err := session.Next(ctx)
			select {
			case deliveries <- next{d, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	heartbeat := func() error {
		pending := session.Pending()
		return stream.Send(&hooknormv1.ConsumeResponse{Message: &hooknormv1.ConsumeResponse_Heartbeat{
			Heartbeat: &hooknormv1.ConsumerHeartbeat{SentAt: timestamppb.New(c.now()), Pending: &pending},
		}})
	}
	if err := heartbeat(); err != nil {
		return err
	}
	timer := time.NewTimer(c.heartbeat)
	defer timer.Stop()
	for {
		select {
		case n := <-deliveries:
			if n.err != nil {
				return c.failed(ctx, n.err)
			}
			if err := stream.SendMsg(consumedFrame(n.delivery, req.GetIncludeRaw())); err != nil {
				return err
			}
			timer.Reset(c.heartbeat)
		case <-timer.C:
			if err := heartbeat(); err != nil {
				return err
			}
			timer.Reset(c.heartbeat)
		case <-c.stopping:
			return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_UNAVAILABLE,
				"hooknormd is shutting down; attach to consumer %q again (on another hooknormd, or once this one is back): "+
					"the events this worker holds stay its own until their deadline", req.GetName())
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// consumedFrame is a ConsumeResponse carrying a handed-out event, built around the event's stored
// bytes without decoding them: ConsumeResponse.event is a ConsumedEvent whose attempt, ack_token
// and ack_deadline come first, then its event.
func consumedFrame(d consumers.Delivery, includeRaw bool) EncodedFrame {
	event := d.Record.EventBytes(includeRaw)
	head, _ := proto.Marshal(&hooknormv1.ConsumedEvent{Attempt: uint32(d.Attempt), AckToken: d.Token, AckDeadline: timestamppb.New(d.Deadline)})
	head = protowire.AppendTag(head, consumedEventField, protowire.BytesType)
	head = protowire.AppendVarint(head, uint64(len(event)))
	prefix := protowire.AppendTag(nil, consumeEventField, protowire.BytesType)
	prefix = protowire.AppendVarint(prefix, uint64(len(head)+len(event)))
	return EncodedFrame{Prefix: append(prefix, head...), Body: event}
}

var (
	consumeEventField  = (&hooknormv1.ConsumeResponse{}).ProtoReflect().Descriptor().Fields().ByName("event").Number()
	consumedEventField = (&hooknormv1.ConsumedEvent{}).ProtoReflect().Descriptor().Fields().ByName("event").Number()
)
