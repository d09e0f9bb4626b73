package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/internal/redistest"
)

// BenchmarkLoad is the load harness: N simulated people chat with the bot,
// which runs as its own process (this test binary re-executed as the bot)
// in its default configuration (no rate settings) against the fake Bot API,
// which does not limit, with its sessions in Redis (the real redis-server
// when ANNING_TEST_REDIS_URL is set). Each person sends a message (or
// presses the button of the choice, when the last reply had one), waits for
// the reply, thinks, and sends the next. It reports the turns answered per
// second of the measured period, the latency from update to reply received
// by the (fake) Bot API, failures (no reply within 10 s, or the webhook
// refused the update), the bot process's CPU time per turn and memory, Bot
// API calls per turn and, on a real redis-server, Redis commands (as INFO
// counts them: those a script runs included) and round trips (read events)
// per turn. Settings (environment):
//
//	ANNING_LOAD_USERS     concurrent people                         (1000)
//	ANNING_LOAD_DURATION  how long to measure                       (15s, after 3 s of warm-up)
//	ANNING_LOAD_THINK     pause between messages                    (1s, ±25%)
//	ANNING_LOAD_MODE      webhook, poll, or web (the web chat page:  (webhook)
//	                      each person a browser with its cookie and
//	                      its address, X-Forwarded-For from a trusted
//	                      proxy; a turn is a script post, answered
//	                      with the replies, and its latency the post's)
//	ANNING_LOAD_PRESS     share of choices made by pressing a button (0.5)
//	ANNING_LOAD_429       share of the calls a turn makes (all but getUpdates)
//	                      answered 429 Too Many Requests            (0)
//	ANNING_LOAD_429_RETRY the retry_after of those, in seconds       (1)
//	ANNING_LOAD_BOT_ENV   more settings for the bot, space-separated
//	ANNING_LOAD_BOT       floor: instead of the bot, the least any Go bot
//	                      does per turn (webhook mode; load_floor_test.go)
//	                      (e.g. "TELEGRAM_GLOBAL_RATE=0 TELEGRAM_CHAT_RATE=0")
//	ANNING_LOAD_DUMP      file: "start-ms latency-µs" of every turn
//	ANNING_CPUPROFILE     file: the bot's CPU profile (see TestMain)
//	ANNING_MEMPROFILE     file: what the bot allocated (pprof allocs)
//
// Run: ANNING_TEST_REDIS_URL=redis://127.0.0.1:6390/0 go test -run '^$' -bench Load -benchtime 1x ./bot
func BenchmarkLoad(b *testing.B) {
	s := loadSettings{
		users:    envInt("ANNING_LOAD_USERS", 1000),
		duration: envDuration("ANNING_LOAD_DURATION", 15*time.Second),
		think:    envDuration("ANNING_LOAD_THINK", time.Second),
		mode:     os.Getenv("ANNING_LOAD_MODE"),
		press:    envFloat("ANNING_LOAD_PRESS", 0.5),
		share429: envFloat("ANNING_LOAD_429", 0),
		retry429: envInt("ANNING_LOAD_429_RETRY", 1),
		botEnv:   strings.Fields(os.Getenv("ANNING_LOAD_BOT_ENV")),
		floor:    os.Getenv("ANNING_LOAD_BOT") == "floor",
	}
	if s.mode == "" {
		s.mode = "webhook"
	}
	for b.Loop() {
		if avg, err := os.ReadFile("/proc/loadavg"); err == nil {
			b.Logf("load average before the run: %s", strings.Join(strings.Fields(string(avg))[:3], " "))
		}
		r := runLoad(b, s)
		b.ReportMetric(r.turnsPerSec, "turns/s")
		b.ReportMetric(ms(r.p50), "p50-ms")
		b.ReportMetric(ms(r.p99), "p99-ms")
		b.ReportMetric(ms(r.max), "max-ms")
		b.ReportMetric(float64(r.failures), "failures")
		b.ReportMetric(r.cpuPerTurn, "bot-cpu-ms/turn")
		b.ReportMetric(r.sysPerTurn, "bot-sys-ms/turn")
		b.ReportMetric(r.callsPerTurn, "api-calls/turn")
		if r.redisCmdsPerTurn > 0 {
			b.ReportMetric(r.redisCmdsPerTurn, "redis-cmds/turn")
			b.ReportMetric(r.redisTripsPerTurn, "redis-trips/turn")
		}
		b.ReportMetric(float64(r.rssKB)/1024, "bot-rss-MB")
		b.ReportMetric(float64(r.hwmKB)/1024, "bot-peak-rss-MB")
		b.Logf("%s mode, %d users, think %v, %.0f%% presses, %.0f%% 429s: %d turns in %v; calls per turn: %s; CPU cores used: %s",
			s.mode, s.users, s.think, s.press*100, s.share429*100, r.turns, s.duration, r.calls, r.cores)
	}
}

