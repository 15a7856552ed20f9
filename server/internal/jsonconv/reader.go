package jsonconv

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// DefaultMaxDepth is the deepest nesting of arrays and objects accepted unless told otherwise.
// Real deliveries nest fewer than 10 levels.
const DefaultMaxDepth = 64

// maxFields is the most fields one message may read; the set of filled fields is a fixed array.
const maxFields = 256

// reader reads one JSON document with a jsontext.Decoder, which validates syntax and UTF-8, and
// writes what it reads as Protobuf wire bytes.
type reader struct {
	dec      *jsontext.Decoder
	body     []byte
	maxDepth int
	// base is the nesting depth and offset of body inside an outer document, when the reader
	// re-reads a span of it.
	baseDepth  int
	baseOffset int64
	// text holds the last unquoted string; squashed holds the last enum key.
	text, squashed []byte
	// pending holds, per nesting depth, the Struct entries of keys kept aside in the object
	// being read at that depth.
	pending [][]byte
}

var readers = sync.Pool{New: func() any {
	return &reader{dec: jsontext.NewDecoder(bytes.NewBuffer(nil), jsontext.AllowDuplicateNames(true))}
}}

// newReader returns a pooled reader of body; release it with free. Given a bytes.Buffer, jsontext
// parses body in place, so the raw values it returns point into body and stay valid for the whole
// read.
func newReader(body []byte, maxDepth int) *reader {
	r := readers.Get().(*reader)
	r.body, r.maxDepth, r.baseDepth, r.baseOffset = body, maxDepth, 0, 0
	r.dec.Reset(bytes.NewBuffer(body), jsontext.AllowDuplicateNames(true))
	return r
}

func (r *reader) free() {
	r.body = nil
	readers.Put(r)
}

// fail turns a jsontext error into a refusal that gives the byte offset of the problem.
func (r *reader) fail(err error) error {
	if _, ok := rejection.As(err); ok {
		return err
	}
	var syntax *jsontext.SyntacticError
	if errors.As(err, &syntax) {
		if errors.Is(syntax.Err, io.ErrUnexpectedEOF) {
			return r.endsEarly()
		}
		offset := r.baseOffset + syntax.ByteOffset
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON,
			"the body is not valid JSON: %v at byte offset %d", syntax.Err, offset).AtOffset(offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return r.endsEarly()
	}
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, "the body is not valid JSON: %v", err)
}

func (r *reader) endsEarly() error {
	offset := r.baseOffset + int64(len(r.body))
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON,
		"the body is not valid JSON: it ends early, at byte offset %d", offset).AtOffset(offset)
}

// open reads the '{' or '[' that begins a value and checks the nesting limit.
func (r *reader) open() error {
	if _, err := r.dec.ReadToken(); err != nil {
		return r.fail(err)
	}
	if depth := r.baseDepth + r.dec.StackDepth(); depth > r.maxDepth {
		offset := r.baseOffset + r.dec.InputOffset() - 1
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_NESTING_TOO_DEEP,
			"the JSON nests arrays and objects deeper than %d levels at byte offset %d", r.maxDepth, offset).AtOffset(offset)
	}
	return nil
}

// close reads the '}' or ']' that ends a value.
func (r *reader) close() error {
	if _, err := r.dec.ReadToken(); err != nil {
		return r.fail(err)
	}
	return nil
}

// peek returns the kind of the next token, or the error that stops reading.
func (r *reader) peek() (jsontext.Kind, error) {
	if kind := r.dec.PeekKind(); kind != 0 {
		return kind, nil
	}
	_, err := r.dec.ReadToken()
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return 0, r.fail(err)
}

// value reads the next scalar value or object name, raw.
func (r *reader) value() (jsontext.Value, error) {
	v, err := r.dec.ReadValue()
	if err != nil {
		return nil, r.fail(err)
	}
	return v, nil
}

// unquote returns the content of a raw JSON string, valid until the next unquote.
func (r *reader) unquote(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	r.text, _ = jsontext.AppendUnquote(r.text[:0], raw) // raw was validated by the decoder
	return r.text
}

