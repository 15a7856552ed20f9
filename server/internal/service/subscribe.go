package service

import (
	"context"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Subscribe streams events in log order from where the request starts, each with its sequence; a
// heartbeat with the latest sequence when nothing was sent for a while; and a gap marker when
// retention removed events the subscription should have delivered.
func (s *Webhooks) Subscribe(req *hooknormv1.SubscribeRequest, stream hooknormv1.WebhookService_SubscribeServer) error {
	if s.log == nil {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_NOT_IMPLEMENTED, "Subscribe is not served: this hooknormd has no event log")
	}
	start, filter, err := subscription(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	reader, err := s.log.Read(ctx, start, filter)
	if err != nil {
		return unavailable(err)
	}
	defer reader.Close()

	type item struct {
		record *eventlog.Record
		gap    *eventlog.Gap
		err    error
	}
	items := make(chan item)
	go func() {
		for {
			record, gap, err := reader.Next(ctx)
			select {
			case items <- item{record, gap, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()

	last := start.After
	heartbeat := time.NewTimer(s.heartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case it := <-items:
			switch {
			case it.err != nil:
				return unavailable(it.err)
			case it.gap != nil:
				last = it.gap.Last
				err = stream.Send(&hooknormv1.SubscribeResponse{Message: &hooknormv1.SubscribeResponse_Gap{
					Gap: &hooknormv1.Gap{FirstSequence: it.gap.First, LastSequence: it.gap.Last},
				}})
			default:
				last = it.record.Sequence
				err = stream.SendMsg(eventFrame(it.record.EventBytes(req.GetIncludeRaw())))
			}
			if err != nil {
				return err
			}
			heartbeat.Reset(s.heartbeat)
		case <-heartbeat.C:
			latest, err := s.log.LastSequence(ctx)
			if err != nil {
				return unavailable(err)
			}
			if err := stream.Send(&hooknormv1.SubscribeResponse{Message: &hooknormv1.SubscribeResponse_Heartbeat{
				Heartbeat: &hooknormv1.Heartbeat{LatestSequence: latest, SentAt: timestamppb.New(s.now())},
			}}); err != nil {
				return err
			}
			heartbeat.Reset(s.heartbeat)
		case <-s.stopping:
			return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_UNAVAILABLE,
				"hooknormd is shutting down; resume with after_sequence=%d", last)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// subscription reads a request's start and filter, refusing what cannot be served.
func subscription(req *hooknormv1.SubscribeRequest) (eventlog.Start, eventlog.Filter, error) {
	var start eventlog.Start
	switch from := req.GetStart().(type) {
	case *hooknormv1.SubscribeRequest_Earliest:
		start.Earliest = from.Earliest
	case *hooknormv1.SubscribeRequest_AfterSequence:
		start.After, start.HasAfter = from.AfterSequence, true
	case *hooknormv1.SubscribeRequest_Since:
		if err := from.Since.CheckValid(); err != nil {
			return start, eventlog.Filter{}, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
				"since is not a valid time: %v", err).AtField("since")
		}
		start.Since = from.Since.AsTime()
	}
	for _, source := range req.GetSources() {
		if source != hooknormv1.Source_SOURCE_CLICKFUNNELS && source != hooknormv1.Source_SOURCE_WEBFLOW {
			return start, eventlog.Filter{}, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
				"sources lists %v, which is not a provider: expected clickfunnels or webflow", source).AtField("sources")
		}
	}
	return start, eventlog.Filter{
		Sources:      req.GetSources(),
		Tenant:       req.GetTenant(),
		Types:        req.GetTypes(),
		TypePrefixes: req.GetTypePrefixes(),
	}, nil
}

// EncodedFrame is a message already in the Protobuf wire format, which the server's codec sends
// as it is.
type EncodedFrame []byte

// eventFrame is a SubscribeResponse carrying an encoded event, assembled without re-encoding it.
func eventFrame(event []byte) EncodedFrame {
	frame := make([]byte, 0, len(event)+6)
	frame = protowire.AppendTag(frame, eventField, protowire.BytesType)
	return protowire.AppendBytes(frame, event)
}

var eventField = (&hooknormv1.SubscribeResponse{}).ProtoReflect().Descriptor().Fields().ByName("event").Number()
