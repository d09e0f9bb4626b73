// Package telegram is the Telegram transport: it turns Bot API updates into
// engine events for the conversation runner and the runner's replies into
// Bot API calls, by long polling or by webhook. It stays thin: everything a
// turn does lives in the runner, so Telegram and the console behave the same.
package telegram

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/listen"
)

// What the transport needs of the conversation runner (*chat.Runner):
// domain.Handler runs a turn (an error with no replies means the turn could
// not be settled: nothing is sent and the update is left for Telegram to
// deliver again); a DeliveryRecorder learns that a turn's replies went out,
// so a redelivery sends nothing twice; a Holder holds replies durably (in
// polling mode, an update whose replies must wait for Telegram's flood
// control is then confirmed at once, and if the process stops before they
// went out, the next one sends them); a Flusher records deliveries when the
// transport stops.
type (
	Handler          = domain.Handler
	deliveryRecorder = domain.DeliveryRecorder
	holder           = domain.Holder
	flusher          = domain.Flusher
)

// Default endpoints of the official Bot API (patterns as the library's).
const (
	DefaultAPIEndpoint  = tgbotapi.APIEndpoint
	DefaultFileEndpoint = "https://api.telegram.org/file/bot%s/%s"
)

// DefaultWebhookAddr is loopback: the TLS proxy in front forwards to it.
const DefaultWebhookAddr = "127.0.0.1:8080"

// Config configures the transport. Zero values take the defaults noted.
type Config struct {
	Token         string
	APIEndpoint   string // method URL pattern; default DefaultAPIEndpoint
	FileEndpoint  string // file URL pattern; default DefaultFileEndpoint
	WebhookURL    string // set: webhook mode; unset: long polling
	WebhookSecret string
	WebhookAddr   string // listen address of the webhook server; default DefaultWebhookAddr
	// Listen bounds the webhook server's connections (timeouts, a cap);
	// zero fields take listen's defaults.
	Listen listen.Limits

	Workers      int           // chats handled at once; default 64
	PollTimeout  time.Duration // long-poll wait; default 25 s
	CallTimeout  time.Duration // per API call; default 10 s
	DrainTimeout time.Duration // time given to updates in flight at shutdown; default 10 s
	TypingAfter  time.Duration // a turn slower than this shows "typing"; default 700 ms
	RetryBackoff time.Duration // first wait before retrying a 5xx or network error; doubles up to 8 s; default 500 ms

	// ChatRate paces messages to one chat: default 1 a second (burst 3);
	// rate.Inf: not paced.
	ChatRate  rate.Limit
	ChatBurst int
	// GlobalRate is a ceiling on messages per second overall (burst
	// GlobalBurst), below which the pace is learned from Telegram's 429s;
	// 0 (default): learned, without a ceiling; rate.Inf: not paced at all.
	GlobalRate  rate.Limit
	GlobalBurst int

	HTTPClient *http.Client
	Log        *slog.Logger
	Meter      Meter // optional
}

// Meter counts updates and failed Bot API calls for the operator's metrics.
type Meter interface {
	Update(kind string)
	TelegramError(method string, code int) // code 0: network error
}

// Bot is the running transport.
type Bot struct {
	cfg Config
	c   *client
	h   Handler
	log *slog.Logger

	holder holder // nil: replies cannot be held (the update waits for them)
	heldMu sync.Mutex
	held   map[int64]bool // chats with held replies not delivered yet: sent before their next update

	keyboardsMu sync.Mutex
	keyboards   map[int64]int // chat -> message carrying the open question's buttons

	ready chan struct{} // closed once the bot took its first updates or set its webhook

	refusedLog *listen.Every // the log line of refused webhook requests: at most one a minute
}

