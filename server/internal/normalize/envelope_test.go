package normalize_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
)

func mustStruct(t *testing.T, fields map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(fields)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustValue(t *testing.T, v any) *structpb.Value {
	t.Helper()
	val, err := structpb.NewValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return val
}

// TestEnvelopes covers envelope shapes the fixtures do not: what is kept when a delivery is
// shaped unusually.
func TestEnvelopes(t *testing.T) {
	n := newNormalizer(t)
	cf, wf := hooknormv1.Source_SOURCE_CLICKFUNNELS, hooknormv1.Source_SOURCE_WEBFLOW
	cases := []struct {
		name    string
		source  hooknormv1.Source
		trigger string
		body    string
		want    proto.Message // the provider event
	}{
		{"V1 JSON:API members besides id, type and attributes are kept", cf, "",
			`{"event_type": "contact.created", "data": {"id": 9, "type": "contact", "attributes": {"id": 9}, "links": {"self": "/c/9"}}}`,
			&clickfunnelsv1.Event{
				EventType: proto.String("contact.created"), Format: clickfunnelsv1.DeliveryFormat_DELIVERY_FORMAT_V1,
				DataId: proto.String("9"), DataType: proto.String("contact"),
				Extra: mustStruct(t, map[string]any{"data": map[string]any{"links": map[string]any{"self": "/c/9"}}}),
				Event: &clickfunnelsv1.Event_ContactCreated{ContactCreated: &clickfunnelsv1.Contact{Id: proto.Int64(9)}},
			}},
		{"an unknown V1 type keeps data whole", cf, "",
			`{"event_type": "runs/step.exploded", "data": {"id": "1", "type": "step", "attributes": {"x": 1}}}`,
			&clickfunnelsv1.Event{
				EventType: proto.String("runs/step.exploded"), Format: clickfunnelsv1.DeliveryFormat_DELIVERY_FORMAT_V1,
				Event: &clickfunnelsv1.Event_Unknown{Unknown: &clickfunnelsv1.Unknown{
					EventType: "runs/step.exploded",
					Data:      mustValue(t, map[string]any{"id": "1", "type": "step", "attributes": map[string]any{"x": 1}}),
				}},
			}},
		{"V2 data shaped like JSON:API is read as V2 when the envelope names api_version 2", cf, "",
			`{"event_type": "contact.created", "api_version": 2, "data": {"id": 9, "type": "contact", "attributes": {"id": 9}}}`,
			&clickfunnelsv1.Event{
				EventType: proto.String("contact.created"), ApiVersion: proto.Int64(2), Format: clickfunnelsv1.DeliveryFormat_DELIVERY_FORMAT_V2,
				Event: &clickfunnelsv1.Event_ContactCreated{ContactCreated: &clickfunnelsv1.Contact{
					Id:    proto.Int64(9),
					Extra: mustStruct(t, map[string]any{"type": "contact", "attributes": map[string]any{"id": 9}}),
				}},
			}},
		{"a provider key named like a derived field is kept", cf, "",
			`{"event_type": "contact.updated", "format": "json", "data": {}}`,
			&clickfunnelsv1.Event{
				EventType: proto.String("contact.updated"), Format: clickfunnelsv1.DeliveryFormat_DELIVERY_FORMAT_V2_LEGACY,
				Extra: mustStruct(t, map[string]any{"format": "json"}),
				Event: &clickfunnelsv1.Event_ContactUpdated{ContactUpdated: &clickfunnelsv1.Contact{}},
			}},
		{"v2 body posted to a v1 URL with the same trigger", wf, "form_submission",
			`{"triggerType": "form_submission", "payload": {"name": "Contact"}}`,
			&webflowv1.Event{
				TriggerType: proto.String("form_submission"), ApiVersion: proto.Int64(2),
				Event: &webflowv1.Event_FormSubmission{FormSubmission: &webflowv1.FormSubmission{Name: proto.String("Contact")}},
			}},
		{"an unknown v1 trigger keeps the bare body", wf, "site_republish",
			`{"site": "62749158efef318abc8d5a0f", "publishTime": 1653619272801}`,
			&webflowv1.Event{
				TriggerType: proto.String("site_republish"), ApiVersion: proto.Int64(1),
				Event: &webflowv1.Event_Unknown{Unknown: &webflowv1.Unknown{
					TriggerType: "site_republish",
					Payload:     mustValue(t, map[string]any{"site": "62749158efef318abc8d5a0f", "publishTime": 1653619272801.0}),
				}},
			}},
		{"v2 with an empty payload", wf, "", `{"triggerType": "ecomm_new_order", "payload": {}}`,
			&webflowv1.Event{
				TriggerType: proto.String("ecomm_new_order"), ApiVersion: proto.Int64(2),
				Event: &webflowv1.Event_EcommNewOrder{EcommNewOrder: &webflowv1.Order{}},
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			event, err := n.Normalize(normalize.Delivery{Source: c.source, TriggerType: c.trigger, Body: []byte(c.body)})
			if err != nil {
				t.Fatal(err)
			}
			var got proto.Message = event.GetClickfunnels()
			if c.source == wf {
				got = event.GetWebflow()
			}
			if diff := cmp.Diff(c.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestWebflowIDs checks that a Webflow event's id is the same for a retried delivery and differs
// when the body or the trigger type differs.
func TestWebflowIDs(t *testing.T) {
	n := newNormalizer(t)
	id := func(trigger, body string) string {
		event, err := n.Normalize(normalize.Delivery{Source: hooknormv1.Source_SOURCE_WEBFLOW, TriggerType: trigger, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		return event.GetId()
	}
	first := id("form_submission", `{"name": "A"}`)
	if again := id("form_submission", `{"name": "A"}`); again != first {
		t.Errorf("a retried delivery got id %s, then %s", first, again)
	}
	if other := id("form_submission", `{"name": "B"}`); other == first {
		t.Error("different bodies got the same id")
	}
	if other := id("ecomm_new_order", `{"name": "A"}`); other == first {
		t.Error("different trigger types got the same id")
	}
}
