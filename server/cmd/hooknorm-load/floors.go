package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The floors are more baselines, between the ceiling and hooknormd. Each is a bare net/http
// handler that does only part of what the contract asks of Ingest, so the run shows how much of
// the gap to the ceiling is work no implementation can skip, and how much is hooknormd's own.
// Two are here; the third, the fan-out floor, adds subscribers (fanout_floor.go).
//
//   - The durable floor stores the raw body in a JetStream file stream (embedded, same fsync
//     policy, a duplicate window keyed by a per-post id) and answers 200 with the sequence once
//     the store acknowledged it (an asynchronous publish, awaited): the least a receiver that loses
//     nothing acknowledged does. It uses nats-server and nats.go directly, none of hooknorm's code.
//   - The domain floor converts the body with hooknorm's normalizer and stores the event with
//     hooknorm's event log, and answers 200: hooknormd's domain work without its transport
//     (grpc-gateway, interceptors, logs, metrics, tracing) and without subscribers.

// measureDurableFloor measures the durable floor.
func measureDurableFloor(deliveries []delivery, concurrency int, d time.Duration, fsync eventlog.Fsync) (result, error) {
	store, err := openRawStore(fsync)
	if err != nil {
		return result{}, err
	}
	defer store.close()
	return measureHandler(deliveries, concurrency, d, durableFloorHandler(store))
}

// durableFloorHandler stores each body as it came in store, with a per-post id, and answers 200
// once the store acknowledged it.
func durableFloorHandler(store *rawStore) http.HandlerFunc {
	var ids atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		msg := &nats.Msg{Subject: "floor.events", Data: body, Header: nats.Header{
			jetstream.MsgIDHeader: []string{strconv.FormatInt(ids.Add(1), 10)},
		}}
		future, err := store.js.PublishMsgAsync(msg)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		select {
		case ack := <-future.Ok():
			answer(w, "", ack.Sequence, ack.Duplicate)
		case err := <-future.Err():
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	}
}

// rawStore is a JetStream file stream on an embedded NATS server of its own, in a directory of its
// own, with hooknormd's fsync policy and record limit and a duplicate window: what the durable
// floor and the hand-written receiver store in, using nats-server and nats.go directly.
type rawStore struct {
	js    jetstream.JetStream
	close func()
}

// openRawStore starts the store.
func openRawStore(fsync eventlog.Fsync) (*rawStore, error) {
	dir, err := os.MkdirTemp("", "hooknorm-load-floor-")
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(&server.Options{
		JetStream: true, StoreDir: dir, DontListen: true, NoSigs: true, NoLog: true,
		MaxPayload: eventlog.RecordLimit(normalize.DefaultMaxBytes), SyncAlways: fsync == eventlog.FsyncAlways, SyncInterval: 2 * time.Minute,
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go ns.Start()
	stop := func() {
		ns.Shutdown()
		ns.WaitForShutdown()
		os.RemoveAll(dir)
	}
	if !ns.ReadyForConnections(30 * time.Second) {
		stop()
		return nil, fmt.Errorf("the floor's NATS server did not start")
	}
	conn, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	if err != nil {
		stop()
		return nil, err
	}
	closeStore := func() {
		conn.Close()
		stop()
	}
	js, err := jetstream.New(conn)
	if err != nil {
		closeStore()
		return nil, err
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{
		Name: "FLOOR", Subjects: []string{"floor.>"}, Storage: jetstream.FileStorage,
		MaxAge: time.Hour, Duplicates: time.Hour,
	}); err != nil {
		closeStore()
		return nil, err
	}
	return &rawStore{js: js, close: closeStore}, nil
}

// measureDomainFloor measures the domain floor.
func measureDomainFloor(deliveries []delivery, concurrency int, d time.Duration, fsync eventlog.Fsync) (result, error) {
	eventLog, normalizer, closeDomain, err := openDomain(fsync)
	if err != nil {
		return result{}, err
	}
	defer closeDomain()
	return measureHandler(deliveries, concurrency, d, domainHandler(eventLog, normalizer, nil))
}

// domainHandler converts a delivery, stores the event and answers as Ingest does; then, when
// set, is called with each event stored, after the answer.
func domainHandler(eventLog *eventlog.Log, normalizer *normalize.Normalizer, then func(*hooknormv1.Event, eventlog.Appended)) http.HandlerFunc {
	sources := map[string]hooknormv1.Source{
		"/v1/webhooks/clickfunnels": hooknormv1.Source_SOURCE_CLICKFUNNELS,
		"/v1/webhooks/webflow":      hooknormv1.Source_SOURCE_WEBFLOW,
	}
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		event, err := normalizer.Normalize(normalize.Delivery{Source: sources[r.URL.Path], Body: body, ReceivedAt: time.Now()})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		appended, err := eventLog.Append(r.Context(), event)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		answer(w, event.GetId(), appended.Sequence, appended.Duplicate)
		if then != nil {
			then(event, appended)
		}
	}
}

// answer writes the body Ingest answers with.
func answer(w http.ResponseWriter, id string, sequence uint64, duplicate bool) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":%q,"sequence":"%d","duplicate":%t}`, id, sequence, duplicate)
}

// measureHandler serves handler on loopback and posts to it as the ceiling is posted to.
func measureHandler(deliveries []delivery, concurrency int, d time.Duration, handler http.HandlerFunc) (result, error) {
	base, closeServer, err := serve(handler)
	if err != nil {
		return result{}, err
	}
	defer closeServer()
	_, trips, refused, cpu, err := post(base, deliveries, concurrency, d, bodiesFor(deliveries))
	if err != nil {
		return result{}, err
	}
	p50, p99 := percentiles(trips)
	return result{rate: float64(len(trips)) / d.Seconds(), p50: p50, p99: p99, posted: len(trips), refused: refused, cpuPerPost: perPost(cpu, len(trips))}, nil
}

// serve serves handler on a free loopback port, returning its base URL and how to stop it.
func serve(handler http.Handler) (base string, closeServer func(), err error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: handler}
	go srv.Serve(listener)
	return "http://" + listener.Addr().String(), func() { srv.Close() }, nil
}