type loadSettings struct {
	users           int
	duration, think time.Duration
	mode            string
	press           float64
	share429        float64
	retry429        int
	botEnv          []string
	floor           bool // run runFloorBot instead of the bot
}

type loadResult struct {
	turns                               int
	turnsPerSec                         float64
	p50, p99, max                       time.Duration
	failures                            int
	cpuPerTurn                          float64 // ms
	sysPerTurn                          float64 // ms of cpuPerTurn spent in the kernel
	callsPerTurn                        float64
	calls                               string // by method
	cores                               string // CPU used by each process, in cores
	redisCmdsPerTurn, redisTripsPerTurn float64
	rssKB, hwmKB                        int64
}

// warmUp is run before the measured duration: the first turns open Redis and
// HTTP connections and load the compare-and-set script.
const warmUp = 3 * time.Second

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadScript is what each simulated person chooses, over and over: a walk
// through the borrower's path, the statutes and back to the menu. A number
// is a choice: typed, or its button pressed.
var loadScript = []string{"/start", "1", "1", "1", "2", "4", "1", "/menu", "/law", "1", "1", "/menu"}

// turnMethods are the Bot API methods a turn may call: the 429 mode fails
// a share of these (getUpdates is left alone: Telegram does not refuse it
// for flood control).
var turnMethods = []string{"sendMessage", "sendDocument", "answerCallbackQuery", "editMessageReplyMarkup", "editMessageText", "sendChatAction"}

// keyboardSeen is the last message with buttons a simulated person got.
type keyboardSeen struct {
	mu        sync.Mutex
	messageID int
	data      []string // callback data, in the order of the choices
}

