package jsonconv

import (
	"bytes"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxExactInteger is the largest integer a google.protobuf.Value number (a float64) holds exactly.
const maxExactInteger = 1 << 53

// appendScalar appends raw, one JSON scalar, as field fp, tolerating the providers' quirks:
// numbers sent as strings, integers sent as "12.0", strings sent as numbers or booleans, booleans
// sent as 0/1 or "true", timestamps as text or epoch numbers. It reports false, appending
// nothing, for anything it cannot read exactly (a fraction into an integer, a number out of
// range, an unreadable time), so the caller keeps the value elsewhere.
func (r *reader) appendScalar(fp *fieldPlan, raw []byte, out []byte) ([]byte, bool) {
	isString := raw[0] == '"'
	text := raw
	if isString {
		text = r.unquote(raw)
	} else if raw[0] == 'n' {
		return out, false
	}
	isNumber := !isString && raw[0] != 't' && raw[0] != 'f'
	switch fp.kind {
	case protoreflect.StringKind:
		return appendBytesField(out, fp.num, text), true
	case protoreflect.BoolKind:
		b, ok := boolean(text, isString, isNumber)
		if !ok {
			return out, false
		}
		return appendVarintField(out, fp.num, protowire.EncodeBool(b)), true
	case protoreflect.EnumKind:
		if !isString {
			return out, false
		}
		r.squashed = squash(r.squashed[:0], text)
		if n, known := fp.enum[string(r.squashed)]; known {
			out = appendVarintField(out, fp.num, uint64(n))
		}
		return appendBytesField(out, fp.raw, text), true
	case protoreflect.MessageKind:
		if fp.wkt != wellKnownTimestamp || !(isString || isNumber) {
			return out, false
		}
		seconds, nanos, ok := timestamp(text, isNumber)
		if !ok {
			return out, false
		}
		return appendTimestamp(out, fp.num, seconds, nanos), true
	}
	if !isString && !isNumber {
		return out, false
	}
	text = bytes.TrimSpace(text)
	switch fp.kind {
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		bits := 64
		if fp.kind == protoreflect.Int32Kind || fp.kind == protoreflect.Sint32Kind || fp.kind == protoreflect.Sfixed32Kind {
			bits = 32
		}
		n, ok := integer(text, bits)
		if !ok {
			return out, false
		}
		switch fp.kind {
		case protoreflect.Sint64Kind, protoreflect.Sint32Kind:
			return appendVarintField(out, fp.num, protowire.EncodeZigZag(n)), true
		case protoreflect.Sfixed64Kind:
			out = protowire.AppendTag(out, fp.num, protowire.Fixed64Type)
			return protowire.AppendFixed64(out, uint64(n)), true
		case protoreflect.Sfixed32Kind:
			out = protowire.AppendTag(out, fp.num, protowire.Fixed32Type)
			return protowire.AppendFixed32(out, uint32(n)), true
		default:
			return appendVarintField(out, fp.num, uint64(n)), true
		}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind, protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		bits := 64
		if fp.kind == protoreflect.Uint32Kind || fp.kind == protoreflect.Fixed32Kind {
			bits = 32
		}
		n, ok := unsigned(text, bits)
		if !ok {
			return out, false
		}
		switch fp.kind {
		case protoreflect.Fixed64Kind:
			out = protowire.AppendTag(out, fp.num, protowire.Fixed64Type)
			return protowire.AppendFixed64(out, n), true
		case protoreflect.Fixed32Kind:
			out = protowire.AppendTag(out, fp.num, protowire.Fixed32Type)
			return protowire.AppendFixed32(out, uint32(n)), true
		default:
			return appendVarintField(out, fp.num, n), true
		}
	case protoreflect.DoubleKind:
		f, ok := float(text, 64)
		if !ok {
			return out, false
		}
		return appendDoubleField(out, fp.num, f), true
	case protoreflect.FloatKind:
		f, ok := float(text, 32)
		if !ok {
			return out, false
		}
		out = protowire.AppendTag(out, fp.num, protowire.Fixed32Type)
		return protowire.AppendFixed32(out, math.Float32bits(float32(f))), true
	}
	return out, false
}

// appendScalarValue appends raw, one JSON scalar, as the body of a google.protobuf.Value. A
// number a float64 cannot hold exactly (an integer beyond 2^53, say) is kept as its decimal text,
// so no digit is lost.
func (r *reader) appendScalarValue(out, raw []byte) []byte {
	switch raw[0] {
	case 'n':
		return appendVarintField(out, valueNull, 0)
	case 't':
		return appendVarintField(out, valueBool, 1)
	case 'f':
		return appendVarintField(out, valueBool, 0)
	case '"':
		return appendBytesField(out, valueString, r.unquote(raw))
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || (bytes.IndexAny(raw, ".eE") < 0 && math.Abs(f) > maxExactInteger) {
		return appendBytesField(out, valueString, raw)
	}
	return appendDoubleField(out, valueNumber, f)
}

// integer reads a decimal integer, or an integral number such as "12.0" or "1e3".
func integer(s []byte, bits int) (int64, bool) {
	if n, ok := plainInteger(s); ok && (bits == 64 || (n >= math.MinInt32 && n <= math.MaxInt32)) {
		return n, true
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= math.Ldexp(1, bits-1) {
		return 0, false
	}
	return int64(f), true
}

// plainInteger reads an optionally signed run of decimal digits without allocating.
func plainInteger(s []byte) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 18 {
		return 0, false // 18 digits always fit; longer ones take the careful path
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func unsigned(s []byte, bits int) (uint64, bool) {
	if n, ok := plainInteger(s); ok && n >= 0 && (bits == 64 || n <= math.MaxUint32) {
		return uint64(n), true
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f >= math.Ldexp(1, bits) {
		return 0, false
	}
	return uint64(f), true
}

func float(s []byte, bits int) (float64, bool) {
	f, err := strconv.ParseFloat(string(s), bits)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// boolean reads true and false, as JSON booleans, as 0 and 1, or as the strings "true",
// "false", "1" and "0" in any case.
func boolean(text []byte, isString, isNumber bool) (bool, bool) {
	switch {
	case !isString && !isNumber:
		return text[0] == 't', true
	case bytes.Equal(text, []byte("1")):
		return true, true
	case bytes.Equal(text, []byte("0")):
		return false, true
	case isString && bytes.EqualFold(bytes.TrimSpace(text), []byte("true")):
		return true, true
	case isString && bytes.EqualFold(bytes.TrimSpace(text), []byte("false")):
		return false, true
	}
	return false, false
}
