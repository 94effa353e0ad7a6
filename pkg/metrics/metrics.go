// Package metrics exposes the app's Prometheus metrics: HTTP latency by
// route, mail sent and failed, open event streams, and, read at each scrape,
// signatures by status and kind and the depth and age of the mail queue.
package metrics

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/undersigned/undersigned/pkg/store"
)

// Metrics holds the collectors the app updates as it works.
type Metrics struct {
	Registry     *prometheus.Registry
	HTTPDuration *prometheus.HistogramVec
	MailSent     prometheus.Counter
	MailFailures *prometheus.CounterVec
}

// New registers the metrics. Gauges that come from the database are read by
// a collector at scrape time, so they are never stale and cost nothing in
// between; streams reports the number of open event streams.
func New(st *store.Store, streams func() int, now func() time.Time, log *slog.Logger) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "undersigned_http_request_duration_seconds", Help: "Time to answer HTTP requests, by route and status class.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route", "status"}),
		MailSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "undersigned_mail_sent_total", Help: "Mails the relay accepted.",
		}),
		MailFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "undersigned_mail_send_failures_total", Help: "Failed attempts to send mail, by whether they will be retried.",
		}, []string{"outcome"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPDuration, m.MailSent, m.MailFailures,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "undersigned_sse_clients", Help: "Open Server-Sent Events streams.",
		}, func() float64 { return float64(streams()) }),
		newDBCollector(st, now, log),
	)
	return m
}

// dbCollector reads the gauges that live in the database.
type dbCollector struct {
	st                                                *store.Store
	now                                               func() time.Time
	log                                               *slog.Logger
	signaturesDesc, queueDesc, failedDesc, oldestDesc *prometheus.Desc
}

func newDBCollector(st *store.Store, now func() time.Time, log *slog.Logger) *dbCollector {
	return &dbCollector{st: st, now: now, log: log,
		signaturesDesc: prometheus.NewDesc("undersigned_signatures", "Signatures by status and kind.", []string{"status", "kind"}, nil),
		queueDesc:      prometheus.NewDesc("undersigned_mail_queue_depth", "Mails waiting to be sent.", nil, nil),
		failedDesc:     prometheus.NewDesc("undersigned_mail_failed", "Mails given up on.", nil, nil),
		oldestDesc:     prometheus.NewDesc("undersigned_mail_queue_oldest_seconds", "Age of the oldest mail waiting.", nil, nil),
	}
}

func (d *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- d.signaturesDesc
	ch <- d.queueDesc
	ch <- d.failedDesc
	ch <- d.oldestDesc
}

func (d *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := store.SignatureCounts(d.st.Read(ctx))
	if err != nil {
		d.log.Error("metrics: signature counts", "err", err)
		return
	}
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(d.signaturesDesc, prometheus.GaugeValue, float64(r.Count), string(r.Status), string(r.Kind))
	}
	stats, err := store.OutboxStats(d.st.Read(ctx), store.MailFilter{}, d.now())
	if err != nil {
		d.log.Error("metrics: outbox", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(d.queueDesc, prometheus.GaugeValue, float64(stats.Queued))
	ch <- prometheus.MustNewConstMetric(d.failedDesc, prometheus.GaugeValue, float64(stats.Failed))
	age := 0.0
	if stats.OldestQueue != nil {
		age = d.now().Sub(*stats.OldestQueue).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(d.oldestDesc, prometheus.GaugeValue, age)
}

// MailSent counts a mail the relay accepted; the outbox worker calls it.
func (m *Metrics) MailSentOK() { m.MailSent.Inc() }

// MailFailed counts a failed attempt; retry tells whether it will be tried again.
func (m *Metrics) MailFailed(retry bool) {
	outcome := "failed"
	if retry {
		outcome = "retry"
	}
	m.MailFailures.WithLabelValues(outcome).Inc()
}

// ObserveRequest records how long a request took.
func (m *Metrics) ObserveRequest(method, route string, status int, d time.Duration) {
	m.HTTPDuration.WithLabelValues(method, route, strconv.Itoa(status/100)+"xx").Observe(d.Seconds())
}
