// Package fakebot is an in-process fake of the Telegram Bot API for tests.
//
// It serves the same URLs as https://api.telegram.org (BASE/bot<TOKEN>/<method>
// and BASE/file/bot<TOKEN>/<file_path>), accepts the request encodings the
// real API accepts (application/x-www-form-urlencoded, multipart/form-data,
// query strings and application/json) and answers with the real envelope:
// {"ok":true,"result":...} or {"ok":false,"error_code":N,"description":"...",
// "parameters":{"retry_after":S}} with the HTTP status equal to error_code.
//
// Point github.com/go-telegram-bot-api/telegram-bot-api/v5 at it with
//
//	bot, err := tgbotapi.NewBotAPIWithClient(token, s.APIEndpoint(), client)
//
// Notes on that library (v5.5.1), checked by fakebot_test.go:
//
//   - Errors from the API come back as *tgbotapi.Error (a pointer), although
//     Error has a value receiver. errors.As(err, &e) with e of type
//     *tgbotapi.Error matches; with e of type tgbotapi.Error it does NOT.
//   - MakeRequest fills Error.Code from error_code, but UploadFiles (used by
//     Send/Request for anything with a file upload, e.g. sendDocument with
//     FileBytes) leaves Code at 0: only Message and ResponseParameters
//     (RetryAfter) are set. Do not rely on Code for uploads.
//   - The library never looks at the HTTP status. A non-JSON body (BreakNext:
//     HTTP 502 with an HTML page) surfaces as the json decoder's
//     *json.SyntaxError ("invalid character '<' looking for beginning of
//     value"), not as a *tgbotapi.Error, together with a non-nil, zero
//     *APIResponse.
//   - Requests carry no context: only the http.Client's Timeout (or a custom
//     HTTPClient) can end a hung call. A long-polling getUpdates with
//     timeout T needs a client timeout comfortably above T.
//   - File.Link and GetFileDirectURL always use the constant
//     tgbotapi.FileEndpoint (api.telegram.org), ignoring the endpoint passed
//     to NewBotAPIWithClient; build download URLs with FileEndpoint() here.
//   - WebhookConfig has no secret_token field; send setWebhook through
//     MakeRequest/Params to set one.
//   - Nil slices are sent as JSON null: UpdateConfig without AllowedUpdates
//     sends allowed_updates=null, NewMessage/NewEditMessageText send
//     entities=null. The fake treats null like "not given".
//   - FilePath uploads are named with the whole path given (os.File.Name),
//     so DocumentName is e.g. "/tmp/x/report.txt"; FileBytes/FileReader
//     send the Name you set.
//   - editMessageText/editMessageReplyMarkup return the edited Message, as
//     the real API does (True only for inline_message_id), so both
//     bot.Send and bot.Request work with them.
//
// Everything on Server is safe for concurrent use.
package fakebot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// The bot identity answered by getMe.
const (
	BotID        = 777
	BotFirstName = "安宁"
	BotUsername  = "AnNingTestBot"
)

// DefaultWaitTimeout is how long WaitSent, WaitCalls and WaitConfirmed wait
// before failing the test (change it per server with SetWaitTimeout).
const DefaultWaitTimeout = 10 * time.Second

// Limits of the real API that the fake enforces.
const (
	MaxTextLength    = 4096     // sendMessage/editMessageText text, in UTF-16 units after entity parsing
	MaxCaptionLength = 1024     // sendDocument caption
	MaxCallbackData  = 64       // inline button callback_data, in bytes
	MaxDownloadSize  = 20 << 20 // getFile refuses bigger files
	MaxUploadSize    = 50 << 20 // sendDocument refuses bigger uploads (413)
)

// Call is one request the fake received.
type Call struct {
	Method    string            // as in the URL ("file" for a file download)
	Params    url.Values        // every parameter, as the strings that arrived ("file_path" for downloads)
	Files     map[string][]byte // uploaded multipart files by field name ("document")
	FileNames map[string]string // their file names by field name
	At        time.Time         // arrival
	Status    int               // HTTP status answered; 0 while running or when no response was sent (hang, drop, client gone)
	Done      bool              // the fake has finished handling it
	// InWebhookAnswer: made in a webhook's answer to an update, not as a
	// request (Status is then what Telegram would have answered).
	InWebhookAnswer bool
}

// Button is one inline keyboard button.
type Button struct {
	Text, CallbackData string
	URL                string // for url buttons
}

// Sent is a message the bot sent (sendMessage or sendDocument).
type Sent struct {
	ChatID    int64
	MessageID int
	// Text is the message text, or the caption of a document.
	Text, ParseMode string
	// Keyboard is the inline keyboard of reply_markup (nil for none or for
	// other markups such as reply keyboards).
	Keyboard     [][]Button
	Document     []byte // uploaded bytes (or the bytes of a known file_id); nil with DigestUploads
	DocumentName string // uploaded file name
	// With DigestUploads: the SHA-256 (hex) and size of the uploaded bytes.
	DocumentSHA256 string
	DocumentSize   int64
}

type faultKind int

const (
	faultFail faultKind = iota + 1
	faultBreak
	faultHang
	faultDrop
)

type fault struct {
	method     string
	left       int
	kind       faultKind
	code       int
	desc       string
	retryAfter int
}

type queued struct {
	id  int64
	raw []byte
}

type msgKey struct {
	chat int64
	id   int
}

type msgState struct {
	Sent
	markup json.RawMessage // canonical JSON of reply_markup, nil for none
}

type webhookState struct {
	url, secret    string
	maxConnections int
	allowed        []string
	lastErrorDate  int64
	lastErrorMsg   string
}

// Server is a fake Bot API server for one test.
type Server struct {
	srv       *httptest.Server
	token     string
	closed    chan struct{}
	closeOnce sync.Once

	mu          sync.Mutex
	changed     chan struct{} // closed and replaced on every state change
	nextUpdate  int64
	nextMessage int
	nextQuery   int
	queue       []queued // unconfirmed updates, ascending ids
	history     map[int64][]byte
	calls       []Call
	sent        []Sent
	messages    map[msgKey]*msgState
	faults      []*fault
	delays      map[string]time.Duration
	files       map[string][]byte
	blocked     map[int64]bool
	webhook     webhookState
	slots       chan struct{} // deliveries under way (Deliver)
	polling     int           // getUpdates calls past their first checks, waiting or answering
	waitTimeout time.Duration
	onSent      func(Sent, time.Time)
	storm       *storm
	tally       map[string]map[int]int // method -> HTTP status answered -> calls
	digest      bool                   // uploads are hashed as they arrive, not kept
	light       bool                   // keep no record of calls, messages sent or updates (Light)
}

// keepLocked keeps a message sent, for edits and for Sent; a Light fake
// keeps only its keyboard.
func (s *Server) keepLocked(st *msgState) {
	key := msgKey{st.ChatID, st.MessageID}
	if !s.light {
		s.messages[key] = st
		s.sent = append(s.sent, cloneSent(st.Sent))
		return
	}
	s.messages[key] = &msgState{Sent: Sent{ChatID: st.ChatID, MessageID: st.MessageID, Keyboard: st.Keyboard}, markup: st.markup}
}

// Light makes the fake keep no record of what it served beyond what it
// needs to answer: no Calls, no Sent list, no copies of updates, and no
// text of messages (their keyboards stay, for edits). A load test that runs
// for minutes otherwise grows this process's heap by a hundred MB, and the
// garbage collector's pauses over it showed up as the bot's latency. Tally
// and OnSent still work; Calls and Sent then report nothing, and Update
// only updates not confirmed yet.
func (s *Server) Light() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.light = true
}

