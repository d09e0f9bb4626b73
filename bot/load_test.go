package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/internal/redistest"
)

// BenchmarkLoad is the load harness: N simulated people chat with the bot,
// which runs as its own process (this test binary re-executed as the bot)
// against the fake Bot API, with its sessions in Redis (the real
// redis-server when ANNING_TEST_REDIS_URL is set). Each person sends a
// message, waits for the reply, thinks, and sends the next. It reports
// turns/s, the latency from update to reply received by the (fake) Bot API,
// and the bot process's memory. Settings (environment):
//
//	ANNING_LOAD_USERS     concurrent people          (1000)
//	ANNING_LOAD_DURATION  how long to measure        (15s, after 3 s of warm-up)
//	ANNING_LOAD_THINK     pause between messages     (1s, ±25%)
//	ANNING_LOAD_MODE      webhook or poll            (webhook)
//
// Run: ANNING_TEST_REDIS_URL=redis://127.0.0.1:6390/0 go test -run '^$' -bench Load -benchtime 1x ./bot
func BenchmarkLoad(b *testing.B) {
	users := envInt("ANNING_LOAD_USERS", 1000)
	duration := envDuration("ANNING_LOAD_DURATION", 15*time.Second)
	think := envDuration("ANNING_LOAD_THINK", time.Second)
	mode := os.Getenv("ANNING_LOAD_MODE")
	if mode == "" {
		mode = "webhook"
	}
	for b.Loop() {
		r := runLoad(b, users, duration, think, mode)
		b.ReportMetric(r.turnsPerSec, "turns/s")
		b.ReportMetric(ms(r.p50), "p50-ms")
		b.ReportMetric(ms(r.p99), "p99-ms")
		b.ReportMetric(ms(r.max), "max-ms")
		b.ReportMetric(float64(r.lost), "lost")
		b.ReportMetric(float64(r.rssKB)/1024, "bot-rss-MB")
		b.ReportMetric(float64(r.hwmKB)/1024, "bot-peak-rss-MB")
		b.Logf("%s mode, %d users, think %v: %d turns in %v", mode, users, think, r.turns, duration)
	}
}

type loadResult struct {
	turns         int
	turnsPerSec   float64
	p50, p99, max time.Duration
	lost          int
	rssKB, hwmKB  int64
}

// warmUp is run before the measured duration: the first turns open Redis and
// HTTP connections and load the compare-and-set script.
const warmUp = 3 * time.Second

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadScript is what each simulated person types, over and over: a walk
// through the borrower's path, the statutes and back to the menu.
var loadScript = []string{"/start", "1", "1", "1", "2", "4", "1", "/menu", "/law", "1", "1", "/menu"}

func runLoad(b *testing.B, users int, duration, think time.Duration, mode string) loadResult {
	const token = "4242:LOAD-test"
	const firstChat = 10_000_000
	srv := redistest.Open(b)
	fake := fakebot.New(b, token)
	replies := make([]chan time.Time, users)
	for i := range replies {
		replies[i] = make(chan time.Time, 16)
	}
	fake.OnSent(func(s fakebot.Sent, at time.Time) {
		if i := s.ChatID - firstChat; i >= 0 && i < int64(users) {
			select {
			case replies[i] <- at:
			default:
			}
		}
	})

	env := []string{"ANNING_RUN_AS_BOT=1", "TELEGRAM_BOT_TOKEN=" + token, "TELEGRAM_API_ENDPOINT=" + fake.APIEndpoint(),
		"TELEGRAM_FILE_ENDPOINT=" + fake.FileEndpoint(), "REDIS_URL=" + srv.URL, "REDIS_PREFIX=" + srv.Prefix,
		"TELEGRAM_GLOBAL_RATE=0", "TELEGRAM_CHAT_RATE=0", "LOG_LEVEL=warn", "EVIDENCE_DIR=" + b.TempDir()}
	hookURL, secret := "", "load-test-webhook-secret"
	if mode == "webhook" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		hookURL = "http://" + addr + "/hook"
		env = append(env, "WEBHOOK_URL="+hookURL, "WEBHOOK_SECRET="+secret, "WEBHOOK_ADDR="+addr)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	if mode == "webhook" {
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, _, _, _, set := fake.WebhookInfo(); set {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("the bot never set its webhook")
			}
			time.Sleep(20 * time.Millisecond)
		}
	} else {
		fake.WaitCalls(b, "getUpdates", 1)
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		lost      atomic.Int64
		wg        sync.WaitGroup
	)
	var dump *os.File // ANNING_LOAD_DUMP=file: "start-ms latency-µs" of every turn
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
	deadline := start.Add(warmUp + duration)
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chat := int64(firstChat + u)
			time.Sleep(time.Duration(rand.Int64N(int64(think) + 1))) // spread the first messages
			mine := make([]time.Duration, 0, int(duration/think)+2)
			for step := 0; time.Now().Before(deadline); step++ {
				for len(replies[u]) > 0 { // a late second message of the previous turn
					<-replies[u]
				}
				t0 := time.Now()
				id := fake.PushText(chat, loadScript[step%len(loadScript)])
				if mode == "webhook" {
					if status, err := fake.Deliver(hookURL, secret, id); err != nil || status != 200 {
						lost.Add(1)
						continue
					}
				}
				select {
				case at := <-replies[u]:
					if t0.Sub(start) >= warmUp { // connection pools and scripts are cold before
						mine = append(mine, at.Sub(t0))
						if dump != nil {
							dumpMu.Lock()
							fmt.Fprintf(dump, "%d %d\n", t0.Sub(start).Milliseconds(), at.Sub(t0).Microseconds())
							dumpMu.Unlock()
						}
					}
				case <-time.After(10 * time.Second):
					lost.Add(1)
				}
				jitter := time.Duration(rand.Int64N(int64(think)/2+1)) - think/4
				time.Sleep(think + jitter)
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start) - warmUp
	rss, hwm := procMemory(b, cmd.Process.Pid)
	slices.Sort(latencies)
	if len(latencies) == 0 {
		b.Fatal("no turn completed")
	}
	pick := func(q float64) time.Duration { return latencies[min(len(latencies)-1, int(q*float64(len(latencies))))] }
	return loadResult{turns: len(latencies), turnsPerSec: float64(len(latencies)) / elapsed.Seconds(),
		p50: pick(0.50), p99: pick(0.99), max: latencies[len(latencies)-1], lost: int(lost.Load()), rssKB: rss, hwmKB: hwm}
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

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}
