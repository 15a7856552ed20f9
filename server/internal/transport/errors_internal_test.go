package transport

import (
	"testing"

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
