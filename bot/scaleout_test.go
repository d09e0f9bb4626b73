package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anning-bot/anning/bot/chat"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/session"
)

// TestScaleOut runs two bot replicas (each its own process, its own port)
// over one Redis (the real redis-server when ANNING_TEST_REDIS_URL is set),
// with the fake Telegram delivering every update like Telegram's webhook
// behind a load balancer that alternates between the replicas. Many people
// walk a scripted conversation; halfway through, one replica is killed with
// SIGKILL and the other carries on with the same sessions. Every update must
// get its reply, in the order of the script, applied exactly once.
//
// Settings (environment): ANNING_SCALEOUT_USERS (40), ANNING_SCALEOUT_LOOPS
// (times each person walks the 12-message script; 1), ANNING_SCALEOUT_THINK
// (pause between a person's messages; 20ms).
//
//	go test -run TestScaleOut -v ./bot | grep FIGURE
func TestScaleOut(t *testing.T) {
	users := envInt("ANNING_SCALEOUT_USERS", 40)
	loops := envInt("ANNING_SCALEOUT_LOOPS", 1)
	think := envDuration("ANNING_SCALEOUT_THINK", 20*time.Millisecond)
	srv := redistest.Open(t)
	sim := newTelegramSim(t, srv.URL, srv.Prefix)
	a := sim.startBot("replica-A", "")
	b := sim.startBot("replica-B", "")
	script := repeatScript(loadScript, loops)
	ref := sim.reference(30_000_000, script, urls(a))

	const firstChat = 30_000_001
	both := urls(a, b)
	var done atomic.Int64
	results := make([][]turnResult, users)
	var wg sync.WaitGroup
	for u := range users {
		wg.Go(func() {
			results[u] = sim.walk(int64(firstChat+u), script, think, both, func() { done.Add(1) })
		})
	}
	total := int64(users * len(script))
	waitUntil(t, "half of the turns done", func() bool { return done.Load() >= total/2 })
	inFlight, killedAt := sim.killBusy(t, b, max(2, users/10))
	wg.Wait()

	// Judge every conversation against the reference, and every session.
	var (
		lost, twice, repeated, mismatched int
		replaced                          int
		afterKill                         int
		servedBy                          = map[string]int{}
		latencies                         []time.Duration
		failover                          time.Duration
		failedAttempts                    int
		carried                           int // people served by B before the kill and by A after it
	)
	for u, turns := range results {
		chatID := int64(firstChat + u)
		v := ref.judge(turns, false)
		for _, p := range v.problems {
			t.Errorf("chat %d: %s", chatID, p)
		}
		mismatched += len(v.problems)
		repeated += v.repeated
		replaced += v.replaced
		l, d := sim.checkSession(chatID, ref, v, turns)
		lost, twice = lost+l, twice+d
		byB, thenA := false, false
		for _, tr := range turns {
			byB = byB || (tr.d.by == b.url && tr.end.Before(killedAt))
			thenA = thenA || (byB && tr.d.by == a.url && tr.end.After(killedAt))
			latencies = append(latencies, tr.end.Sub(tr.start))
			failedAttempts += tr.d.failures
			if tr.d.ok {
				servedBy[tr.d.by]++
			}
			if tr.start.After(killedAt) {
				afterKill++
				if tr.d.ok && tr.d.by == b.url {
					t.Errorf("chat %d: update %d answered by the killed replica", chatID, tr.id)
				}
			}
			if tr.d.failures > 0 && !tr.d.firstFail.Before(killedAt) {
				failover = max(failover, tr.end.Sub(tr.d.firstFail))
			}
		}
		if thenA {
			carried++
		}
	}
	if servedBy[a.url] == 0 || servedBy[b.url] == 0 {
		t.Errorf("both replicas should have served turns before the kill: %v", servedBy)
	}
	if afterKill == 0 || carried == 0 {
		t.Errorf("%d turns started after the kill, %d people went on with replica A after replica B had served them: the failover was not exercised", afterKill, carried)
	}
	sim.checkLogs(a, b)
	if !a.running() {
		t.Error("the surviving replica exited")
	}
	p50, p99, maxLat := percentiles(latencies)
	figure(t, "scale-out: 2 replicas, %d users, %d turns, %d lost, %d duplicated, %d mismatched, %d turns answered twice (%d of them first cut off by the kill), p50 %.1f ms, p99 %.1f ms, max %.1f ms, failover %.0f ms (%d updates in flight on the killed replica, %d failed delivery attempts), %d/%d turns served by A/B, %d people carried on by A after B served them, redis %s",
		users, len(latencies), lost, twice, mismatched, repeated, replaced, ms(p50), ms(p99), ms(maxLat), ms(failover), inFlight, failedAttempts,
		servedBy[a.url], servedBy[b.url], carried, redisKind(srv))
}

