package normalize

import (
	"strconv"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// eventTypeOf returns the event type an envelope names under the first of keys present. It
// refuses a non-string value with its path, and reports "" when no key is present or the value is
// null or empty, so the caller can say what it expected.
func eventTypeOf(members []jsonconv.Member, keys ...string) (string, error) {
	for _, key := range keys {
		m, present := jsonconv.Lookup(members, key)
		if !present || m.Kind() == 'n' {
			continue
		}
		s, ok := jsonconv.StringValue(m)
		if !ok {
			return "", rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD,
				"$.%s is %s, expected the event type as a string", key, jsonconv.DescribeKind(m.Kind())).AtField("$." + key)
		}
		return s, nil
	}
	return "", nil
}

// timestampField returns a Timestamp field of msg, or nil when it is unset or fd is nil.
func timestampField(msg protoreflect.Message, fd protoreflect.FieldDescriptor) *timestamppb.Timestamp {
	if fd == nil || !msg.Has(fd) {
		return nil
	}
	return msg.Get(fd).Message().Interface().(*timestamppb.Timestamp)
}

// scalarField returns a scalar field of msg, by name, as text; "" when absent or unset.
func scalarField(msg protoreflect.Message, name protoreflect.Name) string {
	fd := msg.Descriptor().Fields().ByName(name)
	if fd == nil || !msg.Has(fd) {
		return ""
	}
	return msg.Get(fd).String()
}

// caseMessage returns the message in env's oneof case, or nil when the case is unknown.
func caseMessage(env protoreflect.Message, kase *jsonconv.Case) protoreflect.Message {
	if kase == nil || !env.Has(kase.Field) {
		return nil
	}
	return env.Get(kase.Field).Message()
}

// unknownTenant reads the tenant of an event of an unknown type from its data, kept whole: the
// first of keys that is a string or a number at the data's top level.
func unknownTenant(data *structpb.Value, keys ...string) string {
	fields := data.GetStructValue().GetFields()
	for _, key := range keys {
		switch v := fields[key].GetKind().(type) {
		case *structpb.Value_StringValue:
			return v.StringValue
		case *structpb.Value_NumberValue:
			return strconv.FormatFloat(v.NumberValue, 'f', -1, 64)
		}
	}
	return ""
}