// unquoteKey returns the content of an object name. Unlike unquote, the result stays valid while
// the member's value is read: an escaped name gets its own copy.
func (r *reader) unquoteKey(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	key, _ := jsontext.AppendUnquote(nil, raw) // raw was validated by the decoder
	return key
}

// begin starts reading a document: it checks that body is not blank and that its value is an
// object. A value of another kind is read whole, so a syntax error in it is reported first.
func (r *reader) begin() error {
	if len(bytes.TrimSpace(r.body)) == 0 {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_EMPTY_PAYLOAD, "the body is empty: expected a JSON object")
	}
	kind, err := r.peek()
	if err != nil {
		return err
	}
	if kind == '{' {
		return nil
	}
	if err := r.dec.SkipValue(); err != nil {
		return r.fail(err)
	}
	if err := r.end(); err != nil {
		return err
	}
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_NOT_AN_OBJECT,
		"the body is %s, expected a JSON object", DescribeKind(kind)).AtField("$")
}

// end checks that nothing but white space follows the document's value.
func (r *reader) end() error {
	before := r.dec.InputOffset()
	_, err := r.dec.ReadToken()
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		offset := r.baseOffset + int64(skipSpace(r.body, int(before)))
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON,
			"the body is not valid JSON: unexpected data after the top-level value at byte offset %d", offset).AtOffset(offset)
	default:
		return r.fail(err)
	}
}

// DescribeKind names a JSON kind, as jsontext.Kind and Member.Kind spell it, for messages: "an
// object", "a number", "null".
func DescribeKind[K ~byte](kind K) string {
	switch kind {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	default:
		return "not a JSON value"
	}
}

// pendingAt returns the emptied buffer of kept entries for the object at depth.
func (r *reader) pendingAt(depth int) []byte {
	for len(r.pending) <= depth {
		r.pending = append(r.pending, nil)
	}
	return r.pending[depth][:0]
}

// hook lets the envelope reader take over a member of the top-level object.
type hook func(key []byte, out, pending []byte) (newOut, newPending []byte, handled bool, err error)

// object reads a JSON object as message plan p, appending its fields to out. Keys the plan does
// not read, and values it cannot read as their field's type, are kept in the message's extra
// Struct; when flat says the object is a flat resource, they are gathered into its
// gathers_unmodeled Struct instead, unless the object carries that field's own key. A field
// already filled by an earlier key is not overwritten: the later key is kept aside.
func (r *reader) object(p *plan, out []byte, h hook, flat bool) ([]byte, error) {
	if err := r.open(); err != nil {
		return out, err
	}
	depth := r.dec.StackDepth()
	pending := r.pendingAt(depth)
	var filled [maxFields / 64]uint64
	gatherOwn := false
	for {
		kind, err := r.peek()
		if err != nil {
			return out, err
		}
		if kind == '}' {
			break
		}
		name, err := r.value()
		if err != nil {
			return out, err
		}
		key := r.unquoteKey(name)
		if h != nil {
			var handled bool
			out, pending, handled, err = h(key, out, pending)
			if err != nil {
				return out, err
			}
			if handled {
				continue
			}
		}
		fp := p.keys.lookup(key)
		if fp != nil && fp.gather {
			gatherOwn = true
		}
		if fp == nil || filled[fp.index/64]&(1<<(fp.index%64)) != 0 {
			if pending, err = r.keep(pending, key); err != nil {
				return out, err
			}
			continue
		}
		var ok bool
		if out, pending, ok, err = r.field(fp, key, out, pending); err != nil {
			return out, err
		}
		if ok {
			filled[fp.index/64] |= 1 << (fp.index % 64)
		}
	}
	if err := r.close(); err != nil {
		return out, err
	}
	r.pending[depth] = pending // keep the grown buffer for the next object at this depth
	if len(pending) > 0 {
		target := p.extra
		if flat && p.gathers != 0 && !gatherOwn {
			target = p.gathers
		}
		if target == 0 {
			panic("jsonconv: " + string(p.desc.FullName()) + " has no extra field to keep unmodelled keys in")
		}
		out = appendBytesField(out, target, pending)
	}
	return out, nil
}

