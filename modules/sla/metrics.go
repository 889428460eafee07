package sla

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"
)

// metrics are the module's Prometheus collectors: labelled by kind, never by
// tenant (the number of series stays three).
type metrics struct {
	breaches *prometheus.CounterVec
	running  *runningCollector
}

func newMetrics(s *Service) *metrics {
	m := &metrics{
		breaches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_sla_breaches_total",
			Help: "SLA timers recorded as breached (by the sweep or by a late stop), by kind."}, []string{"kind"}),
		running: &runningCollector{s: s, desc: prometheus.NewDesc("concierge_sla_running_timers",
			"SLA timers running now across tenants (breached ones included until they stop), by kind.", []string{"kind"}, nil)},
	}
	// Every kind has a series from the start, so rates and alerts see zeros.
	for _, k := range Kinds() {
		m.breaches.WithLabelValues(k)
	}
	return m
}

// Collectors returns the module's Prometheus collectors:
//
//	concierge_sla_breaches_total{kind}   counter
//	concierge_sla_running_timers{kind}   gauge, one grouped count per scrape
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.metrics.breaches, s.metrics.running}
}

// runningCollector counts running timers at each scrape (one grouped count
// on the platform path, bounded to two seconds).
type runningCollector struct {
	s    *Service
	desc *prometheus.Desc
}

func (c *runningCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *runningCollector) Collect(ch chan<- prometheus.Metric) {
	if c.s.scope == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var counts map[string]int64
	err := c.s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		counts, err = runningCounts(ctx, tx)
		return err
	})
	if err != nil {
		// The gauge is left out of this scrape rather than failing the
		// whole of /metrics.
		c.s.log.WarnContext(ctx, "sla: running timers not counted", "error", err)
		return
	}
	for _, k := range Kinds() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[k]), k)
	}
}
