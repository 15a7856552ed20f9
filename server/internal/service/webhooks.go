// Package service implements hooknorm.v1.WebhookService as thin gRPC handlers: each turns its
// request into calls on domain packages (verify, normalize, eventlog) and returns what it gets.
// Errors stay domain errors (rejection.Error); the transport maps them to gRPC statuses in one
// place.
package service

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/fanout"
	"github.com/hooknorm/hooknorm/server/internal/metrics"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"github.com/hooknorm/hooknorm/server/internal/requestlog"
	"github.com/hooknorm/hooknorm/server/internal/verify"
	"google.golang.org/grpc/metadata"
)

// providerHeaderPrefixes are the header name prefixes of the providers' delivery headers, which
// the HTTP gateway forwards as gRPC metadata.
var providerHeaderPrefixes = []string{"x-webflow-", "x-webhook-clickfunnels-"}

// DefaultHeartbeat is how long a subscription stays silent before a heartbeat.
const DefaultHeartbeat = 15 * time.Second

// DefaultCursorGrace is how long a subscription that resumes after a sequence the log has not
// reached waits for the log to reach it before it is refused. A clustered log's newly elected
// leader may still be applying the last events it acknowledged; a log that was recreated does not
// catch up.
const DefaultCursorGrace = 5 * time.Second

// Webhooks serves hooknorm.v1.WebhookService.
type Webhooks struct {
	hooknormv1.UnimplementedWebhookServiceServer
	normalizer *normalize.Normalizer
	verifier   verify.Verifier
	log        *eventlog.Log
	metrics    *metrics.Metrics
	hub        *fanout.Hub
	heartbeat  time.Duration
	grace      time.Duration
	now        func() time.Time

	stopOnce sync.Once
	stopping chan struct{}
	stopHub  context.CancelFunc
	hubDone  chan struct{}
}

// The fan-out hub keeps the newest events, up to DefaultHubRing of them and DefaultHubRingBytes of
// their stored bytes unless Options say otherwise, for subscriptions that start, resume or fall
// behind near the head: they are served from memory rather than each opening a reader of the log.
const (
	DefaultHubRing      = 1 << 16
	DefaultHubRingBytes = 128 << 20
)

var _ hooknormv1.WebhookServiceServer = (*Webhooks)(nil)

// Options configure the service.
type Options struct {
	// Verifier checks deliveries before Ingest stores them.
	Verifier verify.Verifier
	// Log stores ingested events and serves subscriptions; without it, only Normalize is served.
	Log *eventlog.Log
	// Heartbeat is how long a subscription stays silent before a heartbeat (DefaultHeartbeat).
	Heartbeat time.Duration
	// CursorGrace is how long a subscription resuming after a sequence beyond the newest event
	// waits for the log to reach it before it is refused (DefaultCursorGrace).
	CursorGrace time.Duration
	// Metrics records what happens to deliveries and subscribers; nil records nothing.
	Metrics *metrics.Metrics
	// HubRing and HubRingBytes bound the fan-out hub's ring of the newest events, by count and by
	// stored bytes (DefaultHubRing and DefaultHubRingBytes).
	HubRing      int
	HubRingBytes int64
}

