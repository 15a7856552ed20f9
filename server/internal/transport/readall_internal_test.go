package transport

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestReadAllReadsEveryByte reads bodies of many sizes, with their length announced, unknown, or
// announced wrongly, in small reads, and checks that every byte arrives once and in order.
func TestReadAllReadsEveryByte(t *testing.T) {
	for _, size := range []int{0, 1, 4095, 4096, preallocatedBodyBytes - 1, preallocatedBodyBytes, preallocatedBodyBytes + 1, 3*preallocatedBodyBytes + 7} {
		body := make([]byte, size)
		for i := range body {
			body[i] = byte(i * 7)
		}
		for _, announced := range []int64{int64(size), -1, 0, int64(size) / 2, int64(size) + 100} {
			got, err := readAll(iotest.HalfReader(bytes.NewReader(body)), announced)
			if err != nil {
				t.Fatalf("size %d announced %d: %v", size, announced, err)
			}
			if !bytes.Equal(got, body) {
				t.Fatalf("size %d announced %d: read %d bytes that differ from the %d sent", size, announced, len(got), size)
			}
		}
	}
}

// TestReadAllReturnsReadErrors checks that a failed read is reported with what arrived before it.
func TestReadAllReturnsReadErrors(t *testing.T) {
	broken := errors.New("connection reset")
	got, err := readAll(io.MultiReader(bytes.NewReader([]byte("abc")), iotest.ErrReader(broken)), 10)
	if !errors.Is(err, broken) || string(got) != "abc" {
		t.Fatalf("readAll = %q, %v; want \"abc\" and %v", got, err, broken)
	}
}
