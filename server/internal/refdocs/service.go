package refdocs

import (
	"fmt"
	"slices"
	"strings"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// renderRPCs lists the methods of hooknorm.v1.WebhookService with their messages and comments.
func renderRPCs(src *protoSource) (string, error) {
	methods := hooknormv1.File_hooknorm_v1_service_proto.Services().ByName("WebhookService").Methods()
	t := newTable("RPC", "Request", "Response", "What it does")
	for i := range methods.Len() {
		m := methods.Get(i)
		comment, err := src.comment(m.FullName())
		if err != nil {
			return "", err
		}
		response := code(string(m.Output().FullName()))
		if m.IsStreamingServer() {
			response = "stream of " + response
		}
		t.row(code(string(m.FullName())), code(string(m.Input().FullName())), response, comment)
	}
	return t.String(), nil
}

// renderStreamMessages lists what one message of a Subscribe stream may carry.
func renderStreamMessages(src *protoSource) (string, error) {
	response := (&hooknormv1.SubscribeResponse{}).ProtoReflect().Descriptor()
	cases := response.Oneofs().ByName("message").Fields()
	t := newTable("Case", "Message", "Meaning")
	for i := range cases.Len() {
		fd := cases.Get(i)
		comment, err := src.comment(fd.FullName())
		if err != nil {
			return "", err
		}
		t.row(code(fd.JSONName()), code(string(fd.Message().FullName())), comment)
	}
	return t.String(), nil
}

// renderMessageFields lists the fields of the message called name, in declaration order, each with
// its JSON name, its type and its comment; a oneof's fields are marked with the oneof's name, and
// the fields of the oneofs named in except are left out (they have a table of their own).
func renderMessageFields(name protoreflect.FullName, except ...protoreflect.Name) func(*protoSource) (string, error) {
	return func(src *protoSource) (string, error) {
		mt, err := protoregistry.GlobalTypes.FindMessageByName(name)
		if err != nil {
			return "", fmt.Errorf("%s is not in gen/: %w", name, err)
		}
		fields := mt.Descriptor().Fields()
		t := newTable("Field", "JSON", "Type", "Meaning")
		for i := range fields.Len() {
			fd := fields.Get(i)
			o := fd.ContainingOneof()
			if o != nil && slices.Contains(except, o.Name()) {
				continue
			}
			comment, err := src.comment(fd.FullName())
			if err != nil {
				return "", err
			}
			if o != nil && !o.IsSynthetic() {
				comment = "(oneof " + code(string(o.Name())) + ") " + comment
			}
			t.row(code(string(fd.Name())), code(fd.JSONName()), code(typeName(fd)), comment)
		}
		return t.String(), nil
	}
}

// typeName writes a field's type as the .proto file does.
func typeName(fd protoreflect.FieldDescriptor) string {
	if fd.IsMap() {
		return "map<" + typeName(fd.MapKey()) + ", " + typeName(fd.MapValue()) + ">"
	}
	var name string
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		name = string(fd.Message().FullName())
	case protoreflect.EnumKind:
		name = string(fd.Enum().FullName())
	default:
		name = fd.Kind().String()
	}
	if fd.IsList() {
		return "repeated " + name
	}
	return strings.TrimSpace(name)
}
