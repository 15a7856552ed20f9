package normalize

import (
	"strconv"
	"strings"
	"unicode"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/types/known/structpb"
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
		return s, checkName(s, "$."+key, "the event type")
	}
	return "", nil
}

// requireResource refuses an envelope whose resource member, at path, is missing or is not a
// JSON object: both providers always send the event's resource as an object, and an event
// without one would reach subscribers as an empty case. It holds for an event type hooknorm
// does not know as much as for a known one.
func requireResource(found jsonconv.Found, path string) error {
	switch found.Kind {
	case '{':
		return nil
	case 0:
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD,
			"%s is missing, expected the event's resource as an object", path).AtField(path)
	default:
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD,
			"%s is %s, expected the event's resource as an object", path, jsonconv.DescribeKind(found.Kind)).AtField(path)
	}
}

// maxNameBytes bounds an event's id, type and tenant: real ones are short (a UUID, a trigger
// type, a site id), and the log keeps them where long ones do not fit.
const maxNameBytes = 256

// checkName refuses an id, event type or tenant that is longer than maxNameBytes or holds a
// control character (a line break in one would break the log's record headers), naming field.
func checkName(value, field, what string) error {
	if len(value) > maxNameBytes {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD,
			"%s at %s is %d bytes long; hooknorm accepts at most %d", what, field, len(value), maxNameBytes).AtField(field)
	}
	if i := strings.IndexFunc(value, unicode.IsControl); i >= 0 {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD,
			"%s at %s has a control character at byte %d; it must be text on one line", what, field, i).AtField(field)
	}
	return nil
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
