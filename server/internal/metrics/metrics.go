// Package metrics defines hooknorm's Prometheus metrics: what happened to each delivery, how long
// conversion and storage took, who is subscribed and how far behind, and how big the log is.
package metrics

import (
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Outcomes of a delivery, the values of the outcome label.
const (
	Stored    = "stored"
	Duplicate = "duplicate"
	Rejected  = "rejected"
)

// Metrics records hooknorm's metrics in one registry. A nil *Metrics records nothing, so code
// that measures need not care whether metrics are on.
type Metrics struct {
	// Registry holds these metrics, the Go runtime's and the process's.
	Registry *prometheus.Registry

	deliveries  *prometheus.CounterVec
	conversion  prometheus.Histogram
	append      prometheus.Histogram
	subscribers prometheus.Gauge
	lag         prometheus.Histogram
	oversized   *prometheus.CounterVec

	tenantRefusals *prometheus.CounterVec
}

// New returns the metrics, registered in a new registry with the Go runtime and process
// collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hooknorm_deliveries_total",
			Help: "Deliveries ingested, by source, oneof case (provider.case, \"\" when not converted), outcome (stored, duplicate, rejected) and refusal reason.",
		}, []string{"source", "case", "outcome", "reason"}),
		conversion: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hooknorm_conversion_seconds",
			Help:    "Time to convert one delivery into an event.",
			Buckets: prometheus.ExponentialBuckets(5e-6, 3, 10),
		}),
		append: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hooknorm_log_append_seconds",
			Help:    "Time to store one event durably in the log, until the log acknowledged it.",
			Buckets: prometheus.ExponentialBuckets(1e-4, 3, 10),
		}),
		subscribers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hooknorm_subscribers",
			Help: "Open Subscribe streams.",
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hooknorm_subscriber_lag_events",
			Help:    "How many events behind the log's head a subscriber was when it was sent an event.",
			Buckets: []float64{0, 1, 10, 100, 1000, 10000, 100000, 1000000},
		}),
		oversized:      newOversizedBodies(),
		tenantRefusals: newTenantRefusals(),
	}
	m.Registry.MustRegister(m.deliveries, m.conversion, m.append, m.subscribers, m.lag, m.oversized, m.tenantRefusals,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Delivery counts one delivery of source with its outcome; event is nil when it was refused
// before conversion, and reason is set for refusals.
func (m *Metrics) Delivery(source hooknormv1.Source, event *hooknormv1.Event, outcome string, reason hooknormv1.ErrorReason) {
	if m == nil {
		return
	}
	reasonLabel := ""
	if outcome == Rejected {
		reasonLabel = reason.String()
	}
	m.deliveries.WithLabelValues(source.String(), CaseOf(event), outcome, reasonLabel).Inc()
}

// Conversion records how long a conversion took.
func (m *Metrics) Conversion(d time.Duration) {
	if m != nil {
		m.conversion.Observe(d.Seconds())
	}
}

// Append records how long storing an event took.
func (m *Metrics) Append(d time.Duration) {
	if m != nil {
		m.append.Observe(d.Seconds())
	}
}

// SubscriberOpened counts a new subscriber; call the returned function when it ends.
func (m *Metrics) SubscriberOpened() (closed func()) {
	if m == nil {
		return func() {}
	}
	m.subscribers.Inc()
	return m.subscribers.Dec
}

// Lag records how far behind head a subscriber was when it was sent the event at seq.
func (m *Metrics) Lag(head, seq uint64) {
	if m != nil && head >= seq {
		m.lag.Observe(float64(head - seq))
	}
}

// CaseOf names an event's oneof case as provider.case (for example clickfunnels.order_created),
// a label bounded by the schema whatever the deliveries say; "" for no event.
func CaseOf(event *hooknormv1.Event) string {
	if event == nil {
		return ""
	}
	outer := whichCase(event.ProtoReflect())
	if outer == nil {
		return ""
	}
	name := string(outer.Name())
	if outer.Message() != nil {
		if inner := whichCase(event.ProtoReflect().Get(outer).Message()); inner != nil {
			name += "." + string(inner.Name())
		}
	}
	return name
}

// whichCase returns the field set in the message's first oneof, or nil. A message still encoded,
// its fields held as unknown fields (as normalize.NormalizeEncoded leaves an event's payload),
// has the case its encoding sets last, as decoding it would.
func whichCase(m protoreflect.Message) protoreflect.FieldDescriptor {
	oneofs := m.Descriptor().Oneofs()
	for i := range oneofs.Len() {
		oneof := oneofs.Get(i)
		if oneof.IsSynthetic() {
			continue
		}
		if set := m.WhichOneof(oneof); set != nil {
			return set
		}
		return encodedCase(m.GetUnknown(), oneof)
	}
	return nil
}

// encodedCase returns the member of oneof that the last of its fields in wire sets, or nil.
func encodedCase(wire []byte, oneof protoreflect.OneofDescriptor) protoreflect.FieldDescriptor {
	var set protoreflect.FieldDescriptor
	for len(wire) > 0 {
		num, typ, tagLen := protowire.ConsumeTag(wire)
		if tagLen < 0 {
			break
		}
		valueLen := protowire.ConsumeFieldValue(num, typ, wire[tagLen:])
		if valueLen < 0 {
			break
		}
		if fd := oneof.Fields().ByNumber(num); fd != nil {
			set = fd
		}
		wire = wire[tagLen+valueLen:]
	}
	return set
}
