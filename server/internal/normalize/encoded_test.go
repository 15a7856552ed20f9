package normalize_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/metrics"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// checkEncodedMatches checks that NormalizeEncoded answers d as Normalize does: the same refusal,
// or an event that marshals to bytes decoding to Normalize's event, whose payload case
// metrics.CaseOf names alike, and that DecodePayload turns into Normalize's event.
func checkEncodedMatches(t *testing.T, n *normalize.Normalizer, d normalize.Delivery) {
	t.Helper()
	want, wantErr := n.Normalize(d)
	got, err := n.NormalizeEncoded(d)
	switch {
	case wantErr != nil && err == nil:
		t.Fatalf("Normalize refused (%v), NormalizeEncoded accepted", wantErr)
	case wantErr == nil && err != nil:
		t.Fatalf("NormalizeEncoded refused (%v), Normalize accepted", err)
	case wantErr != nil:
		if err.Error() != wantErr.Error() {
			t.Fatalf("NormalizeEncoded refused with %q, Normalize with %q", err, wantErr)
		}
		return
	}
	if gotCase, wantCase := metrics.CaseOf(got), metrics.CaseOf(want); gotCase != wantCase {
		t.Errorf("CaseOf: %q encoded, %q decoded", gotCase, wantCase)
	}
	stored, err := proto.Marshal(got)
	if err != nil {
		t.Fatalf("the encoded event does not marshal: %v", err)
	}
	decoded := &hooknormv1.Event{}
	if err := proto.Unmarshal(stored, decoded); err != nil {
		t.Fatalf("the encoded event's bytes do not decode: %v", err)
	}
	if diff := cmp.Diff(want, decoded, protocmp.Transform()); diff != "" {
		t.Fatalf("the encoded event's bytes decode to another event (-Normalize +decoded):\n%s", diff)
	}
	if err := normalize.DecodePayload(got); err != nil {
		t.Fatalf("DecodePayload: %v", err)
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Fatalf("DecodePayload made another event (-Normalize +DecodePayload):\n%s", diff)
	}
	if len(got.GetClickfunnels().ProtoReflect().GetUnknown())+len(got.GetWebflow().ProtoReflect().GetUnknown()) != 0 {
		t.Fatal("DecodePayload left unknown fields in the payload")
	}
}

// TestEncodedEventIsTheNormalizedOne checks NormalizeEncoded against Normalize on every fixture,
// on the fixtures sent for a tenant, and on the malformed envelopes Normalize refuses.
func TestEncodedEventIsTheNormalizedOne(t *testing.T) {
	n := newNormalizer(t)
	for _, f := range allFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			d := normalize.Delivery{Source: f.Source, Body: f.Body, TriggerType: f.TriggerType, ReceivedAt: receivedAt}
			checkEncodedMatches(t, n, d)
			d.Tenant = "tenant-7"
			checkEncodedMatches(t, n, d)
		})
	}
	for name, d := range map[string]normalize.Delivery{
		"not an object":         {Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Body: []byte(`[1]`)},
		"no event type":         {Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Body: []byte(`{"data":{"id":1}}`)},
		"data not an object":    {Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Body: []byte(`{"event_type":"order.created","data":[1]}`)},
		"unknown type":          {Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Body: []byte(`{"event_id":"e1","event_type":"new.thing","data":{"workspace_id":42}}`)},
		"unknown v1 type":       {Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Body: []byte(`{"event_id":"e2","event_type":"new.thing","data":{"id":"9","type":"thing","attributes":{"workspace_id":"w9"}}}`)},
		"repeated data":         {Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Body: []byte(`{"event_id":"e3","event_type":"contact.created","data":{"id":1,"workspace_id":5},"data":{"id":2}}`)},
		"webflow unknown":       {Source: hooknormv1.Source_SOURCE_WEBFLOW, Body: []byte(`{"triggerType":"new_trigger","payload":{"siteId":"s1"}}`)},
		"webflow malformed":     {Source: hooknormv1.Source_SOURCE_WEBFLOW, Body: []byte(`{"triggerType":"form_submission","payload":`)},
		"webflow v1 no trigger": {Source: hooknormv1.Source_SOURCE_WEBFLOW, Body: []byte(`{"name":"x"}`)},
	} {
		t.Run(name, func(t *testing.T) {
			d.ReceivedAt = receivedAt
			checkEncodedMatches(t, n, d)
		})
	}
}

// TestDecodePayloadLeavesADecodedEventAlone checks that DecodePayload does nothing to an event
// whose payload is decoded already, or that has none.
func TestDecodePayloadLeavesADecodedEventAlone(t *testing.T) {
	n := newNormalizer(t)
	f := allFixtures(t)[0]
	event := normalizeFixture(t, n, f)
	want := proto.Clone(event)
	if err := normalize.DecodePayload(event); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(event, want) {
		t.Fatal("DecodePayload changed a decoded event")
	}
	if err := normalize.DecodePayload(&hooknormv1.Event{}); err != nil {
		t.Fatalf("DecodePayload of an event without a payload: %v", err)
	}
}