func redisKind(srv *redistest.Server) string {
	if srv.Real {
		return "redis-server"
	}
	return "miniredis"
}

// figure prints a figure for CI to grep ("FIGURE ...") and logs it.
func figure(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log("FIGURE " + line)
	fmt.Printf("FIGURE %s\n", line)
}

func percentiles(d []time.Duration) (p50, p99, maxD time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	pick := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return pick(0.50), pick(0.99), s[len(s)-1]
}

func repeatScript(script []string, loops int) []string {
	var out []string
	for range loops {
		out = append(out, script...)
	}
	return out
}

// waitUntil polls cond; the 60 s guard is not a measurement.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// The harness shared with drill_test.go: the bot as its own process in
// webhook mode, and a fake Telegram that delivers updates to it.
//
// How Telegram delivers webhook updates, which the simulation follows: the
// Bot API documentation (setWebhook) says that on an unsuccessful request (a
// status other than 2XX) it repeats the request and gives up after a
// reasonable number of attempts, and that max_connections (1-100, default 40)
// bounds the simultaneous connections. That updates of one chat go one at a
// time (the next is sent only after the previous one was answered) while
// different chats go in parallel is not in the API reference; grammY's
// deployment guide states it (grammyjs/website, "deployment types": Telegram
// waits for the request to end before sending the next update of the same
// chat). The Bot API server's maintainer adds in tdlib/telegram-bot-api#211
// that a webhook answer is awaited for at most 60 s, after which the request
// is sent again. The simulation retries sooner (20 ms, doubling to 500 ms)
// to keep the tests short, and alternates replicas like a load balancer in
// front of them (Telegram itself knows one URL).

// hookSecret is the webhook secret of every simulated bot.
const hookSecret = "anning-drill-webhook-secret"

const simToken = "4343:SIM-test"

// syncBuffer collects a process's stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hookBot is one bot process (this test binary re-executed, see TestMain)
// in webhook mode.
type hookBot struct {
	name   string
	addr   string // where it listens, host:port
	url    string // its webhook URL
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *syncBuffer
	ready  time.Time // when its setWebhook succeeded
}