// field reads one member's value into fp. It reports false, writing nothing to out, for a null
// (the field stays unset) and for a value it cannot read as fp's type (kept in pending under
// key).
func (r *reader) field(fp *fieldPlan, key, out, pending []byte) ([]byte, []byte, bool, error) {
	kind, err := r.peek()
	if err != nil {
		return out, pending, false, err
	}
	if kind == 'n' {
		_, err := r.value()
		return out, pending, false, err
	}
	if fp.list || fp.isMap {
		return r.collection(fp, key, kind, out, pending)
	}
	out, ok, consumed, err := r.single(fp, kind, out)
	switch {
	case err != nil || ok:
		return out, pending, ok, err
	case consumed != nil:
		return out, appendEntry(pending, key, consumed, r), false, nil
	default:
		pending, err = r.keep(pending, key) // the value was not consumed
		return out, pending, false, err
	}
}

// single reads one non-null value of fp's type. When kind does not fit, it consumes nothing and
// reports false; when a scalar does not convert, it reports false and returns the scalar it
// consumed.
func (r *reader) single(fp *fieldPlan, kind jsontext.Kind, out []byte) ([]byte, bool, jsontext.Value, error) {
	switch {
	case fp.msg != nil:
		if kind != '{' {
			return out, false, nil, nil
		}
		out, start := beginNested(out, fp.num)
		out, err := r.object(fp.msg, out, nil, false)
		return endNested(out, start), true, nil, err
	case fp.wkt == wellKnownStruct:
		if kind != '{' {
			return out, false, nil, nil
		}
		out, start := beginNested(out, fp.num)
		out, err := r.structEntries(out)
		return endNested(out, start), true, nil, err
	case fp.wkt == wellKnownList:
		if kind != '[' {
			return out, false, nil, nil
		}
		out, start := beginNested(out, fp.num)
		out, err := r.listEntries(out)
		return endNested(out, start), true, nil, err
	case fp.wkt == wellKnownValue:
		out, start := beginNested(out, fp.num)
		out, err := r.anyValue(out)
		return endNested(out, start), true, nil, err
	}
	if kind == '{' || kind == '[' {
		return out, false, nil, nil
	}
	raw, err := r.value()
	if err != nil {
		return out, false, nil, err
	}
	out, ok := r.appendScalar(fp, raw, out)
	if !ok {
		return out, false, raw, nil
	}
	return out, true, nil, nil
}

// collection reads a list or map field. If any element cannot be read as the field's type, the
// whole value is kept aside exactly as sent and nothing is written to out.
func (r *reader) collection(fp *fieldPlan, key []byte, kind jsontext.Kind, out, pending []byte) ([]byte, []byte, bool, error) {
	want := jsontext.Kind('[')
	if fp.isMap {
		want = '{'
	}
	if kind != want {
		pending, err := r.keep(pending, key)
		return out, pending, false, err
	}
	start := r.dec.InputOffset()
	mark := len(out)
	if err := r.open(); err != nil {
		return out, pending, false, err
	}
	end := jsontext.Kind(']')
	if fp.isMap {
		end = '}'
	}
	for {
		kind, err := r.peek()
		if err != nil {
			return out, pending, false, err
		}
		if kind == end {
			break
		}
		ok := false
		if fp.isMap {
			out, ok, err = r.mapEntry(fp, out)
		} else if kind != 'n' {
			out, ok, _, err = r.single(fp, kind, out)
		}
		if err != nil {
			return out, pending, false, err
		}
		if !ok {
			pending, err = r.keepRest(pending, key, start, end)
			return out[:mark], pending, false, err
		}
	}
	if err := r.close(); err != nil {
		return out, pending, false, err
	}
	return out, pending, true, nil
}

