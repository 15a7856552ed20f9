package jsonconv

import (
	"fmt"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// wireBuffers recycles the wire bytes of decoded messages; proto.Unmarshal copies what it keeps.
var wireBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// Unmarshal reads body, one JSON object, into msg: every field it models, every other key into
// its extra Struct. It refuses, with a rejection.Error giving the byte offset, a body that is
// empty, not valid JSON or UTF-8, not an object, or nested deeper than maxDepth.
func (d *Decoder) Unmarshal(body []byte, msg proto.Message, maxDepth int) error {
	p, err := d.planOf(msg)
	if err != nil {
		return err
	}
	r := newReader(body, maxDepth)
	defer r.free()
	if err := r.begin(); err != nil {
		return err
	}
	buf := wireBuffers.Get().(*[]byte)
	defer wireBuffers.Put(buf)
	out, err := r.object(p, (*buf)[:0], nil, false)
	*buf = out
	if err != nil {
		return err
	}
	if err := r.end(); err != nil {
		return err
	}
	return proto.Unmarshal(out, msg)
}

// Route says where an envelope's data goes.
type Route struct {
	// DataKey is the envelope member that holds the event's data, for example "data" or
	// "payload"; empty when the whole body is the data (a Webflow API v1 delivery).
	DataKey string
	// Case is the oneof case of the event type; nil for the unknown case.
	Case *Case
	// EventType is the event type, kept in the unknown case.
	EventType string
	// JSONAPI says the data member is JSON:API shaped, {"id", "type", "attributes"}: the resource
	// is its attributes (a ClickFunnels V1 delivery).
	JSONAPI bool
	// Flat says the envelope delivers the resource flat, its fields at the top level where a
	// newer API nests them (a Webflow API v1 collection item): the keys its message does not
	// model go into its gathers_unmodeled Struct, not its extra Struct. The caller decides it from
	// the envelope, never from the resource's members.
	Flat bool
}

// Found is what UnmarshalEnvelope saw of the data member.
type Found struct {
	// Data reports whether the data member was present.
	Data bool
	// Kind is the JSON kind of the data, as Member.Kind spells it ('{' for an object), or 0 when
	// the data member is absent. The whole body is the data when Route.DataKey is empty, so
	// Kind is then '{'.
	Kind byte
	// JSONAPIID and JSONAPIType are the id (as text) and type of JSON:API data, when present.
	JSONAPIID, JSONAPIType *string
}

// UnmarshalEnvelope reads body, a provider envelope, into env in one pass: the envelope members
// into env's fields, the data member into the oneof case of cases that route names (or into the
// unknown case, whole). Data of a known type that is not an object is kept in env's extra under
// its key, beside an empty case; Found.Kind tells the caller, which may refuse it. Refusals are
// those of Unmarshal.
func (d *Decoder) UnmarshalEnvelope(body []byte, env proto.Message, cases *Cases, route Route, maxDepth int) (Found, error) {
	p, err := d.planOf(env)
	if err != nil {
		return Found{}, err
	}
	buf := wireBuffers.Get().(*[]byte)
	defer wireBuffers.Put(buf)
	out, found, err := d.appendEnvelope((*buf)[:0], body, p, cases, route, maxDepth)
	*buf = out
	if err != nil {
		return Found{}, err
	}
	return found, proto.Unmarshal(out, env)
}

// EncodeEnvelope reads body as UnmarshalEnvelope does, into a message of type env, and returns
// that message's wire bytes rather than decoding them: for a caller that only stores or sends the
// message, they are the message. The bytes are the caller's, with room for a few more fields.
func (d *Decoder) EncodeEnvelope(body []byte, env protoreflect.MessageDescriptor, cases *Cases, route Route, maxDepth int) ([]byte, Found, error) {
	p, ok := d.plans[env.FullName()]
	if !ok {
		return nil, Found{}, fmt.Errorf("jsonconv: %s was not planned; pass it to NewDecoder", env.FullName())
	}
	buf := wireBuffers.Get().(*[]byte)
	defer wireBuffers.Put(buf)
	out, found, err := d.appendEnvelope((*buf)[:0], body, p, cases, route, maxDepth)
	*buf = out
	if err != nil {
		return nil, Found{}, err
	}
	return append(make([]byte, 0, len(out)+spareWire), out...), found, nil
}

// spareWire is the room EncodeEnvelope leaves after the bytes it returns, for the fields a caller
// adds from what it knows besides the body (the event type, the delivery's shape).
const spareWire = 64

// appendEnvelope appends to out the wire bytes of body read as envelope plan p (see
// UnmarshalEnvelope).
func (d *Decoder) appendEnvelope(out, body []byte, p *plan, cases *Cases, route Route, maxDepth int) ([]byte, Found, error) {
	r := newReader(body, maxDepth)
	defer r.free()
	if err := r.begin(); err != nil {
		return out, Found{}, err
	}
	var found Found
	var err error
	c := caseReader{d: d, r: r, cases: cases, route: route, found: &found}
	if route.DataKey == "" {
		found.Data, found.Kind = true, '{'
		out, _, err = c.data(out, nil, nil)
	} else {
		out, err = r.object(p, out, func(key, out, pending []byte) ([]byte, []byte, bool, error) {
			if found.Data || string(key) != route.DataKey {
				return out, pending, false, nil
			}
			found.Data = true
			out, pending, err := c.data(out, pending, key)
			return out, pending, true, err
		}, false)
		if err == nil && !found.Data {
			out = c.absent(out)
		}
	}
	if err != nil {
		return out, Found{}, err
	}
	if err := r.end(); err != nil {
		return out, Found{}, err
	}
	return out, found, nil
}

func (d *Decoder) planOf(msg proto.Message) (*plan, error) {
	p, ok := d.plans[msg.ProtoReflect().Descriptor().FullName()]
	if !ok {
		return nil, fmt.Errorf("jsonconv: %s was not planned; pass it to NewDecoder", msg.ProtoReflect().Descriptor().FullName())
	}
	return p, nil
}

// caseReader reads an envelope's data member into its oneof case.
type caseReader struct {
	d     *Decoder
	r     *reader
	cases *Cases
	route Route
	found *Found
}

// Field numbers of the unknown case's message: the type string and the data, whole.
const (
	unknownType protowire.Number = 1
	unknownData protowire.Number = 2
)

// data reads the next value as the event's data. key is the data member's name, under which
// data that does not fit is kept in pending.
func (c caseReader) data(out, pending, key []byte) ([]byte, []byte, error) {
	r := c.r
	kind, err := r.peek()
	if err != nil {
		return out, pending, err
	}
	c.found.Kind = byte(kind)
	if c.route.Case == nil {
		out, start := beginNested(out, c.cases.Unknown().Number())
		out = appendBytesField(out, unknownType, []byte(c.route.EventType))
		out, value := beginNested(out, unknownData)
		out, err := r.anyValue(out)
		out = endNested(out, value)
		return endNested(out, start), pending, err
	}
	casePlan := c.d.plans[c.route.Case.Field.Message().FullName()]
	out, start := beginNested(out, c.route.Case.Field.Number())
	switch {
	case kind == '{' && c.route.JSONAPI:
		out, pending, err = c.jsonAPI(casePlan, out, pending, key)
	case kind == '{':
		out, err = r.object(casePlan, out, nil, c.route.Flat)
	case kind == 'n':
		_, err = r.value()
	default:
		pending, err = r.keep(pending, key)
	}
	return endNested(out, start), pending, err
}

// jsonAPI reads JSON:API data: attributes into the case's message, id and type into found, any
// other member into a Struct kept in pending under key.
func (c caseReader) jsonAPI(casePlan *plan, out, pending, key []byte) ([]byte, []byte, error) {
	r := c.r
	if err := r.open(); err != nil {
		return out, pending, err
	}
	var rest []byte
	for {
		kind, err := r.peek()
		if err != nil {
			return out, pending, err
		}
		if kind == '}' {
			break
		}
		name, err := r.value()
		if err != nil {
			return out, pending, err
		}
		member := string(r.unquote(name))
		if kind, err = r.peek(); err != nil {
			return out, pending, err
		}
		switch {
		case member == "attributes" && kind == '{':
			out, err = r.object(casePlan, out, nil, c.route.Flat)
		case (member == "id" || member == "type") && isScalarText(kind):
			var raw jsontext.Value
			if raw, err = r.value(); err == nil {
				text := string(raw)
				if raw[0] == '"' {
					text = string(r.unquote(raw))
				}
				if member == "id" {
					c.found.JSONAPIID = &text
				} else {
					c.found.JSONAPIType = &text
				}
			}
		default:
			rest, err = r.keep(rest, []byte(member))
		}
		if err != nil {
			return out, pending, err
		}
	}
	if err := r.close(); err != nil {
		return out, pending, err
	}
	if len(rest) > 0 {
		pending, entry := beginNested(pending, structFields)
		pending = appendBytesField(pending, entryKey, key)
		pending, value := beginNested(pending, entryValue)
		pending = appendBytesField(pending, valueStruct, rest)
		pending = endNested(pending, value)
		return out, endNested(pending, entry), nil
	}
	return out, pending, nil
}

// absent records an envelope without its data member: an empty known case, or the unknown case
// with null data.
func (c caseReader) absent(out []byte) []byte {
	if c.route.Case != nil {
		out, start := beginNested(out, c.route.Case.Field.Number())
		return endNested(out, start)
	}
	out, start := beginNested(out, c.cases.Unknown().Number())
	out = appendBytesField(out, unknownType, []byte(c.route.EventType))
	out, value := beginNested(out, unknownData)
	out = appendVarintField(out, valueNull, 0)
	out = endNested(out, value)
	return endNested(out, start)
}

func isScalarText(kind jsontext.Kind) bool {
	return kind == '"' || kind == '0'
}
