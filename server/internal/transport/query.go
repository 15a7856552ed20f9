package transport

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// strictQuery reads query parameters as grpc-gateway does, but refuses one that names no field of
// the request, or one the path or body sets, instead of ignoring it: a misspelt filter
// (type_prefix for type_prefixes) or tenant (tenat=) would otherwise be dropped without a word,
// widening a subscription or storing events without their tenant.
type strictQuery struct {
	runtime.DefaultQueryParser
}

// maxNamedUnknown is how many unknown parameters a refusal names.
const maxNamedUnknown = 5

// mapKey matches a query parameter that sets one entry of a map field, such as headers[name].
var mapKey = regexp.MustCompile(`^(.*)\[.*\]$`)

// Parse refuses unknown parameters, naming them and the ones the route takes, then reads the
// others into msg.
func (q *strictQuery) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	desc := msg.ProtoReflect().Descriptor()
	var unknown []string
	for key := range values {
		if field, ok := namesField(desc, key); !ok || filter.HasCommonPrefix([]string{field}) {
			unknown = append(unknown, strconv.Quote(key))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		noun, named := "parameter", strings.Join(unknown[:min(len(unknown), maxNamedUnknown)], ", ")
		if len(unknown) > 1 {
			noun = "parameters"
		}
		if len(unknown) > maxNamedUnknown {
			named += fmt.Sprintf(" and %d more", len(unknown)-maxNamedUnknown)
		}
		return fmt.Errorf("unknown query %s %s: this route takes %s", noun, named, strings.Join(queryFields(desc, filter), ", "))
	}
	return q.DefaultQueryParser.Parse(msg, values, filter)
}

// namesField reports whether a query parameter names a field of desc, by its proto or JSON name,
// through singular message fields for a dotted path, and returns the proto name of the field of
// desc it starts at.
func namesField(desc protoreflect.MessageDescriptor, key string) (string, bool) {
	if m := mapKey.FindStringSubmatch(key); m != nil {
		key = m[1]
	}
	path := strings.Split(key, ".")
	var top string
	for i, name := range path {
		fd := desc.Fields().ByTextName(name)
		if fd == nil {
			fd = desc.Fields().ByJSONName(name)
		}
		if fd == nil {
			return "", false
		}
		if i == 0 {
			top = string(fd.Name())
		}
		if i < len(path)-1 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return "", false
			}
			desc = fd.Message()
		}
	}
	return top, true
}

// queryFields are the names of the fields of desc that a query may set: those the path and body
// do not.
func queryFields(desc protoreflect.MessageDescriptor, filter *utilities.DoubleArray) []string {
	var names []string
	fields := desc.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		name := string(fd.Name())
		if filter.HasCommonPrefix([]string{name}) {
			continue
		}
		if fd.IsMap() {
			name += "[key]"
		}
		names = append(names, name)
	}
	return names
}