// recordLocked records a call as it arrives; the index is -1 when the fake
// is Light.
func (s *Server) recordLocked(c Call) int {
	if s.light {
		return -1
	}
	s.calls = append(s.calls, c)
	return len(s.calls) - 1
}

// answeredLocked marks a recorded call done, with the status answered (0:
// none), and counts it.
func (s *Server) answeredLocked(idx int, method string, status int) {
	if idx >= 0 {
		s.calls[idx].Status, s.calls[idx].Done = status, true
	}
	byStatus := s.tally[method]
	if byStatus == nil {
		byStatus = map[int]int{}
		s.tally[method] = byStatus
	}
	byStatus[status]++
}

// DigestUploads makes the fake read uploaded files as they arrive and keep
// only their SHA-256 and size (Sent.DocumentSHA256, DocumentSize), so that
// a test can measure the memory of the bot in its own process while it
// sends large documents.
func (s *Server) DigestUploads() {
	s.mu.Lock()
	s.digest = true
	s.mu.Unlock()
}

const digestPrefix = "fakebot-digest:"

// storm is a FailShare fault: a random share of the calls fail for a while.
type storm struct {
	methods    []string // nil: any
	share      float64
	until      time.Time
	code       int
	desc       string
	retryAfter int
}

// OnSent registers fn to be called for every message sendMessage delivers,
// with the time it arrived. Load harnesses use it instead of the Wait
// helpers, which wake every waiter on every change. fn runs under the fake's
// lock: it must be quick and must not call the Server.
func (s *Server) OnSent(fn func(Sent, time.Time)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onSent = fn
}

// New starts a fake for token; it is closed by t.Cleanup.
func New(t testing.TB, token string) *Server {
	t.Helper()
	s := &Server{
		token:       token,
		closed:      make(chan struct{}),
		changed:     make(chan struct{}),
		nextUpdate:  1,
		nextMessage: 1,
		nextQuery:   1,
		history:     map[int64][]byte{},
		messages:    map[msgKey]*msgState{},
		delays:      map[string]time.Duration{},
		files:       map[string][]byte{},
		blocked:     map[int64]bool{},
		tally:       map[string]map[int]int{},
		waitTimeout: DefaultWaitTimeout,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// URL is the server's base URL (no trailing slash).
func (s *Server) URL() string { return s.srv.URL }

// APIEndpoint is the pattern for tgbotapi.NewBotAPIWithClient: URL()+"/bot%s/%s".
func (s *Server) APIEndpoint() string { return s.srv.URL + "/bot%s/%s" }

// FileEndpoint is the download pattern: URL()+"/file/bot%s/%s" (token, file_path).
func (s *Server) FileEndpoint() string { return s.srv.URL + "/file/bot%s/%s" }

// Close stops the server. Pending long polls return [] and hung calls drop
// their connection. Safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.srv.Close()
	})
}

// SetWaitTimeout changes how long the Wait helpers wait (default 10 s).
func (s *Server) SetWaitTimeout(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitTimeout = d
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// ---------------------------------------------------------------------------
// Updates

func userJSON(id int64) map[string]any {
	return map[string]any{"id": id, "is_bot": false, "first_name": fmt.Sprintf("User%d", id)}
}

func botJSON() map[string]any {
	return map[string]any{"id": BotID, "is_bot": true, "first_name": BotFirstName, "username": BotUsername}
}

func chatJSON(id int64) map[string]any {
	if id < 0 {
		return map[string]any{"id": id, "type": "group", "title": fmt.Sprintf("Group%d", id)}
	}
	return map[string]any{"id": id, "type": "private", "first_name": fmt.Sprintf("User%d", id)}
}

var commandRE = regexp.MustCompile(`^/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{1,64})?`)

// commandEntities marks /commands at the start of the text and after
// whitespace as bot_command entities (offsets in UTF-16 units), as Telegram
// does; tgbotapi's Message.IsCommand relies on them.
func commandEntities(text string) []map[string]any {
	var out []map[string]any
	for i := 0; i < len(text); i++ {
		if text[i] != '/' || (i > 0 && !strings.ContainsRune(" \t\n\r", rune(text[i-1]))) {
			continue
		}
		m := commandRE.FindString(text[i:])
		if m == "" {
			continue
		}
		out = append(out, map[string]any{"type": "bot_command", "offset": utf16Len(text[:i]), "length": utf16Len(m)})
		i += len(m) - 1
	}
	return out
}

func (s *Server) pushLocked(build func(id int64) []byte) int64 {
	id := s.nextUpdate
	s.nextUpdate++
	raw := build(id)
	s.queue = append(s.queue, queued{id: id, raw: raw})
	if !s.light {
		s.history[id] = raw
	}
	s.notifyLocked()
	return id
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fakebot: cannot encode %v: %v", v, err))
	}
	return b
}

func (s *Server) pushMessage(chat map[string]any, userID int64, fields map[string]any) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := map[string]any{
		"message_id": s.nextMessage,
		"from":       userJSON(userID),
		"chat":       chat,
		"date":       time.Now().Unix(),
	}
	s.nextMessage++
	for k, v := range fields {
		msg[k] = v
	}
	body := mustJSON(msg) // before taking an id, so a bad field panics cleanly
	return s.pushLocked(func(id int64) []byte {
		return mustJSON(map[string]any{"update_id": id, "message": json.RawMessage(body)})
	})
}

func textFields(text string) map[string]any {
	f := map[string]any{"text": text}
	if e := commandEntities(text); e != nil {
		f["entities"] = e
	}
	return f
}

// PushText queues a private-chat text message from userID (chat id = user
// id). Commands get bot_command entities. It returns the update_id.
func (s *Server) PushText(userID int64, text string) int64 {
	return s.pushMessage(chatJSON(userID), userID, textFields(text))
}

// PushGroupText queues a text message from userID in the group chatID.
func (s *Server) PushGroupText(chatID, userID int64, text string) int64 {
	chat := map[string]any{"id": chatID, "type": "group", "title": fmt.Sprintf("Group%d", chatID)}
	return s.pushMessage(chat, userID, textFields(text))
}

// PushMessage queues a private message from userID with fields merged into
// the message object (overriding message_id, from, chat or date if given),
// e.g. {"sticker": {...}}, {"photo": [...]}, {"location": {...}}.
// It panics if a field cannot be encoded as JSON.
func (s *Server) PushMessage(userID int64, fields map[string]any) int64 {
	return s.pushMessage(chatJSON(userID), userID, fields)
}

// PushCallback queues a callback_query from userID pressing a button with
// data on message messageID of their private chat. When the bot sent that
// message, the embedded message carries its current text and reply_markup.
func (s *Server) PushCallback(userID int64, messageID int, data string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := map[string]any{
		"message_id": messageID,
		"from":       botJSON(),
		"chat":       chatJSON(userID),
		"date":       time.Now().Unix(),
	}
	if st := s.messages[msgKey{userID, messageID}]; st != nil {
		if st.Document != nil || st.DocumentName != "" {
			if st.Text != "" {
				msg["caption"] = st.Text
			}
		} else {
			msg["text"] = st.Text
		}
		if st.markup != nil {
			msg["reply_markup"] = st.markup
		}
	}
	qid := strconv.Itoa(4000000 + s.nextQuery)
	s.nextQuery++
	return s.pushLocked(func(id int64) []byte {
		return mustJSON(map[string]any{"update_id": id, "callback_query": map[string]any{
			"id":            qid,
			"from":          userJSON(userID),
			"message":       msg,
			"chat_instance": fmt.Sprintf("ci%d", userID),
			"data":          data,
		}})
	})
}

