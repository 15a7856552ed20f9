package metrics

import "github.com/prometheus/client_golang/prometheus"

// StorageHealth reports whether the log's storage lets it store events now, and how many times it
// began refusing them because of its storage (a full, read-only or removed data directory, a
// failed write; on a NATS cluster, no connection, a stream without a leader, a refusal for lack
// of storage).
type StorageHealth func() (writable bool, failures uint64)

// WatchStorage reports the log's storage health at each scrape, from what the log last found: a
// scrape does no I/O.
func (m *Metrics) WatchStorage(health StorageHealth) {
	if m == nil {
		return
	}
	m.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hooknorm_log_writable",
			Help: "1 while the log can store events, 0 while its storage keeps it from storing them (disk full or nearly, read-only, data directory removed, a write failed; on a NATS cluster, no connection, a stream without a leader, a refusal for lack of storage); /readyz gives the reason.",
		}, func() float64 {
			if writable, _ := health(); writable {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hooknorm_log_storage_failures_total",
			Help: "Times the log began refusing events because of its storage: a full, read-only or removed data directory, or a failed write; on a NATS cluster, a lost connection, a stream without a leader, or a refusal for lack of storage.",
		}, func() float64 {
			_, failures := health()
			return float64(failures)
		}),
	)
}
