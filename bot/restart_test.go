package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/internal/redistest"
)

// TestMain lets a test start this test binary as the bot itself.
func TestMain(m *testing.M) {
	if os.Getenv("ANNING_RUN_AS_FLOOR") == "1" { // the load harness's floor (load_floor_test.go)
		os.Exit(runFloorBot())
	}
	if os.Getenv("ANNING_RUN_AS_BOT") == "1" {
		if path := os.Getenv("ANNING_CPUPROFILE"); path != "" { // for profiling under the load harness
			f, err := os.Create(path)
			if err == nil && pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
		code := run(signalContext(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
		pprof.StopCPUProfile()
		if path := os.Getenv("ANNING_MEMPROFILE"); path != "" { // what the run allocated (alloc_space)
			if f, err := os.Create(path); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// botProcess is the bot running as a separate process on a console pipe.
type botProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	out   bytes.Buffer
}

func startBot(t *testing.T, env ...string) *botProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0]) // TestMain turns it into the bot
	cmd.Env = append(os.Environ(), append(env, "ANNING_RUN_AS_BOT=1")...)
	p := &botProcess{cmd: cmd}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := stdout.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return p
}

// waitFor blocks until the output contains want (a guard of 20 s, not a
// measurement: the bot answers in milliseconds).
func (p *botProcess) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		got := p.out.String()
		p.mu.Unlock()
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Fatalf("bot never printed %q; output:\n%s", want, p.out.String())
}

func (p *botProcess) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// A kill -9 of the bot between two turns loses nothing: restarted, it picks
// the conversation up where it was.
func TestKillNineBetweenTurnsLosesNothing(t *testing.T) {
	srv := redistest.Open(t)
	env := []string{"REDIS_URL=" + srv.URL, "REDIS_PREFIX=" + srv.Prefix, "EVIDENCE_DIR=" + t.TempDir()}

	first := startBot(t, env...)
	first.send(t, "1") // piped input: the console reads a line before greeting
	first.waitFor(t, "你想先了解哪一项")
	first.waitFor(t, "先别慌") // "1": the borrower's path
	first.send(t, "1")      // start at step 1
	first.waitFor(t, "第一步：保存证据")
	if err := first.cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()

	second := startBot(t, env...)
	second.send(t, "1")
	second.waitFor(t, "欢迎回来")
	second.waitFor(t, "1. 怎么保存才有用") // the question it was killed at, shown again
	second.waitFor(t, "保存的要点")      // and "1" answered it
	second.mu.Lock()
	defer second.mu.Unlock()
	if strings.Contains(second.out.String(), "你好，这里是“安宁”") {
		t.Error("the restarted bot greeted a known person as new")
	}
}
