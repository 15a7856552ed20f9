package transport

import (
	"fmt"
	"io"
	"net"
	"os"
	"testing"

	"github.com/hooknorm/hooknorm/server/internal/metrics"
)

// TestDrainOutcome names what became of the rest of a refused body from the error reading it
// ended with.
func TestDrainOutcome(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"read to the end", io.EOF, metrics.BodyDrained},
		{"more than the budget", nil, metrics.BodyTooLong},
		{"past the deadline", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, metrics.BodyTimedOut},
		{"connection closed mid-body", io.ErrUnexpectedEOF, metrics.BodyClientStopped},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: fmt.Errorf("connection reset by peer")}, metrics.BodyClientStopped},
		{"malformed chunk", fmt.Errorf("invalid byte in chunk length"), metrics.BodyClientStopped},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := drainOutcome(c.err); got != c.want {
				t.Errorf("drainOutcome(%v) = %q, want %q", c.err, got, c.want)
			}
		})
	}
}