// New checks the configuration; it makes no network call.
func New(cfg Config, h Handler) (*Bot, error) {
	if cfg.Token == "" {
		return nil, errors.New("telegram: no bot token")
	}
	if cfg.WebhookURL != "" && cfg.WebhookSecret == "" {
		return nil, errors.New("telegram: webhook mode needs a secret")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.PollTimeout, 25*time.Second)
	def(&cfg.CallTimeout, 10*time.Second)
	def(&cfg.DrainTimeout, 10*time.Second)
	def(&cfg.TypingAfter, 700*time.Millisecond)
	def(&cfg.RetryBackoff, 500*time.Millisecond)
	if cfg.APIEndpoint == "" {
		cfg.APIEndpoint = DefaultAPIEndpoint
	}
	if cfg.FileEndpoint == "" {
		cfg.FileEndpoint = DefaultFileEndpoint
	}
	if cfg.WebhookAddr == "" {
		cfg.WebhookAddr = DefaultWebhookAddr
	}
	if cfg.Workers == 0 {
		cfg.Workers = 64
	}
	if cfg.ChatRate == 0 {
		cfg.ChatRate, cfg.ChatBurst = 1, 3
	}
	if cfg.HTTPClient == nil {
		// Every call goes to one host: keep enough idle connections for all
		// workers, or busy moments open (and leave in TIME_WAIT) new ones.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 2*cfg.Workers+8, 2*cfg.Workers+8
		cfg.HTTPClient = &http.Client{Transport: t}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	c := &client{
		token: cfg.Token, endpoint: cfg.APIEndpoint, http: cfg.HTTPClient, timeout: cfg.CallTimeout, log: cfg.Log, meter: cfg.Meter,
		pace:        newPacer(cfg.ChatRate, cfg.ChatBurst, cfg.GlobalRate, max(cfg.GlobalBurst, int(min(cfg.GlobalRate, 1000))), nil),
		maxAttempts: 6, backoffBase: cfg.RetryBackoff, backoffMax: 8 * time.Second,
	}
	b := &Bot{cfg: cfg, c: c, h: h, log: cfg.Log, keyboards: map[int64]int{}, held: map[int64]bool{}, ready: make(chan struct{}),
		refusedLog: listen.NewEvery(time.Minute, nil)}
	b.holder, _ = h.(holder)
	return b, nil
}

// Ping checks that the Bot API answers (getMe), for readiness probes.
func (b *Bot) Ping(ctx context.Context) error {
	return b.c.send(ctx, "getMe", nil, nil, b.cfg.CallTimeout, nil)
}

// Ready is closed once the bot is taking updates.
func (b *Bot) Ready() <-chan struct{} { return b.ready }

// commands are shown in Telegram's menu button.
var commands = []tgbotapi.BotCommand{
	{Command: "start", Description: "开始"},
	{Command: "menu", Description: "主菜单"},
	{Command: "back", Description: "撤回上一个回答"},
	{Command: "law", Description: "相关法条"},
	{Command: "channels", Description: "投诉举报渠道"},
	{Command: "help", Description: "帮助"},
	{Command: "restart", Description: "从头开始"},
	{Command: "privacy", Description: "隐私说明"},
	{Command: "delete", Description: "删除我的全部数据"},
	{Command: "cancel", Description: "取消当前操作"},
}

// allowedUpdates are the update kinds the bot asks Telegram for.
var allowedUpdates = []string{"message", "callback_query"}

// Run serves until ctx ends, then shuts down gracefully: it stops taking
// updates, lets those in flight finish within DrainTimeout, and confirms to
// Telegram only the updates that were handled.
func (b *Bot) Run(ctx context.Context) error {
	var self struct {
		Username string `json:"username"`
	}
	if err := b.c.call(ctx, "getMe", nil, 0, &self); err != nil {
		return fmt.Errorf("telegram: check the token with getMe: %w", err)
	}
	b.log.Info("telegram bot connected", "username", self.Username, "mode", b.mode())
	cmds := tgbotapi.Params{}
	if err := cmds.AddInterface("commands", commands); err == nil {
		if err := b.c.call(ctx, "setMyCommands", cmds, 0, nil); err != nil {
			b.log.Warn("setMyCommands failed", "err", err)
		}
	}
	if f, ok := b.h.(flusher); ok {
		defer f.Flush(context.Background())
	}
	if b.cfg.WebhookURL != "" {
		return b.serveWebhook(ctx)
	}
	return b.poll(ctx)
}

func (b *Bot) mode() string {
	if b.cfg.WebhookURL != "" {
		return "webhook"
	}
	return "polling"
}

// drainContext is the context for handling updates: it outlives ctx by
// DrainTimeout, so updates in flight at shutdown can finish.
func (b *Bot) drainContext(ctx context.Context) (context.Context, context.CancelFunc) {
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(b.cfg.DrainTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-work.Done():
		}
	})
	return work, func() { stop(); cancel() }
}

