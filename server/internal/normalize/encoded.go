package normalize

import (
	"math"

	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// cfEvent and wfEvent are the fields of the provider events that the conversion reads or sets
// itself.
var (
	cfEvent = func() (e struct {
		desc                                                   protoreflect.MessageDescriptor
		eventID, eventType, workspaceID, apiVersion, createdAt protoreflect.FieldDescriptor
		format, dataID, dataType                               protoreflect.FieldDescriptor
	}) {
		e.desc = (&clickfunnelsv1.Event{}).ProtoReflect().Descriptor()
		fields := e.desc.Fields()
		e.eventID, e.eventType, e.workspaceID = fields.ByName("event_id"), fields.ByName("event_type"), fields.ByName("workspace_id")
		e.apiVersion, e.createdAt = fields.ByName("api_version"), fields.ByName("created_at")
		e.format, e.dataID, e.dataType = fields.ByName("format"), fields.ByName("data_id"), fields.ByName("data_type")
		return e
	}()
	wfEvent = func() (e struct {
		desc                    protoreflect.MessageDescriptor
		triggerType, apiVersion protoreflect.FieldDescriptor
	}) {
		e.desc = (&webflowv1.Event{}).ProtoReflect().Descriptor()
		e.triggerType, e.apiVersion = e.desc.Fields().ByName("trigger_type"), e.desc.Fields().ByName("api_version")
		return e
	}()
)

// appendStringField appends a string field to a message's wire bytes.
func appendStringField(wire []byte, fd protoreflect.FieldDescriptor, value string) []byte {
	wire = protowire.AppendTag(wire, fd.Number(), protowire.BytesType)
	return protowire.AppendString(wire, value)
}

// appendVarintField appends a varint field (an integer or an enum) to a message's wire bytes.
func appendVarintField(wire []byte, fd protoreflect.FieldDescriptor, value uint64) []byte {
	wire = protowire.AppendTag(wire, fd.Number(), protowire.VarintType)
	return protowire.AppendVarint(wire, value)
}

// encoded is a message's wire bytes, as the conversion writes them. The conversion reads the few
// fields it needs (the event id, the tenant, when the event happened) from them without decoding
// the message, and a decoding of them finds what these lookups find: the last value of a scalar
// field that appears more than once, and all the occurrences of a message field merged.
type encoded []byte

// lookup returns the wire type and the value of the last occurrence of field num: a varint's or
// a fixed value's bytes, a length-delimited field's content.
func (m encoded) lookup(num protowire.Number) (protowire.Type, []byte, bool) {
	var typ protowire.Type
	var value []byte
	present := false
	for b := []byte(m); len(b) > 0; {
		n, t, tagLen := protowire.ConsumeTag(b)
		if tagLen < 0 {
			break
		}
		valueLen := protowire.ConsumeFieldValue(n, t, b[tagLen:])
		if valueLen < 0 {
			break
		}
		if n == num {
			typ, value, present = t, b[tagLen:tagLen+valueLen], true
			if t == protowire.BytesType {
				value, _ = protowire.ConsumeBytes(value)
			}
		}
		b = b[tagLen+valueLen:]
	}
	return typ, value, present
}

// message returns a message field's content: every occurrence of it, concatenated, which is how
// decoding merges them.
func (m encoded) message(num protowire.Number) (encoded, bool) {
	var parts []byte
	count := 0
	for b := []byte(m); len(b) > 0; {
		n, t, tagLen := protowire.ConsumeTag(b)
		if tagLen < 0 {
			break
		}
		valueLen := protowire.ConsumeFieldValue(n, t, b[tagLen:])
		if valueLen < 0 {
			break
		}
		if n == num && t == protowire.BytesType {
			content, _ := protowire.ConsumeBytes(b[tagLen : tagLen+valueLen])
			if count == 0 {
				parts = content
			} else {
				parts = append(parts[:len(parts):len(parts)], content...)
			}
			count++
		}
		b = b[tagLen+valueLen:]
	}
	return parts, count > 0
}

// has reports whether a decoding of the message would set scalar field fd (of explicit presence).
func (m encoded) has(fd protoreflect.FieldDescriptor) bool {
	typ, raw, present := m.lookup(fd.Number())
	_, _, ok := scalarValue(fd.Kind(), typ, raw)
	return present && ok
}

// text returns a scalar field as text, as scalarField does for the decoded message: "" when fd
// is nil or the field is unset.
func (m encoded) text(fd protoreflect.FieldDescriptor) string {
	if fd == nil || fd.IsList() || fd.IsMap() {
		return ""
	}
	typ, raw, present := m.lookup(fd.Number())
	if !present {
		return ""
	}
	v, zero, ok := scalarValue(fd.Kind(), typ, raw)
	if !ok || (zero && !fd.HasPresence()) {
		return "" // a decoded message has no such field: a mismatched wire type is an unknown field
	}
	return v.String()
}

// timestamp returns a Timestamp field, as timestampField does for the decoded message: nil
// when fd is nil or the field is unset.
func (m encoded) timestamp(fd protoreflect.FieldDescriptor) *timestamppb.Timestamp {
	if fd == nil {
		return nil
	}
	content, present := m.message(fd.Number())
	if !present {
		return nil
	}
	ts := &timestamppb.Timestamp{}
	if err := proto.Unmarshal(content, ts); err != nil {
		return nil
	}
	return ts
}

// workspaceOf returns a resource's workspace_id, or that of the one resource it wraps, as text:
// the workspaceOf of the decoded resource, whose fields it visits in the same (declaration)
// order.
func (m encoded) workspaceOf(desc protoreflect.MessageDescriptor) string {
	if tenant := m.text(desc.Fields().ByName("workspace_id")); tenant != "" {
		return tenant
	}
	fields := desc.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Message() == nil || fd.IsList() || fd.IsMap() || fd.Name() == "extra" {
			continue
		}
		wrapped, present := m.message(fd.Number())
		if !present {
			continue
		}
		if tenant := wrapped.text(fd.Message().Fields().ByName("workspace_id")); tenant != "" {
			return tenant
		}
	}
	return ""
}

