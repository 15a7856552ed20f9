package jsonconv

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"

	optionsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/options/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
)

// extraFieldName is the name of the google.protobuf.Struct field that keeps, in every resource
// message, the keys and values the schema does not model.
const extraFieldName = "extra"

// rawSuffix ends the name of the string field that keeps an enum field's value exactly as sent:
// status_raw beside status.
const rawSuffix = "_raw"

// Decoder fills messages from generic JSON values (as returned by Parse). It plans every message
// type reachable from its roots once, at construction; it is then safe for concurrent use.
type Decoder struct {
	plans map[protoreflect.FullName]*plan
	enums map[protoreflect.FullName]map[string]protoreflect.EnumNumber
}

// plan is how one message type is read from a JSON object.
type plan struct {
	// fields maps each JSON key the message reads to its field.
	fields map[string]fieldRef
	// extra is the Struct that keeps unmodelled keys, or nil when the message has none.
	extra protoreflect.FieldDescriptor
	// rawOf maps an enum field to the string field that keeps its value as sent.
	rawOf map[protoreflect.FieldNumber]protoreflect.FieldDescriptor
}

// fieldRef is a field and whether the key that reaches it is an alias rather than its own name.
type fieldRef struct {
	field protoreflect.FieldDescriptor
	alias bool
}

