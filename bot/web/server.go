// Package web is the web chat transport: a server-rendered page where a
// person with only a phone browser (WeChat's included) talks to the same
// conversation runner as Telegram and the console. It works with plain form
// posts when JavaScript is off; with it, posts go by XMLHttpRequest and late
// replies (OCR summaries) arrive by server-sent events, or polling.
//
// A person is a random session id in an HttpOnly, SameSite=Strict cookie;
// the runner knows them as "web:" and a hash of it. This process keeps the
// last messages of each session to show, and the documents to download.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/anning-bot/anning/bot/domain"
	"golang.org/x/time/rate"
)

// Handler runs one turn; *chat.Runner implements it.
type Handler interface {
	Handle(ctx context.Context, user string, ev domain.Event) ([]domain.Reply, error)
}

// Config configures the web server. Zero values take the defaults.
type Config struct {
	Addr           string         // host:port to listen on
	TrustedProxies []netip.Prefix // reverse proxies whose X-Forwarded-For/-Proto are believed
	SessionTTL     time.Duration  // a session idle this long is forgotten (the runner's TTL)
	// NewSessionsPerHour caps the sessions one address may start per hour
	// (a crawler without cookies starts one per page view); default 30.
	NewSessionsPerHour int
	AddrRate           rate.Limit // requests per second per address; default 10
	AddrBurst          int        // default 60
	SessionRate        rate.Limit // posts per second per session; default 2
	SessionBurst       int        // default 10
	MaxFile            int64      // bytes per uploaded file; default 20 MB (evidence.DefaultLimits)
	MaxFiles           int        // files per upload; default 10
	TurnTimeout        time.Duration
	SpoolDir           string // where uploads wait for the evidence service; default os.TempDir()
	Texts              Texts
	Log                *slog.Logger
	Now                func() time.Time
}

// Server is the web transport.
type Server struct {
	cfg      Config
	h        Handler
	sessions *sessions
	addrs    *addrLimits
	proxies  proxies
	tpl      *template.Template
	version  string // of the static files, for cache busting

	spoolMu sync.Mutex
	spool   map[string]string // upload id -> temp file
}

//go:embed assets
var assets embed.FS

// New returns a server; Run (or Bind and Handler, in tests) starts it.
func New(cfg Config) (*Server, error) {
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 720 * time.Hour
	}
	if cfg.NewSessionsPerHour == 0 {
		cfg.NewSessionsPerHour = 30
	}
	if cfg.AddrRate == 0 {
		cfg.AddrRate, cfg.AddrBurst = 10, 60
	}
	if cfg.SessionRate == 0 {
		cfg.SessionRate, cfg.SessionBurst = 2, 10
	}
	if cfg.MaxFile == 0 {
		cfg.MaxFile = 20 << 20
	}
	if cfg.MaxFiles == 0 {
		cfg.MaxFiles = 10
	}
	if cfg.TurnTimeout == 0 {
		cfg.TurnTimeout = 2 * time.Minute
	}
	if cfg.SpoolDir == "" {
		cfg.SpoolDir = os.TempDir()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Texts.Title == "" {
		return nil, errors.New("web: no texts (load content/web.yaml with LoadTexts)")
	}
	tpl, err := template.ParseFS(assets, "assets/page.html")
	if err != nil {
		return nil, fmt.Errorf("web: page template: %w", err)
	}
	sum := sha256.New()
	for _, name := range []string{"assets/app.css", "assets/app.js"} {
		data, err := assets.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		sum.Write(data)
	}
	s := &Server{cfg: cfg, tpl: tpl, proxies: cfg.TrustedProxies, version: hex.EncodeToString(sum.Sum(nil))[:10],
		spool: map[string]string{}}
	s.addrs = &addrLimits{limiters: map[netip.Addr]*addrState{}, rate: cfg.AddrRate, burst: cfg.AddrBurst,
		perHour: cfg.NewSessionsPerHour, now: cfg.Now}
	s.sessions = newSessions(cfg.SessionTTL, cfg.Now, func() *rate.Limiter { return rate.NewLimiter(cfg.SessionRate, cfg.SessionBurst) })
	return s, nil
}

// Bind sets the handler turns go to.
func (s *Server) Bind(h Handler) { s.h = h }

