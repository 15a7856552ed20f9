package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ConsumerStat is where one consumer stands, as the log counts it.
type ConsumerStat struct {
	// Name names the consumer.
	Name string
	// Pending is how many events it has yet to hand out.
	Pending uint64
	// Unacknowledged is how many are handed out and not acknowledged.
	Unacknowledged uint64
	// DeadLetters is how many dead letters it holds.
	DeadLetters uint64
	// OldestUnacknowledged is how long ago the oldest event it has not had acknowledged was
	// stored; 0 when none is waiting.
	OldestUnacknowledged time.Duration
}

// ConsumerStats reads where every consumer stands.
type ConsumerStats func(ctx context.Context) ([]ConsumerStat, error)

// ConsumerCounters counts what this hooknormd does with consumers' events. A nil one counts
// nothing.
type ConsumerCounters struct {
	acknowledged, redelivered, deadLettered *prometheus.CounterVec
}

// ConsumerCounters registers the consumers' counters and returns them; nil for nil metrics.
func (m *Metrics) ConsumerCounters() *ConsumerCounters {
	if m == nil {
		return nil
	}
	c := &ConsumerCounters{
		acknowledged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hooknorm_consumer_acknowledged_total",
			Help: "Events of a consumer its workers acknowledged through this hooknormd, by consumer.",
		}, []string{"consumer"}),
		redelivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hooknorm_consumer_redelivered_total",
			Help: "Events of a consumer this hooknormd handed out again (after a nack or a missed ack deadline), by consumer.",
		}, []string{"consumer"}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hooknorm_consumer_dead_lettered_total",
			Help: "Events of a consumer this hooknormd set aside as dead letters after their maximum deliveries, by consumer.",
		}, []string{"consumer"}),
	}
	m.Registry.MustRegister(c.acknowledged, c.redelivered, c.deadLettered)
	return c
}

// Acknowledged counts n events of consumer acknowledged.
func (c *ConsumerCounters) Acknowledged(consumer string, n int) {
	if c != nil {
		c.acknowledged.WithLabelValues(consumer).Add(float64(n))
	}
}

// Redelivered counts an event of consumer handed out again.
func (c *ConsumerCounters) Redelivered(consumer string) {
	if c != nil {
		c.redelivered.WithLabelValues(consumer).Inc()
	}
}

// DeadLettered counts an event of consumer set aside as a dead letter.
func (c *ConsumerCounters) DeadLettered(consumer string) {
	if c != nil {
		c.deadLettered.WithLabelValues(consumer).Inc()
	}
}

var (
	consumerPendingDesc = prometheus.NewDesc("hooknorm_consumer_pending_events",
		"Events a consumer has yet to hand out, by consumer.", []string{"consumer"}, nil)
	consumerUnackedDesc = prometheus.NewDesc("hooknorm_consumer_unacknowledged_events",
		"Events a consumer handed out that are not acknowledged yet, by consumer.", []string{"consumer"}, nil)
	consumerDeadDesc = prometheus.NewDesc("hooknorm_consumer_dead_letters",
		"Dead letters a consumer holds, by consumer.", []string{"consumer"}, nil)
	consumerOldestDesc = prometheus.NewDesc("hooknorm_consumer_oldest_unacknowledged_age_seconds",
		"How long ago the oldest event a consumer has not had acknowledged was stored (0 when none waits), by consumer.", []string{"consumer"}, nil)
)

// WatchConsumers reports where every consumer stands at each scrape.
func (m *Metrics) WatchConsumers(stats ConsumerStats) {
	if m != nil {
		m.Registry.MustRegister(consumerCollector{stats: stats})
	}
}

// consumerCollector turns one ConsumerStats call into the consumers' gauges.
type consumerCollector struct {
	stats ConsumerStats
}

func (c consumerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, desc := range []*prometheus.Desc{consumerPendingDesc, consumerUnackedDesc, consumerDeadDesc, consumerOldestDesc} {
		ch <- desc
	}
}

func (c consumerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stats, err := c.stats(ctx)
	if err != nil {
		for _, desc := range []*prometheus.Desc{consumerPendingDesc, consumerUnackedDesc, consumerDeadDesc, consumerOldestDesc} {
			ch <- prometheus.NewInvalidMetric(desc, err)
		}
		return
	}
	for _, s := range stats {
		ch <- prometheus.MustNewConstMetric(consumerPendingDesc, prometheus.GaugeValue, float64(s.Pending), s.Name)
		ch <- prometheus.MustNewConstMetric(consumerUnackedDesc, prometheus.GaugeValue, float64(s.Unacknowledged), s.Name)
		ch <- prometheus.MustNewConstMetric(consumerDeadDesc, prometheus.GaugeValue, float64(s.DeadLetters), s.Name)
		ch <- prometheus.MustNewConstMetric(consumerOldestDesc, prometheus.GaugeValue, s.OldestUnacknowledged.Seconds(), s.Name)
	}
}
