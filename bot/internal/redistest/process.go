package redistest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a private redis-server started by one test: its own port and
// its own directory (for the AOF), so the test may stop, kill and restart
// it without disturbing the shared server other tests use.
type Process struct {
	URL  string // redis://127.0.0.1:PORT/0
	Addr string // 127.0.0.1:PORT
	Port int
	Dir  string // working directory: the AOF (appendonlydir) and redis.log

	t    testing.TB
	args []string
	cmd  *exec.Cmd
	done chan struct{} // closed when the running server exited
}

// StartProcess starts redis-server on a free port with its data in a fresh
// t.TempDir(), persistence by AOF only (appendonly yes, no RDB snapshots), and
// waits until it answers PING. extra are further redis-server options, e.g.
// "--appendfsync", "always" (the default here is everysec). It needs the
// redis-server binary: when it is missing the test is skipped, and under CI
// (CI set) it fails. The server is killed when the test ends.
func StartProcess(t testing.TB, extra ...string) *Process {
	t.Helper()
	p := newProcess(t)
	p.args = append([]string{p.args[0], "--port", strconv.Itoa(p.Port), "--bind", "127.0.0.1", "--dir", p.Dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
		"--logfile", filepath.Join(p.Dir, "redis.log"), "--daemonize", "no"}, extra...)
	p.Start()
	return p
}

// newProcess finds the redis-server binary (skipping or, under CI, failing
// the test without it), a free port and a fresh directory, and arranges for
// the server to be killed when the test ends. p.args holds only the binary;
// the caller adds the options and calls Start.
func newProcess(t testing.TB) *Process {
	t.Helper()
	bin := binary(t, "redis-server")
	port := FreePort(t)
	p := &Process{
		t: t, Port: port, Dir: t.TempDir(),
		Addr: "127.0.0.1:" + strconv.Itoa(port),
		URL:  "redis://127.0.0.1:" + strconv.Itoa(port) + "/0",
		args: []string{bin},
	}
	t.Cleanup(func() {
		if p.Running() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// binary returns the path of a Redis program: when it is missing the test is
// skipped, and under CI (CI set) it fails.
func binary(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found: CI must run this test (.ci/run installs redis-server): %v", name, err)
		}
		t.Skipf("%s not found (apt-get install redis-server): %v", name, err)
	}
	return bin
}

// FreePort returns a local TCP port nothing listens on right now, and never
// one it returned before in this test binary: a port is free only until its
// server binds it, and two callers in a row (a cluster node's port and its
// bus port) could otherwise be handed the same one.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if _, given := handedOut.LoadOrStore(port, true); !given {
			return port
		}
	}
	t.Fatal("redistest: no free port that was not handed out already")
	return 0
}

// handedOut holds the ports FreePort returned.
var handedOut sync.Map

