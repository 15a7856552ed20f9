package normalize_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
)

// benchDeliveries are the fixtures the conversion benchmark runs on: a large Webflow order, a
// ClickFunnels order and a ClickFunnels contact.
var benchDeliveries = []string{
	"webflow/v2/ecomm_new_order.full",
	"clickfunnels/order_created.v2",
	"clickfunnels/contact_created.v2",
}

// BenchmarkNormalize measures conversion beside two baselines on the same bytes: encoding/json
// into map[string]any (what a hand-written receiver does) and json.Valid (one scan, the floor).
// hooknorm-encoded is NormalizeEncoded, what Ingest runs: the payload left as the conversion
// encoded it, which is how it is stored. Compare MB/s within one run:
//
//	go test ./server/internal/normalize -run '^$' -bench Normalize -benchmem -count 5
func BenchmarkNormalize(b *testing.B) {
	all, err := fixtures.All()
	if err != nil {
		b.Fatal(err)
	}
	byName := map[string]fixtures.Delivery{}
	for _, f := range all {
		byName[f.Name] = f
	}
	n := newNormalizer(b)
	for _, name := range benchDeliveries {
		f, ok := byName[name]
		if !ok {
			b.Fatalf("no fixture %s", name)
		}
		d := normalize.Delivery{Source: f.Source, Body: f.Body, TriggerType: f.TriggerType, ReceivedAt: receivedAt}
		b.Run(name+"/hooknorm", func(b *testing.B) {
			b.SetBytes(int64(len(f.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := n.Normalize(d); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/hooknorm-encoded", func(b *testing.B) {
			b.SetBytes(int64(len(f.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := n.NormalizeEncoded(d); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/encoding-json-map", func(b *testing.B) {
			b.SetBytes(int64(len(f.Body)))
			b.ReportAllocs()
			for b.Loop() {
				var m map[string]any
				dec := json.NewDecoder(bytes.NewReader(f.Body))
				dec.UseNumber()
				if err := dec.Decode(&m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/json-valid", func(b *testing.B) {
			b.SetBytes(int64(len(f.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if !json.Valid(f.Body) {
					b.Fatal("invalid")
				}
			}
		})
	}
}