func (b *hookBot) running() bool {
	select {
	case <-b.exited:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (b *hookBot) kill(t *testing.T) {
	t.Helper()
	if err := b.cmd.Process.Kill(); err != nil {
		t.Fatalf("%s: kill: %v", b.name, err)
	}
	<-b.exited
}

// telegramSim is the fake Bot API plus Telegram's side of the webhook: it
// queues each person's message, delivers it to a replica and repeats the
// delivery until a replica answers 200.
type telegramSim struct {
	t        *testing.T
	fake     *fakebot.Server
	redisEnv []string // how the bots reach Redis: REDIS_URL, or REDIS_ADDRS and REDIS_SENTINEL_MASTER
	prefix   string
	store    *session.Redis // reads sessions for the checks
	evidence string

	mu       sync.Mutex
	sent     map[int64][]string // chat -> texts of the messages it received, in order
	bots     []*hookBot
	inflight sync.Map // webhook URL -> *atomic.Int64: deliveries awaiting an answer
	rr       atomic.Uint64
	stop     chan struct{} // closed when the test ends: deliveries give up
	stopOnce sync.Once
}

// halt makes deliveries in progress give up (the test is ending).
func (s *telegramSim) halt() { s.stopOnce.Do(func() { close(s.stop) }) }

func newTelegramSim(t *testing.T, redisURL, prefix string) *telegramSim {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	return newTelegramSimOver(t, redis.NewClient(opt), []string{"REDIS_URL=" + redisURL}, prefix)
}

// newTelegramSimOver is newTelegramSim for bots that reach Redis by the
// variables redisEnv (e.g. REDIS_ADDRS and REDIS_SENTINEL_MASTER); client,
// closed when the test ends, is for the test's own reads of the sessions.
func newTelegramSimOver(t *testing.T, client redis.UniversalClient, redisEnv []string, prefix string) *telegramSim {
	s := &telegramSim{t: t, fake: fakebot.New(t, simToken), redisEnv: redisEnv, prefix: prefix,
		evidence: t.TempDir(), sent: map[int64][]string{}, stop: make(chan struct{})}
	s.fake.OnSent(func(m fakebot.Sent, _ time.Time) {
		s.mu.Lock()
		s.sent[m.ChatID] = append(s.sent[m.ChatID], m.Text)
		s.mu.Unlock()
	})
	t.Cleanup(func() { client.Close() })
	s.store = session.NewRedis(client, prefix, 0)
	t.Cleanup(s.halt)
	t.Cleanup(func() {
		if t.Failed() {
			s.mu.Lock()
			bots := slices.Clone(s.bots)
			s.mu.Unlock()
			for _, b := range bots {
				t.Logf("--- stderr of %s (last lines):\n%s", b.name, lastLines(b.logs.String(), 40))
			}
		}
	})
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// freeAddr returns a local address nothing listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(redistest.FreePort(t)) // never one handed out before, to Redis or a bot
}

// startBot starts a bot process listening on addr ("" = a free port) and
// waits until it has set its webhook. It is stopped when the test ends.
func (s *telegramSim) startBot(name, addr string) *hookBot {
	s.t.Helper()
	if addr == "" {
		addr = freeAddr(s.t)
	}
	b := &hookBot{name: name, addr: addr, url: "http://" + addr + "/hook", exited: make(chan struct{}), logs: &syncBuffer{}}
	b.cmd = exec.Command(os.Args[0]) // TestMain turns it into the bot
	b.cmd.Env = append(os.Environ(), "ANNING_RUN_AS_BOT=1", "TELEGRAM_BOT_TOKEN="+simToken,
		"TELEGRAM_API_ENDPOINT="+s.fake.APIEndpoint(), "TELEGRAM_FILE_ENDPOINT="+s.fake.FileEndpoint())
	b.cmd.Env = append(b.cmd.Env, s.redisEnv...)
	b.cmd.Env = append(b.cmd.Env, "REDIS_PREFIX="+s.prefix, "TELEGRAM_GLOBAL_RATE=0", "TELEGRAM_CHAT_RATE=0",
		"LOG_LEVEL=warn", "EVIDENCE_DIR="+s.evidence, "HTTP_ADDR=",
		"WEBHOOK_URL="+b.url, "WEBHOOK_SECRET="+hookSecret, "WEBHOOK_ADDR="+addr)
	b.cmd.Stdout, b.cmd.Stderr = b.logs, b.logs
	if err := b.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() { _ = b.cmd.Wait(); close(b.exited) }()
	s.mu.Lock()
	s.bots = append(s.bots, b)
	s.mu.Unlock()
	s.t.Cleanup(func() {
		s.halt() // before the bots stop, so that nothing retries in vain
		if !b.running() {
			return
		}
		_ = b.cmd.Process.Signal(os.Interrupt)
		select {
		case <-b.exited:
		case <-time.After(15 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
	})
	started := time.Now()
	deadline := started.Add(30 * time.Second)
	for {
		for _, c := range s.fake.Calls("setWebhook") {
			if c.Done && c.Status == http.StatusOK && c.Params.Get("url") == b.url && !c.At.Before(started) {
				b.ready = time.Now()
				return b
			}
		}
		if !b.running() {
			s.t.Fatalf("%s exited at start (%v):\n%s", name, b.cmd.ProcessState, b.logs.String())
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s never set its webhook:\n%s", name, b.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *telegramSim) counter(url string) *atomic.Int64 {
	c, _ := s.inflight.LoadOrStore(url, &atomic.Int64{})
	return c.(*atomic.Int64)
}

// inFlight is the number of deliveries to url awaiting an answer.
func (s *telegramSim) inFlight(url string) int { return int(s.counter(url).Load()) }

// urls lists the bots' webhook URLs, for deliveries.
func urls(bots ...*hookBot) []string {
	var out []string
	for _, b := range bots {
		out = append(out, b.url)
	}
	return out
}

// checkLogs fails the test when a bot process panicked or the race
// detector (in the -race build the bot is) reported a race.
func (s *telegramSim) checkLogs(bots ...*hookBot) {
	s.t.Helper()
	for _, b := range bots {
		logs := b.logs.String()
		for _, bad := range []string{"panic", "DATA RACE", "fatal error"} {
			if strings.Contains(logs, bad) {
				s.t.Errorf("%s logged %q:\n%s", b.name, bad, lastLines(logs, 60))
			}
		}
	}
}

// killBusy kills b with SIGKILL once at least n deliveries to it await an
// answer (or after a second, however many there are), so that some updates
// are applied but not yet answered. It returns how many there were, and
// when b was gone: a turn started after that cannot have been answered by b
// (taken before the kill, a turn started in between could be).
func (s *telegramSim) killBusy(t *testing.T, b *hookBot, n int) (inFlight int, at time.Time) {
	t.Helper()
	for until := time.Now().Add(time.Second); time.Now().Before(until); time.Sleep(time.Millisecond) {
		if s.inFlight(b.url) >= n {
			break
		}
	}
	inFlight = s.inFlight(b.url)
	b.kill(t)
	return inFlight, time.Now()
}

// delivery is what became of one update.
type delivery struct {
	ok        bool   // a replica answered 200
	by        string // the webhook URL that did
	attempts  int
	failures  int       // attempts answered otherwise, or not at all
	firstFail time.Time // the first such attempt
	last      string    // the last failure
}

// giveUp ends the deliveries of one update: Telegram gives up too, after a
// while, and a test must end.
const giveUp = 60 * time.Second

// deliver posts update id to the webhook URLs until one answers 200: each
// attempt goes to the next replica in turn (a load balancer that alternates,
// starting where the previous update's delivery started), and after every
// replica failed once, it waits (20 ms, doubling up to 500 ms) before the next
// round.
func (s *telegramSim) deliver(id int64, targets []string) delivery {
	var d delivery
	start := int(s.rr.Add(1))
	backoff := 20 * time.Millisecond
	deadline := time.Now().Add(giveUp)
	for i := 0; ; i++ {
		url := targets[(start+i)%len(targets)]
		n := s.counter(url)
		n.Add(1)
		status, err := s.fake.Deliver(url, hookSecret, id)
		n.Add(-1)
		d.attempts++
		if err == nil && status == http.StatusOK {
			d.ok, d.by = true, url
			return d
		}
		d.failures++
		if d.firstFail.IsZero() {
			d.firstFail = time.Now()
		}
		if err != nil {
			d.last = fmt.Sprintf("%s: %v", url, err)
		} else {
			d.last = fmt.Sprintf("%s: HTTP %d", url, status)
		}
		if time.Now().After(deadline) {
			return d
		}
		if (i+1)%len(targets) == 0 {
			select {
			case <-time.After(backoff):
			case <-s.stop:
				return d
			}
			backoff = min(2*backoff, 500*time.Millisecond)
		}
	}
}

// turnResult is one message a person sent and what came back.
type turnResult struct {
	text       string // what the person typed
	id         int64  // its update_id
	replies    []string
	d          delivery
	start, end time.Time // message sent; its update answered 200 (or given up)
}

func (s *telegramSim) sentCount(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent[chatID])
}

func (s *telegramSim) sentFrom(chatID int64, from int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent[chatID][from:])
}

// turn sends text from chatID and delivers it. A chat has one update in
// delivery at a time and the bot answers 200 only after its replies went
// out, so the messages the chat received meanwhile are this turn's replies.
func (s *telegramSim) turn(chatID int64, text string, targets []string) turnResult {
	before := s.sentCount(chatID)
	tr := turnResult{text: text, start: time.Now()}
	tr.id = s.fake.PushText(chatID, text)
	tr.d = s.deliver(tr.id, targets)
	tr.end = time.Now()
	tr.replies = s.sentFrom(chatID, before)
	return tr
}

// isBusy reports whether replies are the runner's "busy, send it again".
func isBusy(replies []string) bool {
	return len(replies) == 1 && strings.Contains(replies[0], chat.MsgBusy)
}

// walk has one person go through script: each message waits for its reply,
// then a pause of think ±25%; a "busy" reply makes them send the same
// message again after a short wait, as the reply asks. done is called after
// each turn.
func (s *telegramSim) walk(chatID int64, script []string, think time.Duration, targets []string, done func()) []turnResult {
	var out []turnResult
	time.Sleep(time.Duration(rand.Int64N(int64(think) + 1))) // spread the first messages
	for k := 0; k < len(script); {
		tr := s.turn(chatID, script[k], targets)
		out = append(out, tr)
		done()
		if !tr.d.ok {
			return out // given up: reported by the judge
		}
		if isBusy(tr.replies) {
			if len(out) > 50*len(script) {
				return out
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		k++
		time.Sleep(think - think/4 + time.Duration(rand.Int64N(int64(think)/2+1)))
	}
	return out
}

// reference is what a script gets from a single bot with nothing going
// wrong: for each turn k, the replies, the replies to a redelivery of the
// same update whose replies were not all delivered (they all come again:
// they are kept beside the session), and the session after it.
type reference struct {
	script  []string
	replies [][]string
	reshow  [][]string
	states  []flow.State
}

// reference walks script once in chatID through the webhook URLs, and
// delivers every update a second time: its replies were delivered, so the
// redelivery must send nothing.
func (s *telegramSim) reference(chatID int64, script []string, targets []string) *reference {
	s.t.Helper()
	ref := &reference{script: script}
	for k, text := range script {
		tr := s.turn(chatID, text, targets)
		if !tr.d.ok || tr.d.failures > 0 || len(tr.replies) == 0 || isBusy(tr.replies) {
			s.t.Fatalf("reference turn %d %q: delivery %+v, replies %q", k, text, tr.d, tr.replies)
		}
		before := s.sentCount(chatID)
		if d := s.deliver(tr.id, targets); !d.ok || d.failures > 0 {
			s.t.Fatalf("reference redelivery of turn %d: %+v", k, d)
		}
		if again := s.sentFrom(chatID, before); len(again) != 0 {
			s.t.Fatalf("reference turn %d %q: the redelivery of a delivered update was answered again: %q", k, text, again)
		}
		rev, st, err := s.session(chatID)
		if err != nil || rev != int64(k+1) {
			s.t.Fatalf("reference turn %d: session revision %d (want %d), %v", k, rev, k+1, err)
		}
		ref.replies = append(ref.replies, tr.replies)
		ref.reshow = append(ref.reshow, tr.replies)
		ref.states = append(ref.states, st)
	}
	return ref
}

// session reads a chat's stored session: its revision (the number of
// writes: one per applied update) and its state.
func (s *telegramSim) session(chatID int64) (int64, flow.State, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := s.store.Get(ctx, strconv.FormatInt(chatID, 10))
	if err != nil {
		return 0, flow.State{}, err
	}
	st, err := chat.Decode(e.Data)
	return e.Rev, st, err
}

// verdict is the judgement of one conversation.
type verdict struct {
	applied  int      // updates that moved the conversation on (one per script message)
	repeated int      // of them, answered twice: in part or whole, then again for a redelivery
	replaced int      // of those, turns whose first answer was cut short
	busy     int      // "busy, send it again" replies
	lastID   int64    // update id of the last applied message
	problems []string // replies that match no acceptable outcome
}

// judge compares one conversation with the reference. Turn after turn, the
// replies must be the script's: exactly the reference's, or (after a failed
// delivery: a replica killed while handling it, a 503) a part of them from
// the attempt that failed followed by all of them again, which is what a
// redelivery of an applied update answers when its replies did not all
// arrive. So every turn's whole reply reaches the person. With allowBusy,
// a "busy" reply is fine too, and that message is sent again.
func (ref *reference) judge(turns []turnResult, allowBusy bool) verdict {
	var v verdict
	k := 0
	for i, tr := range turns {
		if k >= len(ref.script) {
			v.problems = append(v.problems, fmt.Sprintf("turn %d: more turns than the script", i))
			break
		}
		if tr.text != ref.script[k] {
			v.problems = append(v.problems, fmt.Sprintf("turn %d: sent %q, script says %q", i, tr.text, ref.script[k]))
			break
		}
		if !tr.d.ok {
			v.problems = append(v.problems, fmt.Sprintf("turn %d (%q, update %d): never answered 200 after %d attempts (last: %s): lost",
				i, tr.text, tr.id, tr.d.attempts, tr.d.last))
			break
		}
		want := ref.replies[k]
		switch {
		case allowBusy && isBusy(tr.replies):
			v.busy++
			continue
		case slices.Equal(tr.replies, want):
		case tr.d.failures > 0 && len(tr.replies) >= len(ref.reshow[k]) &&
			slices.Equal(tr.replies[len(tr.replies)-len(ref.reshow[k]):], ref.reshow[k]) &&
			isPrefix(tr.replies[:len(tr.replies)-len(ref.reshow[k])], want):
			v.repeated++
			if got := len(tr.replies) - len(ref.reshow[k]); got < len(want) {
				v.replaced++
			}
		default:
			v.problems = append(v.problems, fmt.Sprintf("turn %d (%q, update %d, step %d, %d failed attempts): replies %q, want %q (or after a failed attempt a part of it and then %q)",
				i, tr.text, tr.id, k, tr.d.failures, tr.replies, want, ref.reshow[k]))
			return v
		}
		v.applied++
		v.lastID = tr.id
		k++
	}
	if len(v.problems) == 0 && k < len(ref.script) {
		v.problems = append(v.problems, fmt.Sprintf("only %d of %d script messages went through", k, len(ref.script)))
	}
	return v
}

func isPrefix(p, of []string) bool { return len(p) <= len(of) && slices.Equal(p, of[:len(p)]) }

// checkSession checks a chat's stored session against the conversation:
// one write per applied update (fewer: an update lost; more: one applied
// twice), the last applied update's id remembered, and the state the
// reference reached after as many messages. It returns the lost and
// twice-applied counts.
func (s *telegramSim) checkSession(chatID int64, ref *reference, v verdict, turns []turnResult) (lost, twice int) {
	s.t.Helper()
	rev, st, err := s.session(chatID)
	if err != nil {
		s.t.Errorf("chat %d: session: %v", chatID, err)
		return 0, 0
	}
	switch {
	case rev < int64(v.applied):
		lost = v.applied - int(rev)
	case rev > int64(v.applied):
		twice = int(rev) - v.applied
	}
	if rev != int64(v.applied) {
		s.t.Errorf("chat %d: session written %d times for %d applied messages (%d turns)", chatID, rev, v.applied, len(turns))
	}
	if v.applied == 0 {
		return lost, twice
	}
	if st.LastSeq != v.lastID {
		s.t.Errorf("chat %d: session remembers update %d as the last applied, want %d", chatID, st.LastSeq, v.lastID)
	}
	if got, want := samePath(st), samePath(ref.states[v.applied-1]); !reflect.DeepEqual(got, want) {
		s.t.Errorf("chat %d: session after %d messages is\n  %+v\nwant\n  %+v", chatID, v.applied, got, want)
		if lost+twice == 0 {
			lost = 1 // a session not where it should be counts as lost
		}
	}
	return lost, twice
}

// samePath drops what differs between two people on the same path: times,
// update ids and the question counter (which starts from the clock).
func samePath(st flow.State) flow.State {
	st.Updated, st.LastSeq, st.Seq = 0, 0, 0
	return st
}
