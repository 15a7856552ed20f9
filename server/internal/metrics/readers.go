package metrics

import "github.com/prometheus/client_golang/prometheus"

// LogReaders reports how many subscriptions read the log on their own, holding one of its reader
// slots, and how many wait for one.
type LogReaders func() (reading, waiting int)

// WatchReaders reports the log's readers at each scrape.
func (m *Metrics) WatchReaders(readers LogReaders) {
	if m == nil {
		return
	}
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hooknorm_log_readers",
		Help: "Subscriptions reading the log on their own (too far behind the fan-out hub's ring of the newest events), each reading up to 16 events ahead; at most 128 at a time. A subscriber that stops reading gives its reader up.",
	}, func() float64 {
		reading, _ := readers()
		return float64(reading)
	}), prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hooknorm_log_readers_waiting",
		Help: "Subscriptions waiting to read the log on their own, while hooknorm_log_readers is at its bound; they keep getting heartbeats.",
	}, func() float64 {
		_, waiting := readers()
		return float64(waiting)
	}))
}