func (b *Bot) getUpdates(ctx context.Context, offset int64, wait time.Duration) ([]json.RawMessage, error) {
	p := tgbotapi.Params{}
	p.AddNonZero64("offset", offset)
	p.AddNonZero("limit", 100)
	p.AddNonZero("timeout", int(wait/time.Second))
	_ = p.AddInterface("allowed_updates", allowedUpdates)
	var raws []json.RawMessage
	if err := b.c.send(ctx, "getUpdates", p, nil, wait+b.cfg.CallTimeout, &raws); err != nil {
		return nil, err
	}
	return raws, nil
}

// updateIDOf reads an update's id, quickly when it comes first (as
// Telegram writes it): the updates already in hand are skipped by id alone.
func updateIDOf(raw json.RawMessage) int64 {
	const key = `{"update_id":`
	if rest, ok := bytes.CutPrefix(raw, []byte(key)); ok {
		n, i := int64(0), 0
		for ; i < len(rest) && i < 19 && rest[i] >= '0' && rest[i] <= '9'; i++ {
			n = n*10 + int64(rest[i]-'0')
		}
		if i > 0 && i < len(rest) && (rest[i] == ',' || rest[i] == '}') {
			return n
		}
	}
	var u struct {
		UpdateID int64 `json:"update_id"`
	}
	_ = json.Unmarshal(raw, &u)
	return u.UpdateID
}

// serveWebhook registers the webhook and serves it until ctx ends; shutdown
// waits up to DrainTimeout for updates being handled.
func (b *Bot) serveWebhook(ctx context.Context) error {
	u, err := url.Parse(b.cfg.WebhookURL)
	if err != nil {
		return fmt.Errorf("telegram: WEBHOOK_URL: %w", err)
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	ln, err := listen.Listen(b.cfg.WebhookAddr, b.cfg.Listen)
	if err != nil {
		return fmt.Errorf("telegram: webhook listen: %w", err)
	}
	work, stopWork := b.drainContext(ctx)
	defer stopWork()
	d := newDispatcher(work, b.cfg.Workers, b.run)
	mux := http.NewServeMux()
	mux.Handle(path, b.webhookHandler(d))
	srv := listen.Server(mux, b.cfg.Listen)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	p := tgbotapi.Params{}
	p["url"] = b.cfg.WebhookURL
	p.AddNonEmpty("secret_token", b.cfg.WebhookSecret)
	// Telegram's most: an update waiting for a chat's flood wait holds its
	// connection (Telegram sends a chat's next update only after the answer,
	// which keeps each chat in order across replicas), but not a worker.
	p.AddNonZero("max_connections", 100)
	_ = p.AddInterface("allowed_updates", allowedUpdates)
	if err := b.c.call(ctx, "setWebhook", p, 0, nil); err != nil {
		_ = srv.Close()
		return fmt.Errorf("telegram: setWebhook: %w", err)
	}
	close(b.ready)
	b.log.Info("telegram webhook serving", "addr", ln.Addr().String(), "path", path)
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("telegram: webhook server: %w", err)
	}
	drain, cancel := context.WithTimeout(context.Background(), b.cfg.DrainTimeout)
	defer cancel()
	if err := srv.Shutdown(drain); err != nil {
		b.log.Warn("webhook shutdown: updates still in flight; Telegram will resend them", "err", err)
	}
	b.log.Info("telegram webhook stopped")
	return nil
}

// maxUpdateBytes bounds a webhook body; real updates are a few kilobytes.
const maxUpdateBytes = 1 << 20

