package jsonconv_test

import (
	"strings"
	"testing"

	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	optionsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/options/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// field describes one field of a test message.
type field struct {
	name       string
	number     int32
	kind       descriptorpb.FieldDescriptorProto_Type
	typeName   string
	oneof      bool
	eventTypes []string
	alias      string
}

// message builds a message descriptor "test.M" with the given fields, an enum test.E and a
// message test.R { string x = 1; }, resolving well-known types from the global registry.
func message(t *testing.T, fields ...field) protoreflect.MessageDescriptor {
	t.Helper()
	msg := &descriptorpb.DescriptorProto{Name: proto.String("M")}
	for _, f := range fields {
		fd := &descriptorpb.FieldDescriptorProto{
			Name: proto.String(f.name), Number: proto.Int32(f.number), Type: f.kind.Enum(),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), JsonName: proto.String(f.name),
		}
		if f.typeName != "" {
			fd.TypeName = proto.String(f.typeName)
		}
		if f.oneof {
			fd.OneofIndex = proto.Int32(0)
			msg.OneofDecl = []*descriptorpb.OneofDescriptorProto{{Name: proto.String("event")}}
		}
		opts := &descriptorpb.FieldOptions{}
		if len(f.eventTypes) > 0 {
			proto.SetExtension(opts, optionsv1.E_EventType, f.eventTypes)
		}
		if f.alias != "" {
			proto.SetExtension(opts, optionsv1.E_JsonAlias, []string{f.alias})
		}
		fd.Options = opts
		msg.Field = append(msg.Field, fd)
	}
	file := &descriptorpb.FileDescriptorProto{
		Name: proto.String("test.proto"), Package: proto.String("test"), Syntax: proto.String("proto3"),
		Dependency: []string{"google/protobuf/struct.proto"},
		EnumType: []*descriptorpb.EnumDescriptorProto{{Name: proto.String("E"), Value: []*descriptorpb.EnumValueDescriptorProto{
			{Name: proto.String("E_UNSPECIFIED"), Number: proto.Int32(0)}, {Name: proto.String("E_ONE"), Number: proto.Int32(1)},
		}}},
		MessageType: []*descriptorpb.DescriptorProto{msg, {Name: proto.String("R"), Field: []*descriptorpb.FieldDescriptorProto{{
			Name: proto.String("x"), Number: proto.Int32(1), Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), JsonName: proto.String("x"),
		}}}},
	}
	fd, err := protodesc.NewFile(file, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	return fd.Messages().ByName("M")
}

const (
	tString  = descriptorpb.FieldDescriptorProto_TYPE_STRING
	tEnum    = descriptorpb.FieldDescriptorProto_TYPE_ENUM
	tMessage = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
)

func TestNewDecoderEnforcesConventions(t *testing.T) {
	cases := []struct {
		name   string
		fields []field
		want   string
	}{
		{"enum without raw sibling", []field{{name: "status", number: 1, kind: tEnum, typeName: ".test.E"}}, "status_raw"},
		{"extra that is not a Struct", []field{{name: "extra", number: 1, kind: tString}}, "must be a google.protobuf.Struct"},
		{"two fields claim a key", []field{{name: "a", number: 1, kind: tString, alias: "b"}, {name: "b", number: 2, kind: tString}}, `JSON key "b"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := jsonconv.NewDecoder(message(t, c.fields...))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v, want one mentioning %q", err, c.want)
			}
		})
	}
	ok := message(t, field{name: "status", number: 1, kind: tEnum, typeName: ".test.E"}, field{name: "status_raw", number: 2, kind: tString},
		field{name: "extra", number: 3, kind: tMessage, typeName: ".google.protobuf.Struct"})
	if _, err := jsonconv.NewDecoder(ok); err != nil {
		t.Errorf("a conforming message was refused: %v", err)
	}
}

func TestNewCasesEnforcesConventions(t *testing.T) {
	unknown := field{name: "unknown", number: 1, kind: tMessage, typeName: ".test.R", oneof: true}
	cases := []struct {
		name   string
		fields []field
		want   string
	}{
		{"case without an event type", []field{unknown, {name: "a_b", number: 2, kind: tMessage, typeName: ".test.R", oneof: true}}, "names no event type"},
		{"case misnamed", []field{unknown, {name: "orders_paid", number: 2, kind: tMessage, typeName: ".test.R", oneof: true, eventTypes: []string{"orders/invoice.paid"}}},
			"must be named orders_invoice_paid"},
		{"event type on two cases", []field{unknown,
			{name: "a_b", number: 2, kind: tMessage, typeName: ".test.R", oneof: true, eventTypes: []string{"a.b"}},
			{name: "c_d", number: 3, kind: tMessage, typeName: ".test.R", oneof: true, eventTypes: []string{"c.d", "a.b"}}}, `"a.b" names both`},
		{"no unknown case", []field{{name: "a_b", number: 2, kind: tMessage, typeName: ".test.R", oneof: true, eventTypes: []string{"a.b"}}}, `no "unknown" case`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := jsonconv.NewCases(message(t, c.fields...).Oneofs().ByName("event"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

// TestProviderSchemasFollowTheConventions checks the real schemas: every case is reachable by
// its documented event type and named by the contract's rule.
func TestProviderSchemasFollowTheConventions(t *testing.T) {
	for _, desc := range []protoreflect.MessageDescriptor{
		(&clickfunnelsv1.Event{}).ProtoReflect().Descriptor(),
		(&webflowv1.Event{}).ProtoReflect().Descriptor(),
	} {
		cases, err := jsonconv.NewCases(desc.Oneofs().ByName("event"))
		if err != nil {
			t.Fatalf("%s: %v", desc.FullName(), err)
		}
		if got, want := len(cases.All())+1, desc.Oneofs().ByName("event").Fields().Len(); got != want {
			t.Errorf("%s: %d cases indexed, the oneof has %d", desc.FullName(), got, want)
		}
		for _, c := range cases.All() {
			if cases.Lookup(c.EventTypes[0]) != c {
				t.Errorf("%s is not found by its event type %q", c.Field.Name(), c.EventTypes[0])
			}
		}
	}
	if _, err := jsonconv.NewDecoder((&clickfunnelsv1.Event{}).ProtoReflect().Descriptor(), (&webflowv1.Event{}).ProtoReflect().Descriptor()); err != nil {
		t.Fatal(err)
	}
}

func TestCaseName(t *testing.T) {
	for eventType, want := range map[string]string{
		"orders/invoice.paid":              "orders_invoice_paid",
		"one-time-order.completed":         "one_time_order_completed",
		"one_time_order.refunded":          "one_time_order_refunded",
		"renewal-invoice-payment-declined": "renewal_invoice_payment_declined",
		"ecomm_new_order":                  "ecomm_new_order",
	} {
		if got := jsonconv.CaseName(eventType); got != want {
			t.Errorf("CaseName(%q) = %q, want %q", eventType, got, want)
		}
	}
}
