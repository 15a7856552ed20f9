package transport

import (
	"github.com/hooknorm/hooknorm/server/internal/service"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
)

// frameCodec is the server's codec: the standard Protobuf codec, except that a message already
// encoded (service.EncodedFrame, an event as stored in the log) is sent as it is, so an event
// reaching many subscribers is not encoded once per subscriber.
type frameCodec struct {
	encoding.CodecV2
}

func newFrameCodec() frameCodec {
	return frameCodec{CodecV2: encoding.GetCodecV2(proto.Name)}
}

// Marshal sends an EncodedFrame's two parts as they are and encodes anything else.
func (c frameCodec) Marshal(v any) (mem.BufferSlice, error) {
	if frame, ok := v.(service.EncodedFrame); ok {
		return mem.BufferSlice{mem.SliceBuffer(frame.Prefix), mem.SliceBuffer(frame.Body)}, nil
	}
	return c.CodecV2.Marshal(v)
}