// webhookHandler answers Telegram's webhook POSTs: 401 without the right
// secret (compared in constant time), 200 for a malformed body (logged, so one
// bad update cannot block its chat), and 200 once an update was handled
// (by d, in its chat's order), 503 when it must come again.
func (b *Bot) webhookHandler(d *dispatcher) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(b.cfg.WebhookSecret)) != 1 {
			// Logged at most once a minute, with the count: a flood of
			// them must not flood the log. The connection is not kept.
			if ok, n := b.refusedLog.Allow(); ok {
				b.log.Warn("webhook requests with a wrong secret refused", "count", n, "remote", r.RemoteAddr)
			}
			w.Header().Set("Connection", "close")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxUpdateBytes+1))
		if err != nil || len(body) > maxUpdateBytes {
			// Too slow (ReadTimeout) or too big: the connection is not kept.
			b.log.Warn("webhook body unreadable or too large; dropped", "bytes", len(body))
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusOK)
			return
		}
		in, err := decodeUpdate(body)
		if err != nil {
			b.log.Warn("malformed update dropped", "err", err, "bytes", len(body))
			w.WriteHeader(http.StatusOK)
			return
		}
		// The job goes on even if Telegram hangs up: its redelivery is then
		// recognised by the session and not answered twice.
		j := newJob(in)
		j.webhook = true
		d.submit(j)
		select {
		case <-j.settled:
		case <-r.Context().Done():
			return // Telegram gave up; it will resend
		}
		if !j.handled {
			// Not done (replies not delivered): Telegram retries later, and the
			// session sends the turn's kept replies again instead of applying it twice.
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		if call := j.folded(); call != nil {
			// Telegram makes this call itself (its result is not known to
			// anyone); a Bot API request saved.
			body, err := json.Marshal(call)
			if err == nil {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				w.WriteHeader(http.StatusOK)
				w.Write(body)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	})
}

// Messages of the transport itself.
const (
	msgPrivateOnly = "我只在私聊中工作，不在群里保存或处理任何内容。请点我的头像，发起私聊。"
	toastExpired   = "已过期"
)

// jobTimeout bounds one job: its turn, and its calls with their waits.
func (b *Bot) jobTimeout() time.Duration { return 2*b.cfg.CallTimeout + b.cfg.DrainTimeout }

// run does one job of the dispatcher and reports whether its update was
// handled (see handle).
func (b *Bot) run(ctx context.Context, j *job) bool {
	ctx, cancel := context.WithTimeout(ctx, b.jobTimeout())
	defer cancel()
	t := &turn{b: b, j: j, user: strconv.FormatInt(j.in.ChatID, 10)}
	// Only a poller may confirm an update before its replies went out:
	// its process alone gets the chat's next updates, behind this one.
	t.early = b.cfg.WebhookURL == "" && b.holder != nil
	if j.resend {
		return b.resend(context.WithValue(ctx, turnKey{}, t), t)
	}
	if b.isHeld(j.in.ChatID) {
		// Held replies first: the turn's save would replace their kept
		// copy. If they cannot go out yet, neither can this update.
		held := &turn{b: b, j: j, user: t.user}
		if !b.resend(context.WithValue(ctx, turnKey{}, held), held) {
			return false
		}
	}
	return b.handle(context.WithValue(ctx, turnKey{}, t), j.in, t)
}

func (b *Bot) isHeld(chatID int64) bool {
	b.heldMu.Lock()
	defer b.heldMu.Unlock()
	return b.held[chatID]
}

func (b *Bot) setHeld(chatID int64, held bool) {
	b.heldMu.Lock()
	defer b.heldMu.Unlock()
	if held {
		b.held[chatID] = true
	} else {
		delete(b.held, chatID)
	}
}

// turn is the job being handled, as seen by a call that must wait.
type turn struct {
	b         *Bot
	j         *job
	user      string
	early     bool // may settle its update before the replies went out, once they are held
	replying  bool // the turn is saved; its replies are being sent
	delivered bool // they went out
	held      bool // they were noted in the outbox
}

