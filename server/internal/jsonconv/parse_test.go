package jsonconv_test

import (
	"strings"
	"testing"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

func TestParseRefusals(t *testing.T) {
	cases := []struct {
		name       string
		body       string
		maxDepth   int
		wantReason hooknormv1.ErrorReason
		wantOffset int64
	}{
		{"empty", "", 8, hooknormv1.ErrorReason_ERROR_REASON_EMPTY_PAYLOAD, -1},
		{"white space", " \r\n\t", 8, hooknormv1.ErrorReason_ERROR_REASON_EMPTY_PAYLOAD, -1},
		{"truncated", `{"a": [1, 2`, 8, hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, 11},
		{"bad token", `{"a": tru}`, 8, hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, 9},
		{"trailing value", `{} []`, 8, hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, 3},
		{"invalid UTF-8", "{\"a\": \"\xc3\x28\"}", 8, hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, 7},
		{"NUL byte outside a string", "{\"a\": 1}\x00", 8, hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, 8},
		{"too deep", `{"a": [[[{}]]]}`, 3, hooknormv1.ErrorReason_ERROR_REASON_NESTING_TOO_DEEP, 8},
		{"too deep in a known field", `{"value": [[[{}]]]}`, 3, hooknormv1.ErrorReason_ERROR_REASON_NESTING_TOO_DEEP, 12},
		{"10,000 levels", `{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, 64, hooknormv1.ErrorReason_ERROR_REASON_NESTING_TOO_DEEP, 68},
		{"not an object", `[1, 2]`, 8, hooknormv1.ErrorReason_ERROR_REASON_NOT_AN_OBJECT, -1},
		{"not an object, and malformed", `[1, 2`, 8, hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, 5},
		{"lone surrogate", `{"a": "\ud800"}`, 8, hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, 7},
		{"control character in a string", "{\"a\": \"x\ny\"}", 8, hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := newDecoder(t).Unmarshal([]byte(c.body), &webflowv1.Amount{}, c.maxDepth)
			r, ok := rejection.As(err)
			if !ok {
				t.Fatalf("error %v is not a rejection", err)
			}
			if r.Reason != c.wantReason || r.Offset != c.wantOffset {
				t.Errorf("got %v at %d (%s), want %v at %d", r.Reason, r.Offset, r.Message, c.wantReason, c.wantOffset)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, body := range []string{
		`{}`,
		"\n{\"a\": \"\\u0000 and \\\" and [ { in a string\"}\n",
		`{"deep": [[["fine"]]]}`,
		`{"a": 1, "a": 2}`,
	} {
		if err := newDecoder(t).Unmarshal([]byte(body), &webflowv1.Amount{}, 4); err != nil {
			t.Errorf("Unmarshal(%q) = %v", body, err)
		}
	}
}
