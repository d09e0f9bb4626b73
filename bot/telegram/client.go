package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"
)

// client calls Bot API methods through the library's MakeRequest, adding
// what the library lacks: a context and deadline on every call, rate limits,
// retries of 429 (after retry_after), 5xx and network errors with capped
// back-off, and error messages with the token scrubbed out.
type client struct {
	token    string
	endpoint string // method URL pattern, e.g. https://api.telegram.org/bot%s/%s
	http     *http.Client
	timeout  time.Duration
	log      *slog.Logger

	global  *rate.Limiter
	perChat rateLimit
	chatsMu sync.Mutex
	chats   map[int64]*chatLimiter

	maxAttempts int
	backoffBase time.Duration
	backoffMax  time.Duration
	sleep       func(context.Context, time.Duration) error
}

type rateLimit struct {
	every rate.Limit
	burst int
}

type chatLimiter struct {
	lim  *rate.Limiter
	used time.Time
}

// ctxClient gives one request the context of the call that made it, since
// MakeRequest builds requests without one.
type ctxClient struct {
	ctx  context.Context
	base *http.Client
}

func (c ctxClient) Do(req *http.Request) (*http.Response, error) {
	return c.base.Do(req.WithContext(c.ctx))
}

// apiError is a failed call, with the token already scrubbed.
type apiError struct {
	Method     string
	Code       int // Telegram's error_code; 0 for a network or decoding failure
	RetryAfter int
	Msg        string
}

func (e *apiError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("telegram: %s: %d %s", e.Method, e.Code, e.Msg)
	}
	return fmt.Sprintf("telegram: %s: %s", e.Method, e.Msg)
}

// retryable reports whether sending again can help: flood control, server
// errors, and failures to reach Telegram or read its answer.
func (e *apiError) retryable() bool { return e.RetryAfter > 0 || e.Code == 0 || e.Code >= 500 }

// errorCode returns Telegram's error code of err, or 0.
func errorCode(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

// call runs method once per attempt until it succeeds, fails for good, or
// ctx ends. chatID > 0 applies that chat's rate limit as well as the global one.
func (c *client) call(ctx context.Context, method string, params tgbotapi.Params, chatID int64) (json.RawMessage, error) {
	var last error
	for attempt := 1; attempt <= c.maxAttempts; attempt++ {
		if err := c.wait(ctx, chatID); err != nil {
			return nil, fmt.Errorf("telegram: %s: %w", method, err)
		}
		res, err := c.once(ctx, method, params)
		if err == nil {
			return res, nil
		}
		last = err
		var ae *apiError
		if !errors.As(err, &ae) || !ae.retryable() || ctx.Err() != nil {
			return nil, err
		}
		delay := time.Duration(ae.RetryAfter) * time.Second
		if delay == 0 {
			delay = min(c.backoffBase<<(attempt-1), c.backoffMax)
		}
		c.log.Warn("telegram call failed, retrying", "method", method, "code", ae.Code, "retry_after", ae.RetryAfter, "attempt", attempt)
		if err := c.sleep(ctx, delay); err != nil {
			return nil, last
		}
	}
	return nil, last
}

func (c *client) once(ctx context.Context, method string, params tgbotapi.Params) (json.RawMessage, error) {
	return c.onceWithTimeout(ctx, method, params, c.timeout)
}

func (c *client) onceWithTimeout(ctx context.Context, method string, params tgbotapi.Params, timeout time.Duration) (json.RawMessage, error) {
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	api := &tgbotapi.BotAPI{Token: c.token, Client: ctxClient{ctx: callCtx, base: c.http}}
	api.SetAPIEndpoint(c.endpoint)
	resp, err := api.MakeRequest(method, params)
	if err == nil {
		return resp.Result, nil
	}
	var tgErr *tgbotapi.Error
	if errors.As(err, &tgErr) {
		return nil, &apiError{Method: method, Code: tgErr.Code, RetryAfter: tgErr.RetryAfter, Msg: c.scrub(tgErr.Message)}
	}
	return nil, &apiError{Method: method, Msg: c.scrub(err.Error())}
}

// scrub removes the bot token from text that may be logged: the library's
// network errors quote the whole method URL, token included.
func (c *client) scrub(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "<token>")
}

func (c *client) wait(ctx context.Context, chatID int64) error {
	if chatID != 0 && c.perChat.every > 0 {
		if err := c.chatLimiter(chatID).Wait(ctx); err != nil {
			return err
		}
	}
	if c.global != nil {
		return c.global.Wait(ctx)
	}
	return nil
}

// chatLimiter returns the chat's limiter, forgetting chats idle for a minute.
func (c *client) chatLimiter(chatID int64) *rate.Limiter {
	c.chatsMu.Lock()
	defer c.chatsMu.Unlock()
	now := time.Now()
	if len(c.chats) > 10_000 {
		for id, l := range c.chats {
			if now.Sub(l.used) > time.Minute {
				delete(c.chats, id)
			}
		}
	}
	l := c.chats[chatID]
	if l == nil {
		l = &chatLimiter{lim: rate.NewLimiter(c.perChat.every, c.perChat.burst)}
		c.chats[chatID] = l
	}
	l.used = now
	return l.lim
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func chatIDParam(id int64) string { return strconv.FormatInt(id, 10) }