type turnKey struct{}

// holdAfter is the shortest wait for which a poller holds the replies back
// and confirms their update at once: Telegram gives at most 100 updates
// from the oldest one not confirmed, so a longer wait would hold back the
// fetching of everybody's updates (and the poller fetches again only once
// an update is done with, or after waitStraggler).
const holdAfter = 20 * time.Millisecond

// holdGrace is how long after its wait a held reply may still be on its
// way from this process before another takes it up.
const holdGrace = time.Minute

// parking is called before a call of the turn waits d. The worker is given
// back meanwhile; a poller holds replies that wait long and settles the
// update at once.
func (t *turn) parking(ctx context.Context, d time.Duration) {
	if t.early && t.replying && d >= holdAfter {
		switch {
		case t.delivered:
			t.j.settle(true) // only housekeeping is left
		case !t.held && t.j.in.Event.Seq != 0:
			if err := t.b.holder.Hold(ctx, t.user, time.Now().Add(d+holdGrace)); err != nil {
				t.b.log.Warn("replies not held; their update waits for them", "user", t.j.in.ChatID, "err", err)
				break
			}
			t.held = true
			t.j.settle(true)
		}
	}
	t.j.slot.release()
}

// resume takes a worker again after a wait.
func (t *turn) resume(ctx context.Context) error { return t.j.slot.acquire(ctx) }

// handle runs one update: the turn, then the replies. It reports whether the
// update is done with: false when the work was cut off (shutdown) or the
// replies could not be sent, so it is not confirmed and Telegram sends it
// again. A panic in a turn is logged and the update counted as done, so one
// poisonous update cannot crash the bot over and over.
func (b *Bot) handle(ctx context.Context, in incoming, t *turn) (handled bool) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("panic while handling an update", "panic", fmt.Sprint(p), "update", in.UpdateID, "user", in.ChatID)
			handled = true
		}
	}()
	if ctx.Err() != nil {
		return false // shutting down: leave it to Telegram
	}
	kind := in.kind()
	if b.cfg.Meter != nil {
		b.cfg.Meter.Update(kind)
	}
	if in.ChatID == 0 {
		return true
	}
	if !in.Private {
		switch {
		case in.CallbackID != "":
			b.answerCallback(ctx, t, in.ChatID, in.CallbackID, msgPrivateOnly)
		case in.Command:
			b.sendText(ctx, in.ChatID, msgPrivateOnly)
		}
		return true // nothing of a group is stored
	}
	stopTyping := b.typing(ctx, in.ChatID)
	start := time.Now()
	replies, err := b.h.Handle(ctx, t.user, in.Event)
	stopTyping()
	if err != nil {
		b.log.Error("turn failed", "user", in.ChatID, "err", err)
		if len(replies) == 0 {
			return false // unsettled: Telegram delivers it again
		}
	}
	if b.log.Enabled(ctx, slog.LevelDebug) {
		b.log.Debug("update handled", "user", in.ChatID, "update", in.UpdateID, "kind", kind,
			"replies", len(replies), "ms", time.Since(start).Milliseconds())
	}
	t.replying = err == nil
	// The reply goes first: it is what the person waits for. Then the
	// housekeeping: a button press is answered, and once a new question
	// with buttons went out, the buttons of the question answered by typing
	// are taken away (one edit, only while this process knows they are
	// there). A pressed question keeps its buttons: pressing one again is
	// answered 已过期 with the current question, and a press costs two calls
	// (the reply and the answer) instead of three. Without a new question,
	// the old buttons stay: the person still needs them.
	before := b.openKeyboard(in.ChatID)
	sent := b.send(ctx, in.ChatID, replies)
	b.delivered(ctx, t, sent && len(replies) > 0, in.Event.Seq)
	if t.held {
		b.setHeld(in.ChatID, true) // confirmed, not delivered: taken up before the chat's next update
	}
	if in.CallbackID != "" {
		toast := ""
		if len(replies) > 0 && replies[0].Kind == domain.ReplyExpired {
			toast = toastExpired
		}
		b.answerCallback(ctx, t, in.ChatID, in.CallbackID, toast)
	}
	if now := b.openKeyboard(in.ChatID); sent && before != 0 && now != before && in.MessageID != before {
		b.removeKeyboard(ctx, t, in.ChatID, before)
	}
	return sent
}

