package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/extensions"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// DataSchema is the dataschema of the CloudEvents forward sends: their data is a
// hooknorm.v1.Event in its JSON form.
const DataSchema = "urn:hooknorm:protobuf:hooknorm.v1.Event"

// request is the HTTP request delivering e in the forwarder's format.
func (f *forwarder) request(ctx context.Context, e *hooknormv1.Event) (*http.Request, error) {
	data, err := protojson.Marshal(e)
	if err != nil {
		return nil, err
	}
	var req *http.Request
	if f.format == "event-json" {
		if req, err = http.NewRequestWithContext(ctx, http.MethodPost, f.to, strings.NewReader(string(data))); err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Hooknorm-Event-Id", e.GetId())
		req.Header.Set("Hooknorm-Sequence", strconv.FormatUint(e.GetSequence(), 10))
	} else {
		ce, err := CloudEvent(e, data)
		if err != nil {
			return nil, err
		}
		if f.structured {
			ctx = binding.WithForceStructured(ctx)
		} else {
			ctx = binding.WithForceBinary(ctx)
		}
		if req, err = cehttp.NewHTTPRequestFromEvent(ctx, f.to, ce); err != nil {
			return nil, err
		}
	}
	// The request continues the trace of the delivery that stored the event, so a receiver
	// instrumented with OpenTelemetry joins it.
	if traceparent := e.GetTraceparent(); traceparent != "" {
		req.Header.Set("traceparent", traceparent)
		if tracestate := e.GetTracestate(); tracestate != "" {
			req.Header.Set("tracestate", tracestate)
		}
	}
	return req, nil
}

// CloudEvent maps an event to a CloudEvent 1.0 whose data is data, the event as JSON.
func CloudEvent(e *hooknormv1.Event, data []byte) (cloudevents.Event, error) {
	provider := strings.ToLower(strings.TrimPrefix(e.GetSource().String(), "SOURCE_"))
	tenant := e.GetTenant()
	if tenant == "" {
		tenant = "unknown"
	}
	ce := cloudevents.NewEvent(cloudevents.VersionV1)
	ce.SetID(e.GetId())
	ce.SetSource("hooknorm/" + provider + "/" + tenant)
	ce.SetType("com." + provider + "." + e.GetType())
	if subject := resourceID(e); subject != "" {
		ce.SetSubject(subject)
	}
	at := e.GetReceivedAt().AsTime()
	if e.GetOccurredAt() != nil {
		at = e.GetOccurredAt().AsTime()
	}
	ce.SetTime(at)
	ce.SetDataSchema(DataSchema)
	ce.SetExtension("hooknormsequence", strconv.FormatUint(e.GetSequence(), 10))
	// The Distributed Tracing extension: the trace context of the delivery that stored the event.
	extensions.DistributedTracingExtension{TraceParent: e.GetTraceparent(), TraceState: e.GetTracestate()}.AddTracingAttributes(&ce)
	if err := ce.SetData(cloudevents.ApplicationJSON, data); err != nil {
		return ce, err
	}
	return ce, ce.Validate()
}

// resourceID is the id of the resource an event is about: ClickFunnels' subject_id, or the
// resource's own id.
func resourceID(e *hooknormv1.Event) string {
	if cf := e.GetClickfunnels(); cf != nil && cf.SubjectId != nil {
		return strconv.FormatInt(cf.GetSubjectId(), 10)
	}
	return first(caseMessage(e), "id", "order_id", "page_id", "comment_id")
}
