package transport

import (
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
)

// TestEveryReasonHasAnAnswer keeps the one mapping table complete as reasons are added.
func TestEveryReasonHasAnAnswer(t *testing.T) {
	for number, name := range hooknormv1.ErrorReason_name {
		reason := hooknormv1.ErrorReason(number)
		if reason == hooknormv1.ErrorReason_ERROR_REASON_UNSPECIFIED {
			continue
		}
		if _, ok := answers[reason]; !ok {
			t.Errorf("%s has no gRPC code and HTTP status in the answers table", name)
		}
	}
}

// TestStreamRefusalsNeedNoStatusOfTheirOwn keeps true what the HTTP subscription route relies on:
// the gateway answers a stream refused before its first message with the HTTP status of the
// gRPC code (its stream error handler cannot choose another), so every reason Subscribe can
// refuse with must map to that same status. A reason added here with a status of its own needs
// the stream route to write it.
func TestStreamRefusalsNeedNoStatusOfTheirOwn(t *testing.T) {
	for _, reason := range []hooknormv1.ErrorReason{
		hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,  // a bad start or filter
		hooknormv1.ErrorReason_ERROR_REASON_NOT_IMPLEMENTED,  // no event log
		hooknormv1.ErrorReason_ERROR_REASON_UNAVAILABLE,      // the log is down
		hooknormv1.ErrorReason_ERROR_REASON_TOKEN_MISSING,    // authentication
		hooknormv1.ErrorReason_ERROR_REASON_TOKEN_INVALID,    // authentication
		hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE,     // the token's scope
		hooknormv1.ErrorReason_ERROR_REASON_TOO_MANY_STREAMS, // the token's stream limit
		hooknormv1.ErrorReason_ERROR_REASON_CURSOR_AHEAD,     // a cursor beyond the log's newest event
		hooknormv1.ErrorReason_ERROR_REASON_INTERNAL,         // anything else
	} {
		a := answers[reason]
		if gateway := runtime.HTTPStatusFromCode(a.code); gateway != a.http {
			t.Errorf("%s answers HTTP %d, but a refused stream would get the gateway's %d for %s", reason, a.http, gateway, a.code)
		}
	}
}
