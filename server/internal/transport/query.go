package transport

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// strictQuery reads query parameters as grpc-gateway does, but first refuses, in the caller's
// terms, what the gateway would refuse in its own (a strconv or time layout error) or would take
// without a word: a parameter that names no field of the request, or one the path or body sets
// (a misspelt filter, type_prefix for type_prefixes, or tenant, tenat=, would otherwise be dropped,
// widening a subscription or storing events without their tenant), a value of the wrong type, a
// parameter given twice, text that is not UTF-8 (which failed the call inside hooknormd), and two
// alternatives of a oneof. Each refusal names the parameter and says what to give instead.
type strictQuery struct {
	runtime.DefaultQueryParser
}

// maxNamedUnknown is how many unknown parameters a refusal names.
const maxNamedUnknown = 5

// maxQuotedValue is how many bytes of a refused value a refusal quotes.
const maxQuotedValue = 64

// mapKey matches a query parameter that sets one entry of a map field, such as headers[name].
var mapKey = regexp.MustCompile(`^(.*)\[(.*)\]$`)

// errUnreadableQuery answers what the gateway's parser refuses that checkQuery did not foresee,
// without the parser's words.
var errUnreadableQuery = errors.New("the query parameters could not be read: give each parameter once, as name=value, " +
	"with a value of the parameter's type (GET /openapi.json describes every route's parameters)")

// Parse refuses a query checkQuery finds fault with, then reads the query into msg.
func (q *strictQuery) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	if err := checkQuery(msg, values, filter); err != nil {
		return err
	}
	if err := q.DefaultQueryParser.Parse(msg, values, filter); err != nil {
		return errUnreadableQuery
	}
	return nil
}

// queryParameter is one query parameter that names a field of the request.
type queryParameter struct {
	key    string                         // as the caller wrote it
	fields []protoreflect.FieldDescriptor // from the request's field to the one set
	hasKey bool                           // written field[key], for a map entry
	entry  string                         // the map key, when hasKey
	values []string
}

// leaf is the field the parameter sets.
func (p queryParameter) leaf() protoreflect.FieldDescriptor { return p.fields[len(p.fields)-1] }

// target names what the parameter sets by proto names, as "since.seconds" or "headers[x-id]".
func (p queryParameter) target() string {
	names := make([]string, len(p.fields))
	for i, fd := range p.fields {
		names[i] = string(fd.Name())
	}
	target := strings.Join(names, ".")
	if p.hasKey {
		target += "[" + p.entry + "]"
	}
	return target
}

// checkQuery refuses a query that would not be read as the caller meant: see strictQuery.
func checkQuery(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	desc := msg.ProtoReflect().Descriptor()
	keys := slices.Sorted(maps.Keys(values))
	var unknown, bound []string
	var params []queryParameter
	for _, key := range keys {
		p, ok := resolveParameter(desc, key)
		switch {
		case !ok:
			unknown = append(unknown, strconv.Quote(key))
		case filter.HasCommonPrefix([]string{string(p.fields[0].Name())}):
			bound = append(bound, strconv.Quote(key))
		default:
			p.values = values[key]
			params = append(params, p)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("unknown query %s: this route takes %s", nameParameters(unknown), strings.Join(queryFields(desc, filter), ", "))
	}
	if len(bound) > 0 {
		verb, object := "is", "it"
		if len(bound) > 1 {
			verb, object = "are", "them"
		}
		return fmt.Errorf("query %s %s set by this route's path or body, not by the query: leave %s out (this route's query takes %s)",
			nameParameters(bound), verb, object, strings.Join(queryFields(desc, filter), ", "))
	}
	for _, p := range params {
		if err := checkParameter(msg, filter, p); err != nil {
			return err
		}
	}
	if err := checkOverlaps(params); err != nil {
		return err
	}
	return checkOneofs(params)
}

// nameParameters names quoted parameter keys, at most maxNamedUnknown of them, after the noun:
// `parameter "a"`, or `parameters "a", "b" and 3 more`.
func nameParameters(quoted []string) string {
	named := strings.Join(quoted[:min(len(quoted), maxNamedUnknown)], ", ")
	if len(quoted) > maxNamedUnknown {
		named += fmt.Sprintf(" and %d more", len(quoted)-maxNamedUnknown)
	}
	if len(quoted) == 1 {
		return "parameter " + named
	}
	return "parameters " + named
}

// resolveParameter finds the fields a query parameter names, by their proto or JSON names,
// through singular message fields for a dotted path.
func resolveParameter(desc protoreflect.MessageDescriptor, key string) (queryParameter, bool) {
	p := queryParameter{key: key}
	name := key
	if m := mapKey.FindStringSubmatch(key); m != nil {
		name, p.hasKey, p.entry = m[1], true, m[2]
	}
	path := strings.Split(name, ".")
	for i, part := range path {
		fd := desc.Fields().ByTextName(part)
		if fd == nil {
			fd = desc.Fields().ByJSONName(part)
		}
		if fd == nil {
			return p, false
		}
		p.fields = append(p.fields, fd)
		if i < len(path)-1 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return p, false
			}
			desc = fd.Message()
		}
	}
	return p, true
}

