package jobs

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var jobsDesc = prometheus.NewDesc("concierge_jobs", "Jobs in the queue table by queue and state (River).", []string{"queue", "state"}, nil)

type collector struct{ j *Jobs }

// Collector exposes job counts per queue and state to Prometheus; each scrape
// runs one grouped count (bounded to two seconds). It also carries
// concierge_jobs_rescued_total{kind,state}, the jobs a per-kind rescue took
// back from a dead worker.
func (j *Jobs) Collector() prometheus.Collector { return collector{j} }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	c.j.rescued.Describe(ch)
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	c.j.rescued.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stats, err := c.j.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	// Every served queue reports every state, zeros included, so alerts and
	// dashboards see a series before the first job.
	counts := map[[2]string]int64{}
	for q := range c.j.Queues() {
		for _, st := range []string{"available", "scheduled", "running", "retryable", "completed", "cancelled", "discarded", "pending"} {
			counts[[2]string{q, st}] = 0
		}
	}
	for _, s := range stats {
		counts[[2]string{s.Queue, s.State}] = s.Count
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}