// NewDecoder plans every message type reachable from roots. It fails if the schema breaks one of
// the conventions the decoder relies on: an enum field without its _raw string sibling, an extra
// field that is not a Struct, two fields claiming one JSON key, a map with non-string keys.
func NewDecoder(roots ...protoreflect.MessageDescriptor) (*Decoder, error) {
	d := &Decoder{
		plans: map[protoreflect.FullName]*plan{},
		enums: map[protoreflect.FullName]map[string]protoreflect.EnumNumber{},
	}
	for _, root := range roots {
		if err := d.planMessage(root); err != nil {
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

func (d *Decoder) planMessage(desc protoreflect.MessageDescriptor) error {
	if _, done := d.plans[desc.FullName()]; done || isWellKnown(desc) {
		return nil
	}
	p := &plan{fields: map[string]fieldRef{}, rawOf: map[protoreflect.FieldNumber]protoreflect.FieldDescriptor{}}
	d.plans[desc.FullName()] = p
	fields := desc.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if err := d.planField(desc, p, fd); err != nil {
			return err
		}
	}
	return nil
}

func (d *Decoder) planField(desc protoreflect.MessageDescriptor, p *plan, fd protoreflect.FieldDescriptor) error {
	if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
		target := fd.Message()
		if fd.IsMap() {
			if fd.MapKey().Kind() != protoreflect.StringKind {
				return fmt.Errorf("%s: map keys must be strings", fd.FullName())
			}
			target = fd.MapValue().Message()
		}
		if target != nil {
			if err := d.planMessage(target); err != nil {
				return err
			}
		}
	}
	if fd.Kind() == protoreflect.EnumKind || (fd.IsMap() && fd.MapValue().Kind() == protoreflect.EnumKind) {
		if err := d.planEnum(p, fd); err != nil {
			return err
		}
	}
	opts := fd.Options()
	switch {
	case fd.Name() == extraFieldName:
		if fd.Message() == nil || fd.Message().FullName() != "google.protobuf.Struct" || fd.IsList() {
			return fmt.Errorf("%s: the extra field must be a google.protobuf.Struct", fd.FullName())
		}
		p.extra = fd
		return nil
	case fd.ContainingOneof() != nil && !fd.ContainingOneof().IsSynthetic():
		return nil // oneof cases are chosen by the provider's event type, never by a key
	case proto.GetExtension(opts, optionsv1.E_Derived).(bool):
		return nil
	case strings.HasSuffix(string(fd.Name()), rawSuffix) && isEnumField(desc, strings.TrimSuffix(string(fd.Name()), rawSuffix)):
		return nil // filled beside its enum
	}
	keys := []string{string(fd.Name()), fd.JSONName()}
	for i, key := range keys {
		if err := p.claim(key, fieldRef{field: fd}, i > 0 && key == keys[0]); err != nil {
			return err
		}
	}
	for _, alias := range proto.GetExtension(opts, optionsv1.E_JsonAlias).([]string) {
		if err := p.claim(alias, fieldRef{field: fd, alias: true}, false); err != nil {
			return err
		}
	}
	return nil
}

// claim records that key reaches ref, failing if another field already claimed it.
func (p *plan) claim(key string, ref fieldRef, same bool) error {
	if same {
		return nil
	}
	if prev, taken := p.fields[key]; taken && prev.field != ref.field {
		return fmt.Errorf("%s and %s both read the JSON key %q", prev.field.FullName(), ref.field.FullName(), key)
	}
	p.fields[key] = ref
	return nil
}

func (d *Decoder) planEnum(p *plan, fd protoreflect.FieldDescriptor) error {
	if fd.IsList() || fd.IsMap() {
		return fmt.Errorf("%s: repeated and map enum fields are not supported, their raw values could not be kept", fd.FullName())
	}
	if !proto.GetExtension(fd.Options(), optionsv1.E_Derived).(bool) {
		raw := fd.ContainingMessage().Fields().ByName(fd.Name() + rawSuffix)
		if raw == nil || raw.Kind() != protoreflect.StringKind || raw.IsList() {
			return fmt.Errorf("%s: an enum field needs a string field %s%s that keeps its value as sent", fd.FullName(), fd.Name(), rawSuffix)
		}
		p.rawOf[fd.Number()] = raw
	}
	enum := fd.Enum()
	if _, done := d.enums[enum.FullName()]; done {
		return nil
	}
	values := enum.Values()
	zero := string(values.ByNumber(0).Name())
	prefix := strings.TrimSuffix(zero, "UNSPECIFIED")
	byKey := map[string]protoreflect.EnumNumber{}
	for i := range values.Len() {
		v := values.Get(i)
		if v.Number() == 0 {
			continue
		}
		key := squash(strings.TrimPrefix(string(v.Name()), prefix))
		if prev, taken := byKey[key]; taken {
			return fmt.Errorf("%s: values %d and %d both match %q", enum.FullName(), prev, v.Number(), key)
		}
		byKey[key] = v.Number()
	}
	d.enums[enum.FullName()] = byKey
	return nil
}

// Fill sets msg's fields from obj. A key the message does not model, or whose value cannot be
// read as its field's type, is kept in the message's extra Struct. Fill never fails: whatever the
// provider sent survives, in a typed field or beside it.
func (d *Decoder) Fill(msg protoreflect.Message, obj map[string]any) {
	p, ok := d.plans[msg.Descriptor().FullName()]
	if !ok {
		panic(fmt.Sprintf("jsonconv: %s was not planned; pass it to NewDecoder", msg.Descriptor().FullName()))
	}
	// A field's own name is read before its aliases, and otherwise keys are read in order, so
	// when two keys reach one field the result does not depend on map iteration.
	keys := make([]string, 0, len(obj))
	for key := range obj {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(boolOrder(p.fields[a].alias, p.fields[b].alias), strings.Compare(a, b))
	})
	var extra map[string]any
	for _, key := range keys {
		val := obj[key]
		ref, known := p.fields[key]
		if known && !p.alreadySet(msg, ref.field) && d.set(msg, p, ref.field, val) {
			continue
		}
		if extra == nil {
			extra = make(map[string]any, 4)
		}
		extra[key] = val
	}
	if len(extra) > 0 {
		if p.extra == nil {
			panic(fmt.Sprintf("jsonconv: %s has no extra field to keep %d keys", msg.Descriptor().FullName(), len(extra)))
		}
		msg.Set(p.extra, protoreflect.ValueOfMessage(structOf(extra).ProtoReflect()))
	}
}

func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}

// alreadySet reports whether an earlier key already filled fd (a JSON null leaves it unset).
func (p *plan) alreadySet(msg protoreflect.Message, fd protoreflect.FieldDescriptor) bool {
	if msg.Has(fd) {
		return true
	}
	raw, ok := p.rawOf[fd.Number()]
	return ok && msg.Has(raw)
}

// set reads val into fd. It reports false, changing nothing, when val cannot be read as fd's type.
func (d *Decoder) set(msg protoreflect.Message, p *plan, fd protoreflect.FieldDescriptor, val any) bool {
	switch {
	case val == nil:
		return true // null: the field stays unset
	case fd.IsMap():
		return d.setMap(msg, fd, val)
	case fd.IsList():
		return d.setList(msg, fd, val)
	case fd.Kind() == protoreflect.EnumKind:
		s, ok := val.(string)
		if !ok {
			return false
		}
		if n, known := d.enums[fd.Enum().FullName()][squash(s)]; known {
			msg.Set(fd, protoreflect.ValueOfEnum(n))
		}
		msg.Set(p.rawOf[fd.Number()], protoreflect.ValueOfString(s))
		return true
	default:
		v, ok := d.value(msg.NewField(fd), fd, val)
		if ok {
			msg.Set(fd, v)
		}
		return ok
	}
}