// checkParameter refuses a parameter written for a field of another shape, given more often
// than its field takes, or with a value its field cannot hold.
func checkParameter(msg proto.Message, filter *utilities.DoubleArray, p queryParameter) error {
	leaf := p.leaf()
	switch {
	case p.hasKey && !leaf.IsMap():
		name, _, _ := strings.Cut(p.key, "[")
		return fmt.Errorf("query parameter %q: %s takes no [key], it is not a map: write %s=VALUE", p.key, name, name)
	case !p.hasKey && leaf.IsMap():
		return fmt.Errorf("query parameter %q sets a map: name the entry's key in brackets, as in %s[KEY]=VALUE", p.key, p.key)
	case !leaf.IsList() && len(p.values) > 1:
		return fmt.Errorf("query parameter %q is given %d times (%s): give it once", p.key, len(p.values), quotedValues(p.values))
	}
	valueField := leaf
	if leaf.IsMap() {
		if !utf8.ValidString(p.entry) {
			return fmt.Errorf("query parameter %q has a key that is not valid UTF-8: percent-encode the UTF-8 bytes of its text", p.key)
		}
		valueField = leaf.MapValue()
	}
	for _, value := range p.values {
		if valueField.Kind() == protoreflect.StringKind && !utf8.ValidString(value) {
			return fmt.Errorf("query parameter %q is not valid UTF-8: percent-encode the UTF-8 bytes of its text", p.key)
		}
		// The gateway's own parser decides what a value may be; only the words are ours.
		trial := msg.ProtoReflect().New().Interface()
		if err := (&runtime.DefaultQueryParser{}).Parse(trial, url.Values{p.key: {value}}, filter); err != nil {
			return fmt.Errorf("query parameter %q is %s: give %s", p.key, quotedValue(value), expected(valueField))
		}
	}
	return nil
}

// checkOverlaps refuses two parameters that set the same field: one by its proto name and one by
// its JSON name (after_sequence and afterSequence), or a message and a field of it (since and
// since.seconds).
func checkOverlaps(params []queryParameter) error {
	for i, a := range params {
		for _, b := range params[i+1:] {
			ta, tb := a.target(), b.target()
			if ta == tb || strings.HasPrefix(tb, ta+".") || strings.HasPrefix(ta, tb+".") {
				return fmt.Errorf("query parameters %q and %q both set %s: give it once", a.key, b.key, ta)
			}
		}
	}
	return nil
}

// checkOneofs refuses parameters that set two fields of one oneof, such as earliest and
// after_sequence, the alternative starts of a subscription.
func checkOneofs(params []queryParameter) error {
	chosen := map[protoreflect.FullName]queryParameter{}
	for _, p := range params {
		oneof := p.fields[0].ContainingOneof()
		if oneof == nil || oneof.IsSynthetic() {
			continue
		}
		first, seen := chosen[oneof.FullName()]
		if !seen {
			chosen[oneof.FullName()] = p
			continue
		}
		if first.fields[0] != p.fields[0] {
			var names []string
			for i := range oneof.Fields().Len() {
				names = append(names, string(oneof.Fields().Get(i).Name()))
			}
			return fmt.Errorf("query parameters %q and %q are alternatives: give only one of %s", first.key, p.key, joinWords(names, "or"))
		}
	}
	return nil
}

// expected says what a value of fd may be, to follow "give".
func expected(fd protoreflect.FieldDescriptor) string {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return "true or false"
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return "a whole number from -2147483648 to 2147483647"
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return "a whole number from -9223372036854775808 to 9223372036854775807"
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return "a whole number from 0 to 4294967295"
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return "a whole number from 0 to 18446744073709551615"
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return "a number"
	case protoreflect.BytesKind:
		return "bytes in base64"
	case protoreflect.EnumKind:
		var names []string
		values := fd.Enum().Values()
		for i := range values.Len() {
			if values.Get(i).Number() != 0 {
				names = append(names, string(values.Get(i).Name()))
			}
		}
		return "one of " + joinWords(names, "or")
	case protoreflect.MessageKind, protoreflect.GroupKind:
		switch fd.Message().FullName() {
		case "google.protobuf.Timestamp":
			return "a time in RFC 3339 between the years 0001 and 9999, such as 2026-01-02T15:04:05Z, " +
				"or with an offset written %2B01:00 (a + in a URL reads as a space)"
		case "google.protobuf.Duration":
			return "a duration such as 90s or 1h30m"
		}
		if value := fd.Message().Fields().ByName("value"); value != nil && fd.Message().Fields().Len() == 1 {
			return expected(value) // a wrapper, such as google.protobuf.UInt64Value
		}
		return "a value of type " + string(fd.Message().FullName())
	}
	return "text"
}

// quotedValue quotes a refused value, cut short when long.
func quotedValue(value string) string {
	if len(value) <= maxQuotedValue {
		return strconv.Quote(value)
	}
	cut := maxQuotedValue
	for cut > 0 && !utf8.RuneStart(value[cut]) {
		cut--
	}
	return strconv.Quote(value[:cut]) + "…"
}

// quotedValues quotes refused values, separated by commas.
func quotedValues(values []string) string {
	quoted := make([]string, len(values))
	for i, value := range values {
		quoted[i] = quotedValue(value)
	}
	return strings.Join(quoted, ", ")
}

// joinWords joins words as "a, b or c", with conjunction before the last.
func joinWords(words []string, conjunction string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + conjunction + " " + words[len(words)-1]
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
