package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// LogStats reads the log's event count, byte size and last sequence.
type LogStats func(ctx context.Context) (events, bytes, last uint64, err error)

// WatchLog reports the log's size and head at each scrape, asking it once per scrape.
func (m *Metrics) WatchLog(stats LogStats) {
	if m != nil {
		m.Registry.MustRegister(logCollector{stats: stats})
	}
}

var (
	logEventsDesc = prometheus.NewDesc("hooknorm_log_events", "Events the log holds.", nil, nil)
	logBytesDesc  = prometheus.NewDesc("hooknorm_log_bytes", "Bytes the log's events take.", nil, nil)
	logLastDesc   = prometheus.NewDesc("hooknorm_log_last_sequence", "The sequence of the newest event in the log.", nil, nil)
)

// logCollector turns one LogStats call into the three log gauges.
type logCollector struct {
	stats LogStats
}

func (c logCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- logEventsDesc
	ch <- logBytesDesc
	ch <- logLastDesc
}

func (c logCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	events, bytes, last, err := c.stats(ctx)
	if err != nil {
		for _, desc := range []*prometheus.Desc{logEventsDesc, logBytesDesc, logLastDesc} {
			ch <- prometheus.NewInvalidMetric(desc, err)
		}
		return
	}
	ch <- prometheus.MustNewConstMetric(logEventsDesc, prometheus.GaugeValue, float64(events))
	ch <- prometheus.MustNewConstMetric(logBytesDesc, prometheus.GaugeValue, float64(bytes))
	ch <- prometheus.MustNewConstMetric(logLastDesc, prometheus.GaugeValue, float64(last))
}