// delivered records that a turn's replies went out (ok) and forgets that
// they were held.
func (b *Bot) delivered(ctx context.Context, t *turn, ok bool, seq int64) {
	if !ok {
		return
	}
	t.delivered = true
	if rec, isRec := b.h.(deliveryRecorder); isRec {
		rec.Delivered(ctx, t.user, seq)
	}
	if t.held {
		b.holder.Release(ctx, t.user)
		t.held = false
	}
}

// resend takes up the held replies of a chat whose process stopped, or
// could not deliver them, before they went out.
func (b *Bot) resend(ctx context.Context, t *turn) bool {
	replies, seq, err := b.holder.Undelivered(ctx, t.user)
	if err != nil {
		b.log.Warn("held replies not readable; tried again later", "user", t.j.in.ChatID, "err", err)
		return false
	}
	t.replying, t.held = true, true
	if len(replies) == 0 {
		b.holder.Release(ctx, t.user) // they went out after all
		b.setHeld(t.j.in.ChatID, false)
		return true
	}
	b.log.Info("held replies taken up", "user", t.j.in.ChatID, "update", seq, "replies", len(replies))
	sent := b.send(ctx, t.j.in.ChatID, replies)
	b.delivered(ctx, t, sent, seq)
	b.setHeld(t.j.in.ChatID, !sent)
	return sent
}

// transient reports whether a failed delivery may succeed later (network,
// Telegram down, shutdown): the update is then left for Telegram to resend.
// A refusal (the person blocked the bot, a bad request) never will: the
// update is done with, or it would come back forever.
func transient(ctx context.Context, err error) bool {
	var ae *apiError
	if ctx.Err() != nil || !errors.As(err, &ae) {
		return true
	}
	return ae.Code == 0 || ae.Code >= 500 || ae.RetryAfter > 0
}

// send delivers a turn's replies in order: text merged into as few messages
// as fit, and each reply that carries a file as a document. It reports false
// when delivery failed for a reason that may pass.
func (b *Bot) send(ctx context.Context, chatID int64, replies []domain.Reply) bool {
	start := 0
	for i, r := range replies {
		if r.File == nil {
			continue
		}
		if !b.sendMessages(ctx, chatID, replies[start:i]) || !b.sendDocument(ctx, chatID, r) {
			return false
		}
		start = i + 1
	}
	return b.sendMessages(ctx, chatID, replies[start:])
}

// captionLimit is Telegram's limit on a document's caption.
const captionLimit = 1024

func (b *Bot) sendDocument(ctx context.Context, chatID int64, r domain.Reply) bool {
	caption := r.Text
	if utf16Len(caption) > captionLimit {
		if !b.sendMessages(ctx, chatID, []domain.Reply{{Kind: r.Kind, Text: r.Text}}) {
			return false
		}
		caption = ""
	}
	p := tgbotapi.Params{}
	p["chat_id"] = chatIDParam(chatID)
	p.AddNonEmpty("caption", caption)
	up := &upload{f: r.File}
	defer up.close()
	file := tgbotapi.RequestFile{Name: "document", Data: up}
	if err := b.c.callFiles(ctx, "sendDocument", p, []tgbotapi.RequestFile{file}, chatID, nil); err != nil {
		b.log.Error("document not delivered", "user", chatID, "err", err, "bytes", up.sent)
		return !transient(ctx, err)
	}
	return true
}

// upload streams a document to the multipart request: the file is opened
// anew for each attempt (domain.File.Reader) and read as it is sent, never
// held whole in memory. Readers the library did not close (a request that
// failed mid-way) are closed when the send is over.
type upload struct {
	f    *domain.File
	mu   sync.Mutex
	open []io.Closer
	sent int64
}

