package telegram

import (
	"bytes"
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

	"github.com/anning-bot/anning/bot/internal/wait"
)

// client calls Bot API methods (uploads through the library's UploadFiles,
// the rest by posting the form itself and reading the answer in one pass),
// adding what the library lacks: a context and deadline on every call,
// pacing (see pacer), retries of 429 (after retry_after), 5xx and network
// errors with capped back-off, and error messages with the token scrubbed
// out.
type client struct {
	token    string
	endpoint string // method URL pattern, e.g. https://api.telegram.org/bot%s/%s
	http     *http.Client
	timeout  time.Duration
	log      *slog.Logger
	meter    Meter // may be nil
	pace     *pacer

	maxAttempts int
	backoffBase time.Duration
	backoffMax  time.Duration

	urls sync.Map // method -> its URL
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
// ctx ends. chatID is the chat the call is about (0: none): a message to
// it waits for its place in the chat's pace and the overall one, and every
// call about it waits out a flood wait Telegram set for it.
// The result is decoded into `into` (a pointer; nil: not read).
func (c *client) call(ctx context.Context, method string, params tgbotapi.Params, chatID int64, into any) error {
	return c.callFiles(ctx, method, params, nil, chatID, into)
}

// callFiles is call with files to upload (multipart), e.g. sendDocument.
func (c *client) callFiles(ctx context.Context, method string, params tgbotapi.Params, files []tgbotapi.RequestFile, chatID int64, into any) error {
	var last error
	paced := sends[method]
	for attempt := 1; attempt <= c.maxAttempts; attempt++ {
		if wait, cancel := c.pace.reserve(chatID, paced); wait > 0 {
			if err := c.park(ctx, wait); err != nil {
				cancel()
				if last != nil {
					return last
				}
				return fmt.Errorf("telegram: %s: %w", method, err)
			}
		}
		err := c.send(ctx, method, params, files, c.timeout, into)
		var ae *apiError
		isAPI := errors.As(err, &ae)
		retryAfter := time.Duration(0)
		if isAPI {
			retryAfter = time.Duration(ae.RetryAfter) * time.Second
		}
		if c.pace.done(chatID, err == nil && paced, retryAfter) {
			c.log.Warn("telegram asks the whole bot to slow down", "method", method, "retry_after", ae.RetryAfter, "pace", float64(c.pace.pace()))
		}
		if err == nil {
			return nil
		}
		last = err
		if c.meter != nil && isAPI {
			c.meter.TelegramError(method, ae.Code)
		}
		if !isAPI || !ae.retryable() || ctx.Err() != nil || attempt == c.maxAttempts {
			return err
		}
		if retryAfter > 0 {
			continue // the next attempt waits out the flood wait (pacer)
		}
		if c.log.Enabled(ctx, slog.LevelWarn) {
			c.log.Warn("telegram call failed, retrying", "method", method, "code", ae.Code, "attempt", attempt)
		}
		if err := c.park(ctx, min(c.backoffBase<<(attempt-1), c.backoffMax)); err != nil {
			return last
		}
	}
	return last
}

// errWouldWait is returned by try when the call would have to wait.
var errWouldWait = errors.New("telegram: flood wait in force; skipped")

// try makes one attempt at a call that is worth making only now (answering
// a button press, taking old buttons away): it is skipped while the chat
// or the bot is in a flood wait, and not retried. A turn's replies never
// wait behind it.
func (c *client) try(ctx context.Context, method string, params tgbotapi.Params, chatID int64) error {
	if wait, cancel := c.pace.reserve(chatID, false); wait > 0 {
		cancel()
		return errWouldWait
	}
	err := c.send(ctx, method, params, nil, c.timeout, nil)
	var ae *apiError
	isAPI := errors.As(err, &ae)
	retryAfter := time.Duration(0)
	if isAPI {
		retryAfter = time.Duration(ae.RetryAfter) * time.Second
		if c.meter != nil {
			c.meter.TelegramError(method, ae.Code)
		}
	}
	c.pace.done(chatID, false, retryAfter)
	return err
}

// park waits d before the next attempt of a call. A call of a turn gives
// its worker back meanwhile (see turn.parking): other chats keep flowing,
// the chat's own later updates wait behind it.
func (c *client) park(ctx context.Context, d time.Duration) error {
	t, _ := ctx.Value(turnKey{}).(*turn)
	if t == nil {
		return wait.Sleep(ctx, d)
	}
	t.parking(ctx, d)
	err := wait.Sleep(ctx, d)
	if resumeErr := t.resume(ctx); err == nil {
		err = resumeErr
	}
	return err
}

// send makes one request and decodes its result into `into` (nil: not
// read): uploads through the library's UploadFiles, the rest by post.
func (c *client) send(ctx context.Context, method string, params tgbotapi.Params, files []tgbotapi.RequestFile, timeout time.Duration, into any) error {
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if len(files) == 0 {
		return c.post(callCtx, method, params, into)
	}
	seen := &exchange{}
	api := &tgbotapi.BotAPI{Token: c.token, Client: ctxClient{ctx: callCtx, base: c.http, seen: seen}}
	api.SetAPIEndpoint(c.endpoint)
	resp, err := api.UploadFiles(method, params, files)
	if err == nil {
		if into != nil {
			if err := json.Unmarshal(resp.Result, into); err != nil {
				return &apiError{Method: method, Msg: "unreadable result: " + err.Error()}
			}
		}
		return nil
	}
	var tgErr *tgbotapi.Error
	if errors.As(err, &tgErr) {
		code := tgErr.Code
		if code == 0 && seen.status.Load() >= 500 {
			code = int(seen.status.Load()) // uploads come back without error_code
		}
		return &apiError{Method: method, Code: code, RetryAfter: tgErr.RetryAfter, Msg: c.scrub(tgErr.Message)}
	}
	if st := int(seen.status.Load()); st >= 500 {
		// A gateway's HTML error page: Telegram did not handle the call.
		return &apiError{Method: method, Code: st, Msg: "HTTP " + strconv.Itoa(st) + " without a Bot API answer"}
	}
	return &apiError{Method: method, Msg: c.scrub(err.Error()), Ambiguous: seen.wrote.Load()}
}

// answer is the Bot API's envelope. Result points at where the caller
// wants the result decoded, or at skipResult.
type answer struct {
	Ok          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
	Result any `json:"result"`
}

// skipped is a result nobody reads: decoding it only finds where it ends.
type skipped struct{}

func (*skipped) UnmarshalJSON([]byte) error { return nil }

var skipResult = &skipped{}

// post sends params as a form (as the library does) and reads the answer
// in one pass.
func (c *client) post(ctx context.Context, method string, params tgbotapi.Params, into any) error {
	var wrote atomic.Bool // set by the transport's writer
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(method), bytes.NewReader(formBody(params)))
	if err != nil {
		return &apiError{Method: method, Msg: c.scrub(err.Error())}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return &apiError{Method: method, Msg: c.scrub(err.Error()), Ambiguous: wrote.Load()}
	}
	buf := answerBufs.Get().(*bytes.Buffer)
	defer putAnswerBuf(buf)
	if n := resp.ContentLength; n > 0 && n <= maxPooledAnswer {
		buf.Grow(int(n))
	}
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return &apiError{Method: method, Msg: c.scrub(err.Error()), Ambiguous: true}
	}
	data := buf.Bytes()
	if resp.StatusCode == http.StatusOK && quickResult(data, into) {
		return nil
	}
	a := answer{Result: into}
	if into == nil {
		a.Result = skipResult
	}
	if err := json.Unmarshal(data, &a); err != nil {
		if resp.StatusCode >= 500 {
			// A gateway's HTML error page: Telegram did not handle the call.
			return &apiError{Method: method, Code: resp.StatusCode, Msg: "HTTP " + strconv.Itoa(resp.StatusCode) + " without a Bot API answer"}
		}
		return &apiError{Method: method, Msg: "unreadable answer: " + err.Error(), Ambiguous: true}
	}
	if !a.Ok {
		e := &apiError{Method: method, Code: a.ErrorCode, Msg: c.scrub(a.Description)}
		if e.Code == 0 {
			e.Code = resp.StatusCode
		}
		if a.Parameters != nil {
			e.RetryAfter = a.Parameters.RetryAfter
		}
		return e
	}
	return nil
}

