package transport

import (
	"bytes"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

// TestRawDecoderHandsOverReadBodies checks that a body limitBody already read reaches the raw
// payload without a copy, and that any other reader is read verbatim.
func TestRawDecoderHandsOverReadBodies(t *testing.T) {
	m := rawBodyMarshaler{Marshaler: &runtime.JSONPb{}}
	data := []byte("{\r\n\"a\": 1}\n")
	var got []byte
	if err := m.NewDecoder(&readBody{Reader: bytes.NewReader(data), data: data}).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if &got[0] != &data[0] {
		t.Error("the read body was copied")
	}
	var fromReader []byte
	if err := m.NewDecoder(strings.NewReader(string(data))).Decode(&fromReader); err != nil {
		t.Fatal(err)
	}
	if string(fromReader) != string(data) {
		t.Errorf("got %q, want %q", fromReader, data)
	}
}
