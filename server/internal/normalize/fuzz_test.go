package normalize_test

import (
	"encoding/json"
	"testing"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/proto"
)

// fuzzNormalize checks what Normalize promises for any input: it never panics; it either refuses
// with a rejection that has a reason, or returns an event with a type and a payload case that
// marshals, from a body that is valid JSON.
func fuzzNormalize(t *testing.T, n *normalize.Normalizer, d normalize.Delivery) {
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
}

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
