package normalize_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
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

// TestWebflowItemShapeComesFromTheEnvelope checks that the envelope, not the item's members,
// decides where a collection item's unmodelled keys go: an API v1 body is a flat item whose
// collection fields sit at the top level, gathered into field_data; an API v2 payload keeps the
// collection fields in fieldData, so its other keys go into extra, even when it has no fieldData,
// as Webflow documents delete and unpublish deliveries.
func TestWebflowItemShapeComesFromTheEnvelope(t *testing.T) {
	n := newNormalizer(t)
	const v2Thin = `{"id": "679f2600c7ea5277a25fb819", "siteId": "65a1f3c9e4b0d27a8c19f4e2", "collectionId": "65a25f201a9f3b7fdb1050b6", "deletedOn": "2025-02-02T10:00:00.000Z", "_locale": "en"}`
	thinItem := &webflowv1.CollectionItem{
		Id: proto.String("679f2600c7ea5277a25fb819"), SiteId: proto.String("65a1f3c9e4b0d27a8c19f4e2"),
		CollectionId: proto.String("65a25f201a9f3b7fdb1050b6"),
		Extra:        mustStruct(t, map[string]any{"deletedOn": "2025-02-02T10:00:00.000Z", "_locale": "en"}),
	}
	cases := []struct {
		name    string
		trigger string // given outside the body
		body    string
		want    *webflowv1.CollectionItem
	}{
		{"v2 delete without fieldData", "", `{"triggerType": "collection_item_deleted", "payload": ` + v2Thin + `}`, thinItem},
		{"v2 unpublish without fieldData", "", `{"triggerType": "collection_item_unpublished", "payload": ` + v2Thin + `}`, thinItem},
		{"v2 delete without fieldData, trigger also in the URL", "collection_item_deleted",
			`{"triggerType": "collection_item_deleted", "payload": ` + v2Thin + `}`, thinItem},
		{"v2 publish with fieldData", "",
			`{"triggerType": "collection_item_published", "payload": {"id": "i-1", "fieldData": {"name": "A", "slug": "a"}, "sku": "x"}}`,
			&webflowv1.CollectionItem{
				Id:        proto.String("i-1"),
				FieldData: mustStruct(t, map[string]any{"name": "A", "slug": "a"}),
				Extra:     mustStruct(t, map[string]any{"sku": "x"}),
			}},
		{"v1 item with its fields at the top level", "collection_item_changed",
			`{"_id": "i-1", "_cid": "c-1", "name": "A", "slug": "a", "author": "p-9"}`,
			&webflowv1.CollectionItem{
				Id: proto.String("i-1"), CollectionId: proto.String("c-1"),
				FieldData: mustStruct(t, map[string]any{"name": "A", "slug": "a", "author": "p-9"}),
			}},
		{"v1 delete", "collection_item_deleted", `{"deleted": 1, "itemId": "i-1"}`,
			&webflowv1.CollectionItem{Id: proto.String("i-1"), Deleted: proto.Int64(1)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			event, err := n.Normalize(normalize.Delivery{Source: hooknormv1.Source_SOURCE_WEBFLOW, TriggerType: c.trigger, Body: []byte(c.body)})
			if err != nil {
				t.Fatal(err)
			}
			var got *webflowv1.CollectionItem
			switch e := event.GetWebflow().GetEvent().(type) {
			case *webflowv1.Event_CollectionItemDeleted:
				got = e.CollectionItemDeleted
			case *webflowv1.Event_CollectionItemUnpublished:
				got = e.CollectionItemUnpublished
			case *webflowv1.Event_CollectionItemPublished:
				got = e.CollectionItemPublished
			case *webflowv1.Event_CollectionItemChanged:
				got = e.CollectionItemChanged
			default:
				t.Fatalf("event case %T, want a collection item", e)
			}
			if diff := cmp.Diff(c.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