// NewWebhooks returns the service, converting deliveries with normalizer. With a log, it starts
// the fan-out hub that serves subscriptions at the head of the log; Stop ends it.
func NewWebhooks(normalizer *normalize.Normalizer, opts Options) *Webhooks {
	if opts.Verifier == nil {
		opts.Verifier = verify.AcceptAll{}
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.CursorGrace <= 0 {
		opts.CursorGrace = DefaultCursorGrace
	}
	s := &Webhooks{
		normalizer: normalizer,
		verifier:   opts.Verifier,
		log:        opts.Log,
		heartbeat:  opts.Heartbeat,
		grace:      opts.CursorGrace,
		metrics:    opts.Metrics,
		now:        time.Now,
		stopping:   make(chan struct{}),
		hubDone:    make(chan struct{}),
	}
	if opts.Log == nil {
		close(s.hubDone)
		s.stopHub = func() {}
		return s
	}
	s.metrics.WatchLog(opts.Log.Stats)
	s.metrics.WatchReaders(opts.Log.Readers)
	s.metrics.WatchStorage(opts.Log.StorageHealth)
	if opts.HubRing <= 0 {
		opts.HubRing = DefaultHubRing
	}
	if opts.HubRingBytes <= 0 {
		opts.HubRingBytes = DefaultHubRingBytes
	}
	s.hub = fanout.New(opts.Log, opts.HubRing, opts.HubRingBytes)
	var ctx context.Context
	ctx, s.stopHub = context.WithCancel(context.Background())
	go func() {
		defer close(s.hubDone)
		s.hub.Run(ctx)
	}()
	<-s.hub.Ready()
	return s
}

// Stop ends every subscription, telling each client where to resume, and the fan-out hub; the
// server calls it when it shuts down, so that open streams do not hold the shutdown up.
func (s *Webhooks) Stop() {
	s.stopOnce.Do(func() {
		close(s.stopping)
		s.stopHub()
		<-s.hubDone
	})
}

// Normalize converts one delivery and returns the event; nothing is stored.
func (s *Webhooks) Normalize(ctx context.Context, req *hooknormv1.NormalizeRequest) (*hooknormv1.NormalizeResponse, error) {
	record := requestlog.FromContext(ctx)
	record.SetSource(req.GetSource())
	if p := access.FromContext(ctx); p != nil {
		if err := p.AllowSource(req.GetSource()); err != nil {
			return nil, err
		}
	}
	event, err := s.normalizer.Normalize(normalize.Delivery{
		Source:      req.GetSource(),
		Body:        req.GetPayload(),
		TriggerType: req.GetTriggerType(),
		Tenant:      req.GetTenant(),
		Headers:     providerHeaders(ctx, req.GetHeaders()),
		ReceivedAt:  s.now(),
	})
	if err != nil {
		return nil, err
	}
	record.SetEvent(event)
	if !req.GetIncludeRaw() {
		event.RawPayload = nil
	}
	return &hooknormv1.NormalizeResponse{Event: event}, nil
}

// Ingest verifies one delivery, converts it and stores it, with the call's trace context; it
// answers only once the event is durable. A repeat of a stored event answers with the earlier
// sequence and duplicate set, and the stored event keeps the first delivery's trace context.
func (s *Webhooks) Ingest(ctx context.Context, req *hooknormv1.IngestRequest) (resp *hooknormv1.IngestResponse, err error) {
	var event *hooknormv1.Event
	var verdict verify.Verdict
	defer func() { s.countDelivery(ctx, req.GetSource(), verdict, event, resp, err) }()
	if s.log == nil {
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_NOT_IMPLEMENTED, "Ingest is not served: this hooknormd has no event log")
	}
	principal := access.FromContext(ctx)
	if principal != nil {
		if err := principal.AllowSource(req.GetSource()); err != nil {
			return nil, err
		}
	}
	headers := providerHeaders(ctx, req.GetHeaders())
	verdict, err = s.verifier.Verify(verify.Delivery{Source: req.GetSource(), Headers: headers, Body: req.GetPayload(), Tenant: req.GetTenant()})
	if err != nil {
		return nil, err
	}
	converting := time.Now()
	// The event is only stored: its payload stays as the conversion encoded it (see
	// NormalizeEncoded), and is stored as it is.
	event, err = s.normalizer.NormalizeEncoded(normalize.Delivery{
		Source:      req.GetSource(),
		Body:        req.GetPayload(),
		TriggerType: req.GetTriggerType(),
		Tenant:      req.GetTenant(),
		Headers:     headers,
		ReceivedAt:  s.now(),
	})
	if err != nil {
		return nil, err
	}
	s.metrics.Conversion(time.Since(converting))
	if err := boundTenant(verdict, event); err != nil {
		return nil, err
	}
	if principal != nil {
		if err := principal.AllowTenant(event.GetTenant()); err != nil {
			return nil, err
		}
	}
	stampTraceContext(ctx, event)
	appending := time.Now()
	appended, err := s.log.Append(ctx, event)
	if errors.Is(err, eventlog.ErrUnstorable) {
		return nil, err // a conversion that let it through is at fault, not the log: INTERNAL
	}
	if err != nil {
		return nil, unavailable(ctx, err, "hooknorm's event log cannot store events right now, so nothing was stored: retry later "+
			"(hooknormd's log and /readyz tell its operator why)")
	}
	s.metrics.Append(time.Since(appending))
	return &hooknormv1.IngestResponse{Id: event.GetId(), Sequence: &appended.Sequence, Duplicate: &appended.Duplicate}, nil
}

