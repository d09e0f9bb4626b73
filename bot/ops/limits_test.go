package ops_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/listen"
	"github.com/anning-bot/anning/bot/ops"
)

// serve runs ops.Serve on a free port with lim and returns its address.
func serve(t *testing.T, lim listen.Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ops.Serve(ctx, addr, ops.Handler(nil, nil), lim) }()
	t.Cleanup(func() { cancel(); <-done })
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("ops server did not start")
	return ""
}

func closedWithin(conn net.Conn, d time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// The ops server closes idle keep-alive connections and serves at most
// MaxConns connections at once.
func TestServeLimitsConnections(t *testing.T) {
	addr := serve(t, listen.Limits{IdleTimeout: 200 * time.Millisecond, MaxConns: 2})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	if !closedWithin(conn, 5*time.Second) {
		t.Error("an idle keep-alive connection was still open after 5 s (IdleTimeout 200 ms)")
	}

	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	time.Sleep(100 * time.Millisecond)
	client := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("a third connection was served while 2 were open with MaxConns 2")
	}
	held[0].Close()
	client.Timeout = 10 * time.Second
	resp, err = client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("once a connection closed: %v", err)
	}
	resp.Body.Close()
}

// A cached check is called once per period, however often /readyz is asked,
// and concurrent probes share that call.
func TestCachedCheck(t *testing.T) {
	// Long enough that 20 probes under -race on a busy machine all land
	// within one period.
	const period = 2 * time.Second
	var calls atomic.Int64
	fail := atomic.Bool{}
	check := ops.Cached(func(context.Context) error {
		calls.Add(1)
		time.Sleep(20 * time.Millisecond)
		if fail.Load() {
			return errors.New("down")
		}
		return nil
	}, period)
	h := ops.Handler(map[string]ops.Check{"telegram": check}, nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if code, _ := get(t, h, "/readyz"); code != 200 {
				t.Errorf("readyz %d", code)
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("20 probes made %d calls, want 1", n)
	}
	fail.Store(true)
	if code, _ := get(t, h, "/readyz"); code != 200 {
		t.Errorf("within the period the last answer stands: %d", code)
	}
	time.Sleep(period + 50*time.Millisecond)
	if code, _ := get(t, h, "/readyz"); code != 503 {
		t.Errorf("after the period a failure shows: %d", code)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

// A failing check is logged once when it starts failing and once when it
// passes again, not at every probe.
func TestLoggedCheckLogsTransitionsOnly(t *testing.T) {
	var logs bytes.Buffer
	var err error
	check := ops.Logged("redis", func(context.Context) error { return err }, slog.New(slog.NewTextHandler(&logs, nil)))
	for _, e := range []error{nil, nil, errors.New("WRONGPASS (the user or password is wrong)"), errors.New("WRONGPASS"), errors.New("WRONGPASS"), nil, nil} {
		err = e
		_ = check(context.Background())
	}
	out := logs.String()
	if n := strings.Count(out, "not ready: redis"); n != 1 {
		t.Errorf("%d failure lines for 3 failing probes, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "password is wrong") {
		t.Errorf("the failure line is not a clear error:\n%s", out)
	}
	if n := strings.Count(out, "ready again: redis"); n != 1 {
		t.Errorf("%d recovery lines, want 1:\n%s", n, out)
	}
}

// A probe whose prober went away (its context canceled) leaves nothing in
// the cache and writes no log line: the next probe asks again.
func TestCanceledProbeIsNotKept(t *testing.T) {
	var logs bytes.Buffer
	var calls atomic.Int64
	check := ops.Cached(ops.Logged("telegram", func(ctx context.Context) error {
		calls.Add(1)
		return ctx.Err()
	}, slog.New(slog.NewTextHandler(&logs, nil))), time.Minute)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if err := check(gone); err == nil {
		t.Fatal("a canceled probe passed")
	}
	if err := check(context.Background()); err != nil || calls.Load() != 2 {
		t.Errorf("after a canceled probe: %v, %d calls; want a fresh call that passes", err, calls.Load())
	}
	if logs.Len() != 0 {
		t.Errorf("a canceled probe was logged:\n%s", logs.String())
	}
}
