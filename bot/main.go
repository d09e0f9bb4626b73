// Command bot runs AnNing (安宁). With no configuration it opens a chat in the
// terminal; `bot lint [DIR]` checks flow files; `bot graph [FLOW]` prints a
// Mermaid flowchart. main only reads the configuration and wires the parts.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/anning-bot/anning/bot/chat"
	"github.com/anning-bot/anning/bot/config"
	"github.com/anning-bot/anning/bot/console"
	"github.com/anning-bot/anning/bot/diag"
	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/draft"
	"github.com/anning-bot/anning/bot/evidence"
	"github.com/anning-bot/anning/bot/evidence/facts"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/legal"
	"github.com/anning-bot/anning/bot/listen"
	"github.com/anning-bot/anning/bot/logid"
	"github.com/anning-bot/anning/bot/metrics"
	"github.com/anning-bot/anning/bot/ops"
	"github.com/anning-bot/anning/bot/session"
	"github.com/anning-bot/anning/bot/telegram"
	"github.com/anning-bot/anning/bot/web"
	"github.com/anning-bot/anning/content"
	"github.com/anning-bot/anning/flows"
)

func main() {
	os.Exit(run(signalContext(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// signalContext ends on SIGINT or SIGTERM: the bot then shuts down gracefully.
func signalContext() context.Context {
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return ctx
}

const usage = `usage:
  bot               run the bot (a terminal chat unless TELEGRAM_BOT_TOKEN or WEB_ADDR is set)
  bot lint [DIR]    check the flows in DIR (default: FLOWS_DIR or the built-in flows)
  bot graph [FLOW]  print a Mermaid flowchart of a flow (default: main)
  bot config        print the settings in effect, secrets hidden
`

// run is main without the process: tests call it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv config.Getenv) int {
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log := newLogger(cfg, stderr)
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "":
	case "lint":
		dir := cfg.FlowsDir
		if len(args) > 1 {
			dir = args[1]
		}
		return lint(cfg, dir, stdout, stderr)
	case "graph":
		name := flow.MainFlow
		if len(args) > 1 {
			name = args[1]
		}
		return graph(cfg, name, stdout, stderr)
	case "config":
		for _, line := range cfg.Redacted() {
			fmt.Fprintln(stdout, line)
		}
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n%s", cmd, usage)
		return 2
	}

	m, err := NewMain(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer m.Close()
	if err := m.Run(ctx, stdin, stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// Main is the wired bot process; tests start it end to end.
type Main struct {
	Config   config.Config
	Log      *slog.Logger
	Runner   *chat.Runner
	Store    domain.Store
	Evidence *evidence.Service
	Metrics  *metrics.Metrics
	Web      *web.Server    // the web chat; nil without WEB_ADDR
	redis    *session.Redis // for the readiness check; nil without Redis
	s3       *evidence.S3   // for the readiness check; nil with EVIDENCE_DIR
	closer   []io.Closer
}

// NewMain loads content and flows and wires the runner.
func NewMain(cfg config.Config, log *slog.Logger) (*Main, error) {
	set, tpl, err := loadAll(cfg, cfg.FlowsDir)
	if err != nil {
		return nil, err
	}
	m := &Main{Config: cfg, Log: log}
	if cfg.HTTPAddr != "" {
		m.Metrics = metrics.New() // without the ops server nobody reads them: no work for them
	}
	var ledger domain.Store
	var outbox domain.Outbox        // replies held back by Telegram's flood control (polling)
	var batch domain.BatchDeliverer // deliveries recorded many at a time
	if cfg.UsesRedis() {
		session.SetRedisLogger(log)
		client, err := session.NewRedisClient(session.RedisConfig{URL: cfg.RedisURL, Addrs: cfg.RedisAddrs,
			SentinelMaster: cfg.RedisSentinelMaster, Password: cfg.RedisPassword, SentinelPass: cfg.RedisSentinelPass})
		if err != nil {
			return nil, err
		}
		m.closer = append(m.closer, client)
		rs := session.NewRedis(client, cfg.RedisPrefix, cfg.SessionTTL)
		if cfg.RedisWaitReplicas > 0 {
			rs.WaitForReplicas(cfg.RedisWaitReplicas, cfg.RedisWaitTimeout)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		if err := rs.Probe(ctx); err != nil {
			// Start anyway: people are told to retry until Redis is back
			// (a wrong password or a full Redis is named in err).
			log.Warn("redis not usable at start; will keep trying", "err", err)
		}
		cancel()
		m.redis = rs
		m.Store, ledger, outbox, batch = rs, rs.Record("evidence", cfg.DataRetention), rs, rs
	} else {
		mem := session.NewMemory(cfg.SessionTTL, time.Now)
		m.Store, outbox, batch = mem, mem, mem
		ledger = session.NewMemory(cfg.DataRetention, time.Now)
	}
	m.Store, ledger = m.Metrics.Store("session", m.Store), m.Metrics.Store("evidence", ledger)
	blobs, err := m.openBlobs()
	if err != nil {
		return nil, err
	}
	ev, err := newEvidence(cfg, blobs, ledger, log)
	if err != nil {
		return nil, err
	}
	ev.Meter = m.Metrics
	m.Evidence = ev
	drafts := &draft.Service{Templates: tpl, Evidence: ev, Now: time.Now, Meter: m.Metrics}
	where := flow.Storage{Sessions: "memory", Evidence: "dir"}
	if cfg.UsesRedis() {
		where.Sessions = "redis"
	}
	if cfg.EvidenceS3.Endpoint != "" {
		where.Evidence = "s3"
	}
	erasers := []chat.Eraser{ev, m.documents()}
	if cfg.WebAddr != "" {
		if m.Web, err = newWeb(cfg, log); err != nil {
			return nil, err
		}
		erasers = append(erasers, m.Web) // what the page shows goes with the rest
	}
	engine := flow.NewEngine(set, time.Now).WithGlobals(flow.Globals(cfg.SessionTTL, cfg.DataRetention, domain.RepliesTTL, where))
	m.Runner = chat.NewRunner(engine, m.Store, chat.Options{
		Log:     log,
		Meter:   m.turnMeter(),
		Actions: map[string]chat.ActionFunc{domain.DoEvidenceAdd: ev.Add, domain.DoEvidence: ev.Command, domain.DoDraft: drafts.Act},
		Erasers: erasers,
		Notices: ev.Notices,
		Hear:    ev.Rules.Heard,
		Outbox:  outbox,
		Batch:   batch,
	})
	return m, nil
}

// openBlobs opens the evidence file store: the S3 bucket when
// EVIDENCE_S3_ENDPOINT is set (any replica can then serve anyone), else the
// EVIDENCE_DIR folder.
func (m *Main) openBlobs() (evidence.BlobStore, error) {
	s3 := m.Config.EvidenceS3
	if s3.Endpoint == "" {
		return evidence.NewDir(m.Config.EvidenceDir)
	}
	host, secure, err := s3.HostPort()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m.s3, err = evidence.NewS3(ctx, evidence.S3Config{Endpoint: host, Secure: secure, Bucket: s3.Bucket,
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, Region: s3.Region})
	if err != nil {
		return nil, err
	}
	return m.s3, nil
}

func newEvidence(cfg config.Config, blobs evidence.BlobStore, ledger domain.Store, log *slog.Logger) (*evidence.Service, error) {
	ocr := evidence.NewOCR(max(runtime.GOMAXPROCS(0)/2, 1), time.Minute) // GOMAXPROCS follows a container's CPU limit
	if !ocr.Available() {
		log.Warn("tesseract not found: evidence is kept without OCR (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
	}
	rules, err := facts.LoadRules(contentFS(cfg), "evidence.yaml")
	if err != nil {
		return nil, inFolder(orDefault(cfg.ContentDir, "content"), err)
	}
	notices, err := content.LoadNotices(contentFS(cfg))
	if err != nil {
		return nil, inFolder(orDefault(cfg.ContentDir, "content"), err)
	}
	ev := evidence.NewService(blobs, ledger, ocr, rules)
	ev.Log, ev.Notices = log, notices
	return ev, nil
}

// sweepEvidence removes the evidence of people idle longer than
// DATA_RETENTION, at start and then every hour.
func (m *Main) sweepEvidence(ctx context.Context) {
	for {
		if n, err := m.Evidence.Sweep(ctx, m.Config.DataRetention); err != nil {
			m.Log.Error("evidence retention sweep failed", "err", err)
		} else if n > 0 {
			m.Log.Info("evidence past retention removed", "files", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// Run serves every configured transport until ctx is cancelled (or the
// terminal chat's input ends).
func (m *Main) Run(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	sweepCtx, stopSweep := context.WithCancel(ctx)
	swept := make(chan struct{})
	go func() { defer close(swept); m.sweepEvidence(sweepCtx) }()
	// resumeOCR takes up, in the background (start never waits for the
	// store), the images left waiting for OCR by the last run, once the
	// transport that tells the people is wired.
	var resumed sync.WaitGroup
	resumeOCR := func() {
		resumed.Add(1)
		go func() { defer resumed.Done(); m.resumeOCR(sweepCtx) }()
	}
	defer func() {
		stopSweep()
		<-swept
		resumed.Wait()
		m.Evidence.Wait() // let OCR in progress finish and report
	}()
	checks := map[string]ops.Check{}
	// Each check is logged when it starts failing and when it recovers, and
	// answers from its last result for a few seconds.
	ready := func(name string, c ops.Check) {
		checks[name] = ops.Cached(ops.Logged(name, c, m.Log), ops.ReadyCache)
	}
	if m.redis != nil {
		ready("redis", m.redis.Probe) // a real write: PING passes on a full or read-only Redis
	}
	if m.s3 != nil {
		ready("evidence-s3", m.s3.Ping)
	}
	// Late replies (OCR summaries) and file downloads go out by the door
	// of each person's transport.
	router := &domain.Router{}
	m.Evidence.Fetch, m.Evidence.Notify = router, router
	doors, err := m.transports(stdin, stdout, router, ready)
	if err != nil {
		return err
	}
	resumeOCR() // now that their transports can fetch and notify
	if m.Config.HTTPAddr != "" {
		go func() {
			if err := ops.Serve(ctx, m.Config.HTTPAddr, ops.Handler(checks, m.Metrics.Handler()), listen.Limits{}); err != nil {
				m.Log.Error("ops server stopped", "err", err)
			}
		}()
	}
	err = runAll(ctx, doors)
	m.Runner.Flush(context.Background()) // deliveries not yet recorded, whichever transport made them
	return err
}

// door is one configured transport, by the name of its users' namespace
// (domain.TransportOf).
type door struct {
	name string
	t    domain.Transport
}

// transports builds every configured transport over the one runner and
// registers its door with the router: Telegram when TELEGRAM_BOT_TOKEN is
// set, and the terminal chat only when no other transport is configured.
func (m *Main) transports(stdin io.Reader, stdout io.Writer, router *domain.Router, ready func(string, ops.Check)) ([]door, error) {
	var doors []door
	if m.Config.TelegramToken != "" {
		bot, err := telegram.New(telegram.Config{
			Token:         m.Config.TelegramToken,
			APIEndpoint:   m.Config.TelegramAPIEndpoint,
			FileEndpoint:  m.Config.TelegramFileEndpoint,
			WebhookURL:    m.Config.WebhookURL,
			WebhookSecret: m.Config.WebhookSecret,
			WebhookAddr:   m.Config.WebhookAddr,
			GlobalRate:    globalPace(m.Config.TelegramGlobalRate),
			GlobalBurst:   max(int(m.Config.TelegramGlobalRate), 1),
			ChatRate:      limit(m.Config.TelegramChatRate),
			ChatBurst:     3,
			Log:           m.Log,
			Meter:         m.telegramMeter(),
		}, m.Runner)
		if err != nil {
			return nil, err
		}
		router.Register(domain.TransportTelegram, domain.Door{Notifier: bot, FileFetcher: bot})
		ready("telegram", bot.Ping)
		doors = append(doors, door{domain.TransportTelegram, bot})
	}
	if m.Web != nil {
		router.Register(domain.TransportWeb, domain.Door{Notifier: m.Web, FileFetcher: m.Web})
		doors = append(doors, door{domain.TransportWeb, runFunc(func(ctx context.Context) error { return m.Web.Run(ctx, m.Runner) })})
	}
	if len(doors) == 0 {
		c := &console.Console{In: stdin, Out: stdout, User: domain.TransportConsole, Interactive: isTerminal(stdin), Log: m.Log,
			SaveDir: m.documents().For(domain.TransportConsole), Settle: m.Evidence.Wait}
		router.Register(domain.TransportConsole, domain.Door{Notifier: c, FileFetcher: c})
		doors = append(doors, door{domain.TransportConsole, runFunc(func(ctx context.Context) error { return c.Run(ctx, m.Runner) })})
	}
	return doors, nil
}

// runFunc makes a function a domain.Transport.
type runFunc func(ctx context.Context) error

func (f runFunc) Run(ctx context.Context) error { return f(ctx) }

// runAll runs every transport at once and shares their shutdown: when one
// stops (ctx ended, the console's input ended, or it failed), the others
// are told to stop too, and runAll returns once all have, with their errors.
func runAll(ctx context.Context, doors []door) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(doors))
	for _, d := range doors {
		go func() {
			err := d.t.Run(ctx)
			cancel()
			errs <- err
		}()
	}
	var all []error
	for range doors {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

// resumeOCR takes up the images left waiting for OCR by the last run.
// A shutdown that cuts it short is no fault: the images stay waiting for
// the next run, so it is not worth a warning (a console chat ended at once
// would show one).
func (m *Main) resumeOCR(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := m.Evidence.Resume(rctx); err != nil && ctx.Err() == nil {
		m.Log.Warn("images waiting for OCR not taken up", "err", err)
	}
}

// newWeb makes the web chat (WEB_ADDR) with the page's texts from the
// content folder.
func newWeb(cfg config.Config, log *slog.Logger) (*web.Server, error) {
	texts, err := web.LoadTexts(contentFS(cfg))
	if err != nil {
		return nil, err
	}
	return web.New(web.Config{Addr: cfg.WebAddr, TrustedProxies: cfg.WebTrustedProxies, SessionTTL: cfg.SessionTTL,
		NewSessionsPerHour: cfg.WebNewSessionsPerHour, MaxFile: evidence.DefaultLimits.MaxFile, Texts: texts, Log: log})
}

// turnMeter and telegramMeter are the metrics, or no meter at all (not a
// nil *metrics.Metrics, which would still be called) without the ops server.
func (m *Main) turnMeter() chat.Meter {
	if m.Metrics == nil {
		return nil
	}
	return m.Metrics
}

func (m *Main) telegramMeter() telegram.Meter {
	if m.Metrics == nil {
		return nil
	}
	return m.Metrics
}

// documents is where the console keeps the drafts it writes: beside the
// evidence folder (./data/documents by default), erased by /delete.
func (m *Main) documents() console.Documents {
	return console.Documents{Dir: filepath.Join(filepath.Dir(filepath.Clean(m.Config.EvidenceDir)), "documents")}
}

// globalPace turns TELEGRAM_GLOBAL_RATE into the transport's setting: unset
// (learned) is 0, 0 (no limit) is rate.Inf, a number is a ceiling.
func globalPace(perSecond float64) rate.Limit {
	if perSecond == config.Learned {
		return 0
	}
	return limit(perSecond)
}

// limit turns a messages-per-second setting into a rate limit; 0 is none.
func limit(perSecond float64) rate.Limit {
	if perSecond == 0 {
		return rate.Inf
	}
	return rate.Limit(perSecond)
}

// Close releases what Main holds.
func (m *Main) Close() error {
	var errs []error
	for _, c := range m.closer {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// contentFS is CONTENT_DIR, or the built-in content.
func contentFS(cfg config.Config) fs.FS {
	if cfg.ContentDir != "" {
		return os.DirFS(cfg.ContentDir)
	}
	return content.FS
}

func loadFlows(cfg config.Config, flowsDir string) (*flow.Set, error) {
	set, _, err := loadAll(cfg, flowsDir)
	return set, err
}

// loadAll loads the content (statutes, channels, draft templates) and the
// flows, checked against each other.
func loadAll(cfg config.Config, flowsDir string) (*flow.Set, *draft.Templates, error) {
	lib, err := legal.Load(contentFS(cfg))
	if err != nil {
		return nil, nil, inFolder(orDefault(cfg.ContentDir, "content"), err)
	}
	tpl, err := draft.LoadTemplates(contentFS(cfg), lib)
	if err != nil {
		return nil, nil, inFolder(orDefault(cfg.ContentDir, "content"), err)
	}
	var flowsFS fs.FS = flows.FS
	if flowsDir != "" {
		flowsFS = os.DirFS(flowsDir)
	}
	set, err := flow.LoadWith(flowsFS, lib, tpl.Checks())
	if err != nil {
		return nil, nil, inFolder(orDefault(flowsDir, "flows"), err)
	}
	return set, tpl, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// inFolder puts the folder in front of each file name in the problems, so an
// editor can jump to flows/borrower.yaml:12:5 from the output.
func inFolder(dir string, err error) error {
	var list diag.List
	if !errors.As(err, &list) {
		return err
	}
	moved := make(diag.List, len(list))
	for i, p := range list {
		p.Pos.File = filepath.Join(dir, p.Pos.File)
		moved[i] = p
	}
	return fmt.Errorf("%d problem(s):\n%w", len(moved), moved)
}

func lint(cfg config.Config, dir string, stdout, stderr io.Writer) int {
	set, err := loadFlows(cfg, dir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	steps := 0
	for _, f := range set.Flows {
		steps += len(f.Steps)
	}
	fmt.Fprintf(stdout, "ok: %d flows, %d steps, %d statutes, %d channels\n",
		len(set.Flows), steps, len(set.Library.Statutes), len(set.Library.Channels))
	if u := set.Understanding; u != nil {
		fmt.Fprintf(stdout, "%d intents\n", len(u.Order))
		set.WriteSelfCheck(stdout) // weak intents are a warning, not an error
	}
	return 0
}

func graph(cfg config.Config, name string, stdout, stderr io.Writer) int {
	set, err := loadFlows(cfg, cfg.FlowsDir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	out, err := flow.Mermaid(set, name)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	fmt.Fprint(stdout, out)
	return 0
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	// People's ids never reach the log as they are: every "user" attribute
	// becomes a keyed pseudonym.
	opts := &slog.HandlerOptions{Level: cfg.LogLevel, ReplaceAttr: logid.New(cfg.LogIDKey).ReplaceAttr(nil)}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
