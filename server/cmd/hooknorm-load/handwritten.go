package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The hand-written receiver is the baseline issue 19 states hooknormd's speed against: the
// receiver a team writes by hand when it has no hooknorm. It decodes the body with encoding/json
// into a map, checks the fields it routes by (ClickFunnels event_id and event_type; Webflow
// triggerType and payload), encodes the map again, publishes it to a JetStream file stream
// synchronously with Nats-Msg-Id set to the event's id (for Webflow, which sends none, a digest of
// the body), and answers 200 once the store acknowledged it. No typed schema, no kept fields, no
// metrics, logs or traces.

// measureHandwritten measures the hand-written receiver in this process.
func measureHandwritten(deliveries []delivery, concurrency int, d time.Duration, fsync eventlog.Fsync) (result, error) {
	store, err := openRawStore(fsync)
	if err != nil {
		return result{}, err
	}
	defer store.close()
	return measureHandler(deliveries, concurrency, d, handwrittenHandler(store))
}

// handwrittenHandler is the hand-written receiver, storing in store.
func handwrittenHandler(store *rawStore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var delivery map[string]any
		if err := json.Unmarshal(body, &delivery); err != nil {
			http.Error(w, "not JSON: "+err.Error(), http.StatusBadRequest)
			return
		}
		id, ok := routeFields(delivery)
		if !ok {
			http.Error(w, "not a delivery this receiver knows", http.StatusBadRequest)
			return
		}
		if id == "" {
			digest := sha256.Sum256(body)
			id = hex.EncodeToString(digest[:])
		}
		encoded, err := json.Marshal(delivery)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		ack, err := store.js.PublishMsg(r.Context(), &nats.Msg{Subject: "floor.events", Data: encoded, Header: nats.Header{
			jetstream.MsgIDHeader: []string{id},
		}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		answer(w, id, ack.Sequence, ack.Duplicate)
	}
}

// routeFields checks the fields a hand-written receiver routes by and returns the delivery's id:
// ClickFunnels' event_id, or "" for a Webflow delivery, which carries none.
func routeFields(delivery map[string]any) (id string, ok bool) {
	if eventID, isString := delivery["event_id"].(string); isString {
		_, typed := delivery["event_type"].(string)
		return eventID, typed && eventID != ""
	}
	_, trigger := delivery["triggerType"].(string)
	_, payload := delivery["payload"].(map[string]any)
	return "", trigger && payload
}
