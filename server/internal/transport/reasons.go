package transport

import (
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc/codes"
)

// ReasonAnswer is how hooknormd answers a refusal with the given reason: its gRPC code and its
// HTTP status. ok is false for a reason hooknormd never sends, such as ERROR_REASON_UNSPECIFIED.
// The reference documentation's list of reasons is generated from it.
func ReasonAnswer(reason hooknormv1.ErrorReason) (code codes.Code, httpStatus int, ok bool) {
	a, ok := answers[reason]
	return a.code, a.http, ok
}
