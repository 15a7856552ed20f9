package main

import (
	"net"
	"sync"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The fan-out floor is the domain floor with subscribers: a bare net/http handler converts the
// body with hooknorm's normalizer, stores the event with hooknorm's event log, and answers 200;
// then the event, encoded once, goes in log order to every stream of a bare gRPC server (no
// interceptors, metrics, tracing or authentication, serving only Subscribe), to the same load
// subscribers hooknormd serves. It does not read the events back from the log (hooknormd's hub
// does, so that every replica sees every event) and does not drop a slow subscriber (a full
// stream queue holds the others back instead). Each stream sends what is queued for it without
// waiting in between, so gRPC can write several events at once. It is the least a server that
// stores each event and sends it to n gRPC streams does, so the distance from it to hooknormd is
// what hooknormd's own transport and subscription machinery cost.

// fanoutQueue is how many events a fan-out floor subscriber may have waiting to be sent.
const fanoutQueue = 4096

// measureFanoutFloor measures the fan-out floor with n subscribers.
func measureFanoutFloor(deliveries []delivery, concurrency int, d time.Duration, n int, fsync eventlog.Fsync) (result, error) {
	eventLog, normalizer, closeDomain, err := openDomain(fsync)
	if err != nil {
		return result{}, err
	}
	defer closeDomain()

	hub := newFloorHub()
	defer hub.close()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	streams := grpc.NewServer(grpc.ForceServerCodecV2(bytesCodec{}))
	streams.RegisterService(&grpc.ServiceDesc{
		ServiceName: "hooknorm.v1.WebhookService",
		HandlerType: (*any)(nil),
		Streams: []grpc.StreamDesc{{StreamName: "Subscribe", ServerStreams: true, Handler: func(_ any, stream grpc.ServerStream) error {
			var request []byte // read and ignored: every floor subscriber gets every new event
			if err := stream.RecvMsg(&request); err != nil {
				return err
			}
			frames, leave := hub.join()
			defer leave()
			if err := stream.SendMsg(openingFrame); err != nil { // as hooknormd: it now has every new event
				return err
			}
			for {
				select {
				case frame := <-frames:
					if err := stream.SendMsg(frame); err != nil {
						return err
					}
					for drained := false; !drained; { // send what else is queued without waiting
						select {
						case frame := <-frames:
							if err := stream.SendMsg(frame); err != nil {
								return err
							}
						default:
							drained = true
						}
					}
				case <-stream.Context().Done():
					return nil
				}
			}
		}}},
	}, struct{}{})
	go streams.Serve(listener)
	defer streams.Stop()
	arrivals, stop, err := subscribe(listener.Addr().String(), n)
	if err != nil {
		return result{}, err
	}

	base, closeServer, err := serve(domainHandler(eventLog, normalizer, func(event *hooknormv1.Event, appended eventlog.Appended) {
		if !appended.Duplicate { // a repeated body was handed out when it was stored
			event.RawPayload, event.Sequence = nil, appended.Sequence // as a subscriber without include_raw gets it
			hub.publish(appended.Sequence, subscribeFrame(event))
		}
	}))
	if err != nil {
		stop()
		return result{}, err
	}
	defer closeServer()
	return postAndDeliver(base, eventLog, arrivals, stop, deliveries, concurrency, d)
}

// openingFrame is a SubscribeResponse carrying an empty heartbeat, which opens every stream as
// hooknormd's opening heartbeat does.
var openingFrame = protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), nil) // SubscribeResponse.heartbeat

// subscribeFrame is event encoded as a SubscribeResponse carrying it.
func subscribeFrame(event *hooknormv1.Event) []byte {
	encoded, _ := proto.Marshal(event)
	frame := protowire.AppendTag(make([]byte, 0, len(encoded)+11), 1, protowire.BytesType) // SubscribeResponse.event
	return protowire.AppendBytes(frame, encoded)
}

// floorHub hands frames to every joined stream in sequence order. Handlers publish as their
// appends are acknowledged, which is not always in order; one goroutine puts the frames in order
// and hands them out, as hooknormd's hub has one reader.
type floorHub struct {
	published chan published
	mu        sync.Mutex
	streams   map[chan []byte]struct{}
	done      chan struct{}
}

// published is a frame and the sequence of its event.
type published struct {
	seq   uint64
	frame []byte
}

// newFloorHub starts a hub for a new log, whose first sequence is 1.
func newFloorHub() *floorHub {
	h := &floorHub{published: make(chan published, fanoutQueue), streams: map[chan []byte]struct{}{}, done: make(chan struct{})}
	go h.run()
	return h
}

// run hands out the published frames in sequence order until the hub is closed, waiting while a
// stream's queue is full.
func (h *floorHub) run() {
	pending := map[uint64][]byte{}
	next := uint64(1)
	for {
		select {
		case p := <-h.published:
			pending[p.seq] = p.frame
		case <-h.done:
			return
		}
		for frame, ok := pending[next]; ok; frame, ok = pending[next] {
			delete(pending, next)
			next++
			h.mu.Lock()
			for ch := range h.streams {
				select {
				case ch <- frame:
				case <-h.done:
					h.mu.Unlock()
					return
				}
			}
			h.mu.Unlock()
		}
	}
}

// join adds a stream; leave removes it.
func (h *floorHub) join() (frames <-chan []byte, leave func()) {
	ch := make(chan []byte, fanoutQueue)
	h.mu.Lock()
	h.streams[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.streams, ch)
		h.mu.Unlock()
	}
}

// publish hands frame, the event with sequence seq, to the hub.
func (h *floorHub) publish(seq uint64, frame []byte) {
	select {
	case h.published <- published{seq, frame}:
	case <-h.done:
	}
}

// close stops the hub.
func (h *floorHub) close() { close(h.done) }

// bytesCodec is the fan-out floor server's codec: it sends a []byte message as it is and reads a
// request into a []byte.
type bytesCodec struct{}

func (bytesCodec) Name() string { return "proto" }

func (bytesCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}

func (bytesCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}
