package jsonconv_test

import (
	"testing"

	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
)

// BenchmarkOutline outlines every member of the fixture the conversion benchmark finds slowest
// to outline: the ClickFunnels order, whose data member, 11 KB of its 12 KB, comes before its
// event type.
func BenchmarkOutline(b *testing.B) {
	all, err := fixtures.All()
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range all {
		if f.Name != "clickfunnels/order_created.v2" {
			continue
		}
		b.SetBytes(int64(len(f.Body)))
		for b.Loop() {
			if !jsonconv.Outline(f.Body, func(jsonconv.Member) bool { return true }) {
				b.Fatal("not an object")
			}
		}
		return
	}
	b.Fatal("no fixture clickfunnels/order_created.v2")
}
