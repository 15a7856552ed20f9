package normalize_test

import (
	"encoding/json"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/proto"
)

// fuzzNormalize checks what Normalize promises for any input: it never panics; it either refuses
// with a rejection that has a reason, or returns an event with a type and a payload case that
// marshals, from a body that is valid JSON whose resource is an object; and NormalizeEncoded
// answers as it does.
func fuzzNormalize(t *testing.T, n *normalize.Normalizer, d normalize.Delivery) {
	checkEncodedMatches(t, n, d)
	event, err := n.Normalize(d)
	if err != nil {
		r, ok := rejection.As(err)
		if !ok || r.Reason == hooknormv1.ErrorReason_ERROR_REASON_UNSPECIFIED || r.Message == "" {
			t.Fatalf("error without a reason: %v", err)
		}
		return
	}
	if !json.Valid(d.Body) {
		t.Fatalf("accepted a body encoding/json calls invalid: %q", d.Body)
	}
	if event.GetType() == "" || event.GetPayload() == nil || event.GetId() == "" {
		t.Fatalf("incomplete event: %v", event)
	}
	if _, err := proto.Marshal(event); err != nil {
		t.Fatalf("the event does not marshal: %v", err)
	}
	if path, kind := resourceOf(event, d.Body); kind != '{' {
		found := "missing"
		if kind != 0 {
			found = jsonconv.DescribeKind(kind)
		}
		t.Fatalf("accepted a delivery whose resource, %s, is %s, not an object: %q", path, found, d.Body)
	}
}

// resourceOf returns the path and JSON kind of the member an accepted event's resource was read
// from, by the format the event says it was delivered in: the data or payload member of an
// envelope, or the whole body. A body with a repeated member name, which encoding/json/v2 refuses
// to read, is taken as an object: which of the repeats is the resource is Normalize's to say.
func resourceOf(event *hooknormv1.Event, body []byte) (string, jsontext.Kind) {
	var members map[string]jsontext.Value
	if jsonv2.Unmarshal(body, &members) != nil {
		return "$", '{'
	}
	key := "data"
	switch {
	case event.GetWebflow().GetApiVersion() == 1,
		event.GetClickfunnels().GetFormat() == clickfunnelsv1.DeliveryFormat_DELIVERY_FORMAT_BARE:
		return "$", '{'
	case event.GetWebflow() != nil:
		key = "payload"
	}
	value, present := members[key]
	if !present {
		return "$." + key, 0
	}
	return "$." + key, value.Kind()
}

// seed adds to f's corpus every fixture of source and every malformed envelope of source, which
// Normalize must refuse.
func seed(f *testing.F, source hooknormv1.Source) {
	all, err := fixtures.All()
	if err != nil {
		f.Fatal(err)
	}
	for _, d := range all {
		if d.Source == source {
			f.Add(d.Body, d.TriggerType)
		}
	}
	for _, m := range fixtures.MalformedEnvelopes() {
		if m.Source == source {
			f.Add(m.Body, m.TriggerType)
		}
	}
}

func FuzzNormalizeClickFunnels(f *testing.F) {
	seed(f, hooknormv1.Source_SOURCE_CLICKFUNNELS)
	n := newNormalizer(f)
	f.Fuzz(func(t *testing.T, body []byte, trigger string) {
		fuzzNormalize(t, n, normalize.Delivery{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Body: body, TriggerType: trigger})
	})
}

func FuzzNormalizeWebflow(f *testing.F) {
	seed(f, hooknormv1.Source_SOURCE_WEBFLOW)
	n := newNormalizer(f)
	f.Fuzz(func(t *testing.T, body []byte, trigger string) {
		fuzzNormalize(t, n, normalize.Delivery{Source: hooknormv1.Source_SOURCE_WEBFLOW, Body: body, TriggerType: trigger})
	})
}
