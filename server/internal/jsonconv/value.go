package jsonconv

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
)

// maxExactInteger is the largest integer a google.protobuf.Value number (a float64) holds exactly.
const maxExactInteger = 1 << 53

// valueOf turns a generic JSON value into a google.protobuf.Value. A number that a float64 cannot
// hold exactly (an integer beyond 2^53, say) is kept as its decimal text, so no digit is lost.
func valueOf(val any) *structpb.Value {
	switch v := val.(type) {
	case nil:
		return structpb.NewNullValue()
	case bool:
		return structpb.NewBoolValue(v)
	case string:
		return structpb.NewStringValue(v)
	case json.Number:
		return numberValue(v)
	case map[string]any:
		return structpb.NewStructValue(structOf(v))
	case []any:
		return structpb.NewListValue(listOf(v))
	default:
		return structpb.NewNullValue()
	}
}

func numberValue(n json.Number) *structpb.Value {
	s := n.String()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return structpb.NewStringValue(s)
	}
	if !strings.ContainsAny(s, ".eE") && math.Abs(f) > maxExactInteger {
		return structpb.NewStringValue(s)
	}
	return structpb.NewNumberValue(f)
}

// structOf turns a JSON object into a google.protobuf.Struct.
func structOf(obj map[string]any) *structpb.Struct {
	fields := make(map[string]*structpb.Value, len(obj))
	for key, val := range obj {
		fields[key] = valueOf(val)
	}
	return &structpb.Struct{Fields: fields}
}

// listOf turns a JSON array into a google.protobuf.ListValue.
func listOf(items []any) *structpb.ListValue {
	values := make([]*structpb.Value, len(items))
	for i, item := range items {
		values[i] = valueOf(item)
	}
	return &structpb.ListValue{Values: values}
}

// Value turns a generic JSON value, as Parse returns it, into a google.protobuf.Value without
// losing digits.
func Value(val any) *structpb.Value { return valueOf(val) }