func (d *Decoder) setList(msg protoreflect.Message, fd protoreflect.FieldDescriptor, val any) bool {
	items, ok := val.([]any)
	if !ok {
		return false
	}
	list := msg.NewField(fd).List()
	for _, item := range items {
		v, ok := d.value(list.NewElement(), fd, item)
		if !ok {
			return false
		}
		list.Append(v)
	}
	if list.Len() > 0 {
		msg.Set(fd, protoreflect.ValueOfList(list))
	}
	return true
}

func (d *Decoder) setMap(msg protoreflect.Message, fd protoreflect.FieldDescriptor, val any) bool {
	obj, ok := val.(map[string]any)
	if !ok {
		return false
	}
	m := msg.NewField(fd).Map()
	vd := fd.MapValue()
	for key, item := range obj {
		v, ok := d.value(m.NewValue(), vd, item)
		if !ok {
			return false
		}
		m.Set(protoreflect.ValueOfString(key).MapKey(), v)
	}
	if m.Len() > 0 {
		msg.Set(fd, protoreflect.ValueOfMap(m))
	}
	return true
}

// value reads one singular value of fd's kind. blank is a fresh value of the right type, used for
// messages.
func (d *Decoder) value(blank protoreflect.Value, fd protoreflect.FieldDescriptor, val any) (protoreflect.Value, bool) {
	if fd.Kind() != protoreflect.MessageKind {
		return scalar(fd.Kind(), val)
	}
	switch fd.Message().FullName() {
	case "google.protobuf.Timestamp":
		ts, ok := timestamp(val)
		if !ok {
			return protoreflect.Value{}, false
		}
		return protoreflect.ValueOfMessage(ts.ProtoReflect()), true
	case "google.protobuf.Value":
		return protoreflect.ValueOfMessage(valueOf(val).ProtoReflect()), true
	case "google.protobuf.Struct":
		obj, ok := val.(map[string]any)
		if !ok {
			return protoreflect.Value{}, false
		}
		return protoreflect.ValueOfMessage(structOf(obj).ProtoReflect()), true
	case "google.protobuf.ListValue":
		items, ok := val.([]any)
		if !ok {
			return protoreflect.Value{}, false
		}
		return protoreflect.ValueOfMessage(listOf(items).ProtoReflect()), true
	}
	obj, ok := val.(map[string]any)
	if !ok {
		return protoreflect.Value{}, false
	}
	d.Fill(blank.Message(), obj)
	return blank, true
}

// isWellKnown reports whether desc is a google.protobuf type the decoder reads as a whole.
func isWellKnown(desc protoreflect.MessageDescriptor) bool {
	return desc.ParentFile().Package() == "google.protobuf"
}

// isEnumField reports whether desc has an enum field of the given name.
func isEnumField(desc protoreflect.MessageDescriptor, name string) bool {
	fd := desc.Fields().ByName(protoreflect.Name(name))
	return fd != nil && fd.Kind() == protoreflect.EnumKind
}

// squash folds an enum value name or a provider string to a comparable key: upper case, with
// separators and spaces removed, so "dispute-lost", "Dispute Lost" and DISPUTE_LOST all match, as
// do "MasterCard" and MASTERCARD.
func squash(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch r {
		case '_', '-', ' ', '.', '/':
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// Keep stores val under key in msg's extra Struct, beside whatever it already keeps.
func (d *Decoder) Keep(msg protoreflect.Message, key string, val any) {
	p, ok := d.plans[msg.Descriptor().FullName()]
	if !ok || p.extra == nil {
		panic(fmt.Sprintf("jsonconv: %s has no extra field to keep %q", msg.Descriptor().FullName(), key))
	}
	extra := msg.Mutable(p.extra).Message().Interface().(*structpb.Struct)
	if extra.Fields == nil {
		extra.Fields = map[string]*structpb.Value{}
	}
	extra.Fields[key] = valueOf(val)
}
