// Package jsonconv fills Protobuf messages from provider JSON. It is driven by the message
// descriptors and the hooknorm.options.v1 annotations, so it knows nothing of any provider: it
// tolerates the providers' type quirks (numbers as strings and the reverse, timestamps as text or
// epoch numbers) and keeps every key and value the schema does not model in the message's extra
// Struct, so nothing a provider sent is lost.
package jsonconv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// DefaultMaxDepth is the deepest nesting of arrays and objects Parse accepts unless told otherwise.
// Real deliveries nest fewer than 10 levels.
const DefaultMaxDepth = 64

// Parse parses a JSON document into generic values: map[string]any, []any, string, json.Number,
// bool and nil. It rejects, with the byte offset of the problem, bodies that are empty, not valid
// UTF-8, not valid JSON, followed by trailing data, or nested deeper than maxDepth.
func Parse(body []byte, maxDepth int) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_EMPTY_PAYLOAD, "the body is empty: expected a JSON object")
	}
	if !utf8.Valid(body) {
		offset := invalidUTF8Offset(body)
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON,
			"the body is not valid UTF-8: invalid byte at offset %d", offset).AtOffset(offset)
	}
	if offset, ok := exceedsDepth(body, maxDepth); ok {
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_NESTING_TOO_DEEP,
			"the JSON nests arrays and objects deeper than %d levels at byte offset %d", maxDepth, offset).AtOffset(offset)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, malformed(err, body)
	}
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		offset := int64(len(body) - len(rest))
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON,
			"the body is not valid JSON: unexpected data after the top-level value at byte offset %d", offset).AtOffset(offset)
	}
	return root, nil
}

// malformed turns an encoding/json error into a rejection with the byte offset of the problem.
func malformed(err error, body []byte) *rejection.Error {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		offset := max(syntax.Offset-1, 0) // Offset counts the bytes read, including the bad one
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON,
			"the body is not valid JSON: %s at byte offset %d", syntax.Error(), offset).AtOffset(offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		offset := int64(len(body))
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON,
			"the body is not valid JSON: it ends early, at byte offset %d", offset).AtOffset(offset)
	}
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, "the body is not valid JSON: %v", err)
}

// invalidUTF8Offset returns the offset of the first byte that is not part of valid UTF-8.
func invalidUTF8Offset(body []byte) int64 {
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size <= 1 {
			return int64(i)
		}
		i += size
	}
	return int64(len(body))
}

// exceedsDepth scans body for nesting deeper than maxDepth, outside strings, and returns the
// offset of the first bracket past the limit. It runs before decoding so a hostile body cannot
// make the decoder recurse deeply.
func exceedsDepth(body []byte, maxDepth int) (int64, bool) {
	depth, inString, escaped := 0, false, false
	for i, c := range body {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > maxDepth {
				return int64(i), true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return 0, false
}

// Describe names the JSON type of a generic value, as Parse returns it, for messages: "an
// object", "a number", "null".
func Describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	default:
		return fmt.Sprintf("%T", v)
	}
}