// PushRaw queues an update given as raw JSON, for malformed or unusual
// updates. It is stored verbatim, except that a JSON object without an
// "update_id" gets one (the slot's id) as its first member. Anything else
// (an object with its own update_id, non-objects, invalid JSON) is stored
// as-is and still takes the next id, which is what offsets count. Note that
// invalid JSON makes the whole getUpdates response invalid JSON.
func (s *Server) PushRaw(rawUpdateJSON string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushLocked(func(id int64) []byte {
		raw := []byte(rawUpdateJSON)
		trimmed := bytes.TrimSpace(raw)
		if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
			return raw
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(trimmed, &m) != nil {
			return raw
		}
		if _, ok := m["update_id"]; ok {
			return raw
		}
		inner := bytes.TrimSpace(trimmed[1:])
		out := fmt.Appendf(nil, `{"update_id":%d`, id)
		if inner[0] != '}' {
			out = append(out, ',')
		}
		return append(out, inner...)
	})
}

// Update returns the JSON of update id as it is delivered (nil if unknown).
// Confirmed updates stay available here, but not on a Light fake.
func (s *Server) Update(id int64) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if raw, ok := s.history[id]; ok {
		return bytes.Clone(raw)
	}
	for _, q := range s.queue {
		if q.id == id {
			return bytes.Clone(q.raw)
		}
	}
	return nil
}

// Unconfirmed lists the ids of queued updates not yet confirmed by a
// getUpdates offset (or by a successful Deliver).
func (s *Server) Unconfirmed() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.queue))
	for _, q := range s.queue {
		ids = append(ids, q.id)
	}
	return ids
}

// WaitConfirmed waits until update id is no longer queued, failing the test
// on timeout. Call it from the test goroutine.
func (s *Server) WaitConfirmed(t testing.TB, id int64) {
	t.Helper()
	s.waitFor(t, func() (bool, string) {
		for _, q := range s.queue {
			if q.id == id {
				return false, fmt.Sprintf("update %d still unconfirmed; queue %v", id, s.queueIDsLocked())
			}
		}
		return true, ""
	})
}

func (s *Server) queueIDsLocked() []int64 {
	var ids []int64
	for _, q := range s.queue {
		ids = append(ids, q.id)
	}
	return ids
}

func (s *Server) confirmBelowLocked(offset int64) {
	i := 0
	for i < len(s.queue) && s.queue[i].id < offset {
		i++
	}
	if i > 0 {
		s.queue = slices.Delete(s.queue, 0, i)
		s.notifyLocked()
	}
}

// ---------------------------------------------------------------------------
// What the bot sent

func cloneCall(c Call) Call {
	c.Params = cloneValues(c.Params)
	if c.Files != nil {
		f := make(map[string][]byte, len(c.Files))
		for k, v := range c.Files {
			f[k] = bytes.Clone(v)
		}
		c.Files = f
	}
	if c.FileNames != nil {
		n := make(map[string]string, len(c.FileNames))
		for k, v := range c.FileNames {
			n[k] = v
		}
		c.FileNames = n
	}
	return c
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func cloneSent(m Sent) Sent {
	if m.Keyboard != nil {
		kb := make([][]Button, len(m.Keyboard))
		for i, row := range m.Keyboard {
			kb[i] = slices.Clone(row)
		}
		m.Keyboard = kb
	}
	m.Document = bytes.Clone(m.Document)
	return m
}

func (s *Server) callsLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if method == "" || strings.EqualFold(c.Method, method) {
			out = append(out, cloneCall(c))
		}
	}
	return out
}

// Tally counts the calls answered so far by method (as in the URL) and
// HTTP status (0: no answer), without copying the calls: load harnesses
// read it before and after a measured period.
func (s *Server) Tally() map[string]map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]map[int]int, len(s.tally))
	for m, byStatus := range s.tally {
		out[m] = maps.Clone(byStatus)
	}
	return out
}

// Calls returns the calls of method ("" = all), in order of arrival,
// including failed and unanswered ones. A call is recorded when it arrives,
// before DelayAll and faults apply.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method)
}

func (s *Server) sentLocked(chatID int64) []Sent {
	var out []Sent
	for _, m := range s.sent {
		if m.ChatID == chatID {
			out = append(out, cloneSent(m))
		}
	}
	return out
}

// Sent returns what sendMessage and sendDocument successfully delivered to
// chatID, in order, as sent (edits do not change it; see Message).
func (s *Server) Sent(chatID int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentLocked(chatID)
}

// Message returns the current state of a message the bot sent, after any
// editMessageText/editMessageReplyMarkup.
func (s *Server) Message(chatID int64, messageID int) (Sent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.messages[msgKey{chatID, messageID}]
	if st == nil {
		return Sent{}, false
	}
	return cloneSent(st.Sent), true
}

// WaitSent waits until at least n messages were sent to chatID and returns
// them all; on timeout it fails the test listing what was sent. Call it
// from the test goroutine.
func (s *Server) WaitSent(t testing.TB, chatID int64, n int) []Sent {
	t.Helper()
	var out []Sent
	s.waitFor(t, func() (bool, string) {
		out = s.sentLocked(chatID)
		if len(out) >= n {
			return true, ""
		}
		var b strings.Builder
		fmt.Fprintf(&b, "want %d messages sent to chat %d, got %d:", n, chatID, len(out))
		for _, m := range out {
			fmt.Fprintf(&b, "\n  #%d %q", m.MessageID, m.Text)
			if m.DocumentName != "" {
				fmt.Fprintf(&b, " document %q (%d bytes)", m.DocumentName, len(m.Document))
			}
			if m.Keyboard != nil {
				fmt.Fprintf(&b, " keyboard %v", m.Keyboard)
			}
		}
		return false, b.String()
	})
	return out
}

// WaitSentWith waits until a message containing text (in its text or its
// document's name) was sent to chatID, and returns the first such. Tests
// that find replies by content, not position, do not break when a message
// that comes on its own (an OCR result) lands in between.
func (s *Server) WaitSentWith(t testing.TB, chatID int64, text string) Sent {
	t.Helper()
	var found Sent
	s.waitFor(t, func() (bool, string) {
		out := s.sentLocked(chatID)
		for _, m := range out {
			if strings.Contains(m.Text, text) || strings.Contains(m.DocumentName, text) {
				found = m
				return true, ""
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "no message with %q sent to chat %d among %d:", text, chatID, len(out))
		for _, m := range out {
			fmt.Fprintf(&b, "\n  #%d %q %q", m.MessageID, m.Text, m.DocumentName)
		}
		return false, b.String()
	})
	return found
}

// WaitCalls waits until at least n calls of method ("" = any) have arrived
// and returns them all; on timeout it fails the test listing all calls.
// Call it from the test goroutine.
func (s *Server) WaitCalls(t testing.TB, method string, n int) []Call {
	t.Helper()
	var out []Call
	s.waitFor(t, func() (bool, string) {
		out = s.callsLocked(method)
		if len(out) >= n {
			return true, ""
		}
		var b strings.Builder
		fmt.Fprintf(&b, "want %d calls of %q, got %d; all calls:", n, method, len(out))
		for _, c := range s.calls {
			fmt.Fprintf(&b, "\n  %s %s -> %d", c.Method, c.Params.Encode(), c.Status)
		}
		return false, b.String()
	})
	return out
}

// waitFor calls cond under the lock until it is true, failing t after the
// wait timeout with cond's last message.
func (s *Server) waitFor(t testing.TB, cond func() (bool, string)) {
	t.Helper()
	s.mu.Lock()
	timeout := s.waitTimeout
	s.mu.Unlock()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok, msg := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("fakebot: timed out after %v: %s", timeout, msg)
			return
		}
	}
}

