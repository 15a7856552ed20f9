package jsonconv

import (
	"fmt"
	"testing"

	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
)

// TestKeyTable checks that a key table finds every field by each of its keys and nothing else:
// not a key that shares a field's length and first, middle and last bytes, not a prefix, not the
// empty key unless a field has it.
func TestKeyTable(t *testing.T) {
	many := map[string]*fieldPlan{}
	for i := range 300 {
		many[fmt.Sprintf("field_%03d_at", i)] = &fieldPlan{index: i}
	}
	tests := []struct {
		name   string
		fields map[string]*fieldPlan
		absent []string
	}{
		{"none", nil, []string{"", "id"}},
		{"one", map[string]*fieldPlan{"id": {index: 0}}, []string{"", "i", "ids", "di", "Id"}},
		{"the empty key", map[string]*fieldPlan{"": {index: 0}, "a": {index: 1}}, []string{"b", "aa"}},
		{"same length and ends", map[string]*fieldPlan{"created_at": {index: 0}, "updated_at": {index: 1}, "cxxxxdxxxt": {index: 2}},
			[]string{"cxxxxexxxt", "crxated_at", "created_a", "created_att"}},
		{"many", many, []string{"field_300_at", "field_00_at", "field_0000_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := newKeyTable(tt.fields)
			for key, fp := range tt.fields {
				if got := table.lookup([]byte(key)); got != fp {
					t.Errorf("lookup(%q) = %v, want field %d", key, got, fp.index)
				}
			}
			for _, key := range tt.absent {
				if got := table.lookup([]byte(key)); got != nil {
					t.Errorf("lookup(%q) = field %d, want none", key, got.index)
				}
			}
		})
	}
}

// TestKeyTablesOfTheSchema checks the tables the decoder builds for the provider schemas: each
// finds every key of its message.
func TestKeyTablesOfTheSchema(t *testing.T) {
	d, err := NewDecoder((&clickfunnelsv1.Event{}).ProtoReflect().Descriptor(), (&webflowv1.Event{}).ProtoReflect().Descriptor())
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range d.plans {
		for key, fp := range p.fields {
			if got := p.keys.lookup([]byte(key)); got != fp {
				t.Errorf("%s: lookup(%q) = %v, want %s", name, key, got, fp.fd.FullName())
			}
		}
	}
}