// Run serves on Addr until ctx is done, then shuts down gracefully.
func (s *Server) Run(ctx context.Context, h Handler) error {
	s.Bind(h)
	srv := &http.Server{
		Addr:              s.cfg.Addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second, // uploads extend their own
		WriteTimeout:      2 * time.Minute,  // event streams lift their own
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("web: listen: %w", err)
	}
	s.cfg.Log.Info("web chat listening", "addr", ln.Addr().String())
	go s.sweep(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-done
	return nil
}

func (s *Server) sweep(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sessions.sweep()
		}
	}
}

// Handler is the web chat's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("POST /send", s.post(s.send))
	mux.HandleFunc("POST /press", s.post(s.press))
	mux.HandleFunc("POST /upload", s.upload)
	mux.HandleFunc("GET /delete", s.confirmDelete)
	mux.HandleFunc("POST /delete", s.post(s.erase))
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("GET /log", s.poll)
	mux.HandleFunc("GET /file/{id}", s.download)
	mux.HandleFunc("GET /static/{name}", s.static)
	return s.guard(mux)
}

// csp allows the page's own CSS and JS only: nothing from elsewhere, no
// inline script, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// guard sets the security headers of every answer and applies the
// per-address rate limit.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store") // a conversation is personal
			if !s.addrs.allow(s.proxies.client(r)) {
				s.refuse(w, r, http.StatusTooManyRequests, s.cfg.Texts.TooFast)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

const cookieName = "anning"

// current returns the session of the request's cookie, or nil. A cookie
// this process does not know yet (a restart, another replica, or made up)
// costs what a new session costs, so it counts against the address's cap.
func (s *Server) current(r *http.Request) *session {
	c, err := r.Cookie(cookieName)
	if err != nil || len(c.Value) != 43 {
		return nil
	}
	if sess := s.sessions.held(c.Value); sess != nil {
		return sess
	}
	if !s.addrs.newSession(s.proxies.client(r)) {
		return nil
	}
	return s.sessions.get(c.Value)
}

// setCookie (re)sets the session cookie: it lasts as long as an idle
// session does, from the last visit.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", MaxAge: int(s.cfg.SessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.proxies.secure(r)})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.proxies.secure(r)})
}

// page shows the conversation; a browser without a session starts one
// (within the per-address cap) and is greeted.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	sess := s.current(r)
	if sess == nil {
		if !s.addrs.newSession(s.proxies.client(r)) {
			s.cfg.Log.Debug("web: new session refused: too many from one address this hour") // a crawler: not one warning per page view
			s.refuse(w, r, http.StatusTooManyRequests, s.cfg.Texts.TooManySessions)
			return
		}
		sess = s.sessions.get(newID())
	}
	s.setCookie(w, r, sess.id)
	if sess.empty() {
		// New, or this process has not shown it yet: greet a new person,
		// welcome back a known one (the runner knows which).
		s.turn(r.Context(), sess, domain.Event{Kind: domain.EventOpen}, nil)
	}
	msgs, n, _, _ := sess.since(0)
	s.render(w, http.StatusOK, "page", s.view(sess, msgs, n, ""))
}

// pageView is what the page template shows.
type pageView struct {
	T    Texts
	V    string
	CSRF string
	N    int
	Msgs []msgView
	Note string
}

type msgView struct {
	message
	Label    string
	Download string
	CSRF     string
	Old      bool // choices of an earlier question
}

func (s *Server) view(sess *session, msgs []message, n int, note string) pageView {
	v := pageView{T: s.cfg.Texts, V: s.version, N: n, Note: note}
	if sess != nil && !sess.erased {
		v.CSRF = csrfOf(sess.id)
	}
	v.Msgs = s.msgViews(msgs, v.CSRF)
	return v
}

func (s *Server) msgViews(msgs []message, csrf string) []msgView {
	out := make([]msgView, len(msgs))
	last := -1
	for i, m := range msgs {
		if len(m.Choices) > 0 {
			last = i
		}
	}
	t := s.cfg.Texts
	for i, m := range msgs {
		v := msgView{message: m, Download: t.Download, CSRF: csrf, Old: i != last}
		if csrf == "" {
			v.Choices = nil
		}
		switch m.Kind {
		case domain.ReplyCitation:
			v.Label = t.Citation
		case domain.ReplyChannel:
			v.Label = t.Channel
		case domain.ReplyCrisis:
			v.Label = t.Crisis
		}
		if m.Mine {
			v.Label = ""
		}
		out[i] = v
	}
	return out
}

