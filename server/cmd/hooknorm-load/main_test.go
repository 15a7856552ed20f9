package main

import (
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/eventlog"
)

// TestEveryMeasurementStoresAndDelivers runs each of the load tool's measurements briefly, with
// few clients and subscribers, so the tool cannot rot unnoticed: each baseline answers posts, and
// the fan-out floor and hooknormd store every post and deliver every stored event to every
// subscriber. It checks counts, never speed.
func TestEveryMeasurementStoresAndDelivers(t *testing.T) {
	preparedPosts = 3000
	deliveries, err := loadDeliveries()
	if err != nil {
		t.Fatal(err)
	}
	const (
		clients     = 4
		subscribers = 3
		duration    = 300 * time.Millisecond
	)
	baselines := map[string]func() (result, error){
		"ceiling": func() (result, error) { return measureCeiling(deliveries, clients, duration) },
		"durable floor": func() (result, error) {
			return measureDurableFloor(deliveries, clients, duration, eventlog.FsyncPeriodic)
		},
		"hand-written receiver": func() (result, error) {
			return measureHandwritten(deliveries, clients, duration, eventlog.FsyncPeriodic)
		},
		"domain floor": func() (result, error) {
			return measureDomainFloor(deliveries, clients, duration, eventlog.FsyncPeriodic)
		},
	}
	for name, measure := range baselines {
		r, err := measure()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.posted == 0 || r.rate <= 0 || r.p99 < r.p50 || r.cpuPerPost <= 0 {
			t.Errorf("%s: %+v, want posts answered, a rate, ordered percentiles and CPU per post", name, r)
		}
	}
	subscribed := map[string]func() (result, error){
		"fan-out floor": func() (result, error) {
			return measureFanoutFloor(deliveries, clients, duration, subscribers, eventlog.FsyncPeriodic)
		},
		"hooknormd": func() (result, error) {
			return measureHooknorm(deliveries, clients, duration, subscribers, eventlog.FsyncPeriodic)
		},
	}
	for name, measure := range subscribed {
		r, err := measure()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.posted == 0 || r.refused != 0 {
			t.Errorf("%s: %d posts stored, %d refused", name, r.posted, r.refused)
		}
		if r.stored == 0 || r.arrivals != r.stored*subscribers {
			t.Errorf("%s: %d arrivals of %d stored events at %d subscribers, want every event at every subscriber", name, r.arrivals, r.stored, subscribers)
		}
	}
}

// TestResumeMeasurementCatchesEverySubscriberUp runs the resume measurement with a few
// subscribers, resuming from the hub's ring and from the log: each resumes after the restart and
// reads every event after its cursor.
func TestResumeMeasurementCatchesEverySubscriberUp(t *testing.T) {
	const subscribers = 3
	for _, ring := range []int{0, 2} {
		r, err := measureResume(subscribers, 5, ring, eventlog.FsyncPeriodic)
		if err != nil {
			t.Fatal(err)
		}
		if r.caughtUp != subscribers || r.elapsed <= 0 {
			t.Errorf("a ring of %d: %d of %d subscribers caught up, in %s", ring, r.caughtUp, subscribers, r.elapsed)
		}
	}
}

// TestConsumeMeasurementReadsEverything runs the consume measurement on a few events: Subscribe
// reads each once, and the workers of each consumer handle each and leave none unacknowledged
// (measureConsume checks both). It checks counts, never speed.
func TestConsumeMeasurementReadsEverything(t *testing.T) {
	const events = 60
	results, err := measureConsume(events, []int{1, 3}, []int{1, 4}, eventlog.FsyncPeriodic)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 5 {
		t.Fatalf("%d results, want Subscribe's and one per worker count and handlers each: %+v", len(results), results)
	}
	for _, r := range results {
		if r.events < events || r.elapsed <= 0 {
			t.Errorf("%s: %d events in %s, want all %d", r.name, r.events, r.elapsed, events)
		}
	}
}
