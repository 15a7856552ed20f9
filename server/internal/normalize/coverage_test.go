package normalize_test

import (
	"sort"
	"strings"
	"testing"

	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// TestEveryFieldIsExercised requires, across all fixtures, every oneof case and every field of
// every provider message to be filled at least once: the fixtures carry every documented field,
// and the conversion reads each of them. Kept-fields Structs (extra) are exempt.
func TestEveryFieldIsExercised(t *testing.T) {
	n := newNormalizer(t)
	seen := map[protoreflect.FullName]bool{}
	for _, f := range allFixtures(t) {
		event := normalizeFixture(t, n, f)
		markSet(event.ProtoReflect(), seen)
	}
	var missing []string
	for _, root := range []protoreflect.MessageDescriptor{
		(&clickfunnelsv1.Event{}).ProtoReflect().Descriptor(),
		(&webflowv1.Event{}).ProtoReflect().Descriptor(),
	} {
		walkFields(root, map[protoreflect.FullName]bool{}, func(fd protoreflect.FieldDescriptor) {
			if fd.Name() != "extra" && !seen[fd.FullName()] {
				missing = append(missing, string(fd.FullName()))
			}
		})
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d fields are never filled by any fixture:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

func markSet(m protoreflect.Message, seen map[protoreflect.FullName]bool) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		seen[fd.FullName()] = true
		if fd.Message() == nil || fd.Message().ParentFile().Package() == "google.protobuf" {
			return true
		}
		switch {
		case fd.IsList():
			for i := range v.List().Len() {
				markSet(v.List().Get(i).Message(), seen)
			}
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapValue().Message() != nil {
					markSet(mv.Message(), seen)
				}
				return true
			})
		default:
			markSet(v.Message(), seen)
		}
		return true
	})
}

func walkFields(desc protoreflect.MessageDescriptor, visited map[protoreflect.FullName]bool, visit func(protoreflect.FieldDescriptor)) {
	if visited[desc.FullName()] || desc.ParentFile().Package() == "google.protobuf" {
		return
	}
	visited[desc.FullName()] = true
	fields := desc.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		visit(fd)
		if fd.IsMap() {
			if fd.MapValue().Message() != nil {
				walkFields(fd.MapValue().Message(), visited, visit)
			}
		} else if fd.Message() != nil {
			walkFields(fd.Message(), visited, visit)
		}
	}
}
