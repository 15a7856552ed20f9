package normalize

import (
	"math"
	"testing"

	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// decodedText is what the conversion read from a decoded message before it read the encoded
// one: a set scalar field as text, "" when unset.
func decodedText(msg protoreflect.Message, fd protoreflect.FieldDescriptor) string {
	if !msg.Has(fd) {
		return ""
	}
	return msg.Get(fd).String()
}

// sampleValues are values of a scalar kind to encode: its zero value, and others.
func sampleValues(fd protoreflect.FieldDescriptor) []protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return []protoreflect.Value{protoreflect.ValueOfBool(false), protoreflect.ValueOfBool(true)}
	case protoreflect.EnumKind:
		return []protoreflect.Value{protoreflect.ValueOfEnum(0), protoreflect.ValueOfEnum(1), protoreflect.ValueOfEnum(-3)}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return []protoreflect.Value{protoreflect.ValueOfInt32(0), protoreflect.ValueOfInt32(7), protoreflect.ValueOfInt32(math.MinInt32)}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return []protoreflect.Value{protoreflect.ValueOfUint32(0), protoreflect.ValueOfUint32(math.MaxUint32)}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return []protoreflect.Value{protoreflect.ValueOfInt64(0), protoreflect.ValueOfInt64(123456789012), protoreflect.ValueOfInt64(-5)}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return []protoreflect.Value{protoreflect.ValueOfUint64(0), protoreflect.ValueOfUint64(math.MaxUint64)}
	case protoreflect.FloatKind:
		return []protoreflect.Value{protoreflect.ValueOfFloat32(0), protoreflect.ValueOfFloat32(2.5)}
	case protoreflect.DoubleKind:
		return []protoreflect.Value{protoreflect.ValueOfFloat64(0), protoreflect.ValueOfFloat64(1e21), protoreflect.ValueOfFloat64(-0.125)}
	case protoreflect.StringKind:
		return []protoreflect.Value{protoreflect.ValueOfString(""), protoreflect.ValueOfString("ws-42")}
	}
	return nil
}

// TestEncodedFieldsReadAsDecodedOnes checks the encoded lookups against the decoded message on
// every singular scalar field of every message of both provider schemas: each value set alone,
// zero values included (a field of implicit presence set to zero is unset once decoded), and a
// field encoded twice, whose last value counts.
func TestEncodedFieldsReadAsDecodedOnes(t *testing.T) {
	seen := map[protoreflect.FullName]bool{}
	var visit func(desc protoreflect.MessageDescriptor)
	checked := 0
	visit = func(desc protoreflect.MessageDescriptor) {
		if seen[desc.FullName()] {
			return
		}
		seen[desc.FullName()] = true
		fields := desc.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			if fd.Message() != nil {
				visit(fd.Message())
				continue
			}
			if fd.IsList() || fd.IsMap() {
				continue
			}
			values := sampleValues(fd)
			for j, v := range values {
				msg := dynamicpb.NewMessage(desc)
				msg.Set(fd, v)
				wire, err := proto.Marshal(msg)
				if err != nil {
					t.Fatal(err)
				}
				if j > 0 { // the field again, with the previous value first
					first := dynamicpb.NewMessage(desc)
					first.Set(fd, values[j-1])
					before, _ := proto.Marshal(first)
					wire = append(before, wire...)
				}
				decoded := dynamicpb.NewMessage(desc)
				if err := proto.Unmarshal(wire, decoded); err != nil {
					t.Fatal(err)
				}
				if got, want := encoded(wire).text(fd), decodedText(decoded, fd); got != want {
					t.Errorf("%s = %v: encoded %q, decoded %q", fd.FullName(), v, got, want)
				}
				checked++
			}
		}
	}
	visit((&clickfunnelsv1.Event{}).ProtoReflect().Descriptor())
	visit((&webflowv1.Event{}).ProtoReflect().Descriptor())
	if checked < 100 {
		t.Fatalf("checked only %d values", checked)
	}
}
