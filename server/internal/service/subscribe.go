package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/fanout"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// liveBuffer is how many records a subscription served by the hub may fall behind before the
// hub drops it and it reads the log on its own.
const liveBuffer = 256

// Subscribe streams events in log order from where the request starts, each with its sequence; a
// heartbeat with the latest sequence first, whenever nothing was sent for a while, and as soon as
// the subscription has passed events its filter leaves out up to the newest, so that its cursor
// reaches the head; and a gap marker when retention removed events the subscription should have
// delivered. Near the head of the log it
// is served by the fan-out hub; further back, or when it falls behind, it reads the log on its
// own, and joins the hub again once it has caught up.
func (s *Webhooks) Subscribe(req *hooknormv1.SubscribeRequest, stream hooknormv1.WebhookService_SubscribeServer) error {
	if s.log == nil {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_NOT_IMPLEMENTED, "Subscribe is not served: this hooknormd has no event log")
	}
	start, filter, err := subscription(req, s.now())
	if err != nil {
		return err
	}
	if p := access.FromContext(stream.Context()); p != nil {
		if filter.Sources, filter.Tenants, err = p.Scope(filter.Sources, filter.Tenant); err != nil {
			return err
		}
		done, err := p.OpenStream()
		if err != nil {
			return err
		}
		defer done()
	}
	defer s.metrics.SubscriberOpened()()
	sub := &subscriber{svc: s, stream: stream, filter: filter, includeRaw: req.GetIncludeRaw(),
		position: start.After, heartbeat: time.NewTimer(s.heartbeat)}
	defer sub.heartbeat.Stop()
	return sub.run(stream.Context(), start)
}

// subscriber is one subscription being served.
type subscriber struct {
	svc        *Webhooks
	stream     hooknormv1.WebhookService_SubscribeServer
	filter     eventlog.Filter
	includeRaw bool
	position   uint64 // the sequence of the last event (or gap) sent, or the one before the start
	heartbeat  *time.Timer
}

// errBehind says a subscription fell out of the hub and must read the log on its own.
var errBehind = errors.New("the subscription fell behind the hub")

func (sub *subscriber) run(ctx context.Context, start eventlog.Start) error {
	hub := sub.svc.hub
	var live *fanout.Live
	var backlog []*eventlog.Record
	// The stream opens with a heartbeat saying how far the log goes, so a client knows at once
	// how much it has to catch up on (and that the stream is open).
	last, err := sub.svc.log.FreshLastSequence(ctx)
	if err != nil {
		return sub.unavailable(ctx, err)
	}
	if start.HasAfter && start.After > last {
		if last, err = sub.awaitCursor(ctx, start.After, last); err != nil {
			return err
		}
	}
	newOnly := start == eventlog.Start{}
	if newOnly {
		sub.position = last
	}
	if err := sub.sendHeartbeat(last); err != nil {
		return err
	}
	switch {
	case newOnly:
		// New events only: those after what the log holds now. Not after the hub's head, which may
		// still be reading events stored before the call.
		start = eventlog.Start{HasAfter: true, After: last}
		var joined bool
		if live, backlog, joined = hub.Join(last, sub.filter, liveBuffer); !joined {
			return sub.fromLog(ctx, start) // the hub is down: the log serves alone
		}
	case start.HasAfter:
		live, backlog, _ = hub.Join(start.After, sub.filter, liveBuffer)
	}
	for {
		if live == nil {
			var err error
			if live, backlog, err = sub.catchUp(ctx, start); err != nil {
				return err
			}
		}
		if err := sub.fromHub(ctx, live, backlog); !errors.Is(err, errBehind) {
			return err
		}
		// Fell behind: catch up from the hub's ring while it still holds what comes next, and
		// from the log otherwise.
		start = eventlog.Start{HasAfter: true, After: sub.position}
		live, backlog, _ = hub.Join(sub.position, sub.filter, liveBuffer)
	}
}

