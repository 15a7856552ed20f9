package jsonconv

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// scalar reads val as a value of a scalar kind, tolerating the providers' quirks: numbers sent as
// strings, integers sent as "12.0", strings sent as numbers or booleans, booleans sent as 0/1 or
// "true". It reports false for anything it cannot read exactly (a fraction into an integer, a
// number out of range, an object into a string), so the caller keeps the value elsewhere.
func scalar(kind protoreflect.Kind, val any) (protoreflect.Value, bool) {
	switch kind {
	case protoreflect.StringKind:
		s, ok := Text(val)
		return protoreflect.ValueOfString(s), ok
	case protoreflect.BoolKind:
		b, ok := boolean(val)
		return protoreflect.ValueOfBool(b), ok
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, ok := integer(val, 64)
		return protoreflect.ValueOfInt64(n), ok
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, ok := integer(val, 32)
		return protoreflect.ValueOfInt32(int32(n)), ok
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, ok := unsigned(val, 64)
		return protoreflect.ValueOfUint64(n), ok
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, ok := unsigned(val, 32)
		return protoreflect.ValueOfUint32(uint32(n)), ok
	case protoreflect.DoubleKind:
		f, ok := float(val, 64)
		return protoreflect.ValueOfFloat64(f), ok
	case protoreflect.FloatKind:
		f, ok := float(val, 32)
		return protoreflect.ValueOfFloat32(float32(f)), ok
	default:
		return protoreflect.Value{}, false
	}
}

// Text reads a generic JSON value as text: a string as it is, a number or a boolean as its
// literal. It reports false for null, objects and arrays.
func Text(val any) (string, bool) {
	switch v := val.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	default:
		return "", false
	}
}

// numeral returns the text of a number, or of a string that holds one.
func numeral(val any) (string, bool) {
	switch v := val.(type) {
	case json.Number:
		return v.String(), true
	case string:
		s := strings.TrimSpace(v)
		return s, s != ""
	default:
		return "", false
	}
}

func integer(val any, bits int) (int64, bool) {
	s, ok := numeral(val)
	if !ok {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, bits); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= math.Ldexp(1, bits-1) {
		return 0, false
	}
	return int64(f), true
}

func unsigned(val any, bits int) (uint64, bool) {
	s, ok := numeral(val)
	if !ok {
		return 0, false
	}
	if n, err := strconv.ParseUint(s, 10, bits); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f >= math.Ldexp(1, bits) {
		return 0, false
	}
	return uint64(f), true
}

func float(val any, bits int) (float64, bool) {
	s, ok := numeral(val)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, bits)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func boolean(val any) (bool, bool) {
	switch v := val.(type) {
	case bool:
		return v, true
	case json.Number:
		switch v.String() {
		case "0":
			return false, true
		case "1":
			return true, true
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1":
			return true, true
		case "false", "0":
			return false, true
		}
	}
	return false, false
}