// scalarValue decodes a scalar field's value of the given kind from its wire type and bytes, and
// reports whether it is the kind's zero value. It reports false for a wire type that does not
// fit the kind, and for kinds that are not scalars.
func scalarValue(kind protoreflect.Kind, typ protowire.Type, raw []byte) (v protoreflect.Value, zero, ok bool) {
	switch typ {
	case protowire.VarintType:
		n, length := protowire.ConsumeVarint(raw)
		if length < 0 {
			return v, false, false
		}
		switch kind {
		case protoreflect.BoolKind:
			return protoreflect.ValueOfBool(n != 0), n == 0, true
		case protoreflect.EnumKind:
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(int32(n))), int32(n) == 0, true
		case protoreflect.Int32Kind:
			return protoreflect.ValueOfInt32(int32(n)), int32(n) == 0, true
		case protoreflect.Sint32Kind:
			s := int32(protowire.DecodeZigZag(n & math.MaxUint32))
			return protoreflect.ValueOfInt32(s), s == 0, true
		case protoreflect.Uint32Kind:
			return protoreflect.ValueOfUint32(uint32(n)), uint32(n) == 0, true
		case protoreflect.Int64Kind:
			return protoreflect.ValueOfInt64(int64(n)), n == 0, true
		case protoreflect.Sint64Kind:
			return protoreflect.ValueOfInt64(protowire.DecodeZigZag(n)), n == 0, true
		case protoreflect.Uint64Kind:
			return protoreflect.ValueOfUint64(n), n == 0, true
		}
	case protowire.Fixed32Type:
		n, length := protowire.ConsumeFixed32(raw)
		if length < 0 {
			return v, false, false
		}
		switch kind {
		case protoreflect.Sfixed32Kind:
			return protoreflect.ValueOfInt32(int32(n)), n == 0, true
		case protoreflect.Fixed32Kind:
			return protoreflect.ValueOfUint32(n), n == 0, true
		case protoreflect.FloatKind:
			return protoreflect.ValueOfFloat32(math.Float32frombits(n)), n == 0, true
		}
	case protowire.Fixed64Type:
		n, length := protowire.ConsumeFixed64(raw)
		if length < 0 {
			return v, false, false
		}
		switch kind {
		case protoreflect.Sfixed64Kind:
			return protoreflect.ValueOfInt64(int64(n)), n == 0, true
		case protoreflect.Fixed64Kind:
			return protoreflect.ValueOfUint64(n), n == 0, true
		case protoreflect.DoubleKind:
			return protoreflect.ValueOfFloat64(math.Float64frombits(n)), n == 0, true
		}
	case protowire.BytesType:
		switch kind {
		case protoreflect.StringKind:
			return protoreflect.ValueOfString(string(raw)), len(raw) == 0, true
		case protoreflect.BytesKind:
			return protoreflect.ValueOfBytes(raw), len(raw) == 0, true
		}
	}
	return v, false, false
}