func (u *upload) NeedsUpload() bool { return true }
func (u *upload) SendData() string  { panic("telegram: upload has no file id") }

func (u *upload) UploadData() (string, io.Reader, error) {
	rc, err := u.f.Reader()
	if err != nil {
		return "", nil, fmt.Errorf("telegram: open document: %w", err)
	}
	u.mu.Lock()
	u.open = append(u.open, rc)
	u.mu.Unlock()
	return u.f.Name, &countingReader{rc: rc, n: &u.sent}, nil
}

func (u *upload) close() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, c := range u.open {
		c.Close()
	}
	u.open = nil
}

// countingReader counts what was read (for the log) and closes the file.
type countingReader struct {
	rc io.ReadCloser
	n  *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	atomic.AddInt64(c.n, int64(n))
	return n, err
}

func (c *countingReader) Close() error { return c.rc.Close() }

func (b *Bot) sendMessages(ctx context.Context, chatID int64, replies []domain.Reply) bool {
	for _, m := range render(replies, MaxMessageLen) {
		p := tgbotapi.Params{}
		p["chat_id"] = chatIDParam(chatID)
		p["text"] = m.HTML
		p["parse_mode"] = tgbotapi.ModeHTML
		p.AddBool("disable_web_page_preview", true)
		if m.Keyboard != nil {
			p["reply_markup"] = keyboardJSON(m.Keyboard)
		}
		var sent sentMessage
		var into any // the message is read only for the id of one with buttons
		if m.Keyboard != nil {
			into = &sent
		}
		if err := b.c.call(ctx, "sendMessage", p, chatID, into); err != nil {
			b.log.Error("reply not delivered", "user", chatID, "err", err)
			return !transient(ctx, err)
		}
		if m.Keyboard != nil && sent.MessageID != 0 {
			b.keyboardsMu.Lock()
			if len(b.keyboards) >= maxKeyboards {
				clear(b.keyboards)
			}
			b.keyboards[chatID] = sent.MessageID
			b.keyboardsMu.Unlock()
		}
	}
	return true
}

// Notify sends replies outside a turn (e.g. an OCR result) to a person.
func (b *Bot) Notify(ctx context.Context, user string, replies []domain.Reply) error {
	// Chat ids are kept bare (as before transports had namespaces), "tg:"
	// accepted too.
	chatID, err := strconv.ParseInt(strings.TrimPrefix(user, domain.TransportTelegram+":"), 10, 64)
	if err != nil {
		return fmt.Errorf("telegram: notify: bad user id: %w", err)
	}
	if !b.send(ctx, chatID, replies) {
		return errors.New("telegram: notify: not delivered")
	}
	return nil
}

// maxDownload is what a bot may download from Telegram (20 MB), plus one
// byte so the evidence store can tell a file over the limit.
const maxDownload = 20<<20 + 1

// Fetch downloads an attachment: getFile for its path, then the file
// endpoint (built from TELEGRAM_FILE_ENDPOINT, not the library's constant).
func (b *Bot) Fetch(ctx context.Context, _ string, a *domain.Attachment) (io.ReadCloser, error) {
	p := tgbotapi.Params{}
	p["file_id"] = a.ID
	var f struct {
		FilePath string `json:"file_path"`
	}
	if err := b.c.call(ctx, "getFile", p, 0, &f); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Code == http.StatusBadRequest && strings.Contains(strings.ToLower(ae.Msg), "file is too big") {
			// Over the 20 MB a bot may download: no retry can help.
			return nil, fmt.Errorf("%w: %w", err, domain.ErrAttachmentTooLarge)
		}
		return nil, err
	}
	if f.FilePath == "" {
		return nil, &apiError{Method: "getFile", Msg: "no file_path in the answer"}
	}
	dl, cancel := context.WithTimeout(ctx, 2*time.Minute)
	req, err := http.NewRequestWithContext(dl, http.MethodGet, fmt.Sprintf(b.cfg.FileEndpoint, b.cfg.Token, f.FilePath), nil)
	if err != nil {
		cancel()
		return nil, &apiError{Method: "download", Msg: b.c.scrub(err.Error())}
	}
	resp, err := b.cfg.HTTPClient.Do(req)
	if err != nil {
		cancel()
		return nil, &apiError{Method: "download", Msg: b.c.scrub(err.Error())}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, &apiError{Method: "download", Code: resp.StatusCode, Msg: "file download failed"}
	}
	return readCloser{Reader: io.LimitReader(resp.Body, maxDownload), close: func() error { cancel(); return resp.Body.Close() }}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