// countDelivery counts an Ingest call by its outcome: stored, duplicate, or rejected with its
// reason (INTERNAL for an error without one, such as a cancelled call). It also tells the
// request's log line the source, the event and the outcome.
func (s *Webhooks) countDelivery(ctx context.Context, source hooknormv1.Source, verdict verify.Verdict, event *hooknormv1.Event, resp *hooknormv1.IngestResponse, err error) {
	record := requestlog.FromContext(ctx)
	record.SetSource(source)
	record.SetEvent(event)
	switch {
	case err == nil && resp == nil:
		return // Ingest panicked: the recovery interceptor answers, and the call metrics count it
	case err != nil:
		reason := hooknormv1.ErrorReason_ERROR_REASON_INTERNAL
		if r, ok := rejection.As(err); ok {
			reason = r.Reason
		}
		s.metrics.Delivery(source, event, metrics.Rejected, reason)
		tenant := metrics.OtherTenant
		if verdict.Listed {
			tenant = verdict.Tenant
		}
		s.metrics.TenantRefusal(source, tenant, reason)
		record.SetOutcome(metrics.Rejected)
	case resp.GetDuplicate():
		s.metrics.Delivery(source, event, metrics.Duplicate, 0)
		record.SetOutcome(metrics.Duplicate)
	default:
		s.metrics.Delivery(source, event, metrics.Stored, 0)
		record.SetOutcome(metrics.Stored)
	}
}

// boundTenant makes sure a delivery verified for one tenant becomes an event of that tenant: an
// event the conversion found no tenant for takes the verified one (read where the conversion
// does not look, such as a resource wrapped in an event type hooknorm does not know), and an
// event of another tenant is refused, for a delivery signed with one tenant's secret must never
// become another tenant's event.
func boundTenant(verdict verify.Verdict, event *hooknormv1.Event) error {
	switch {
	case !verdict.Bound || event.GetTenant() == verdict.Tenant:
		return nil
	case event.GetTenant() == "":
		event.Tenant = verdict.Tenant
		return nil
	}
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD,
		"the delivery was verified for tenant %q, where its body names the tenant first, but its resource names tenant %q: "+
			"a delivery names one tenant wherever it names one", verdict.Tenant, event.GetTenant()).AtField("tenant")
}

// unavailable turns a log failure into a refusal the caller retries, saying what the caller is to
// do (advice: an Ingest stored nothing, a subscription resumes after its cursor), and puts the
// cause (a full disk, say) on the request's log line, whose reason says only UNAVAILABLE. The
// cause is the operator's to read there and in /readyz: it is not sent to the caller, being in
// the words of the log's storage and of NATS, and naming paths and hosts of hooknormd's.
func unavailable(ctx context.Context, err error, advice string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	requestlog.FromContext(ctx).SetError(err.Error())
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_UNAVAILABLE, "%s", advice)
}

// providerHeaders merges the headers given in the request with the provider headers that arrived
// as gRPC metadata (as the HTTP gateway forwards them); headers given in the request win.
func providerHeaders(ctx context.Context, given map[string]string) map[string]string {
	md, _ := metadata.FromIncomingContext(ctx)
	headers := make(map[string]string, len(given)+2)
	for key, values := range md {
		if len(values) > 0 && hasProviderPrefix(key) {
			headers[key] = values[0]
		}
	}
	for key, value := range given {
		headers[strings.ToLower(key)] = value
	}
	return headers
}

func hasProviderPrefix(key string) bool {
	for _, prefix := range providerHeaderPrefixes {
		if strings.HasPrefix(key, prefix) {
			return true
		}
	}
	return false
}
