// Package metrics counts what an operator watches on /metrics, in the
// Prometheus format: updates by kind, turn latency, Redis and Telegram
// errors, 429s, evidence kept, OCR time, drafts made and active sessions.
// The other packages only see the small interfaces they declare; this one
// implements them all, so they never import Prometheus.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/anning-bot/anning/bot/session"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ActiveWindow is how recent a turn must be for a session to count as active.
const ActiveWindow = 15 * time.Minute

// Metrics holds the bot's metrics in their own registry. A nil *Metrics
// counts nothing, so the parts work without it.
type Metrics struct {
	reg            *prometheus.Registry
	updates        *prometheus.CounterVec
	stale          prometheus.Counter
	turn           prometheus.Histogram
	storeErrors    *prometheus.CounterVec
	telegramErrors *prometheus.CounterVec
	tooMany        prometheus.Counter
	evidenceFiles  prometheus.Counter
	evidenceBytes  prometheus.Counter
	ocr            *prometheus.HistogramVec
	drafts         *prometheus.CounterVec

	mu     sync.Mutex
	active map[string]time.Time // user id -> last turn; never exported, only counted
	pruned time.Time
	now    func() time.Time
}

// New registers every metric, with the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), active: map[string]time.Time{}, now: time.Now}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.updates = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "anning_updates_total",
		Help: "Updates received, by kind (text, command, button, photo, document, forward, unsupported, group, other)."}, []string{"kind"})
	m.stale = prometheus.NewCounter(prometheus.CounterOpts{Name: "anning_updates_stale_total",
		Help: "Updates dropped because a newer update of the same chat was applied before they arrived."})
	m.turn = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "anning_turn_duration_seconds",
		Help:    "Time from an update's arrival to its replies being ready: waiting for the person's earlier turns, session read, engine, session write, actions.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}})
	m.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "anning_store_errors_total",
		Help: "Session store (Redis) errors, by operation and kind (timeout, canceled, unavailable, conflict, refused: Redis answered with an error such as OOM or NOPERM)."}, []string{"op", "kind"})
	m.telegramErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "anning_telegram_errors_total",
		Help: "Failed Bot API attempts (each retry counts), by method and kind (the HTTP-style code, or network)."}, []string{"method", "kind"})
	m.tooMany = prometheus.NewCounter(prometheus.CounterOpts{Name: "anning_telegram_429_total",
		Help: "Bot API answers 429 Too Many Requests (flood control)."})
	m.evidenceFiles = prometheus.NewCounter(prometheus.CounterOpts{Name: "anning_evidence_files_total",
		Help: "Evidence files kept."})
	m.evidenceBytes = prometheus.NewCounter(prometheus.CounterOpts{Name: "anning_evidence_bytes_total",
		Help: "Bytes of evidence files kept."})
	m.ocr = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "anning_ocr_duration_seconds",
		Help:    "Time tesseract took per file, by result (ok, error).",
		Buckets: []float64{.1, .25, .5, 1, 2, 4, 8, 16, 32, 60}}, []string{"result"})
	m.drafts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "anning_drafts_total",
		Help: "Complaint drafts generated, by kind."}, []string{"kind"})
	for _, c := range []prometheus.Collector{m.updates, m.stale, m.turn, m.storeErrors, m.telegramErrors, m.tooMany,
		m.evidenceFiles, m.evidenceBytes, m.ocr, m.drafts} {
		f(c)
	}
	f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "anning_active_sessions",
		Help: "People who had a turn on this process in the last 15 minutes."}, m.activeCount))
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Update counts one update received by a transport.
func (m *Metrics) Update(kind string) {
	if m != nil {
		m.updates.WithLabelValues(kind).Inc()
	}
}

// Stale counts one update dropped as older than one already applied.
func (m *Metrics) Stale() {
	if m != nil {
		m.stale.Inc()
	}
}

// Turn records one turn of user that took d.
func (m *Metrics) Turn(user string, d time.Duration) {
	if m == nil {
		return
	}
	m.turn.Observe(d.Seconds())
	now := m.now()
	m.mu.Lock()
	m.active[user] = now
	if now.Sub(m.pruned) > time.Minute { // forget the idle now and then, so the map stays small
		m.pruneLocked(now)
	}
	m.mu.Unlock()
}

func (m *Metrics) pruneLocked(now time.Time) {
	m.pruned = now
	for u, t := range m.active {
		if now.Sub(t) > ActiveWindow {
			delete(m.active, u)
		}
	}
}

func (m *Metrics) activeCount() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pruneLocked(m.now())
	return float64(len(m.active))
}

// TelegramError counts a failed Bot API call; code 0 is a network error.
func (m *Metrics) TelegramError(method string, code int) {
	if m == nil {
		return
	}
	kind := "network"
	if code != 0 {
		kind = strconv.Itoa(code)
	}
	m.telegramErrors.WithLabelValues(method, kind).Inc()
	if code == http.StatusTooManyRequests {
		m.tooMany.Inc()
	}
}

// EvidenceKept counts one evidence file of size bytes.
func (m *Metrics) EvidenceKept(bytes int64) {
	if m != nil {
		m.evidenceFiles.Inc()
		m.evidenceBytes.Add(float64(bytes))
	}
}

// OCR records one OCR run.
func (m *Metrics) OCR(d time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.ocr.WithLabelValues(result).Observe(d.Seconds())
}

// Draft counts one generated draft.
func (m *Metrics) Draft(kind string) {
	if m != nil {
		m.drafts.WithLabelValues(kind).Inc()
	}
}

// StoreError counts one failed session store call.
func (m *Metrics) StoreError(op string, err error) {
	if m != nil && err != nil {
		m.storeErrors.WithLabelValues(op, storeErrorKind(err)).Inc()
	}
}

func storeErrorKind(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, session.ErrConflict):
		return "conflict"
	case errors.Is(err, session.ErrRefused):
		return "refused"
	}
	return "unavailable"
}