// Answers are read into pooled buffers: each is decoded before post
// returns, and nothing decoded points into it.
var answerBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledAnswer = 64 << 10 // a bigger buffer (a long getUpdates batch) is left to the GC

func putAnswerBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooledAnswer {
		b.Reset()
		answerBufs.Put(b)
	}
}

// sentMessage is what the bot reads of a message it sent: its id.
type sentMessage struct {
	MessageID int `json:"message_id"`
}

// okAnswer is how Telegram begins every successful answer, and okMessage
// the answer of a sent message: {"ok":true,"result":{"message_id":N,...
var (
	okAnswer  = []byte(`{"ok":true,`)
	okMessage = []byte(`{"ok":true,"result":{"message_id":`)
)

// quickResult reads a successful answer without decoding it, when what the
// caller wants lies at its start: nothing (into nil), or a sent message's
// id. Any other answer, or one laid out otherwise, is decoded in full; a
// cut-off answer never gets here (the body's length is checked).
func quickResult(data []byte, into any) bool {
	switch into := into.(type) {
	case nil:
		return bytes.HasPrefix(data, okAnswer)
	case *sentMessage:
		rest, ok := bytes.CutPrefix(data, okMessage)
		if !ok {
			return false
		}
		end := 0
		for end < len(rest) && end < 19 && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		if end == 0 || end == len(rest) || (rest[end] != ',' && rest[end] != '}') {
			return false
		}
		id, err := strconv.Atoi(string(rest[:end]))
		if err != nil {
			return false
		}
		into.MessageID = id
		return true
	}
	return false
}

// formBody encodes params as application/x-www-form-urlencoded, as
// url.Values.Encode would (in no particular order), in one allocation.
func formBody(params tgbotapi.Params) []byte {
	n := 0
	for k, v := range params {
		n += 3*(len(k)+len(v)) + 2 // at worst every byte escaped, "=" and "&"
	}
	b := make([]byte, 0, n)
	for k, v := range params {
		if len(b) > 0 {
			b = append(b, '&')
		}
		b = appendQueryEscape(b, k)
		b = append(b, '=')
		b = appendQueryEscape(b, v)
	}
	return b
}

// appendQueryEscape appends s escaped as url.QueryEscape does: letters,
// digits and -_.~ as they are, space as +, every other byte as %XX.
func appendQueryEscape(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

// url is the method's URL, built once.
func (c *client) url(method string) string {
	if u, ok := c.urls.Load(method); ok {
		return u.(string)
	}
	u := fmt.Sprintf(c.endpoint, c.token, method)
	c.urls.Store(method, u)
	return u
}

// scrub removes the bot token from text that may be logged: the library's
// network errors quote the whole method URL, token included.
func (c *client) scrub(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "<token>")
}

func chatIDParam(id int64) string { return strconv.FormatInt(id, 10) }