func (s *Server) render(w http.ResponseWriter, status int, name string, v any) {
	var b bytes.Buffer
	if err := s.tpl.ExecuteTemplate(&b, name, v); err != nil {
		s.cfg.Log.Error("web: render", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// wantsJSON tells the page's script (which asks for JSON) from a plain
// form post (which gets a redirect back to the page).
func wantsJSON(r *http.Request) bool { return r.Header.Get("X-Requested-With") == "XMLHttpRequest" }

// refuse answers a request that cannot be served, in the person's words.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, text string) {
	if wantsJSON(r) || r.URL.Path == "/log" || r.URL.Path == "/events" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(update{Error: text})
		return
	}
	var sess *session
	if c, err := r.Cookie(cookieName); err == nil {
		sess = s.sessions.held(c.Value) // never a new one here
	}
	var msgs []message
	n := 0
	if sess != nil {
		msgs, n, _, _ = sess.since(0)
	}
	s.render(w, status, "page", s.view(sess, msgs, n, text))
}

// update is what the script gets after a post, by polling or as an event:
// the messages from From on, rendered, and the count after them.
type update struct {
	From   int    `json:"from"`
	N      int    `json:"n"`
	HTML   string `json:"html,omitempty"`
	Erased bool   `json:"erased,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (s *Server) updateSince(sess *session, from int) update {
	msgs, n, _, erased := sess.since(from)
	u := update{From: from, N: n, Erased: erased}
	if len(msgs) == 0 {
		return u
	}
	// Which choices are old depends on the whole conversation.
	all, _, _, _ := sess.since(0)
	views := s.msgViews(all, csrfOf(sess.id))
	var b bytes.Buffer
	for _, v := range views {
		if v.I >= from {
			if err := s.tpl.ExecuteTemplate(&b, "msg", v); err != nil {
				s.cfg.Log.Error("web: render", "err", err)
			}
		}
	}
	u.HTML = b.String()
	return u
}

// maxForm bounds a text or button post.
const maxForm = 32 << 10

// post checks a form post: a session, its CSRF token, its rate; then does
// it and answers with the new messages (script) or a redirect (no script).
func (s *Server) post(do func(ctx context.Context, sess *session, r *http.Request) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		// The script posts FormData (multipart), a plain form urlencoded.
		parse := r.ParseForm
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			parse = func() error { return r.ParseMultipartForm(maxForm) }
		}
		if err := parse(); err != nil {
			s.refuse(w, r, http.StatusRequestEntityTooLarge, s.cfg.Texts.TooLong)
			return
		}
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		token := r.PostFormValue("csrf")
		if token == "" {
			token = r.Header.Get("X-CSRF-Token")
		}
		sess, ok := s.checked(w, r, token)
		if !ok {
			return
		}
		from, _ := strconv.Atoi(r.PostFormValue("n"))
		note := do(r.Context(), sess, r)
		s.answer(w, r, sess, from, note)
	}
}

// checked returns the request's session when its CSRF token is right and
// it is within its rate; else it has answered.
func (s *Server) checked(w http.ResponseWriter, r *http.Request, token string) (*session, bool) {
	sess := s.current(r)
	if sess == nil || subtle.ConstantTimeCompare([]byte(token), []byte(csrfOf(sess.id))) != 1 {
		s.refuse(w, r, http.StatusForbidden, s.cfg.Texts.Expired)
		return nil, false
	}
	if !sess.limit.AllowN(s.cfg.Now(), 1) {
		s.refuse(w, r, http.StatusTooManyRequests, s.cfg.Texts.TooFast)
		return nil, false
	}
	return sess, true
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, sess *session, from int, note string) {
	_, n, _, erased := sess.since(0)
	if erased {
		s.clearCookie(w, r)
		if !wantsJSON(r) {
			s.bye(w, sess)
			return
		}
	} else {
		s.setCookie(w, r, sess.id)
	}
	if wantsJSON(r) {
		u := s.updateSince(sess, from)
		if erased {
			u = update{Erased: true, HTML: s.byeHTML(sess)}
		}
		u.Error = note
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(u)
		return
	}
	if note != "" {
		msgs, _, _, _ := sess.since(0)
		s.render(w, http.StatusOK, "page", s.view(sess, msgs, n, note))
		return
	}
	http.Redirect(w, r, "/#end", http.StatusSeeOther)
}

// maxText is the longest message taken (Telegram's own limit is 4096).
const maxText = 4000

func (s *Server) send(ctx context.Context, sess *session, r *http.Request) string {
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" {
		return ""
	}
	if utf8.RuneCountInString(text) > maxText || !utf8.ValidString(text) {
		return s.cfg.Texts.TooLong
	}
	shown := text
	switch text { // the page's own buttons show as pressed
	case "/menu":
		shown = s.cfg.Texts.Menu
	case "/privacy":
		shown = s.cfg.Texts.Privacy
	}
	return s.turn(ctx, sess, domain.Event{Kind: domain.EventText, Text: text}, &message{Mine: true, Text: shown})
}

func (s *Server) press(ctx context.Context, sess *session, r *http.Request) string {
	ref := r.PostFormValue("ref")
	i, err := strconv.Atoi(r.PostFormValue("i"))
	if err != nil || len(ref) > 20 {
		return s.cfg.Texts.Expired
	}
	label, ok := sess.choiceOf(ref, i)
	if !ok {
		label = "…"
	}
	return s.turn(ctx, sess, domain.Event{Kind: domain.EventPick, Ref: ref, Index: i}, &message{Mine: true, Text: label})
}

// turn shows the person's message, runs the turn and shows its replies;
// it returns a note for the person when the turn failed.
func (s *Server) turn(ctx context.Context, sess *session, ev domain.Event, mine *message) string {
	if s.h == nil {
		return s.cfg.Texts.Busy
	}
	if mine != nil {
		sess.add(*mine)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.TurnTimeout)
	defer cancel()
	replies, err := s.h.Handle(ctx, sess.user, ev)
	if err != nil {
		s.cfg.Log.Warn("web: turn failed", "user", sess.user, "err", err)
	}
	sess.mu.Lock()
	erased := sess.erased
	if erased {
		sess.byeReplies = replies // the turn erased everything (Erase): shown once, on the page after
	}
	sess.mu.Unlock()
	if !erased {
		s.show(sess, replies)
	}
	if err != nil && len(replies) == 0 {
		return s.cfg.Texts.Busy
	}
	return ""
}

// show adds replies to the conversation; documents become downloads.
func (s *Server) show(sess *session, replies []domain.Reply) {
	if len(replies) == 0 {
		return
	}
	msgs := make([]message, 0, len(replies))
	for _, rep := range replies {
		m := message{Kind: rep.Kind, Text: rep.Text, Choices: rep.Choices, Ref: rep.Ref}
		if rep.File != nil {
			m.FileID, m.FileName = s.sessions.keepFile(sess, rep.File), filepath.Base(rep.File.Name)
		}
		msgs = append(msgs, m)
	}
	sess.add(msgs...)
}

// Notify shows replies that come outside a turn (an OCR summary, an
// album's acknowledgement) to a web person whose session this process
// holds; the page gets them by its event stream or next poll.
func (s *Server) Notify(_ context.Context, user string, replies []domain.Reply) error {
	sess := s.sessions.byUserID(user)
	if sess == nil {
		return fmt.Errorf("web: notify: no open session for this person here")
	}
	s.show(sess, replies)
	return nil
}

// Erase forgets what this process shows a person (messages, documents);
// the runner calls it when the person erases their data, and the answer
// to that request clears the cookie.
func (s *Server) Erase(_ context.Context, user string) (int, error) {
	sess := s.sessions.byUserID(user)
	if sess == nil {
		return 0, nil
	}
	sess.mu.Lock()
	n := len(sess.files)
	sess.mu.Unlock()
	s.sessions.drop(sess)
	return n, nil
}

// erase is POST /delete: what /delete and its confirmation do on Telegram.
func (s *Server) erase(ctx context.Context, sess *session, r *http.Request) string {
	if s.h == nil {
		return s.cfg.Texts.Busy
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.TurnTimeout)
	defer cancel()
	replies, err := s.h.Handle(ctx, sess.user, domain.Event{Kind: domain.EventText, Text: "/delete"})
	if err != nil {
		s.cfg.Log.Warn("web: erase failed", "user", sess.user, "err", err)
		return s.cfg.Texts.Busy
	}
	ref := ""
	for _, rep := range replies {
		if len(rep.Choices) > 0 {
			ref = rep.Ref
		}
	}
	if note := s.turn(ctx, sess, domain.Event{Kind: domain.EventPick, Ref: ref, Index: 0}, nil); note != "" {
		return note
	}
	s.sessions.drop(sess) // the runner called Erase; this makes sure
	return ""
}

func (s *Server) confirmDelete(w http.ResponseWriter, r *http.Request) {
	sess := s.current(r)
	if sess == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, http.StatusOK, "confirm", s.view(sess, nil, 0, ""))
}

// bye is the page after erasure: what was erased, and a way to start again.
func (s *Server) bye(w http.ResponseWriter, sess *session) {
	msgs := s.byeMessages(sess)
	s.render(w, http.StatusOK, "page", pageView{T: s.cfg.Texts, V: s.version, Msgs: s.msgViews(msgs, ""), N: len(msgs)})
}

func (s *Server) byeMessages(sess *session) []message {
	sess.mu.Lock()
	replies := sess.byeReplies
	sess.mu.Unlock()
	msgs := []message{}
	for i, rep := range replies {
		msgs = append(msgs, message{I: i, Kind: rep.Kind, Text: rep.Text})
	}
	return append(msgs, message{I: len(msgs), Kind: domain.ReplyNotice, Text: s.cfg.Texts.Erased})
}

func (s *Server) byeHTML(sess *session) string {
	var b bytes.Buffer
	for _, v := range s.msgViews(s.byeMessages(sess), "") {
		s.tpl.ExecuteTemplate(&b, "msg", v)
	}
	return b.String()
}

// poll is the script's fallback without event streams: the messages after n.
func (s *Server) poll(w http.ResponseWriter, r *http.Request) {
	sess := s.current(r)
	if sess == nil {
		s.refuse(w, r, http.StatusForbidden, s.cfg.Texts.Expired)
		return
	}
	from, _ := strconv.Atoi(r.URL.Query().Get("n"))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.updateSince(sess, from))
}

// streamFor is how long one event stream stays open; the browser opens
// another (EventSource reconnects by itself).
const streamFor = 5 * time.Minute

// events streams the messages after n as they come (server-sent events).
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	sess := s.current(r)
	if sess == nil {
		s.refuse(w, r, http.StatusForbidden, s.cfg.Texts.Expired)
		return
	}
	if !s.sessions.openStream(sess) {
		s.refuse(w, r, http.StatusTooManyRequests, s.cfg.Texts.TooFast)
		return
	}
	defer s.sessions.closeStream(sess)
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(streamFor + time.Minute))
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event at once
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	if last, err := strconv.Atoi(r.Header.Get("Last-Event-ID")); err == nil && last > n {
		n = last
	}
	io.WriteString(w, "retry: 3000\n\n")
	rc.Flush()
	end := time.NewTimer(streamFor)
	defer end.Stop()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		_, total, changed, erased := sess.since(n)
		if total > n || erased {
			u := s.updateSince(sess, n)
			data, _ := json.Marshal(u)
			fmt.Fprintf(w, "id: %d\ndata: %s\n\n", u.N, data)
			if err := rc.Flush(); err != nil || erased {
				return
			}
			n = u.N
		}
		select {
		case <-changed:
		case <-ping.C:
			io.WriteString(w, ": ping\n\n")
			if err := rc.Flush(); err != nil {
				return
			}
		case <-end.C:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// download serves a document the bot sent, only to the session it was
// sent to.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	sess := s.current(r)
	var f *file
	ok := false
	if sess != nil {
		f, ok = sess.file(r.PathValue("id"))
	}
	if !ok {
		s.refuse(w, r, http.StatusNotFound, s.cfg.Texts.FileGone)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.name}))
	if f.open == nil {
		h.Set("Content-Length", strconv.Itoa(len(f.data)))
		w.Write(f.data)
		return
	}
	rc, err := f.open() // streamed as it is made, never held whole
	if err != nil {
		s.cfg.Log.Warn("download not opened", "err", err)
		s.refuse(w, r, http.StatusNotFound, s.cfg.Texts.FileGone)
		return
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		s.cfg.Log.Warn("download cut short", "err", err)
	}
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var typ string
	switch name {
	case "app.css":
		typ = "text/css; charset=utf-8"
	case "app.js":
		typ = "text/javascript; charset=utf-8"
	default:
		http.NotFound(w, r)
		return
	}
	data, err := assets.ReadFile("assets/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(data)
}

// upload takes the files of a multipart post, one by one, each spooled to
// a temporary file (never more than MaxFile+1 bytes) and handed to the
// runner as an attachment: the evidence service then checks size and type
// and keeps it exactly as for Telegram. Several files form one album.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	limit := int64(s.cfg.MaxFiles)*(s.cfg.MaxFile+1) + 1<<20
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(10 * time.Minute))
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(12 * time.Minute))
	mr, err := r.MultipartReader()
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, s.cfg.Texts.UploadFailed)
		return
	}
	token := r.Header.Get("X-CSRF-Token")
	var sess *session
	var files []spooled
	defer func() {
		for _, f := range files {
			s.unspool(f.id)
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			text := s.cfg.Texts.UploadFailed
			if errors.As(err, &tooBig) {
				text = s.cfg.Texts.TooLarge
			}
			if sess == nil {
				s.refuse(w, r, http.StatusRequestEntityTooLarge, text)
				return
			}
			s.answer(w, r, sess, 0, text)
			return
		}
		if part.FormName() == "csrf" && part.FileName() == "" {
			v, _ := io.ReadAll(io.LimitReader(part, 100))
			token = string(v)
			continue
		}
		if part.FormName() != "file" || part.FileName() == "" {
			continue
		}
		if sess == nil {
			// The token comes before any file (the form puts it first).
			var ok bool
			if sess, ok = s.checked(w, r, token); !ok {
				return
			}
		}
		if len(files) >= s.cfg.MaxFiles {
			s.answer(w, r, sess, 0, s.cfg.Texts.TooLarge)
			return
		}
		f, err := s.spoolPart(part)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				s.answer(w, r, sess, 0, s.cfg.Texts.TooLarge)
				return
			}
			s.cfg.Log.Error("web: spool upload", "err", err)
			s.answer(w, r, sess, 0, s.cfg.Texts.UploadFailed)
			return
		}
		files = append(files, f)
	}
	if sess == nil {
		if sess, ok := s.checked(w, r, token); ok {
			s.answer(w, r, sess, 0, "")
		}
		return
	}
	from := 0
	if v, err := strconv.Atoi(r.URL.Query().Get("n")); err == nil {
		from = v
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name
	}
	sess.add(message{Mine: true, Text: fmt.Sprintf(s.cfg.Texts.SentFiles, len(files), strings.Join(names, "、"))})
	group := ""
	if len(files) > 1 {
		group = "web-" + newID()[:12]
	}
	note := ""
	for _, f := range files {
		a := &domain.Attachment{ID: f.id, Name: f.name, MIME: f.mime, Size: f.size, Group: group, MessageDate: s.cfg.Now().Unix()}
		if n := s.turn(r.Context(), sess, domain.Event{Kind: domain.EventAttachment, Attachment: a}, nil); n != "" {
			note = n
		}
	}
	s.answer(w, r, sess, from, note)
}

type spooled struct {
	id, name, mime string
	size           int64
}

// uploadPrefix starts the attachment ids of uploads: Fetch opens them.
const uploadPrefix = "web-upload:"

// spoolPart writes one uploaded file to a temporary file, stopping one
// byte past MaxFile (the evidence service then says it is too large).
func (s *Server) spoolPart(part *multipart.Part) (spooled, error) {
	tmp, err := os.CreateTemp(s.cfg.SpoolDir, "anning-upload-*")
	if err != nil {
		return spooled{}, fmt.Errorf("web: spool: %w", err)
	}
	n, err := io.Copy(tmp, io.LimitReader(part, s.cfg.MaxFile+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return spooled{}, fmt.Errorf("web: spool: %w", err)
	}
	if n > s.cfg.MaxFile {
		io.Copy(io.Discard, part) // the rest, to reach the next file
	}
	id := uploadPrefix + newID()
	s.spoolMu.Lock()
	s.spool[id] = tmp.Name()
	s.spoolMu.Unlock()
	name := filepath.Base(strings.ReplaceAll(part.FileName(), `\`, "/"))
	if name == "." || name == "/" || !utf8.ValidString(name) || len(name) > 200 {
		name = "file"
	}
	return spooled{id: id, name: name, mime: part.Header.Get("Content-Type"), size: n}, nil
}

func (s *Server) unspool(id string) {
	s.spoolMu.Lock()
	path, ok := s.spool[id]
	delete(s.spool, id)
	s.spoolMu.Unlock()
	if ok {
		os.Remove(path)
	}
}

// IsUpload reports whether an attachment came from the web page.
func IsUpload(a *domain.Attachment) bool { return a != nil && strings.HasPrefix(a.ID, uploadPrefix) }

// Fetch opens an uploaded file for the evidence service, during the turn
// that received it.
func (s *Server) Fetch(_ context.Context, _ string, a *domain.Attachment) (io.ReadCloser, error) {
	s.spoolMu.Lock()
	path, ok := s.spool[a.ID]
	s.spoolMu.Unlock()
	if !ok {
		return nil, errors.New("web: fetch: the upload is gone")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("web: fetch: %w", err)
	}
	return f, nil
}
