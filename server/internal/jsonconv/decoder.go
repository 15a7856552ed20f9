package jsonconv

import (
	"fmt"
	"strings"
	"unicode"

	optionsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/options/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// extraFieldName is the name of the google.protobuf.Struct field that keeps, in every resource
// message, the keys and values the schema does not model.
const extraFieldName = "extra"

// rawSuffix ends the name of the string field that keeps an enum field's value exactly as sent:
// status_raw beside status.
const rawSuffix = "_raw"

// wellKnown names the google.protobuf messages the decoder reads as a whole.
type wellKnown int

const (
	notWellKnown wellKnown = iota
	wellKnownTimestamp
	wellKnownStruct
	wellKnownValue
	wellKnownList
)

// Decoder reads provider JSON into Protobuf messages. It plans every message type reachable from
// its roots once, at construction; it is then safe for concurrent use.
type Decoder struct {
	plans map[protoreflect.FullName]*plan
}

// plan is how one message type is read from a JSON object.
type plan struct {
	desc protoreflect.MessageDescriptor
	// fields maps each JSON key the message reads to its field: the proto name, the JSON name
	// and the json_alias annotations.
	fields map[string]*fieldPlan
	// keys is fields as the reader looks keys up.
	keys keyTable
	// count is how many fields the message reads, for the set of fields already filled.
	count int
	// extra is the number of the Struct that keeps unmodelled keys, or 0.
	extra protowire.Number
	// gathers is the number of the gathers_unmodeled Struct, or 0.
	gathers protowire.Number
}

// fieldPlan is how one field is read.
type fieldPlan struct {
	fd     protoreflect.FieldDescriptor
	num    protowire.Number
	kind   protoreflect.Kind
	list   bool
	isMap  bool
	wkt    wellKnown
	msg    *plan      // the message's plan, for message fields and map values
	value  *fieldPlan // the value's plan, for map fields
	enum   map[string]protoreflect.EnumNumber
	raw    protowire.Number // the enum's _raw sibling
	index  int              // position in the set of filled fields
	gather bool             // this is the message's gathers_unmodeled field
}

// NewDecoder plans every message type reachable from roots. It fails if the schema breaks one of
// the conventions the decoder relies on: an enum field without its _raw string sibling, an extra
// field that is not a Struct, two fields claiming one JSON key, a map with non-string keys, a
// repeated enum.
func NewDecoder(roots ...protoreflect.MessageDescriptor) (*Decoder, error) {
	d := &Decoder{plans: map[protoreflect.FullName]*plan{}}
	for _, root := range roots {
		if _, err := d.planMessage(root); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Has reports whether the decoder planned the message type.
func (d *Decoder) Has(desc protoreflect.MessageDescriptor) bool {
	_, ok := d.plans[desc.FullName()]
	return ok
}

func (d *Decoder) planMessage(desc protoreflect.MessageDescriptor) (*plan, error) {
	if p, done := d.plans[desc.FullName()]; done {
		return p, nil
	}
	p := &plan{desc: desc, fields: map[string]*fieldPlan{}}
	d.plans[desc.FullName()] = p
	fields := desc.Fields()
	for i := range fields.Len() {
		if err := d.planField(p, fields.Get(i)); err != nil {
			return nil, err
		}
	}
	p.keys = newKeyTable(p.fields)
	return p, nil
}

func (d *Decoder) planField(p *plan, fd protoreflect.FieldDescriptor) error {
	fp, err := d.newFieldPlan(fd)
	if err != nil {
		return err
	}
	opts := fd.Options()
	switch {
	case fd.Name() == extraFieldName:
		if fp.wkt != wellKnownStruct || fd.IsList() {
			return fmt.Errorf("%s: the extra field must be a google.protobuf.Struct", fd.FullName())
		}
		p.extra = fp.num
		return nil
	case fd.ContainingOneof() != nil && !fd.ContainingOneof().IsSynthetic():
		return nil // oneof cases are chosen by the provider's event type, never by a key
	case proto.GetExtension(opts, optionsv1.E_Derived).(bool):
		return nil
	case strings.HasSuffix(string(fd.Name()), rawSuffix) && isEnumField(p.desc, strings.TrimSuffix(string(fd.Name()), rawSuffix)):
		return nil // filled beside its enum
	}
	if fp.kind == protoreflect.EnumKind {
		raw := p.desc.Fields().ByName(fd.Name() + rawSuffix)
		if raw == nil || raw.Kind() != protoreflect.StringKind || raw.IsList() {
			return fmt.Errorf("%s: an enum field needs a string field %s%s that keeps its value as sent", fd.FullName(), fd.Name(), rawSuffix)
		}
		fp.raw = raw.Number()
	}
	if proto.GetExtension(opts, optionsv1.E_GathersUnmodeled).(bool) {
		if fp.wkt != wellKnownStruct || fd.IsList() {
			return fmt.Errorf("%s: a gathers_unmodeled field must be a google.protobuf.Struct", fd.FullName())
		}
		p.gathers, fp.gather = fp.num, true
	}
	if p.count == maxFields {
		return fmt.Errorf("%s: a message may read at most %d fields", p.desc.FullName(), maxFields)
	}
	fp.index = p.count
	p.count++
	keys := append([]string{string(fd.Name()), fd.JSONName()}, proto.GetExtension(opts, optionsv1.E_JsonAlias).([]string)...)
	for _, key := range keys {
		if prev, taken := p.fields[key]; taken && prev.fd != fd {
			return fmt.Errorf("%s and %s both read the JSON key %q", prev.fd.FullName(), fd.FullName(), key)
		}
		p.fields[key] = fp
	}
	return nil
}

// newFieldPlan describes how to read one field, planning the message types it refers to.
func (d *Decoder) newFieldPlan(fd protoreflect.FieldDescriptor) (*fieldPlan, error) {
	fp := &fieldPlan{fd: fd, num: fd.Number(), kind: fd.Kind(), list: fd.IsList(), isMap: fd.IsMap()}
	if fd.IsMap() {
		if fd.MapKey().Kind() != protoreflect.StringKind {
			return nil, fmt.Errorf("%s: map keys must be strings", fd.FullName())
		}
		value, err := d.newFieldPlan(fd.MapValue())
		if err != nil {
			return nil, err
		}
		if value.kind == protoreflect.EnumKind {
			return nil, fmt.Errorf("%s: map enum values are not supported, their raw values could not be kept", fd.FullName())
		}
		fp.value = value
		return fp, nil
	}
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		switch fd.Message().FullName() {
		case "google.protobuf.Timestamp":
			fp.wkt = wellKnownTimestamp
		case "google.protobuf.Struct":
			fp.wkt = wellKnownStruct
		case "google.protobuf.Value":
			fp.wkt = wellKnownValue
		case "google.protobuf.ListValue":
			fp.wkt = wellKnownList
		default:
			if fd.Message().ParentFile().Package() == "google.protobuf" {
				return nil, fmt.Errorf("%s: %s is not supported", fd.FullName(), fd.Message().FullName())
			}
			msg, err := d.planMessage(fd.Message())
			if err != nil {
				return nil, err
			}
			fp.msg = msg
		}
	case protoreflect.EnumKind:
		if fd.IsList() {
			return nil, fmt.Errorf("%s: repeated enum fields are not supported, their raw values could not be kept", fd.FullName())
		}
		enum, err := enumKeys(fd.Enum())
		if err != nil {
			return nil, err
		}
		fp.enum = enum
	case protoreflect.BytesKind:
		return nil, fmt.Errorf("%s: bytes fields cannot be read from provider JSON", fd.FullName())
	}
	return fp, nil
}

// enumKeys maps the squashed names of an enum's values (without its prefix) to their numbers.
func enumKeys(enum protoreflect.EnumDescriptor) (map[string]protoreflect.EnumNumber, error) {
	values := enum.Values()
	prefix := strings.TrimSuffix(string(values.ByNumber(0).Name()), "UNSPECIFIED")
	keys := map[string]protoreflect.EnumNumber{}
	for i := range values.Len() {
		v := values.Get(i)
		if v.Number() == 0 {
			continue
		}
		key := string(squash(nil, []byte(strings.TrimPrefix(string(v.Name()), prefix))))
		if prev, taken := keys[key]; taken {
			return nil, fmt.Errorf("%s: values %d and %d both match %q", enum.FullName(), prev, v.Number(), key)
		}
		keys[key] = v.Number()
	}
	return keys, nil
}

// isEnumField reports whether desc has an enum field of the given name.
func isEnumField(desc protoreflect.MessageDescriptor, name string) bool {
	fd := desc.Fields().ByName(protoreflect.Name(name))
	return fd != nil && fd.Kind() == protoreflect.EnumKind
}

// squash appends to dst a form of s fit for comparing enum values: upper case, with separators
// and spaces removed, so "dispute-lost", "Dispute Lost" and DISPUTE_LOST all match, as do
// "MasterCard" and MASTERCARD.
func squash(dst, s []byte) []byte {
	for _, r := range string(s) {
		switch r {
		case '_', '-', ' ', '.', '/':
			continue
		}
		if r < 0x80 {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			dst = append(dst, byte(r))
			continue
		}
		dst = append(dst, string(unicode.ToUpper(r))...)
	}
	return dst
}