// ---------------------------------------------------------------------------
// Faults and test state

func (s *Server) addFault(f *fault) {
	if f.left <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// FailNext makes the next n calls of method ("" = any) fail with a JSON
// error: error_code and HTTP status code, a description typical for the
// code, and parameters.retry_after when retryAfter > 0. The call has no
// effect. Faults are used in the order they were added: each call takes
// the first pending fault whose method matches.
func (s *Server) FailNext(method string, n int, code int, retryAfter int) {
	s.FailNextWith(method, n, code, defaultDescription(code, retryAfter), retryAfter)
}

// FailNextWith is FailNext with a chosen description, e.g.
// 403 "Forbidden: bot was blocked by the user" or
// 400 "Bad Request: message is not modified: ...".
func (s *Server) FailNextWith(method string, n int, code int, description string, retryAfter int) {
	s.addFault(&fault{method: method, left: n, kind: faultFail, code: code, desc: description, retryAfter: retryAfter})
}

func defaultDescription(code, retryAfter int) string {
	switch code {
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden: bot was blocked by the user"
	case 404:
		return "Not Found"
	case 409:
		return "Conflict"
	case 429:
		return fmt.Sprintf("Too Many Requests: retry after %d", retryAfter)
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Error"
}

// FailShare makes about share (0 to 1) of the calls of method ("" = any)
// that arrive during the next d fail like FailNext: error_code code as the
// HTTP status too, a description typical for the code, parameters.retry_after
// when retryAfter > 0, and no effect. Which calls fail is random. It models a
// flood-control storm, e.g. FailShare("sendMessage", 0.7, 3*time.Second,
// 429, 1). Faults of FailNext and the like are used first; a later
// FailShare replaces this one, and d <= 0 or share <= 0 ends it early.
// Calls records every failed call with its Status.
func (s *Server) FailShare(method string, share float64, d time.Duration, code int, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 || share <= 0 {
		s.storm = nil
		return
	}
	var methods []string
	if method != "" {
		methods = []string{method}
	}
	s.storm = &storm{methods: methods, share: share, until: time.Now().Add(d), code: code,
		desc: defaultDescription(code, retryAfter), retryAfter: retryAfter}
}

// FailShareOf is FailShare for several methods at once (the calls of any
// other method are left alone), e.g. every method a turn calls but not
// getUpdates.
func (s *Server) FailShareOf(methods []string, share float64, d time.Duration, code int, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 || share <= 0 || len(methods) == 0 {
		s.storm = nil
		return
	}
	s.storm = &storm{methods: slices.Clone(methods), share: share, until: time.Now().Add(d), code: code,
		desc: defaultDescription(code, retryAfter), retryAfter: retryAfter}
}

// stormFault reports whether this call of method is one FailShare fails.
func (s *Server) stormFault(method string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.storm
	if st == nil {
		return nil
	}
	if time.Now().After(st.until) {
		s.storm = nil
		return nil
	}
	if st.methods != nil && !slices.ContainsFunc(st.methods, func(m string) bool { return strings.EqualFold(m, method) }) {
		return nil
	}
	if rand.Float64() >= st.share {
		return nil
	}
	return &apiError{code: st.code, desc: st.desc, retryAfter: st.retryAfter}
}

// BreakNext makes the next n calls of method ("" = any) answer HTTP 502
// with an nginx-style HTML body (not JSON). The call has no effect.
func (s *Server) BreakNext(method string, n int) {
	s.addFault(&fault{method: method, left: n, kind: faultBreak})
}

// HangNext makes the next n calls of method ("" = any) never answer: the
// handler waits until the client gives up or the server closes, then drops
// the connection. The call has no effect.
func (s *Server) HangNext(method string, n int) {
	s.addFault(&fault{method: method, left: n, kind: faultHang})
}

// SucceedThenDrop makes the next n calls of method ("" = any) take effect
// normally but then closes the connection without any response (a lost
// response). Beware: Go's http.Transport may retry a dropped GET (file
// downloads) on a reused connection by itself; POSTs are not retried.
func (s *Server) SucceedThenDrop(method string, n int) {
	s.addFault(&fault{method: method, left: n, kind: faultDrop})
}

// DelayAll makes every later call of method ("" = any method without its
// own delay) sleep d before anything else happens; d <= 0 removes it. The
// sleep ends early, dropping the call, if the client gives up or the
// server closes.
func (s *Server) DelayAll(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.delays, strings.ToLower(method))
		return
	}
	s.delays[strings.ToLower(method)] = d
}

// ClearFaults removes all pending faults (FailShare's too) and delays.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.storm = nil
	clear(s.delays)
}

// SetBlocked makes chatID behave like a user who blocked the bot:
// sending, editing and chat actions to it fail with 403
// "Forbidden: bot was blocked by the user".
func (s *Server) SetBlocked(chatID int64, blocked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if blocked {
		s.blocked[chatID] = true
	} else {
		delete(s.blocked, chatID)
	}
}

// AddFile registers a file for getFile (file_path "documents/<fileID>")
// and for download at FileEndpoint().
func (s *Server) AddFile(fileID string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[fileID] = bytes.Clone(data)
}

func (s *Server) takeFault(method string) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.method == "" || strings.EqualFold(f.method, method) {
			f.left--
			if f.left <= 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			return f
		}
	}
	return nil
}

func (s *Server) delayFor(method string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.delays[strings.ToLower(method)]; ok {
		return d
	}
	return s.delays[""]
}

// ---------------------------------------------------------------------------
// Webhook

// WebhookInfo reports the webhook set by setWebhook: its url, secret_token,
// max_connections (40 when not given) and allowed_updates; set is false
// when no webhook is set.
func (s *Server) WebhookInfo() (url, secret string, maxConnections int, allowed []string, set bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.webhook
	return w.url, w.secret, w.maxConnections, slices.Clone(w.allowed), w.url != ""
}

var deliverClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
	MaxIdleConns: 2048, MaxIdleConnsPerHost: 2048, IdleConnTimeout: 30 * time.Second, // load tests deliver from many goroutines
}}

// Deliver POSTs queued update updateID to url like Telegram does
// (Content-Type application/json, X-Telegram-Bot-Api-Secret-Token: secret
// when secret is non-empty) and returns the HTTP status. A 2xx answer
// confirms the update (it leaves Unconfirmed); anything else is recorded
// as the webhook's last error (getWebhookInfo). Any update ever queued can
// be delivered, again and again.
func (s *Server) Deliver(url, secret string, updateID int64) (int, error) {
	body := s.Update(updateID)
	if body == nil {
		return 0, fmt.Errorf("fakebot: no update %d", updateID)
	}
	// Like Telegram, at most max_connections (setWebhook; 40 unless set)
	// deliveries at once: the others wait their turn.
	slots := s.deliverySlots()
	slots <- struct{}{}
	defer func() { <-slots }()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := deliverClient.Do(req)
	if err != nil {
		s.webhookError("Connection refused")
		return 0, err
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		s.callInAnswer(resp.Header.Get("Content-Type"), answer)
		s.mu.Lock()
		for i, q := range s.queue {
			if q.id == updateID {
				s.queue = slices.Delete(s.queue, i, i+1)
				s.notifyLocked()
				break
			}
		}
		s.mu.Unlock()
	} else {
		s.webhookError(fmt.Sprintf("Wrong response from the webhook: %s", resp.Status))
	}
	return resp.StatusCode, nil
}

