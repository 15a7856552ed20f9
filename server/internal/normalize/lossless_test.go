package normalize_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestNothingIsLost checks, for every fixture, that every scalar value of the input (string,
// number, boolean) is found in the typed event or in its kept fields; raw_payload does not count.
// Values are counted: a value that occurs three times in the input must occur at least three times
// in the event, in some readable form (an id "12" as the integer 12, a money number 49.5 as the
// text "49.5", an ISO time as a Timestamp of the same instant).
func TestNothingIsLost(t *testing.T) {
	n := newNormalizer(t)
	for _, f := range allFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			event := normalizeFixture(t, n, f)
			event.RawPayload = nil
			found := map[string]int{}
			collectEvent(event.ProtoReflect(), found)

			dec := json.NewDecoder(bytes.NewReader(f.Body))
			dec.UseNumber()
			var input any
			if err := dec.Decode(&input); err != nil {
				t.Fatal(err)
			}
			for _, leaf := range unmatched(leaves(input, "$"), found) {
				t.Errorf("%s = %v is not in the event", leaf.path, leaf.value)
			}
		})
	}
}

// leaf is one scalar of the input, with the keys under which it may appear in the event.
type leaf struct {
	path  string
	value any
	keys  []string
}

func leaves(v any, path string) []leaf {
	switch x := v.(type) {
	case map[string]any:
		var out []leaf
		for key, val := range x {
			out = append(out, leaves(val, path+"."+key)...)
		}
		return out
	case []any:
		var out []leaf
		for i, val := range x {
			out = append(out, leaves(val, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case string:
		keys := []string{"s:" + x}
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			keys = append(keys, numberKey(f))
		}
		if ts, ok := instant(x); ok {
			keys = append(keys, ts)
		}
		switch strings.ToLower(strings.TrimSpace(x)) { // booleans sent as text
		case "true", "1":
			keys = append(keys, "b:true")
		case "false", "0":
			keys = append(keys, "b:false")
		}
		return []leaf{{path, x, keys}}
	case json.Number:
		f, _ := x.Float64()
		keys := []string{numberKey(f), "s:" + x.String()}
		if f == math.Trunc(f) {
			ms := int64(f)
			keys = append(keys, "t:"+time.UnixMilli(ms).UTC().Format(time.RFC3339Nano), "t:"+time.Unix(ms, 0).UTC().Format(time.RFC3339Nano))
		}
		return []leaf{{path, x, keys}}
	case bool:
		n := "n:0"
		if x {
			n = "n:1"
		}
		return []leaf{{path, x, []string{"b:" + strconv.FormatBool(x), "s:" + strconv.FormatBool(x), n}}}
	default: // null carries no value to find
		return nil
	}
}

// unmatched pairs every input leaf with a distinct occurrence of one of its keys in the event, as
// a maximum bipartite matching (augmenting paths), and returns the leaves left without one.
func unmatched(all []leaf, found map[string]int) []leaf {
	holders := map[string][]int{} // key -> leaves currently holding one of its occurrences
	var take func(i int, visited map[string]bool) bool
	take = func(i int, visited map[string]bool) bool {
		for _, key := range all[i].keys {
			if visited[key] || found[key] == 0 {
				continue
			}
			visited[key] = true
			if len(holders[key]) < found[key] {
				holders[key] = append(holders[key], i)
				return true
			}
			for h, other := range holders[key] {
				if take(other, visited) {
					holders[key][h] = i
					return true
				}
			}
		}
		return false
	}
	var missing []leaf
	for i := range all {
		if !take(i, map[string]bool{}) {
			missing = append(missing, all[i])
		}
	}
	return missing
}

func numberKey(f float64) string { return "n:" + strconv.FormatFloat(f, 'g', -1, 64) }

func instant(s string) (string, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 -0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return "t:" + t.UTC().Format(time.RFC3339Nano), true
		}
	}
	return "", false
}

// collectEvent counts every value of the event's typed fields and kept fields, but not its raw
// payload or its envelope fields derived by hooknorm.
func collectEvent(m protoreflect.Message, found map[string]int) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch fd.Name() {
		case "raw_payload", "received_at", "id", "type", "tenant", "occurred_at", "source", "sequence":
			if fd.ContainingMessage().FullName() == "hooknorm.v1.Event" {
				return true
			}
		}
		collectField(fd, v, found)
		return true
	})
}

func collectField(fd protoreflect.FieldDescriptor, v protoreflect.Value, found map[string]int) {
	switch {
	case fd.IsList():
		for i := range v.List().Len() {
			collectValue(fd, v.List().Get(i), found)
		}
	case fd.IsMap():
		v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
			collectValue(fd.MapValue(), mv, found)
			return true
		})
	default:
		collectValue(fd, v, found)
	}
}

func collectValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, found map[string]int) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		found["s:"+v.String()]++
	case protoreflect.BoolKind:
		found["b:"+strconv.FormatBool(v.Bool())]++
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		found[numberKey(float64(v.Int()))]++
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind:
		found[numberKey(float64(v.Uint()))]++
	case protoreflect.DoubleKind, protoreflect.FloatKind:
		found[numberKey(v.Float())]++
	case protoreflect.MessageKind:
		collectMessage(v.Message().Interface(), found)
	}
}

func collectMessage(msg proto.Message, found map[string]int) {
	switch x := msg.(type) {
	case *timestamppb.Timestamp:
		found["t:"+x.AsTime().UTC().Format(time.RFC3339Nano)]++
	case *structpb.Struct:
		for _, v := range x.GetFields() {
			collectStructValue(v, found)
		}
	case *structpb.Value:
		collectStructValue(x, found)
	case *hooknormv1.Event:
		collectEvent(x.ProtoReflect(), found)
	default:
		collectEvent(msg.ProtoReflect(), found)
	}
}

func collectStructValue(v *structpb.Value, found map[string]int) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		found["s:"+k.StringValue]++
	case *structpb.Value_NumberValue:
		found[numberKey(k.NumberValue)]++
	case *structpb.Value_BoolValue:
		found["b:"+strconv.FormatBool(k.BoolValue)]++
	case *structpb.Value_StructValue:
		collectMessage(k.StructValue, found)
	case *structpb.Value_ListValue:
		for _, item := range k.ListValue.GetValues() {
			collectStructValue(item, found)
		}
	}
}