// awaitCursor waits, for the service's grace period, until the log has reached cursor, a
// sequence beyond its newest event, and returns the newest sequence then. A log that does not
// reach it never gave that cursor (it was recreated, or the cursor belongs to another
// deployment): resuming there would skip every event up to it without a word, so the
// subscription is refused instead.
func (sub *subscriber) awaitCursor(ctx context.Context, cursor, last uint64) (uint64, error) {
	deadline := time.NewTimer(sub.svc.grace)
	defer deadline.Stop()
	poll := time.NewTicker(sub.svc.grace / 25)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-sub.svc.stopping:
			return 0, sub.shuttingDown()
		case <-deadline.C:
			return 0, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_CURSOR_AHEAD,
				"after_sequence %d is beyond the newest event in the log, %d: the cursor does not come from this log "+
					"(was the log recreated?); resume after a sequence this log gave, or start over with earliest", cursor, last).AtField("after_sequence")
		case <-poll.C:
			var err error
			if last, err = sub.svc.log.FreshLastSequence(ctx); err != nil {
				return 0, sub.unavailable(ctx, err)
			}
			if last >= cursor {
				return last, nil
			}
		}
	}
}

// fromHub serves the subscription from the hub until it ends or falls behind.
func (sub *subscriber) fromHub(ctx context.Context, live *fanout.Live, backlog []*eventlog.Record) error {
	defer live.Leave()
	for _, rec := range backlog {
		if err := sub.sendRecord(rec); err != nil {
			return err
		}
	}
	// Caught up, with events the filter left out between the last one sent and the head: say so
	// at once, so a client waiting to reach the head (a replay) need not wait for a heartbeat.
	if head, caught := live.Caught(); caught && head > sub.position {
		sub.position = head
		if err := sub.sendHeartbeat(sub.latest(ctx)); err != nil {
			return err
		}
	}
	for {
		select {
		case rec := <-live.Records:
			if err := sub.sendRecord(rec); err != nil {
				return err
			}
		case <-live.Dropped:
			for { // what the hub handed over before dropping it is still in order
				select {
				case rec := <-live.Records:
					if err := sub.sendRecord(rec); err != nil {
						return err
					}
					continue
				default:
				}
				return errBehind
			}
		case <-sub.heartbeat.C:
			if head, caught := live.Caught(); caught {
				sub.position = max(sub.position, head) // everything up to the head was sent
			}
			if err := sub.sendHeartbeat(sub.latest(ctx)); err != nil {
				return err
			}
		case <-sub.svc.stopping:
			return sub.shuttingDown()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// catchUp reads the log on its own from start until the hub holds everything after the last
// event sent, then hands over to the hub.
func (sub *subscriber) catchUp(ctx context.Context, start eventlog.Start) (*fanout.Live, []*eventlog.Record, error) {
	var handover struct {
		live    *fanout.Live
		backlog []*eventlog.Record
	}
	err := sub.readLog(ctx, start, func() bool {
		var joined bool
		handover.live, handover.backlog, joined = sub.svc.hub.Join(sub.position, sub.filter, liveBuffer)
		return joined
	})
	return handover.live, handover.backlog, err
}

// fromLog serves the subscription from the log alone, for as long as it lasts.
func (sub *subscriber) fromLog(ctx context.Context, start eventlog.Start) error {
	return sub.readLog(ctx, start, func() bool { return false })
}

// readLog sends what a private reader of the log returns, asking handOver after every event (or
// progress past events the filter leaves out) and every second whether to stop; it returns nil
// when handOver says so. The reader may first wait for one of the log's reader slots, while many
// subscriptions read the log at once; heartbeats go on meanwhile. A client that stops reading
// leaves its reader idle, and the reader gives its consumer up until it is read again.
func (sub *subscriber) readLog(ctx context.Context, start eventlog.Start, handOver func() bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reader, err := sub.svc.log.Read(ctx, start, sub.filter)
	if err != nil {
		return sub.unavailable(ctx, err)
	}
	defer reader.Close()
	type item struct {
		eventlog.Item
		err error
	}
	items := make(chan item)
	go func() {
		for {
			next, err := reader.Next(ctx)
			select {
			case items <- item{next, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	check := time.NewTicker(time.Second)
	defer check.Stop()
	for {
		select {
		case it := <-items:
			switch {
			case it.err != nil:
				return sub.unavailable(ctx, it.err)
			case it.Gap != nil:
				err = sub.sendGap(it.Gap)
			case it.Record != nil:
				err = sub.sendRecord(it.Record)
			default:
				err = sub.sendProgress(ctx, it.Through)
			}
			if err != nil {
				return err
			}
			if handOver() {
				return nil
			}
		case <-check.C:
			if handOver() {
				return nil
			}
		case <-sub.heartbeat.C:
			latest, err := sub.svc.log.LastSequence(ctx)
			if err != nil {
				return sub.unavailable(ctx, err)
			}
			if err := sub.sendHeartbeat(latest); err != nil {
				return err
			}
		case <-sub.svc.stopping:
			return sub.shuttingDown()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sendRecord sends an event as stored, without re-encoding it.
func (sub *subscriber) sendRecord(rec *eventlog.Record) error {
	if rec.Sequence <= sub.position {
		return nil // already sent before a handover
	}
	if err := sub.stream.SendMsg(eventFrame(rec.EventBytes(sub.includeRaw))); err != nil {
		return err
	}
	sub.position = rec.Sequence
	sub.heartbeat.Reset(sub.svc.heartbeat)
	if rec.Sequence%lagSample == 0 {
		sub.svc.metrics.Lag(sub.svc.hub.Head(), rec.Sequence)
	}
	return nil
}

// sendProgress moves the subscription's position to through, the reader having sent every event
// the subscription wants up to it, and says so at once with a heartbeat: a client waiting to
// reach the head (a replay) need not wait for the next one, nor resume before events it does not
// want.
func (sub *subscriber) sendProgress(ctx context.Context, through uint64) error {
	if through <= sub.position {
		return nil
	}
	sub.position = through
	latest, err := sub.svc.log.LastSequence(ctx)
	if err != nil {
		return sub.unavailable(ctx, err)
	}
	return sub.sendHeartbeat(latest)
}

// lagSample is how often a subscriber's lag is measured: on every lagSample-th sequence it is
// sent, so that a thousand subscribers do not all take the hub's lock for every event.
const lagSample = 32

func (sub *subscriber) sendGap(gap *eventlog.Gap) error {
	err := sub.stream.Send(&hooknormv1.SubscribeResponse{Message: &hooknormv1.SubscribeResponse_Gap{
		Gap: &hooknormv1.Gap{FirstSequence: gap.First, LastSequence: gap.Last},
	}})
	sub.position = max(sub.position, gap.Last)
	sub.heartbeat.Reset(sub.svc.heartbeat)
	return err
}

// latest returns the newest sequence in the log as a subscription served by the hub tells it:
// the log's own view, at most a second old, or the hub's head if newer or when the log does not
// answer. The hub's head alone may lag far behind the log (it reads the log again after losing
// it, for one), and a heartbeat calling it the latest would end a replay to the head early.
func (sub *subscriber) latest(ctx context.Context) uint64 {
	head := sub.svc.hub.Head()
	last, err := sub.svc.log.LastSequence(ctx)
	if err != nil {
		return head
	}
	return max(last, head)
}

// sendHeartbeat sends a heartbeat with the log's latest sequence, as latest says it, and the
// cursor. latest may come from a view of the log up to a second old, so it is raised to the
// cursor: the log holds at least what was sent, and a client subtracting the cursor from it must
// not see it go below.
func (sub *subscriber) sendHeartbeat(latest uint64) error {
	latest, cursor := max(latest, sub.position), sub.position
	err := sub.stream.Send(&hooknormv1.SubscribeResponse{Message: &hooknormv1.SubscribeResponse_Heartbeat{
		Heartbeat: &hooknormv1.Heartbeat{LatestSequence: &latest, SentAt: timestamppb.New(sub.svc.now()), Cursor: &cursor},
	}})
	sub.heartbeat.Reset(sub.svc.heartbeat)
	return err
}

// unavailable ends the subscription because the log failed, saying where to resume.
func (sub *subscriber) unavailable(ctx context.Context, err error) error {
	return unavailable(ctx, err, fmt.Sprintf("hooknorm's event log cannot be read right now: resume with after_sequence=%d once it is back "+
		"(hooknormd's log and /readyz tell its operator why)", sub.position))
}

func (sub *subscriber) shuttingDown() error {
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_UNAVAILABLE,
		"hooknormd is shutting down; resume with after_sequence=%d", sub.position)
}

// sinceSkew is how far in the future a since start may lie, for clients whose clock runs ahead
// of hooknormd's; such a start serves new events only.
const sinceSkew = time.Minute

// subscription reads a request's start and filter, refusing what cannot be served.
func subscription(req *hooknormv1.SubscribeRequest, now time.Time) (eventlog.Start, eventlog.Filter, error) {
	var start eventlog.Start
	switch from := req.GetStart().(type) {
	case *hooknormv1.SubscribeRequest_Earliest:
		start.Earliest = from.Earliest
	case *hooknormv1.SubscribeRequest_AfterSequence:
		start.After, start.HasAfter = from.AfterSequence, true
	case *hooknormv1.SubscribeRequest_Since:
		if err := from.Since.CheckValid(); err != nil {
			return start, eventlog.Filter{}, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
				"since is not a valid time: give one between 0001-01-01 and 9999-12-31, with nanos from 0 to 999999999").AtField("since")
		}
		start.Since = from.Since.AsTime()
		if start.Since.After(now.Add(sinceSkew)) {
			return start, eventlog.Filter{}, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
				"since %s is in the future (hooknormd's clock reads %s): a subscription starts at events already received, "+
					"or, with no start, at new events only", start.Since.Format(time.RFC3339), now.UTC().Format(time.RFC3339)).AtField("since")
		}
	}
	var sources []hooknormv1.Source
	for _, source := range req.GetSources() {
		if source != hooknormv1.Source_SOURCE_CLICKFUNNELS && source != hooknormv1.Source_SOURCE_WEBFLOW {
			return start, eventlog.Filter{}, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
				"sources lists %s, which is no source hooknorm knows: give SOURCE_CLICKFUNNELS or SOURCE_WEBFLOW (clickfunnels or webflow over HTTP), "+
					"or leave sources out to receive events of every source", sourceLabel(source)).AtField("sources")
		}
		if !slices.Contains(sources, source) {
			sources = append(sources, source)
		}
	}
	for _, f := range []struct {
		name   string
		values []string
	}{{"types", req.GetTypes()}, {"type_prefixes", req.GetTypePrefixes()}} {
		if err := boundedFilter(f.name, f.values); err != nil {
			return start, eventlog.Filter{}, err
		}
	}
	if len(req.GetTenant()) > maxFilterValueBytes {
		return start, eventlog.Filter{}, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"tenant is %d bytes; tenants are at most %d: give the tenant exactly as events carry it", len(req.GetTenant()), maxFilterValueBytes).AtField("tenant")
	}
	return start, eventlog.Filter{
		Sources:      sources,
		Tenant:       req.GetTenant(),
		Types:        req.GetTypes(),
		TypePrefixes: req.GetTypePrefixes(),
	}, nil
}

// sourceLabel names a source by its enum name, or by its number when it has none.
func sourceLabel(source hooknormv1.Source) string {
	if _, named := hooknormv1.Source_name[int32(source)]; named {
		return source.String()
	}
	return fmt.Sprint(int32(source))
}

// Bounds of a subscription's filter. The fan-out hub checks every live subscription's filter
// against every event, so an unbounded list would let one subscriber slow every other one.
const (
	maxFilterValues     = 100
	maxFilterValueBytes = 256
)

// boundedFilter refuses a list of event types or prefixes with more values, or a longer value,
// than a subscription may give, or with an empty value: an empty type matches no event (every
// event has a type), so a subscription with one would wait forever for nothing.
func boundedFilter(field string, values []string) error {
	if len(values) > maxFilterValues {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"%s lists %d values; a subscription may give at most %d: give fewer, or a type prefix that covers several", field, len(values), maxFilterValues).AtField(field)
	}
	for i, value := range values {
		switch {
		case value == "":
			return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
				"%s value %d is empty: give event types (or their beginnings), or leave %s out to accept every type", field, i+1, field).AtField(field)
		case len(value) > maxFilterValueBytes:
			return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
				"%s value %d is %d bytes; event types are at most %d: give a shorter one", field, i+1, len(value), maxFilterValueBytes).AtField(field)
		}
	}
	return nil
}

// EncodedFrame is a message already in the Protobuf wire format, in two parts the server's codec
// sends as they are: a short prefix of its own, and a body shared with every other subscriber.
type EncodedFrame struct {
	Prefix, Body []byte
}

// eventFrame is a SubscribeResponse carrying an encoded event: only the field's tag and length
// are made per subscriber, the event's bytes are not copied.
func eventFrame(event []byte) EncodedFrame {
	prefix := make([]byte, 0, 11)
	prefix = protowire.AppendTag(prefix, eventField, protowire.BytesType)
	prefix = protowire.AppendVarint(prefix, uint64(len(event)))
	return EncodedFrame{Prefix: prefix, Body: event}
}

var eventField = (&hooknormv1.SubscribeResponse{}).ProtoReflect().Descriptor().Fields().ByName("event").Number()
