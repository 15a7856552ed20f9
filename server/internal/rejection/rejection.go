// Package rejection describes why hooknorm refuses an input, in terms the domain packages know:
// a stable reason, a message for people and, where it helps, the place in the input that is wrong.
// The transport layer maps reasons to gRPC codes and HTTP statuses in one table.
package rejection

import (
	"errors"
	"fmt"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
)

// Error is a refusal with a machine-readable reason and a message that says what is wrong and
// where.
type Error struct {
	// Reason is the stable reason, sent to clients as google.rpc.ErrorInfo.
	Reason hooknormv1.ErrorReason
	// Message says what is wrong and where, in a sentence.
	Message string
	// Field is the JSON path of the offending value, for example "$.event_type"; empty when the
	// problem is not at one field.
	Field string
	// Offset is the byte offset of the problem in the body, or -1 when it is not at one byte.
	Offset int64
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// New returns a rejection with the given reason and a formatted message.
func New(reason hooknormv1.ErrorReason, format string, args ...any) *Error {
	return &Error{Reason: reason, Message: fmt.Sprintf(format, args...), Offset: -1}
}

// AtField records the JSON path of the offending value and returns the rejection.
func (e *Error) AtField(path string) *Error {
	e.Field = path
	return e
}

// AtOffset records the byte offset of the problem and returns the rejection.
func (e *Error) AtOffset(offset int64) *Error {
	e.Offset = offset
	return e
}

// As returns the rejection inside err, if there is one.
func As(err error) (*Error, bool) {
	var r *Error
	ok := errors.As(err, &r)
	return r, ok
}