// Start starts the server again (after Stop or Kill) on the same port and
// directory, and waits until it answers PING, i.e. has loaded its AOF.
func (p *Process) Start() {
	p.t.Helper()
	if p.Running() {
		p.t.Fatal("redistest: redis-server is already running")
	}
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Dir = p.Dir
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("redistest: start redis-server: %v", err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	done := p.done
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if p.ping() {
			return
		}
		select {
		case <-done:
			p.t.Fatalf("redistest: redis-server exited at start (%v); log:\n%s", cmd.ProcessState, p.Log())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("redistest: redis-server did not answer PING within 20 s; log:\n%s", p.Log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ping reports whether the server answers PING with PONG (not -LOADING).
func (p *Process) ping() bool {
	c, err := net.DialTimeout("tcp", p.Addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.TrimSpace(line) == "+PONG"
}

// aofBuffered returns INFO persistence's aof_buffer_length: the bytes of
// writes not yet written to the AOF file.
func (p *Process) aofBuffered() (int, bool) {
	c, err := net.DialTimeout("tcp", p.Addr, time.Second)
	if err != nil {
		return 0, false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("INFO persistence\r\n")); err != nil {
		return 0, false
	}
	r := bufio.NewReader(c)
	head, err := r.ReadString('\n')
	size, perr := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(head, "$")))
	if err != nil || perr != nil || !strings.HasPrefix(head, "$") {
		return 0, false
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(line, "aof_buffer_length:"); ok {
			n, err := strconv.Atoi(v)
			return n, err == nil
		}
	}
	return 0, false
}

// Running reports whether the server process is alive.
func (p *Process) Running() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM and waits for the server to exit: Redis then flushes
// and fsyncs the AOF, so every write it acknowledged survives.
func (p *Process) Stop() { p.signal(syscall.SIGTERM) }

// Kill sends SIGKILL and waits: only what the AOF already holds on disk
// survives (everything acknowledged with --appendfsync always).
func (p *Process) Kill() { p.signal(syscall.SIGKILL) }

func (p *Process) signal(sig syscall.Signal) {
	p.t.Helper()
	if !p.Running() {
		p.t.Fatal("redistest: redis-server is not running")
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("redistest: signal redis-server: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Fatalf("redistest: redis-server did not exit within 30 s of %v; log:\n%s", sig, p.Log())
	}
}

// AOFCommands returns the commands recorded in the incremental AOF files
// (appendonlydir/*.incr.aof, oldest first): every write the server made
// durable since its last AOF rewrite, each as its arguments, e.g.
// ["SET", key, value, "PXAT", ms]. Scripts appear as their effects (the
// writes they made, inside MULTI/EXEC). A rewrite happens only past
// auto-aof-rewrite-min-size (64 MB by default), so for a test's data these are
// all its writes. A command cut off at the end (a kill mid-write) is left out.
//
// While the server runs, it first waits (up to 5 s) until the server has
// written its AOF buffer to the file: with appendfsync everysec, a write
// may be postponed while a background fsync is under way, and the last
// writes would be missing from the file read here.
func (p *Process) AOFCommands() ([][]string, error) {
	if p.Running() {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if n, ok := p.aofBuffered(); ok && n == 0 {
				break
			}
		}
	}
	files, err := filepath.Glob(filepath.Join(p.Dir, "appendonlydir", "*.incr.aof"))
	if err != nil {
		return nil, err
	}
	seq := func(name string) int { // NAME.SEQ.incr.aof
		f := strings.Split(filepath.Base(name), ".")
		n, _ := strconv.Atoi(f[max(0, len(f)-3)])
		return n
	}
	slices.SortFunc(files, func(a, b string) int { return seq(a) - seq(b) })
	var out [][]string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		cmds, err := parseRESP(data)
		if err != nil {
			return nil, fmt.Errorf("redistest: %s: %w", filepath.Base(f), err)
		}
		out = append(out, cmds...)
	}
	return out, nil
}

// parseRESP reads the arrays of bulk strings an AOF consists of; an
// incomplete last command ends the list.
func parseRESP(data []byte) ([][]string, error) {
	var out [][]string
	line := func() (string, bool) {
		i := bytes.Index(data, []byte("\r\n"))
		if i < 0 {
			return "", false
		}
		l := string(data[:i])
		data = data[i+2:]
		return l, true
	}
	for len(data) > 0 {
		head, ok := line()
		if !ok {
			break
		}
		n, err := strconv.Atoi(strings.TrimPrefix(head, "*"))
		if !strings.HasPrefix(head, "*") || err != nil || n < 0 {
			return nil, fmt.Errorf("not an AOF command: %q", head)
		}
		cmd := make([]string, 0, n)
		for range n {
			h, ok := line()
			if !ok {
				return out, nil
			}
			size, err := strconv.Atoi(strings.TrimPrefix(h, "$"))
			if !strings.HasPrefix(h, "$") || err != nil || size < 0 {
				return nil, fmt.Errorf("not a bulk string: %q", h)
			}
			if len(data) < size+2 {
				return out, nil
			}
			cmd = append(cmd, string(data[:size]))
			data = data[size+2:]
		}
		out = append(out, cmd)
	}
	return out, nil
}

// Log returns the server's log file so far.
func (p *Process) Log() string {
	data, err := os.ReadFile(filepath.Join(p.Dir, "redis.log"))
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(data)
}
