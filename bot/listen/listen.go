// Package listen opens the bot's HTTP listeners (the Telegram webhook and the
// ops endpoints) with the same limits, so that neither idle keep-alive
// connections, a client dribbling a request, nor a crowd of connections can
// hold the process's file descriptors or goroutines.
package listen

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/netutil"
)

// Defaults of Limits.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 10 * time.Second
	DefaultIdleTimeout       = 3 * time.Minute
	DefaultMaxConns          = 256
)

// Limits bound a server's connections. Zero fields take the defaults.
type Limits struct {
	// ReadHeaderTimeout bounds reading a request's headers; default 10 s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included; default
	// 10 s. Once the body is read, the handler may take longer (net/http
	// lifts the deadline while it waits for the next request).
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle this long; default 3 min.
	IdleTimeout time.Duration
	// MaxConns caps the connections open at once; more wait to be
	// accepted. Default 256.
	MaxConns int
}

// WithDefaults fills the zero fields.
func (l Limits) WithDefaults() Limits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&l.ReadTimeout, DefaultReadTimeout)
	def(&l.IdleTimeout, DefaultIdleTimeout)
	if l.MaxConns <= 0 {
		l.MaxConns = DefaultMaxConns
	}
	return l
}

// Listen listens on addr (TCP) accepting at most l.MaxConns connections at once.
func Listen(addr string, l Limits) (net.Listener, error) {
	l = l.WithDefaults()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return netutil.LimitListener(ln, l.MaxConns), nil
}

// Server returns a server for h with the timeouts of l (no write timeout:
// the webhook's answer waits for its turn).
func Server(h http.Handler, l Limits) *http.Server {
	l = l.WithDefaults()
	return &http.Server{Handler: h, ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout, IdleTimeout: l.IdleTimeout}
}

// Every lets a repeated log line through at most once a period and counts
// the ones held back, so a flood of refused requests writes one line a
// minute, not one per request.
type Every struct {
	period time.Duration
	now    func() time.Time

	mu   sync.Mutex
	last time.Time
	held int
}

// NewEvery returns a limiter of one line per period; now may be nil (the clock).
func NewEvery(period time.Duration, now func() time.Time) *Every {
	if now == nil {
		now = time.Now
	}
	return &Every{period: period, now: now}
}

// Allow reports whether a line may be written now and, if so, how many
// events it stands for: this one and those held back since the last line.
func (e *Every) Allow() (ok bool, count int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	if !e.last.IsZero() && now.Sub(e.last) < e.period {
		e.held++
		return false, 0
	}
	count, e.last, e.held = e.held+1, now, 0
	return true, count
}