// InAnswer marks, in Tally, the calls a webhook made in its answer to an
// update ("answerCallbackQuery" + InAnswer): Telegram runs them, and the bot
// never learns their result.
const InAnswer = " (in a webhook answer)"

// callInAnswer runs the Bot API call a webhook's 2xx answer carries (its
// "method" parameter, the others as in a request), as Telegram does. It is
// recorded among the calls with InWebhookAnswer set.
func (s *Server) callInAnswer(contentType string, body []byte) {
	if len(bytes.TrimSpace(body)) == 0 {
		return
	}
	req, err := http.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", contentType)
	params, files, names, perr := parseRequest(req)
	method := params.Get("method")
	if perr != nil || method == "" {
		return
	}
	params.Del("method")
	s.mu.Lock()
	idx := s.recordLocked(Call{Method: method, Params: cloneValues(params), Files: files, FileNames: names, At: time.Now(), InWebhookAnswer: true})
	s.mu.Unlock()
	status := http.StatusOK
	if _, aerr := s.dispatch(context.Background(), method, params, files, names); aerr != nil {
		status = aerr.code
	}
	s.mu.Lock()
	s.answeredLocked(idx, method+InAnswer, status)
	s.notifyLocked()
	s.mu.Unlock()
}

// Polling reports how many getUpdates calls are under way past their first
// checks: a setWebhook now terminates them.
func (s *Server) Polling() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polling
}

// deliverySlots bounds the deliveries under way, by the webhook's
// max_connections as set when they start.
func (s *Server) deliverySlots() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.webhook.maxConnections
	if n <= 0 {
		n = 40 // Telegram's default
	}
	if cap(s.slots) != n {
		s.slots = make(chan struct{}, n)
	}
	return s.slots
}

func (s *Server) webhookError(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook.lastErrorDate = time.Now().Unix()
	s.webhook.lastErrorMsg = msg
}

// ---------------------------------------------------------------------------
// HTTP

type apiError struct {
	code       int
	desc       string
	retryAfter int
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{code: 400, desc: "Bad Request: " + fmt.Sprintf(format, args...)}
}

// errAbort means: send no response, drop the connection.
var errAbort = &apiError{}

type result struct {
	json []byte // the "result" value, already encoded (may be invalid JSON from PushRaw)
	desc string // optional "description" on success
}

func okResult(v any) result { return result{json: mustJSON(v)} }

const badGatewayHTML = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var token, method, filePath string
	isFile := false
	switch {
	case strings.HasPrefix(r.URL.Path, "/file/bot"):
		var ok bool
		token, filePath, ok = strings.Cut(strings.TrimPrefix(r.URL.Path, "/file/bot"), "/")
		if !ok || filePath == "" {
			writeError(w, &apiError{code: 404, desc: "Not Found"})
			return
		}
		method, isFile = "file", true
	case strings.HasPrefix(r.URL.Path, "/bot"):
		var ok bool
		token, method, ok = strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
		if !ok || method == "" || strings.Contains(method, "/") {
			writeError(w, &apiError{code: 404, desc: "Not Found"})
			return
		}
	default:
		writeError(w, &apiError{code: 404, desc: "Not Found"})
		return
	}

	s.mu.Lock()
	digest := s.digest
	s.mu.Unlock()
	var params url.Values
	var files map[string][]byte
	var names map[string]string
	var perr *apiError
	if digest && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		params, files, names, perr = parseDigested(r)
	} else {
		params, files, names, perr = parseRequest(r)
	}
	if isFile {
		params = url.Values{"file_path": {filePath}}
		perr = nil
	}

	s.mu.Lock()
	idx := s.recordLocked(Call{Method: method, Params: cloneValues(params), Files: files, FileNames: names, At: time.Now()})
	s.notifyLocked()
	s.mu.Unlock()

	status, body, contentType := 0, []byte(nil), "application/json"
	drop := false
	defer func() {
		s.mu.Lock()
		answered := status
		if drop {
			answered = 0
		}
		s.answeredLocked(idx, method, answered)
		s.notifyLocked()
		s.mu.Unlock()
		if drop || status == 0 {
			abort(w)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}()
	fail := func(e *apiError) {
		if e == errAbort {
			return
		}
		status, body = httpStatus(e.code), errorBody(e)
	}

	if d := s.delayFor(method); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.closed:
			t.Stop()
			return
		}
	}
	if token != s.token {
		fail(&apiError{code: 401, desc: "Unauthorized"})
		return
	}
	if f := s.takeFault(method); f != nil {
		switch f.kind {
		case faultFail:
			fail(&apiError{code: f.code, desc: f.desc, retryAfter: f.retryAfter})
			return
		case faultBreak:
			status, body, contentType = http.StatusBadGateway, []byte(badGatewayHTML), "text/html"
			return
		case faultHang:
			select {
			case <-r.Context().Done():
			case <-s.closed:
			}
			return
		case faultDrop:
			drop = true
		}
	} else if e := s.stormFault(method); e != nil {
		fail(e)
		return
	}
	if perr != nil {
		fail(perr)
		return
	}
	if isFile {
		data, e := s.download(filePath)
		if e != nil {
			fail(e)
			return
		}
		status, body, contentType = http.StatusOK, data, "application/octet-stream"
		return
	}
	res, e := s.dispatch(r.Context(), method, params, files, names)
	if e != nil {
		fail(e)
		return
	}
	status, body = http.StatusOK, successBody(res)
}

func httpStatus(code int) int {
	if code < 100 || code > 599 {
		return http.StatusInternalServerError
	}
	return code
}

func successBody(res result) []byte {
	b := []byte(`{"ok":true,"result":`)
	b = append(b, res.json...)
	if res.desc != "" {
		b = append(b, `,"description":`...)
		b = append(b, mustJSON(res.desc)...)
	}
	return append(b, '}')
}

type errorParams struct {
	RetryAfter int `json:"retry_after,omitempty"`
}

type errorEnvelope struct {
	Ok          bool         `json:"ok"`
	ErrorCode   int          `json:"error_code"`
	Description string       `json:"description"`
	Parameters  *errorParams `json:"parameters,omitempty"`
}

func errorBody(e *apiError) []byte {
	env := errorEnvelope{ErrorCode: e.code, Description: e.desc}
	if e.retryAfter > 0 {
		env.Parameters = &errorParams{RetryAfter: e.retryAfter}
	}
	return mustJSON(env)
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := errorBody(e)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus(e.code))
	_, _ = w.Write(body)
}

// abort closes the connection without writing a response.
func abort(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// parseRequest reads parameters the ways the Bot API accepts them.
func parseRequest(r *http.Request) (url.Values, map[string][]byte, map[string]string, *apiError) {
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "multipart/form-data"):
		if err := r.ParseMultipartForm(MaxUploadSize + 1<<20); err != nil {
			return r.URL.Query(), nil, nil, badRequest("can't parse multipart/form-data: %v", err)
		}
		files := map[string][]byte{}
		names := map[string]string{}
		for field, hs := range r.MultipartForm.File {
			if len(hs) == 0 {
				continue
			}
			data, err := readPart(hs[0])
			if err != nil {
				return r.Form, nil, nil, badRequest("can't read file %q: %v", field, err)
			}
			files[field], names[field] = data, hs[0].Filename
		}
		return r.Form, files, names, nil
	case strings.HasPrefix(ct, "application/json"):
		params := r.URL.Query()
		var m map[string]json.RawMessage
		body, err := io.ReadAll(r.Body)
		if err == nil && len(bytes.TrimSpace(body)) > 0 {
			err = json.Unmarshal(body, &m)
		}
		if err != nil {
			return params, nil, nil, badRequest("can't parse JSON object: %v", err)
		}
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				params.Set(k, str)
			} else {
				params.Set(k, string(v))
			}
		}
		return params, nil, nil, nil
	default:
		if err := r.ParseForm(); err != nil {
			return r.URL.Query(), nil, nil, badRequest("can't parse parameters: %v", err)
		}
		return r.Form, nil, nil, nil
	}
}