func runLoad(b *testing.B, s loadSettings) loadResult {
	const token = "4242:LOAD-test"
	const firstChat = 10_000_000
	users := s.users
	srv := redistest.Open(b)
	fake := fakebot.New(b, token)
	var lastReply atomic.Int64 // unix ns of the last message sent to a simulated person
	fake.Light()               // its heap would grow all run, and its GC pauses would count as the bot's latency
	replies := make([]chan time.Time, users)
	keyboards := make([]keyboardSeen, users)
	for i := range replies {
		replies[i] = make(chan time.Time, 16)
	}
	fake.OnSent(func(m fakebot.Sent, at time.Time) {
		i := m.ChatID - firstChat
		if i < 0 || i >= int64(users) {
			return
		}
		if m.Keyboard != nil {
			k := &keyboards[i]
			k.mu.Lock()
			k.messageID, k.data = m.MessageID, k.data[:0]
			for _, row := range m.Keyboard {
				for _, btn := range row {
					k.data = append(k.data, btn.CallbackData)
				}
			}
			k.mu.Unlock()
		}
		lastReply.Store(at.UnixNano())
		select {
		case replies[i] <- at:
		default:
		}
	})

	env := []string{"ANNING_RUN_AS_BOT=1", "TELEGRAM_BOT_TOKEN=" + token, "TELEGRAM_API_ENDPOINT=" + fake.APIEndpoint(),
		"TELEGRAM_FILE_ENDPOINT=" + fake.FileEndpoint(), "REDIS_URL=" + srv.URL, "REDIS_PREFIX=" + srv.Prefix,
		"LOG_LEVEL=warn", "EVIDENCE_DIR=" + b.TempDir()}
	webBase := ""
	if s.mode == "web" {
		webBase = "http://" + freeAddr(b)
		env = []string{"ANNING_RUN_AS_BOT=1", "WEB_ADDR=" + strings.TrimPrefix(webBase, "http://"), "WEB_TRUSTED_PROXIES=127.0.0.1",
			"WEB_NEW_SESSIONS_PER_HOUR=1000000", "REDIS_URL=" + srv.URL, "REDIS_PREFIX=" + srv.Prefix,
			"LOG_LEVEL=warn", "EVIDENCE_DIR=" + b.TempDir()}
	}
	env = append(env, s.botEnv...)
	hookURL, secret := "", "load-test-webhook-secret"
	if s.mode == "webhook" {
		addr := freeAddr(b)
		hookURL = "http://" + addr + "/hook"
		env = append(env, "WEBHOOK_URL="+hookURL, "WEBHOOK_SECRET="+secret, "WEBHOOK_ADDR="+addr)
	}
	if s.floor {
		if s.mode != "webhook" {
			b.Fatal("ANNING_LOAD_BOT=floor is a webhook bot")
		}
		env = append(env, "ANNING_RUN_AS_FLOOR=1")
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	if s.mode == "web" {
		waitHTTP(b, webBase)
	} else if s.mode == "webhook" {
		waitUntil(b, "the bot to set its webhook", func() bool { _, _, _, _, set := fake.WebhookInfo(); return set })
	} else {
		waitUntil(b, "the bot to poll", func() bool { return fake.Polling() > 0 }) // a Light fake keeps no Calls to wait for
	}
	if s.share429 > 0 {
		fake.FailShareOf(turnMethods, s.share429, time.Hour, http.StatusTooManyRequests, s.retry429)
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  atomic.Int64
		inWindow  atomic.Int64 // turns answered during the measured period
		wg        sync.WaitGroup
	)
	var dump *os.File
	var dumpMu sync.Mutex
	if path := os.Getenv("ANNING_LOAD_DUMP"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		dump = f
	}
	start := time.Now()
	measureFrom, deadline := start.Add(warmUp), start.Add(warmUp+s.duration)

	// Snapshots of what is counted per turn, at both ends of the period.
	type snapshot struct {
		cpuTicks, ownTicks  int64 // the bot's; this process's (load generator and fake Bot API)
		sysTicks            int64 // the bot's in the kernel (system time), part of cpuTicks
		tally               map[string]map[int]int
		redisCmds, redisRds int64
		redisCPU            float64 // seconds
	}
	var redisInfo func() (int64, int64, float64)
	if srv.Real {
		client := srv.Client(b)
		redisInfo = func() (int64, int64, float64) {
			return redisStats(b, client.Info(context.Background(), "stats", "cpu").Val())
		}
	}
	take := func() snapshot {
		sn := snapshot{ownTicks: procCPUTicks(b, os.Getpid()), tally: fake.Tally()}
		sn.cpuTicks, sn.sysTicks = procCPUSplit(b, cmd.Process.Pid)
		if redisInfo != nil {
			sn.redisCmds, sn.redisRds, sn.redisCPU = redisInfo()
		}
		return sn
	}
	// A stall (no reply for longer than a pause, a flood wait and 3 s more,
	// while the run goes on) makes the bot print its goroutines (SIGQUIT),
	// once: a rare stall is otherwise gone before anyone can look at it.
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	stallAfter := 3*time.Second + s.think + time.Duration(s.retry429)*time.Second
	go watchStall(watchCtx, b, cmd.Process, &lastReply, stallAfter, deadline)

	snaps := make(chan [2]snapshot, 1)
	go func() {
		time.Sleep(time.Until(measureFrom))
		first := take()
		time.Sleep(time.Until(deadline))
		snaps <- [2]snapshot{first, take()}
	}()

	webClients := &http.Transport{MaxIdleConns: users, MaxIdleConnsPerHost: users, IdleConnTimeout: time.Minute}
	defer webClients.CloseIdleConnections()
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chat := int64(firstChat + u)
			time.Sleep(time.Duration(rand.Int64N(int64(s.think) + 1))) // spread the first messages
			mine := make([]time.Duration, 0, int(s.duration/s.think)+2)
			var person *webPerson
			if s.mode == "web" {
				person = openWeb(webClients, webBase, u)
				if person == nil {
					failures.Add(1)
					return
				}
			}
			for step := 0; time.Now().Before(deadline) && person != nil; step++ {
				t0 := time.Now()
				if !person.turn(loadScript[step%len(loadScript)], s.press) {
					failures.Add(1)
					continue
				}
				at := time.Now()
				if !at.Before(measureFrom) && at.Before(deadline) {
					inWindow.Add(1)
				}
				if !t0.Before(measureFrom) {
					mine = append(mine, at.Sub(t0))
				}
				jitter := time.Duration(rand.Int64N(int64(s.think)/2+1)) - s.think/4
				if time.Now().Add(s.think + jitter).After(deadline) {
					break
				}
				time.Sleep(s.think + jitter)
			}
			for step := 0; time.Now().Before(deadline) && person == nil; step++ {
				for len(replies[u]) > 0 { // a late second message of the previous turn
					<-replies[u]
				}
				t0 := time.Now()
				id := push(fake, chat, loadScript[step%len(loadScript)], &keyboards[u], s.press)
				if s.mode == "webhook" {
					if status, err := fake.Deliver(hookURL, secret, id); err != nil || status != 200 {
						failures.Add(1)
						continue
					}
				}
				select {
				case at := <-replies[u]:
					if !at.Before(measureFrom) && at.Before(deadline) {
						inWindow.Add(1)
					}
					if !t0.Before(measureFrom) { // connection pools and scripts are cold before
						mine = append(mine, at.Sub(t0))
						if dump != nil {
							dumpMu.Lock()
							fmt.Fprintf(dump, "%d %d\n", t0.Sub(start).Milliseconds(), at.Sub(t0).Microseconds())
							dumpMu.Unlock()
						}
					}
				case <-time.After(10 * time.Second):
					failures.Add(1)
				}
				jitter := time.Duration(rand.Int64N(int64(s.think)/2+1)) - s.think/4
				if time.Now().Add(s.think + jitter).After(deadline) {
					break // the next message would come after the measured period
				}
				time.Sleep(s.think + jitter)
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	ends := <-snaps
	rss, hwm := procMemory(b, cmd.Process.Pid)
	slices.Sort(latencies)
	if len(latencies) == 0 {
		b.Errorf("no turn completed in time (%d failures)", failures.Load())
		latencies = []time.Duration{0}
	}
	pick := func(q float64) time.Duration { return latencies[min(len(latencies)-1, int(q*float64(len(latencies))))] }
	// Turns answered within the measured period, per second: the turns
	// started in it may be answered after it (a flood wait), and the load
	// generator stops sending before its end, never after.
	r := loadResult{turns: len(latencies), turnsPerSec: float64(inWindow.Load()) / s.duration.Seconds(),
		p50: pick(0.50), p99: pick(0.99), max: latencies[len(latencies)-1], failures: int(failures.Load()), rssKB: rss, hwmKB: hwm}

	n := float64(max(inWindow.Load(), 1))
	r.cpuPerTurn = float64(ends[1].cpuTicks-ends[0].cpuTicks) * 10 / n // 100 ticks a second
	secs := s.duration.Seconds()
	r.sysPerTurn = float64(ends[1].sysTicks-ends[0].sysTicks) * 10 / n
	r.cores = fmt.Sprintf("bot %.2f, load generator and fake Bot API %.2f, redis-server %.2f",
		float64(ends[1].cpuTicks-ends[0].cpuTicks)/100/secs, float64(ends[1].ownTicks-ends[0].ownTicks)/100/secs,
		(ends[1].redisCPU-ends[0].redisCPU)/secs)
	var methods []string
	perMethod := map[string]float64{}
	for m, byStatus := range ends[1].tally {
		if m == "getUpdates" && s.mode != "poll" {
			continue
		}
		calls := 0
		for status, c := range byStatus {
			calls += c - ends[0].tally[m][status]
		}
		if calls > 0 {
			methods = append(methods, m)
			perMethod[m] = float64(calls) / n
			if !strings.HasSuffix(m, fakebot.InAnswer) { // not a request: Telegram makes it
				r.callsPerTurn += float64(calls) / n
			}
		}
	}
	slices.Sort(methods)
	var parts []string
	for _, m := range methods {
		fails := 0
		for status, c := range ends[1].tally[m] {
			if status != 200 {
				fails += c - ends[0].tally[m][status]
			}
		}
		parts = append(parts, fmt.Sprintf("%s %.2f (%d refused)", m, perMethod[m], fails))
	}
	r.calls = strings.Join(parts, ", ")
	if redisInfo != nil {
		r.redisCmdsPerTurn = float64(ends[1].redisCmds-ends[0].redisCmds-1) / n // less the first INFO
		r.redisTripsPerTurn = float64(ends[1].redisRds-ends[0].redisRds-1) / n
	}
	return r
}

// push queues one choice of a simulated person: a number is, with
// probability press, a press of that button of the last question (when it
// had buttons), else typed.
func push(fake *fakebot.Server, chat int64, text string, k *keyboardSeen, press float64) int64 {
	if n, err := strconv.Atoi(text); err == nil && rand.Float64() < press {
		k.mu.Lock()
		msg, data := k.messageID, ""
		if n >= 1 && n <= len(k.data) {
			data = k.data[n-1]
		}
		k.mu.Unlock()
		if data != "" {
			return fake.PushCallback(chat, msg, data)
		}
	}
	return fake.PushText(chat, text)
}

// webPerson is one simulated browser on the web chat: its cookie, its
// address (sent as X-Forwarded-For, the bot trusting 127.0.0.1 as its
// proxy), its page's token and the question now asked.
type webPerson struct {
	c          *http.Client
	base, addr string
	csrf, ref  string
	n, choices int
}

var (
	loadCSRF    = regexp.MustCompile(`data-csrf="([^"]+)"`)
	loadN       = regexp.MustCompile(`data-n="(\d+)"`)
	loadRef     = regexp.MustCompile(`name="ref" value="(\d+)">((?:<button[^>]*>[^<]*</button>)+)`)
	loadButtons = regexp.MustCompile(`<button`)
)

// openWeb loads the page (the greeting is a turn, not measured).
func openWeb(tr *http.Transport, base string, i int) *webPerson {
	jar, _ := cookiejar.New(nil)
	p := &webPerson{c: &http.Client{Transport: tr, Jar: jar, Timeout: 10 * time.Second}, base: base,
		addr: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}
	req, _ := http.NewRequest("GET", base+"/", nil)
	req.Header.Set("X-Forwarded-For", p.addr)
	resp, err := p.c.Do(req)
	if err != nil {
		return nil
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := loadCSRF.FindSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		return nil
	}
	p.csrf = string(m[1])
	if m := loadN.FindSubmatch(body); m != nil {
		p.n, _ = strconv.Atoi(string(m[1]))
	}
	p.question(string(body))
	return p
}

// question remembers the last question with buttons in rendered messages.
func (p *webPerson) question(html string) {
	if all := loadRef.FindAllStringSubmatch(html, -1); len(all) > 0 {
		last := all[len(all)-1]
		p.ref, p.choices = last[1], len(loadButtons.FindAllStringIndex(last[2], -1))
	}
}

// turn posts one choice as the page's script does: a number is, with
// probability press, a press of that button of the question now asked,
// else typed. The answer carries the turn's replies.
func (p *webPerson) turn(text string, press float64) bool {
	form := url.Values{"csrf": {p.csrf}, "n": {strconv.Itoa(p.n)}}
	path := "/send"
	if n, err := strconv.Atoi(text); err == nil && rand.Float64() < press && p.ref != "" && n >= 1 && n <= p.choices {
		path = "/press"
		form.Set("ref", p.ref)
		form.Set("i", strconv.Itoa(n-1))
	} else {
		form.Set("text", text)
	}
	req, _ := http.NewRequest("POST", p.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	req.Header.Set("X-Forwarded-For", p.addr)
	resp, err := p.c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var u struct {
		N    int    `json:"n"`
		HTML string `json:"html"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&u) != nil || u.HTML == "" {
		return false
	}
	p.n = u.N
	p.question(u.HTML)
	return true
}

// redisStats reads total_commands_processed (script commands included),
// total_reads_processed (about one per round trip) and the CPU time used
// from INFO stats and cpu.
func redisStats(b *testing.B, info string) (cmds, reads int64, cpu float64) {
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		f, _ := strconv.ParseFloat(v, 64)
		switch k {
		case "total_commands_processed":
			cmds = n
		case "total_reads_processed":
			reads = n
		case "used_cpu_sys", "used_cpu_user":
			cpu += f
		}
	}
	if cmds == 0 {
		b.Logf("redis INFO stats without total_commands_processed")
	}
	return cmds, reads, cpu
}

// procCPUTicks reads a process's user and system CPU time, in clock ticks
// (1/100 s on Linux).
func procCPUTicks(b *testing.B, pid int) int64 {
	total, _ := procCPUSplit(b, pid)
	return total
}

// procCPUSplit reads a process's CPU time, user and system together, and
// its system (kernel) part, in clock ticks.
func procCPUSplit(b *testing.B, pid int) (total, sys int64) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Logf("CPU time not readable: %v", err)
		return 0, 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // after the command name: state is field 3
	if len(f) < 13 {
		return 0, 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime, stime
}

// procMemory reads a process's resident memory now and at its peak, in KB.
func procMemory(b *testing.B, pid int) (rss, hwm int64) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Logf("memory not readable: %v", err)
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = n
		case "VmHWM:":
			hwm = n
		}
	}
	return rss, hwm
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func envFloat(name string, def float64) float64 {
	if f, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil && f >= 0 {
		return f
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// watchStall sends the bot SIGQUIT, so that it prints every goroutine's
// stack, if no reply came for stallAfter before the run's deadline.
func watchStall(ctx context.Context, b *testing.B, bot *os.Process, lastReply *atomic.Int64, stallAfter time.Duration, deadline time.Time) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			last := lastReply.Load()
			if now.After(deadline) {
				return
			}
			if last != 0 && now.Sub(time.Unix(0, last)) > stallAfter {
				b.Errorf("no reply for %v: the bot's goroutines follow (SIGQUIT)", stallAfter)
				_ = bot.Signal(syscall.SIGQUIT)
				return
			}
		}
	}
}
