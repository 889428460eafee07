package analytics

import "github.com/prometheus/client_golang/prometheus"

// Why an event was dropped (the reason label).
const (
	reasonInvalid     = "invalid"      // an unknown name or channel, a bad amount
	reasonNoTenant    = "no_tenant"    // recorded without a tenant in the context
	reasonOverload    = "overload"     // the queue was full
	reasonClosed      = "closed"       // recorded after Close
	reasonWriteFailed = "write_failed" // its batch's insert failed
)

// metrics are the module's Prometheus collectors: labelled by reason,
// never by tenant or event.
type metrics struct {
	written prometheus.Counter
	dropped *prometheus.CounterVec
	queued  prometheus.GaugeFunc
	// byReason holds dropped's series, resolved once (Record's path does
	// no label lookup).
	byReason map[string]prometheus.Counter
}

func newMetrics(s *Service) *metrics {
	m := &metrics{
		written: prometheus.NewCounter(prometheus.CounterOpts{Name: "concierge_analytics_written_total",
			Help: "Analytics events written to Postgres."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_analytics_dropped_total",
			Help: "Analytics events dropped, by reason: invalid, no_tenant, overload (the queue was full), closed, write_failed."},
			[]string{"reason"}),
		queued: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "concierge_analytics_queued",
			Help: "Analytics events waiting for the writer."}, func() float64 { return float64(len(s.queue)) }),
	}
	// Every reason has a series from the start, so rates and alerts see zeros.
	m.byReason = map[string]prometheus.Counter{}
	for _, r := range []string{reasonInvalid, reasonNoTenant, reasonOverload, reasonClosed, reasonWriteFailed} {
		m.byReason[r] = m.dropped.WithLabelValues(r)
	}
	return m
}

func (m *metrics) drop(reason string, n int) { m.byReason[reason].Add(float64(n)) }

// Collectors returns the module's Prometheus collectors:
//
//	concierge_analytics_written_total          counter
//	concierge_analytics_dropped_total{reason}  counter: invalid, no_tenant, overload, closed, write_failed
//	concierge_analytics_queued                 gauge, events waiting for the writer
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.metrics.written, s.metrics.dropped, s.metrics.queued}
}
