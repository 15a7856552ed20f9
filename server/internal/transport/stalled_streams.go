package transport

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
)

// At shutdown the service tells every subscription to end, and each sends its last frame (where to
// resume) and ends at once. One whose client stopped reading cannot: its last frame, and every one
// before it, waits for the client, over HTTP in a blocked write, over gRPC behind the stream's flow
// control. Left alone, a single such client would hold every graceful shutdown until
// --shutdown-timeout and make it fail. So once the subscriptions have had streamEndGrace to end,
// the shutdown ends those left: an HTTP stream's blocked write fails at a deadline, and once no
// unary call is in flight any more, the gRPC servers stop, ending the streams left on them. The
// clients resume after the last event they received, as after any broken connection.

// streamEndGrace is how long subscriptions have to end at shutdown before those left are ended.
const streamEndGrace = time.Second

// openStreams are the HTTP subscription streams being served.
type openStreams struct {
	mu      sync.Mutex
	streams map[*http.ResponseController]struct{}
	endBy   time.Time // once set, every stream's writes fail past it
}

// serve runs a streamed answer through w, registered while it runs.
func (o *openStreams) serve(w http.ResponseWriter, serve func()) {
	rc := http.NewResponseController(w)
	o.mu.Lock()
	if o.streams == nil {
		o.streams = map[*http.ResponseController]struct{}{}
	}
	o.streams[rc] = struct{}{}
	if !o.endBy.IsZero() {
		rc.SetWriteDeadline(o.endBy)
	}
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		delete(o.streams, rc)
		o.mu.Unlock()
	}()
	serve()
}

// end makes every stream's writes, from now on and blocked ones, fail past deadline.
func (o *openStreams) end(deadline time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.endBy = deadline
	for rc := range o.streams {
		rc.SetWriteDeadline(deadline)
	}
}

// unaryCalls counts the unary calls being served.
type unaryCalls struct {
	n atomic.Int64
}

// count is a unary interceptor that counts the call while it runs.
func (c *unaryCalls) count(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	c.n.Add(1)
	defer c.n.Add(-1)
	return handler(ctx, req)
}

// onlyStreamsLeft returns a channel closed once after has passed and no unary call is in flight,
// or never if ctx ends first.
func (c *unaryCalls) onlyStreamsLeft(ctx context.Context, after time.Time) <-chan struct{} {
	left := make(chan struct{})
	go func() {
		timer := time.NewTimer(time.Until(after))
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for c.n.Load() > 0 {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
		close(left)
	}()
	return left
}

// The gateway's connection to the service takes at most gatewayStreamWindow bytes of a stream
// ahead of what the gateway has written to its HTTP client, and gatewayConnWindow of all streams.
// With gRPC's default, a window that grows with the measured bandwidth (up to 16 MB), an HTTP
// subscriber that stopped reading held megabytes of hooknormd's memory.
const (
	gatewayStreamWindow = 64 << 10
	gatewayConnWindow   = 16 << 20
)
