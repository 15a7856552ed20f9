package jsonconv

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of the google.protobuf.Value, Struct and ListValue messages, which hooknorm
// writes directly in the wire format.
const (
	valueNull   protowire.Number = 1
	valueNumber protowire.Number = 2
	valueString protowire.Number = 3
	valueBool   protowire.Number = 4
	valueStruct protowire.Number = 5
	valueList   protowire.Number = 6

	structFields protowire.Number = 1 // map<string, Value>: entries with key 1, value 2
	listValues   protowire.Number = 1
	entryKey     protowire.Number = 1
	entryValue   protowire.Number = 2

	timestampSeconds protowire.Number = 1
	timestampNanos   protowire.Number = 2
)

// beginNested starts a length-delimited field whose length is not known yet. It writes a one-byte
// placeholder and returns where the field's content starts, for endNested.
func beginNested(out []byte, num protowire.Number) ([]byte, int) {
	out = protowire.AppendTag(out, num, protowire.BytesType)
	out = append(out, 0)
	return out, len(out)
}

// endNested writes the length of the field begun at start, moving the content right when the
// length needs more than the one byte reserved.
func endNested(out []byte, start int) []byte {
	n := len(out) - start
	if n < 0x80 {
		out[start-1] = byte(n)
		return out
	}
	size := protowire.SizeVarint(uint64(n))
	for range size - 1 {
		out = append(out, 0)
	}
	copy(out[start+size-1:], out[start:start+n])
	protowire.AppendVarint(out[:start-1], uint64(n))
	return out
}

// appendBytesField appends a length-delimited field.
func appendBytesField(out []byte, num protowire.Number, b []byte) []byte {
	out = protowire.AppendTag(out, num, protowire.BytesType)
	return protowire.AppendBytes(out, b)
}

// appendVarintField appends a varint field.
func appendVarintField(out []byte, num protowire.Number, v uint64) []byte {
	out = protowire.AppendTag(out, num, protowire.VarintType)
	return protowire.AppendVarint(out, v)
}

// appendDoubleField appends a double field.
func appendDoubleField(out []byte, num protowire.Number, f float64) []byte {
	out = protowire.AppendTag(out, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(out, math.Float64bits(f))
}

// appendTimestamp appends a google.protobuf.Timestamp as field num.
func appendTimestamp(out []byte, num protowire.Number, seconds int64, nanos int32) []byte {
	out, start := beginNested(out, num)
	if seconds != 0 {
		out = appendVarintField(out, timestampSeconds, uint64(seconds))
	}
	if nanos != 0 {
		out = appendVarintField(out, timestampNanos, uint64(nanos))
	}
	return endNested(out, start)
}