func (b *Bot) sendText(ctx context.Context, chatID int64, text string) {
	b.send(ctx, chatID, []domain.Reply{{Kind: domain.ReplyNotice, Text: text}})
}

// openKeyboard is the message carrying the chat's open question's buttons.
func (b *Bot) openKeyboard(chatID int64) int {
	b.keyboardsMu.Lock()
	defer b.keyboardsMu.Unlock()
	return b.keyboards[chatID]
}

// maxKeyboards bounds the in-memory map of open questions; forgetting one
// only means its buttons are not removed later.
const maxKeyboards = 100_000

// removeKeyboard takes the buttons off an answered question; like a
// button's answer, in the webhook's answer when it can.
func (b *Bot) removeKeyboard(ctx context.Context, t *turn, chatID int64, messageID int) {
	if messageID == 0 {
		return
	}
	p := tgbotapi.Params{}
	p["chat_id"] = chatIDParam(chatID)
	p.AddNonZero("message_id", messageID)
	if t.j.fold("editMessageReplyMarkup", p) {
		return
	}
	if err := b.c.try(ctx, "editMessageReplyMarkup", p, chatID); err != nil {
		b.log.Debug("keyboard not removed", "err", err) // e.g. the message is too old to edit
	}
}

// answerCallback stops the pressed button's spinner (with a toast when text
// is set). Nothing waits on its result, so a webhook turn folds it into the
// webhook's answer rather than make a request.
func (b *Bot) answerCallback(ctx context.Context, t *turn, chatID int64, id, text string) {
	p := tgbotapi.Params{}
	p["callback_query_id"] = id
	p.AddNonEmpty("text", text)
	if t.j.fold("answerCallbackQuery", p) {
		return
	}
	if err := b.c.try(ctx, "answerCallbackQuery", p, chatID); err != nil {
		// The button shows a wait until Telegram gives up on it. Under
		// flood control that is expected; anything else is worth a look.
		level := slog.LevelWarn
		if errors.Is(err, errWouldWait) || errorCode(err) == http.StatusTooManyRequests {
			level = slog.LevelDebug
		}
		b.log.Log(ctx, level, "callback not answered", "err", err)
	}
}

// typing shows "typing…" while a turn takes longer than TypingAfter, and
// repeats it every 4 s (Telegram shows it for 5 s). Each is one attempt with
// a short deadline, and stopping never waits for one: the reply must not.
// A turn that ends in time costs only a timer.
func (b *Bot) typing(ctx context.Context, chatID int64) (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool
		cancel  context.CancelFunc = func() {}
		t       *time.Timer
	)
	mu.Lock() // the callback uses t: not before it is set
	defer mu.Unlock()
	t = time.AfterFunc(b.cfg.TypingAfter, func() {
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		var callCtx context.Context
		callCtx, cancel = context.WithTimeout(ctx, 2*time.Second)
		mu.Unlock()
		p := tgbotapi.Params{}
		p["chat_id"] = chatIDParam(chatID)
		p["action"] = tgbotapi.ChatTyping
		if err := b.c.send(callCtx, "sendChatAction", p, nil, 2*time.Second, nil); err != nil && callCtx.Err() == nil {
			b.log.Debug("typing action failed", "err", err)
		}
		mu.Lock()
		if !stopped {
			t.Reset(4 * time.Second)
		}
		mu.Unlock()
	})
	return func() {
		mu.Lock()
		stopped = true
		cancel()
		mu.Unlock()
		t.Stop()
	}
}