// parseDigested reads a multipart request as it arrives: fields as
// parameters, files hashed (digestPrefix + hex SHA-256 + ":" + size).
func parseDigested(r *http.Request) (url.Values, map[string][]byte, map[string]string, *apiError) {
	params := r.URL.Query()
	mr, err := r.MultipartReader()
	if err != nil {
		return params, nil, nil, badRequest("can't parse multipart/form-data: %v", err)
	}
	files, names := map[string][]byte{}, map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return params, files, names, nil
		}
		if err != nil {
			return params, nil, nil, badRequest("can't parse multipart/form-data: %v", err)
		}
		if part.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(part, 1<<20))
			if err != nil {
				return params, nil, nil, badRequest("can't parse multipart/form-data: %v", err)
			}
			params.Add(part.FormName(), string(v))
			continue
		}
		h := sha256.New()
		n, err := io.Copy(h, part)
		if err != nil {
			return params, nil, nil, badRequest("can't read file %q: %v", part.FormName(), err)
		}
		files[part.FormName()] = []byte(fmt.Sprintf("%s%x:%d", digestPrefix, h.Sum(nil), n))
		names[part.FormName()] = part.FileName()
	}
}

func readPart(h *multipart.FileHeader) ([]byte, error) {
	f, err := h.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func (s *Server) dispatch(ctx context.Context, method string, p url.Values, files map[string][]byte, names map[string]string) (result, *apiError) {
	switch strings.ToLower(method) {
	case "getme":
		return okResult(botJSON()), nil
	case "getupdates":
		return s.getUpdates(ctx, p)
	case "sendmessage":
		return s.sendMessage(p)
	case "senddocument":
		return s.sendDocument(p, files, names)
	case "editmessagetext":
		return s.editMessage(p, true)
	case "editmessagereplymarkup":
		return s.editMessage(p, false)
	case "answercallbackquery":
		if p.Get("callback_query_id") == "" {
			return result{}, badRequest("query is too old and response timeout expired or query ID is invalid")
		}
		return okResult(true), nil
	case "sendchataction":
		return s.sendChatAction(p)
	case "setmycommands":
		return setMyCommands(p)
	case "setwebhook":
		return s.setWebhook(p)
	case "deletewebhook":
		return s.deleteWebhook(p)
	case "getwebhookinfo":
		return s.getWebhookInfo(), nil
	case "getfile":
		return s.getFile(p)
	}
	return result{}, &apiError{code: 404, desc: "Not Found"}
}

func intParam(p url.Values, name string, def int64) (int64, *apiError) {
	v := strings.TrimSpace(p.Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest("wrong parameter %s", name)
	}
	return n, nil
}

// stringList parses a JSON array of strings; "", "null" and "[]" give nil.
func stringList(p url.Values, name string) ([]string, *apiError) {
	v := strings.TrimSpace(p.Get(name))
	if v == "" || v == "null" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, badRequest("can't parse %s JSON array", name)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// getUpdates: allowed_updates is validated and recorded in Params but not
// used to filter.
func (s *Server) getUpdates(ctx context.Context, p url.Values) (result, *apiError) {
	offset, e := intParam(p, "offset", 0)
	if e != nil {
		return result{}, e
	}
	limit, e := intParam(p, "limit", 100)
	if e != nil {
		return result{}, e
	}
	limit = max(1, min(limit, 100))
	timeout, e := intParam(p, "timeout", 0)
	if e != nil {
		return result{}, e
	}
	if _, e := stringList(p, "allowed_updates"); e != nil {
		return result{}, e
	}

	s.mu.Lock()
	if s.webhook.url != "" {
		s.mu.Unlock()
		return result{}, &apiError{code: 409, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	}
	if offset < 0 { // -k: the last k updates; all older ones are forgotten
		if k := len(s.queue) + int(offset); k >= 0 && k < len(s.queue) {
			offset = s.queue[k].id
		} else if len(s.queue) > 0 {
			offset = s.queue[0].id
		} else {
			offset = s.nextUpdate
		}
	}
	s.confirmBelowLocked(offset)
	s.polling++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.polling--
		s.mu.Unlock()
	}()

	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second)
		defer t.Stop()
		timer = t.C
	}
	for {
		s.mu.Lock()
		if s.webhook.url != "" {
			s.mu.Unlock()
			return result{}, &apiError{code: 409, desc: "Conflict: terminated by setWebhook request"}
		}
		var batch [][]byte
		for _, q := range s.queue {
			if q.id >= offset && int64(len(batch)) < limit {
				batch = append(batch, q.raw)
			}
		}
		ch := s.changed
		s.mu.Unlock()
		if len(batch) > 0 || timer == nil {
			return result{json: encodeList(batch)}, nil
		}
		select {
		case <-ch:
		case <-timer:
			return result{json: []byte("[]")}, nil
		case <-ctx.Done():
			return result{}, errAbort
		case <-s.closed:
			return result{json: []byte("[]")}, nil
		}
	}
}

