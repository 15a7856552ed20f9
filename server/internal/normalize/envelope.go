package normalize

import (
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// eventTypeOf returns the event type an envelope names under the first of keys present. It
// refuses a non-string value with its path, and reports "" when no key is present or the value is
// empty, so the caller can say what it expected.
func eventTypeOf(obj map[string]any, keys ...string) (string, error) {
	for _, key := range keys {
		val, present := obj[key]
		if !present || val == nil {
			continue
		}
		s, ok := val.(string)
		if !ok {
			return "", rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD,
				"$.%s is %s, expected the event type as a string", key, jsonconv.Describe(val)).AtField("$." + key)
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

// stringOrIntField returns a scalar field of msg, by name, as text; "" when absent or unset.
func stringOrIntField(msg protoreflect.Message, name protoreflect.Name) string {
	fd := msg.Descriptor().Fields().ByName(name)
	if fd == nil || !msg.Has(fd) {
		return ""
	}
	return msg.Get(fd).String()
}
