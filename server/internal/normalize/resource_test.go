package normalize_test

import (
	"strings"
	"testing"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// TestEnvelopeWithoutAResourceObjectIsRefused checks that a delivery whose resource member is
// missing or is not an object, in every envelope shape of both providers and for known and
// unknown event types alike, is refused with INVALID_FIELD at the member's path, saying what was
// found, and converted to no event.
func TestEnvelopeWithoutAResourceObjectIsRefused(t *testing.T) {
	n := newNormalizer(t)
	for _, m := range fixtures.MalformedEnvelopes() {
		t.Run(m.Name, func(t *testing.T) {
			event, err := n.Normalize(normalize.Delivery{Source: m.Source, TriggerType: m.TriggerType, Body: m.Body, ReceivedAt: receivedAt})
			if event != nil {
				t.Errorf("converted to an event: %v", event)
			}
			r, ok := rejection.As(err)
			if !ok {
				t.Fatalf("error %v is not a rejection", err)
			}
			want := m.Field + " is " + m.Found + ", expected the event's resource as an object"
			if r.Reason != hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD || r.Field != m.Field || r.Message != want {
				t.Errorf("refused with %s at %q: %q; want INVALID_FIELD at %q: %q", r.Reason, r.Field, r.Message, m.Field, want)
			}
		})
	}
}

// TestResourceRefusalComesAfterTheEnvelopesOtherFaults checks which fault a delivery that has
// more than one is refused for: invalid JSON first, then a missing or conflicting event type,
// then the resource; and that a Webflow API v1 body, the resource itself, must be an object.
func TestResourceRefusalComesAfterTheEnvelopesOtherFaults(t *testing.T) {
	n := newNormalizer(t)
	cf, wf := hooknormv1.Source_SOURCE_CLICKFUNNELS, hooknormv1.Source_SOURCE_WEBFLOW
	cases := []struct {
		name       string
		source     hooknormv1.Source
		trigger    string
		body       string
		wantReason hooknormv1.ErrorReason
		wantField  string
	}{
		{"ClickFunnels body without event type or data", cf, "", `{}`,
			hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING, "$.event_type"},
		{"ClickFunnels data null without event type", cf, "", `{"data": null}`,
			hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING, "$.event_type"},
		{"ClickFunnels data an array, then invalid JSON", cf, "", `{"event_type": "contact.created", "data": [], "x": tru}`,
			hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, ""},
		{"ClickFunnels data an array nested too deep", cf, "", `{"event_type": "contact.created", "data": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
			hooknormv1.ErrorReason_ERROR_REASON_NESTING_TOO_DEEP, ""},
		{"Webflow null trigger type without payload", wf, "", `{"triggerType": null}`,
			hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING, "$.triggerType"},
		{"Webflow trigger types disagree, payload null", wf, "ecomm_new_order", `{"triggerType": "form_submission", "payload": null}`,
			hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_CONFLICT, "$.triggerType"},
		{"Webflow v1 body an array", wf, "form_submission", `[{"name": "Contact"}]`,
			hooknormv1.ErrorReason_ERROR_REASON_NOT_AN_OBJECT, "$"},
		{"Webflow v1 body a string", wf, "form_submission", `"{\"name\": \"Contact\"}"`,
			hooknormv1.ErrorReason_ERROR_REASON_NOT_AN_OBJECT, "$"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			event, err := n.Normalize(normalize.Delivery{Source: c.source, TriggerType: c.trigger, Body: []byte(c.body)})
			r, ok := rejection.As(err)
			if !ok || event != nil {
				t.Fatalf("got event %v, error %v; want a rejection", event, err)
			}
			if r.Reason != c.wantReason || r.Field != c.wantField {
				t.Errorf("refused with %s at %q (%s), want %s at %q", r.Reason, r.Field, r.Message, c.wantReason, c.wantField)
			}
		})
	}
}
