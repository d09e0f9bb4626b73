// Package ops serves the operator's endpoints on HTTP_ADDR: /healthz (the
// process answers), /readyz (the services a turn needs answer: Redis, and
// on Telegram the Bot API) and /metrics.
package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anning-bot/anning/bot/listen"
)

// Check reports whether one dependency is usable.
type Check func(ctx context.Context) error

// Handler answers /healthz with 200 and /readyz with 200 when every check
// passes, 503 naming the failed ones otherwise (names only: no errors, which
// could carry addresses or secrets). metrics, if not nil, serves /metrics.
func Handler(checks map[string]Check, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	if metrics != nil {
		mux.Handle("/metrics", metrics)
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var failed []string
		for name, check := range checks {
			if err := check(ctx); err != nil {
				failed = append(failed, name)
			}
		}
		if len(failed) > 0 {
			sort.Strings(failed)
			http.Error(w, "not ready: "+strings.Join(failed, ", "), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

// ReadyCache is how long a readiness check's answer is reused: probes
// every second (or many probers) then cost a getMe and a Redis write only
// every few seconds, and a change shows on /readyz at most this late.
const ReadyCache = 5 * time.Second

// Cached returns c answering from its last result for ttl. Concurrent
// callers share one call. A call cut short because its prober went away
// (its context canceled) is not kept.
func Cached(c Check, ttl time.Duration) Check {
	var mu sync.Mutex
	var at time.Time
	var last error
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if !at.IsZero() && time.Since(at) < ttl {
			return last
		}
		err := c(ctx)
		if !errors.Is(ctx.Err(), context.Canceled) {
			last, at = err, time.Now()
		}
		return err
	}
}

// Logged returns c, logging once when it starts failing (an error line with
// the cause, e.g. Redis refusing the bot's password) and once when it
// passes again, not at every probe.
func Logged(name string, c Check, log *slog.Logger) Check {
	var mu sync.Mutex
	failing := false
	return func(ctx context.Context) error {
		err := c(ctx)
		if errors.Is(ctx.Err(), context.Canceled) {
			return err // the prober went away: says nothing of the dependency
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil && !failing:
			log.Error("not ready: "+name+" check failing", "check", name, "err", err)
		case err == nil && failing:
			log.Info("ready again: "+name+" check passes", "check", name)
		}
		failing = err != nil
		return err
	}
}

// Serve serves h on addr until ctx ends, with the connection limits lim
// (zero fields: listen's defaults).
func Serve(ctx context.Context, addr string, h http.Handler, lim listen.Limits) error {
	ln, err := listen.Listen(addr, lim)
	if err != nil {
		return fmt.Errorf("ops: %w", err)
	}
	srv := listen.Server(h, lim)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("ops: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ops: shutdown: %w", err)
	}
	return nil
}
