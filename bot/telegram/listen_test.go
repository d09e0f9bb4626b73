package telegram_test

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
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/listen"
	"github.com/anning-bot/anning/bot/telegram"
)

const hookSecret = "s3cret-token-of-the-webhook"

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// funcHandler is a Handler made of a function.
type funcHandler func(ctx context.Context, user string, ev flow.Event) ([]flow.Reply, error)

func (f funcHandler) Handle(ctx context.Context, user string, ev flow.Event) ([]flow.Reply, error) {
	return f(ctx, user, ev)
}

// startHook runs a webhook bot over h on the fake Bot API with the limits
// lim, and returns it with its webhook URL and the log.
func startHook(t *testing.T, h telegram.Handler, lim listen.Limits) (fake *fakebot.Server, addr, hookURL string, logs *syncBuffer) {
	t.Helper()
	fake = fakebot.New(t, token)
	addr = freePort(t)
	hookURL = "http://" + addr + "/hook"
	logs = &syncBuffer{}
	bot, err := telegram.New(telegram.Config{
		Token: token, APIEndpoint: fake.APIEndpoint(), FileEndpoint: fake.FileEndpoint(),
		WebhookURL: hookURL, WebhookSecret: hookSecret, WebhookAddr: addr, Listen: lim,
		CallTimeout: 5 * time.Second, DrainTimeout: time.Second, RetryBackoff: 20 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logs, nil)),
	}, h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-bot.Ready():
	case err := <-done:
		t.Fatalf("bot stopped at start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("bot not ready")
	}
	return fake, addr, hookURL, logs
}

func echo(ctx context.Context, user string, ev flow.Event) ([]flow.Reply, error) {
	return []flow.Reply{{Kind: flow.ReplySay, Text: "ok"}}, nil
}

// closedWithin reports whether the server closes conn (EOF, or a reset)
// within d, reading and discarding whatever it sends first.
func closedWithin(conn net.Conn, d time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// A keep-alive connection left idle is closed after IdleTimeout: 300 idle
// connections no longer hold 300 file descriptors for good.
func TestWebhookClosesIdleConnections(t *testing.T) {
	_, addr, _, _ := startHook(t, funcHandler(echo), listen.Limits{IdleTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /hook HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Close {
		t.Fatalf("GET answered %d (close %v): want 405 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	if !closedWithin(conn, 5*time.Second) {
		t.Error("an idle keep-alive connection was still open after 5 s (IdleTimeout 200 ms)")
	}
}

// At most MaxConns connections are served at once; the next waits until
// one closes.
func TestWebhookConnectionCap(t *testing.T) {
	fake, addr, hookURL, _ := startHook(t, funcHandler(echo), listen.Limits{MaxConns: 2})
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	time.Sleep(100 * time.Millisecond) // let the server accept them
	id := fake.PushText(42, "/start")
	result := make(chan int, 1)
	go func() {
		status, _ := fake.Deliver(hookURL, hookSecret, id)
		result <- status
	}()
	select {
	case status := <-result:
		t.Fatalf("a third connection was served (%d) while 2 were open with MaxConns 2", status)
	case <-time.After(500 * time.Millisecond):
	}
	held[0].Close()
	select {
	case status := <-result:
		if status != 200 {
			t.Errorf("delivery once a connection closed: %d", status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting connection was not served after one closed")
	}
}

// A client holding the secret that sends its body a byte at a time is cut
// off by ReadTimeout instead of holding a connection (and a goroutine) for
// as long as it likes.
func TestWebhookDribbledBodyIsCutOff(t *testing.T) {
	_, addr, _, _ := startHook(t, funcHandler(echo), listen.Limits{ReadTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 200
	fmt.Fprintf(conn, "POST /hook HTTP/1.1\r\nHost: %s\r\nX-Telegram-Bot-Api-Secret-Token: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		addr, hookSecret, size)
	stop := make(chan struct{})
	go func() { // 200 bytes at one per 50 ms: 10 s
		for range size {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	defer close(stop)
	start := time.Now()
	if !closedWithin(conn, 5*time.Second) {
		t.Fatal("a dribbled body held its connection for 5 s (ReadTimeout 300 ms)")
	}
	t.Logf("dribbling client cut off after %v", time.Since(start).Round(time.Millisecond))
}

// A turn that outlasts ReadTimeout is still answered by its outcome (here
// 503: not settled), not cut short as if Telegram had hung up.
func TestWebhookSlowTurnOutlastsReadTimeout(t *testing.T) {
	slow := funcHandler(func(ctx context.Context, user string, ev flow.Event) ([]flow.Reply, error) {
		time.Sleep(800 * time.Millisecond)
		return nil, errors.New("unsettled")
	})
	fake, _, hookURL, _ := startHook(t, slow, listen.Limits{ReadTimeout: 200 * time.Millisecond})
	id := fake.PushText(42, "/start")
	if status, err := fake.Deliver(hookURL, hookSecret, id); status != http.StatusServiceUnavailable {
		t.Errorf("a slow unsettled turn answered %d %v: want 503, so Telegram delivers it again", status, err)
	}
}

// Requests without the secret get 401 and their connection closed, and the
// log line saying so is written once a minute at most, not per request.
func TestWebhookRefusalsCloseAndLogOnce(t *testing.T) {
	fake, _, hookURL, logs := startHook(t, funcHandler(echo), listen.Limits{})
	id := fake.PushText(42, "/start")
	for i := range 20 {
		req, _ := http.NewRequest(http.MethodPost, hookURL, strings.NewReader(string(fake.Update(id))))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", fmt.Sprint("wrong-", i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !resp.Close {
			t.Errorf("request %d without the secret: %d, Connection: close %v", i, resp.StatusCode, resp.Close)
		}
	}
	if n := strings.Count(logs.String(), "wrong secret refused"); n != 1 {
		t.Errorf("%d log lines for 20 refused requests within a minute, want 1:\n%s", n, logs.String())
	}
	if len(fake.Sent(42)) != 0 {
		t.Error("an unauthenticated update was handled")
	}
}