// mapEntry reads one member of a map field as an entry {1: key, 2: value}.
func (r *reader) mapEntry(fp *fieldPlan, out []byte) ([]byte, bool, error) {
	name, err := r.value()
	if err != nil {
		return out, false, err
	}
	out, start := beginNested(out, fp.num)
	out = appendBytesField(out, entryKey, r.unquote(name))
	kind, err := r.peek()
	if err != nil || kind == 'n' {
		return out, false, err
	}
	out, ok, _, err := r.single(fp.value, kind, out)
	return endNested(out, start), ok, err
}

// keepRest skips what is left of the collection that began at offset start and keeps all of it,
// as sent, under key.
func (r *reader) keepRest(pending, key []byte, start int64, end jsontext.Kind) ([]byte, error) {
	for {
		kind, err := r.peek()
		if err != nil {
			return pending, err
		}
		if kind == end {
			break
		}
		if err := r.dec.SkipValue(); err != nil {
			return pending, r.fail(err)
		}
	}
	if err := r.close(); err != nil {
		return pending, err
	}
	span := r.body[start:r.dec.InputOffset()]
	trimmed := bytes.TrimLeft(span, " \t\r\n:")
	sub := newReader(trimmed, r.maxDepth)
	defer sub.free()
	sub.baseDepth = r.baseDepth + r.dec.StackDepth()
	sub.baseOffset = r.baseOffset + start + int64(len(span)-len(trimmed))
	return sub.keep(pending, key)
}

// keep reads the next value whole and appends it to pending as a Struct entry under key.
func (r *reader) keep(pending, key []byte) ([]byte, error) {
	pending, entry := beginNested(pending, structFields)
	pending = appendBytesField(pending, entryKey, key)
	pending, value := beginNested(pending, entryValue)
	pending, err := r.anyValue(pending)
	pending = endNested(pending, value)
	return endNested(pending, entry), err
}

// appendEntry appends a Struct entry for a scalar already read.
func appendEntry(pending, key, raw []byte, r *reader) []byte {
	pending, entry := beginNested(pending, structFields)
	pending = appendBytesField(pending, entryKey, key)
	pending, value := beginNested(pending, entryValue)
	pending = r.appendScalarValue(pending, raw)
	pending = endNested(pending, value)
	return endNested(pending, entry)
}

// anyValue reads the next value whole as a google.protobuf.Value message body.
func (r *reader) anyValue(out []byte) ([]byte, error) {
	kind, err := r.peek()
	if err != nil {
		return out, err
	}
	switch kind {
	case '{':
		out, start := beginNested(out, valueStruct)
		out, err = r.structEntries(out)
		return endNested(out, start), err
	case '[':
		out, start := beginNested(out, valueList)
		out, err = r.listEntries(out)
		return endNested(out, start), err
	default:
		raw, err := r.value()
		if err != nil {
			return out, err
		}
		return r.appendScalarValue(out, raw), nil
	}
}

// structEntries reads an object as the body of a google.protobuf.Struct.
func (r *reader) structEntries(out []byte) ([]byte, error) {
	if err := r.open(); err != nil {
		return out, err
	}
	for {
		kind, err := r.peek()
		if err != nil {
			return out, err
		}
		if kind == '}' {
			return out, r.close()
		}
		name, err := r.value()
		if err != nil {
			return out, err
		}
		if out, err = r.keep(out, r.unquote(name)); err != nil {
			return out, err
		}
	}
}

// listEntries reads an array as the body of a google.protobuf.ListValue.
func (r *reader) listEntries(out []byte) ([]byte, error) {
	if err := r.open(); err != nil {
		return out, err
	}
	for {
		kind, err := r.peek()
		if err != nil {
			return out, err
		}
		if kind == ']' {
			return out, r.close()
		}
		var start int
		out, start = beginNested(out, listValues)
		out, err = r.anyValue(out)
		out = endNested(out, start)
		if err != nil {
			return out, err
		}
	}
}
