package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"

	"github.com/anning-bot/anning/bot/internal/wait"
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
	meter    Meter // may be nil

	global  *rate.Limiter
	perChat rateLimit
	chatsMu sync.Mutex
	chats   map[int64]*chatLimiter

	maxAttempts int
	backoffBase time.Duration
	backoffMax  time.Duration
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
	seen *exchange
}

// exchange records what became of one request: whether it was written out
// (so Telegram may have acted on it) and the HTTP status of the answer.
type exchange struct {
	wrote  atomic.Bool
	status atomic.Int32
}

func (c ctxClient) Do(req *http.Request) (*http.Response, error) {
	ctx := httptrace.WithClientTrace(c.ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { c.seen.wrote.Store(true) },
	})
	resp, err := c.base.Do(req.WithContext(ctx))
	if resp != nil {
		c.seen.status.Store(int32(resp.StatusCode))
	}
	return resp, err
}

// sends are the methods that deliver something to a person: retrying one
// after an answer that may have been lost could deliver it twice.
var sends = map[string]bool{"sendMessage": true, "sendDocument": true}

// apiError is a failed call, with the token already scrubbed.
type apiError struct {
	Method     string
	Code       int // Telegram's error_code; 0 for a network or decoding failure
	RetryAfter int
	Msg        string
	Ambiguous  bool // sent, but no readable answer: Telegram may have acted on it
}

func (e *apiError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("telegram: %s: %d %s", e.Method, e.Code, e.Msg)
	}
	return fmt.Sprintf("telegram: %s: %s", e.Method, e.Msg)
}

// retryable reports whether sending again can help: flood control, server
// errors, and failures to reach Telegram or read its answer.
func (e *apiError) retryable() bool {
	switch {
	case e.RetryAfter > 0 || e.Code >= 500:
		return true // flood control, or Telegram (or its gateway) did not do it
	case e.Code == 0:
		return !(e.Ambiguous && sends[e.Method])
	}
	return false
}

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
	return c.callFiles(ctx, method, params, nil, chatID)
}

// callFiles is call with files to upload (multipart), e.g. sendDocument.
func (c *client) callFiles(ctx context.Context, method string, params tgbotapi.Params, files []tgbotapi.RequestFile, chatID int64) (json.RawMessage, error) {
	var last error
	for attempt := 1; attempt <= c.maxAttempts; attempt++ {
		if sends[method] {
			if err := c.wait(ctx, chatID); err != nil {
				return nil, fmt.Errorf("telegram: %s: %w", method, err)
			}
		}
		res, err := c.send(ctx, method, params, files, c.timeout)
		if err == nil {
			return res, nil
		}
		last = err
		var ae *apiError
		if c.meter != nil && errors.As(err, &ae) {
			c.meter.TelegramError(method, ae.Code)
		}
		if !errors.As(err, &ae) || !ae.retryable() || ctx.Err() != nil {
			return nil, err
		}
		delay := time.Duration(ae.RetryAfter) * time.Second
		if delay == 0 {
			delay = min(c.backoffBase<<(attempt-1), c.backoffMax)
		}
		if attempt == c.maxAttempts {
			break
		}
		c.log.Warn("telegram call failed, retrying", "method", method, "code", ae.Code, "retry_after", ae.RetryAfter, "attempt", attempt)
		if err := wait.Sleep(ctx, delay); err != nil {
			return nil, last
		}
	}
	return nil, last
}

// send makes one request (MakeRequest, or UploadFiles when there are files).
func (c *client) send(ctx context.Context, method string, params tgbotapi.Params, files []tgbotapi.RequestFile, timeout time.Duration) (json.RawMessage, error) {
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	seen := &exchange{}
	api := &tgbotapi.BotAPI{Token: c.token, Client: ctxClient{ctx: callCtx, base: c.http, seen: seen}}
	api.SetAPIEndpoint(c.endpoint)
	var resp *tgbotapi.APIResponse
	var err error
	if len(files) > 0 {
		resp, err = api.UploadFiles(method, params, files)
	} else {
		resp, err = api.MakeRequest(method, params)
	}
	if err == nil {
		return resp.Result, nil
	}
	var tgErr *tgbotapi.Error
	if errors.As(err, &tgErr) {
		code := tgErr.Code
		if code == 0 && seen.status.Load() >= 500 {
			code = int(seen.status.Load()) // uploads come back without error_code
		}
		return nil, &apiError{Method: method, Code: code, RetryAfter: tgErr.RetryAfter, Msg: c.scrub(tgErr.Message)}
	}
	if st := int(seen.status.Load()); st >= 500 {
		// A gateway's HTML error page: Telegram did not handle the call.
		return nil, &apiError{Method: method, Code: st, Msg: "HTTP " + strconv.Itoa(st) + " without a Bot API answer"}
	}
	return nil, &apiError{Method: method, Msg: c.scrub(err.Error()), Ambiguous: seen.wrote.Load()}
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

func chatIDParam(id int64) string { return strconv.FormatInt(id, 10) }
