// Package normalize turns one raw provider delivery into a typed hooknorm Event. It knows the two
// providers' envelopes; everything inside them is read by jsonconv from the schema's own
// annotations. It knows nothing of gRPC or HTTP.
package normalize

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Delivery is one webhook as it arrived.
type Delivery struct {
	// Source is the provider that sent it.
	Source hooknormv1.Source
	// Body is the raw body, exactly as received.
	Body []byte
	// TriggerType is the Webflow trigger type given outside the body (in the URL), required for
	// a Webflow API v1 delivery and empty otherwise.
	TriggerType string
	// Headers are the provider's HTTP headers; names are matched without regard to case.
	Headers map[string]string
	// ReceivedAt is when hooknorm received the delivery.
	ReceivedAt time.Time
	// Tenant is the tenant the delivery was sent for, given outside the body (the webhook URL's
	// tenant parameter), or empty. It is the event's tenant when the body names none, as Webflow
	// order, inventory and user account deliveries do not; when the body names one, both must
	// agree.
	Tenant string
}

// DefaultMaxBytes is the largest body a Normalizer accepts unless told otherwise: 1 MiB.
const DefaultMaxBytes = 1 << 20

// Limits bound what a Normalizer accepts; a zero field takes its default.
type Limits struct {
	// MaxBytes is the largest body accepted (DefaultMaxBytes).
	MaxBytes int64
	// MaxDepth is the deepest nesting of JSON arrays and objects accepted (jsonconv.DefaultMaxDepth).
	MaxDepth int
}

// Normalizer converts deliveries into events. It is safe for concurrent use.
type Normalizer struct {
	decoder      *jsonconv.Decoder
	clickfunnels *jsonconv.Cases
	webflow      *jsonconv.Cases
	limits       Limits
}

// New returns a Normalizer with the given limits. It fails only if the schema breaks a convention
// the conversion relies on, which the tests catch.
func New(limits Limits) (*Normalizer, error) {
	if limits.MaxBytes <= 0 {
		limits.MaxBytes = DefaultMaxBytes
	}
	if limits.MaxDepth <= 0 {
		limits.MaxDepth = jsonconv.DefaultMaxDepth
	}
	cfDesc := (&clickfunnelsv1.Event{}).ProtoReflect().Descriptor()
	wfDesc := (&webflowv1.Event{}).ProtoReflect().Descriptor()
	decoder, err := jsonconv.NewDecoder(cfDesc, wfDesc)
	if err != nil {
		return nil, fmt.Errorf("planning the provider schemas: %w", err)
	}
	cf, err := jsonconv.NewCases(cfDesc.Oneofs().ByName("event"))
	if err != nil {
		return nil, fmt.Errorf("indexing ClickFunnels event types: %w", err)
	}
	wf, err := jsonconv.NewCases(wfDesc.Oneofs().ByName("event"))
	if err != nil {
		return nil, fmt.Errorf("indexing Webflow trigger types: %w", err)
	}
	return &Normalizer{decoder: decoder, clickfunnels: cf, webflow: wf, limits: limits}, nil
}

// facts are what a provider's envelope says about the event as a whole.
type facts struct {
	id         string
	eventType  string
	occurredAt *timestamppb.Timestamp
	tenant     string
}

// Normalize converts one delivery. The event carries the raw body in raw_payload; callers that
// were not asked for it clear it. A delivery that is not a JSON object or names no event type is
// refused with a rejection.Error saying what is wrong and where.
func (n *Normalizer) Normalize(d Delivery) (*hooknormv1.Event, error) {
	event, err := n.NormalizeEncoded(d)
	if err != nil {
		return nil, err
	}
	if err := DecodePayload(event); err != nil {
		return nil, fmt.Errorf("decoding the converted %s event: %w", event.GetType(), err)
	}
	return event, nil
}