func encodeList(items [][]byte) []byte {
	b := []byte{'['}
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

func (s *Server) chatParam(p url.Values) (int64, *apiError) {
	v := strings.TrimSpace(p.Get("chat_id"))
	if v == "" {
		return 0, badRequest("chat_id is empty")
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id == 0 {
		return 0, badRequest("chat not found")
	}
	s.mu.Lock()
	blocked := s.blocked[id]
	s.mu.Unlock()
	if blocked {
		return 0, &apiError{code: 403, desc: "Forbidden: bot was blocked by the user"}
	}
	return id, nil
}

// messageResult is a Message as Telegram writes it: message_id first.
func messageResult(st *msgState, edited bool) result {
	m := messageJSON(st, edited)
	delete(m, "message_id")
	rest := mustJSON(m) // {"chat":...}
	b := append([]byte(`{"message_id":`), strconv.Itoa(st.MessageID)...)
	return result{json: append(append(b, ','), rest[1:]...)}
}

func messageJSON(st *msgState, edited bool) map[string]any {
	m := map[string]any{
		"message_id": st.MessageID,
		"from":       botJSON(),
		"chat":       chatJSON(st.ChatID),
		"date":       time.Now().Unix(),
	}
	if edited {
		m["edit_date"] = time.Now().Unix()
	}
	if st.Document != nil || st.DocumentName != "" {
		m["document"] = map[string]any{
			"file_id":        fmt.Sprintf("doc%d", st.MessageID),
			"file_unique_id": fmt.Sprintf("udoc%d", st.MessageID),
			"file_name":      st.DocumentName,
			"file_size":      len(st.Document),
		}
		if st.Text != "" {
			m["caption"] = st.Text
		}
	} else {
		m["text"] = st.Text
	}
	if st.markup != nil {
		m["reply_markup"] = st.markup
	}
	return m
}

func (s *Server) sendMessage(p url.Values) (result, *apiError) {
	chat, e := s.chatParam(p)
	if e != nil {
		return result{}, e
	}
	text, pm := p.Get("text"), p.Get("parse_mode")
	if e := checkText(text, pm, MaxTextLength, "message text is empty", "message is too long"); e != nil {
		return result{}, e
	}
	kb, markup, e := parseMarkup(p.Get("reply_markup"))
	if e != nil {
		return result{}, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &msgState{Sent: Sent{ChatID: chat, MessageID: s.nextMessage, Text: text, ParseMode: pm, Keyboard: kb}, markup: markup}
	s.nextMessage++
	s.keepLocked(st)
	if s.onSent != nil {
		s.onSent(st.Sent, time.Now())
	}
	s.notifyLocked()
	return messageResult(st, false), nil
}

func (s *Server) sendDocument(p url.Values, files map[string][]byte, names map[string]string) (result, *apiError) {
	chat, e := s.chatParam(p)
	if e != nil {
		return result{}, e
	}
	data, uploaded := files["document"]
	name := names["document"]
	if !uploaded {
		ref := p.Get("document")
		if ref == "" {
			return result{}, badRequest("there is no document in the request")
		}
		s.mu.Lock()
		data = bytes.Clone(s.files[ref])
		s.mu.Unlock()
		if data == nil {
			data = []byte{}
		}
	}
	var digest string
	size := int64(len(data))
	if uploaded && bytes.HasPrefix(data, []byte(digestPrefix)) {
		d, n, _ := strings.Cut(strings.TrimPrefix(string(data), digestPrefix), ":")
		digest = d
		size, _ = strconv.ParseInt(n, 10, 64)
		data = nil
	}
	if uploaded && size == 0 {
		return result{}, badRequest("file must be non-empty")
	} else if uploaded && size > MaxUploadSize {
		return result{}, &apiError{code: 413, desc: "Request Entity Too Large"}
	}
	caption, pm := p.Get("caption"), p.Get("parse_mode")
	if e := checkText(caption, pm, MaxCaptionLength, "", "message caption is too long"); e != nil {
		return result{}, e
	}
	kb, markup, e := parseMarkup(p.Get("reply_markup"))
	if e != nil {
		return result{}, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &msgState{Sent: Sent{ChatID: chat, MessageID: s.nextMessage, Text: caption, ParseMode: pm, Keyboard: kb, Document: data, DocumentName: name,
		DocumentSHA256: digest, DocumentSize: size}, markup: markup}
	s.nextMessage++
	s.keepLocked(st)
	s.files[fmt.Sprintf("doc%d", st.MessageID)] = data
	s.notifyLocked()
	return messageResult(st, false), nil
}

const notModified = "message is not modified: specified new message content and reply markup are exactly the same as a content and reply markup of the current message"

// editMessage handles editMessageText (text=true) and editMessageReplyMarkup.
// Like Telegram, an edit without reply_markup removes the inline keyboard,
// and an edit that changes nothing fails with "message is not modified".
// It returns the edited Message (True for inline_message_id), as the real
// API does. Messages the bot did not send are accepted and start being
// tracked (the real API would say "message to edit not found").
func (s *Server) editMessage(p url.Values, text bool) (result, *apiError) {
	newText, pm := p.Get("text"), p.Get("parse_mode")
	if text {
		if e := checkText(newText, pm, MaxTextLength, "message text is empty", "message is too long"); e != nil {
			return result{}, e
		}
	}
	kb, markup, e := parseMarkup(p.Get("reply_markup"))
	if e != nil {
		return result{}, e
	}
	if p.Get("inline_message_id") != "" {
		return okResult(true), nil
	}
	chat, e := s.chatParam(p)
	if e != nil {
		return result{}, e
	}
	mid, e := intParam(p, "message_id", 0)
	if e != nil {
		return result{}, e
	}
	if mid <= 0 {
		return result{}, badRequest("message identifier is not specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := msgKey{chat, int(mid)}
	st := s.messages[key]
	if st == nil {
		st = &msgState{Sent: Sent{ChatID: chat, MessageID: int(mid)}}
		s.messages[key] = st
	} else if bytes.Equal(st.markup, markup) && (!text || (st.Text == newText && st.ParseMode == pm)) {
		return result{}, badRequest(notModified)
	}
	if text {
		st.Text, st.ParseMode = newText, pm
	}
	st.Keyboard, st.markup = kb, markup
	s.notifyLocked()
	return messageResult(st, true), nil
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
	"record_audio": true, "upload_audio": true,
}

func (s *Server) sendChatAction(p url.Values) (result, *apiError) {
	if _, e := s.chatParam(p); e != nil {
		return result{}, e
	}
	if !chatActions[p.Get("action")] {
		return result{}, badRequest("wrong parameter action in request")
	}
	return okResult(true), nil
}

var botCommandRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func setMyCommands(p url.Values) (result, *apiError) {
	var cmds []struct {
		Command     string `json:"command"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal([]byte(p.Get("commands")), &cmds); err != nil {
		return result{}, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return result{}, badRequest("too many commands")
	}
	for _, c := range cmds {
		if !botCommandRE.MatchString(c.Command) {
			return result{}, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf16Len(c.Description); n < 1 || n > 256 {
			return result{}, badRequest("command description is empty or too long")
		}
	}
	return okResult(true), nil
}

var secretTokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (s *Server) setWebhook(p url.Values) (result, *apiError) {
	u := p.Get("url")
	if u == "" {
		return s.deleteWebhook(p)
	}
	secret := p.Get("secret_token")
	if secret != "" && !secretTokenRE.MatchString(secret) {
		return result{}, badRequest("secret token contains unallowed characters")
	}
	maxConn, e := intParam(p, "max_connections", 40)
	if e != nil {
		return result{}, e
	}
	if maxConn == 0 {
		maxConn = 40
	}
	allowed, e := stringList(p, "allowed_updates")
	if e != nil {
		return result{}, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = webhookState{url: u, secret: secret, maxConnections: int(maxConn), allowed: allowed}
	if p.Get("drop_pending_updates") == "true" {
		s.queue = nil
	}
	s.notifyLocked()
	return result{json: []byte("true"), desc: "Webhook was set"}, nil
}

func (s *Server) deleteWebhook(p url.Values) (result, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	desc := "Webhook was deleted"
	if s.webhook.url == "" {
		desc = "Webhook is already deleted"
	}
	s.webhook = webhookState{}
	if p.Get("drop_pending_updates") == "true" {
		s.queue = nil
	}
	s.notifyLocked()
	return result{json: []byte("true"), desc: desc}, nil
}

func (s *Server) getWebhookInfo() result {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.webhook
	info := map[string]any{
		"url":                    w.url,
		"has_custom_certificate": false,
		"pending_update_count":   len(s.queue),
	}
	if w.url != "" {
		info["max_connections"] = w.maxConnections
		if w.allowed != nil {
			info["allowed_updates"] = w.allowed
		}
		if w.lastErrorDate != 0 {
			info["last_error_date"] = w.lastErrorDate
			info["last_error_message"] = w.lastErrorMsg
		}
	}
	return okResult(info)
}

func (s *Server) getFile(p url.Values) (result, *apiError) {
	id := p.Get("file_id")
	s.mu.Lock()
	data, ok := s.files[id]
	s.mu.Unlock()
	if id == "" || !ok {
		return result{}, badRequest("invalid file_id")
	}
	if len(data) > MaxDownloadSize {
		return result{}, badRequest("file is too big")
	}
	return okResult(map[string]any{
		"file_id":        id,
		"file_unique_id": "u" + id,
		"file_size":      len(data),
		"file_path":      "documents/" + id,
	}), nil
}

func (s *Server) download(filePath string) ([]byte, *apiError) {
	id, ok := strings.CutPrefix(filePath, "documents/")
	s.mu.Lock()
	data, known := s.files[id]
	s.mu.Unlock()
	if !ok || !known {
		return nil, &apiError{code: 404, desc: "Not Found"}
	}
	return bytes.Clone(data), nil
}

// ---------------------------------------------------------------------------
// Validation of text and markup, mirroring the errors of the real API.

func utf16Len(s string) int {
	n := 0
	for _, r := range s { // invalid UTF-8 ranges as U+FFFD: one unit
		n += utf16.RuneLen(r)
	}
	return n
}

// checkText validates text under parseMode. emptyDesc "" allows empty text.
func checkText(text, parseMode string, limit int, emptyDesc, longDesc string) *apiError {
	if text == "" && emptyDesc == "" {
		return nil
	}
	plain := text
	var err error
	switch strings.ToLower(parseMode) {
	case "":
	case "html":
		plain, err = parseHTML(text)
	case "markdownv2":
		plain, err = parseMarkdownV2(text)
	case "markdown":
		plain = strings.NewReplacer("*", "", "_", "", "`", "", "[", "").Replace(text)
	default:
		return badRequest("unsupported parse_mode")
	}
	if err != nil {
		return badRequest("can't parse entities: %v", err)
	}
	if emptyDesc != "" && strings.TrimSpace(plain) == "" {
		return badRequest("%s", emptyDesc)
	}
	if utf16Len(plain) > limit {
		return badRequest("%s", longDesc)
	}
	return nil
}

var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true,
	"a": true, "code": true, "pre": true, "blockquote": true, "tg-emoji": true,
}

var htmlEntities = map[string]string{"lt": "<", "gt": ">", "amp": "&", "quot": "\""}

func isTagNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

// parseHTML checks Telegram's HTML subset (supported tags, proper nesting)
// and returns the visible text.
func parseHTML(text string) (string, error) {
	var out strings.Builder
	var stack []string
	for i := 0; i < len(text); {
		c := text[i]
		if c == '&' {
			if j := strings.IndexByte(text[i:], ';'); j > 1 && j < 12 {
				name := text[i+1 : i+j]
				if v, ok := htmlEntities[name]; ok {
					out.WriteString(v)
					i += j + 1
					continue
				}
				if strings.HasPrefix(name, "#") {
					var n uint64
					var err error
					if strings.HasPrefix(name, "#x") || strings.HasPrefix(name, "#X") {
						n, err = strconv.ParseUint(name[2:], 16, 32)
					} else {
						n, err = strconv.ParseUint(name[1:], 10, 32)
					}
					if err == nil {
						out.WriteRune(rune(n))
						i += j + 1
						continue
					}
				}
			}
			out.WriteByte(c)
			i++
			continue
		}
		if c != '<' {
			out.WriteByte(c)
			i++
			continue
		}
		start := i
		i++
		closing := i < len(text) && text[i] == '/'
		if closing {
			i++
		}
		j := i
		for j < len(text) && isTagNameByte(text[j]) {
			j++
		}
		name := strings.ToLower(text[i:j])
		if closing {
			k := j
			for k < len(text) && (text[k] == ' ' || text[k] == '\t' || text[k] == '\n') {
				k++
			}
			if k >= len(text) || text[k] != '>' {
				return "", fmt.Errorf("Unclosed end tag at byte offset %d", start)
			}
			if len(stack) == 0 {
				return "", fmt.Errorf("Unexpected end tag at byte offset %d", start)
			}
			top := stack[len(stack)-1]
			if name != "" && name != top {
				return "", fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", start, top, name)
			}
			stack = stack[:len(stack)-1]
			i = k + 1
			continue
		}
		if !htmlTags[name] {
			return "", fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, start)
		}
		// skip attributes up to '>', honouring quotes
		var quote byte
		k := j
		for ; k < len(text); k++ {
			ch := text[k]
			if quote != 0 {
				if ch == quote {
					quote = 0
				}
				continue
			}
			if ch == '"' || ch == '\'' {
				quote = ch
			} else if ch == '>' {
				break
			}
		}
		if k >= len(text) {
			return "", fmt.Errorf("Unclosed start tag at byte offset %d", start)
		}
		stack = append(stack, name)
		i = k + 1
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1])
	}
	return out.String(), nil
}

// parseMarkdownV2 catches the usual MarkdownV2 mistakes: reserved
// characters (# + - = { } . ! ( ) ) not escaped with '\' outside code, and
// unclosed code/pre; it returns the text without markup (approximately).
func parseMarkdownV2(text string) (string, error) {
	var out strings.Builder
	lineStart := true
	for i := 0; i < len(text); {
		c := text[i]
		if c == '\\' && i+1 < len(text) && text[i+1] < 0x80 {
			out.WriteByte(text[i+1])
			i += 2
			lineStart = false
			continue
		}
		switch c {
		case '`':
			fence := "`"
			kind := "Code"
			if strings.HasPrefix(text[i:], "```") {
				fence, kind = "```", "Pre"
			}
			end := -1
			for k := i + len(fence); k < len(text); k++ {
				if text[k] == '\\' {
					k++
					continue
				}
				if strings.HasPrefix(text[k:], fence) {
					end = k
					break
				}
			}
			if end < 0 {
				return "", fmt.Errorf("Can't find end of %s entity at byte offset %d", kind, i)
			}
			out.WriteString(text[i+len(fence) : end])
			i = end + len(fence)
		case ']':
			if i+1 < len(text) && text[i+1] == '(' {
				end := strings.IndexByte(text[i+2:], ')')
				if end < 0 {
					return "", fmt.Errorf("Can't find end of a URL at byte offset %d", i+1)
				}
				i += 2 + end + 1
			} else {
				i++
			}
		case '*', '_', '~', '|', '[':
			i++
		case '>':
			if !lineStart {
				return "", fmt.Errorf("Character '%c' is reserved and must be escaped with the preceding '\\'", c)
			}
			i++
		case '#', '+', '-', '=', '{', '}', '.', '!', '(', ')':
			return "", fmt.Errorf("Character '%c' is reserved and must be escaped with the preceding '\\'", c)
		default:
			out.WriteByte(c)
			i++
		}
		lineStart = c == '\n'
	}
	return out.String(), nil
}

var actionKeys = []string{"url", "callback_data", "switch_inline_query", "switch_inline_query_current_chat",
	"switch_inline_query_chosen_chat", "callback_game", "pay", "login_url", "web_app", "copy_text"}

// parseMarkup validates reply_markup and returns the inline keyboard (nil
// for none or for other markup kinds) and the canonical JSON of the markup.
func parseMarkup(raw string) ([][]Button, json.RawMessage, *apiError) {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == "null" {
		return nil, nil, nil
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	canon := json.RawMessage(mustJSON(obj))
	ik, ok := obj["inline_keyboard"]
	if !ok {
		return nil, canon, nil
	}
	rows, ok := ik.([]any)
	if !ok {
		return nil, nil, badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array")
	}
	kb := [][]Button{}
	for _, r := range rows {
		row, ok := r.([]any)
		if !ok {
			return nil, nil, badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
		}
		var out []Button
		for _, b := range row {
			bm, ok := b.(map[string]any)
			if !ok {
				return nil, nil, badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
			}
			text, _ := bm["text"].(string)
			if text == "" {
				return nil, nil, badRequest("can't parse inline keyboard button: Text must be non-empty")
			}
			btn := Button{Text: text}
			if d, has := bm["callback_data"]; has {
				ds, _ := d.(string)
				if ds == "" || len(ds) > MaxCallbackData {
					return nil, nil, badRequest("BUTTON_DATA_INVALID")
				}
				btn.CallbackData = ds
			}
			btn.URL, _ = bm["url"].(string)
			if !slices.ContainsFunc(actionKeys, func(k string) bool { _, has := bm[k]; return has }) {
				return nil, nil, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			}
			out = append(out, btn)
		}
		kb = append(kb, out)
	}
	return kb, canon, nil
}