// NormalizeEncoded converts one delivery as Normalize does, except that it leaves the provider
// event in the event's payload encoded, as the conversion wrote it: the payload's message holds
// it as unknown fields, which proto.Marshal writes out as they are, so that the event marshals
// to bytes that decode to Normalize's event. It spares a caller that only stores the event
// decoding the payload and encoding it again. The payload's oneof case is the event's type's;
// metrics.CaseOf reads it either way, and DecodePayload decodes the payload in place.
func (n *Normalizer) NormalizeEncoded(d Delivery) (*hooknormv1.Event, error) {
	switch d.Source {
	case hooknormv1.Source_SOURCE_CLICKFUNNELS, hooknormv1.Source_SOURCE_WEBFLOW:
	case hooknormv1.Source_SOURCE_UNSPECIFIED:
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_SOURCE_REQUIRED,
			"the request names no source: set source to SOURCE_CLICKFUNNELS or SOURCE_WEBFLOW, the provider that sent the delivery").AtField("source")
	default:
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_SOURCE_UNKNOWN,
			"source %d is not a provider hooknorm knows: set source to SOURCE_CLICKFUNNELS or SOURCE_WEBFLOW", d.Source).AtField("source")
	}
	if len(d.TriggerType) > maxNameBytes || !utf8.ValidString(d.TriggerType) || strings.ContainsFunc(d.TriggerType, unicode.IsControl) {
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"trigger_type must be valid UTF-8 on one line, of at most %d bytes, like \"form_submission\"", maxNameBytes).AtField("trigger_type")
	}
	if len(d.Tenant) > maxNameBytes || !utf8.ValidString(d.Tenant) || strings.ContainsFunc(d.Tenant, unicode.IsControl) {
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"tenant must be valid UTF-8 on one line, of at most %d bytes, like a Webflow site id", maxNameBytes).AtField("tenant")
	}
	if int64(len(d.Body)) > n.limits.MaxBytes {
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_PAYLOAD_TOO_LARGE,
			"the body is %d bytes, larger than the %d bytes hooknorm accepts", len(d.Body), n.limits.MaxBytes)
	}
	event := &hooknormv1.Event{Source: d.Source, ReceivedAt: timestamppb.New(d.ReceivedAt), RawPayload: d.Body}
	var f facts
	var err error
	switch d.Source {
	case hooknormv1.Source_SOURCE_CLICKFUNNELS:
		cf := &clickfunnelsv1.Event{}
		f, err = n.convertClickFunnels(d, cf)
		event.Payload = &hooknormv1.Event_Clickfunnels{Clickfunnels: cf}
	case hooknormv1.Source_SOURCE_WEBFLOW:
		wf := &webflowv1.Event{}
		f, err = n.convertWebflow(d, wf)
		event.Payload = &hooknormv1.Event_Webflow{Webflow: wf}
	}
	if err != nil {
		return nil, err
	}
	if err := checkName(f.id, "$.event_id", "the event id"); err != nil {
		return nil, err
	}
	if err := checkName(f.tenant, "tenant", "the tenant the body names (its workspace_id or site id)"); err != nil {
		return nil, err
	}
	givenTenant := ""
	switch {
	case f.tenant == "":
		f.tenant, givenTenant = d.Tenant, d.Tenant
	case d.Tenant != "" && d.Tenant != f.tenant:
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"the delivery was sent for tenant %q, but its body names tenant %q: check the tenant in the webhook's URL", d.Tenant, f.tenant).AtField("tenant")
	}
	event.Id = f.id
	if event.Id == "" {
		event.Id = digest(d.Source, f.eventType, givenTenant, d.Body)
	}
	event.Type = f.eventType
	event.OccurredAt = f.occurredAt
	event.Tenant = f.tenant
	return event, nil
}

// DecodePayload decodes the provider event of an event NormalizeEncoded returned, in place; an
// event whose payload is decoded already is left as it is.
func DecodePayload(event *hooknormv1.Event) error {
	var payload protoreflect.Message
	switch p := event.GetPayload().(type) {
	case *hooknormv1.Event_Clickfunnels:
		payload = p.Clickfunnels.ProtoReflect()
	case *hooknormv1.Event_Webflow:
		payload = p.Webflow.ProtoReflect()
	default:
		return nil
	}
	wire := payload.GetUnknown()
	if len(wire) == 0 {
		return nil
	}
	payload.SetUnknown(nil)
	return proto.UnmarshalOptions{Merge: true}.Unmarshal(wire, payload.Interface())
}

// digest is the id of a delivery that carries none: stable across retries of the same body. A
// tenant given outside the body is part of it, so that the same body sent for two tenants makes
// two events.
func digest(source hooknormv1.Source, eventType, givenTenant string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(strings.ToLower(strings.TrimPrefix(source.String(), "SOURCE_"))))
	h.Write([]byte{0})
	h.Write([]byte(eventType))
	h.Write([]byte{0})
	if givenTenant != "" {
		h.Write([]byte("tenant="))
		h.Write([]byte(givenTenant))
		h.Write([]byte{0})
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// header returns a header's value, matching its name without regard to case.
func header(headers map[string]string, name string) string {
	if v, ok := headers[name]; ok {
		return v
	}
	for key, v := range headers {
		if strings.EqualFold(key, name) {
			return v
		}
	}
	return ""
}
