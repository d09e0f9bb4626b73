package redistest

import (
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Link is a TCP relay to a server that passes what the client sends at once
// and holds what the server sends for Delay before passing it on. When the
// server's side ends, the connection is closed at once and what was still
// held is dropped. Between a replica and its master it plays replication
// lag: the master's writes reach the replica Delay late, and those not yet
// passed on when the master dies are lost with it, as a master's unsent
// replication buffer is.
type Link struct {
	Addr  string // 127.0.0.1:PORT, to connect to instead of the server
	Port  int
	Delay time.Duration

	target string
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

// StartLink listens on a free port and relays every connection to target.
// It is closed when the test ends.
func StartLink(t testing.TB, target string, delay time.Duration) *Link {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	l := &Link{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, Delay: delay, target: target, ln: ln}
	l.wg.Go(l.accept)
	t.Cleanup(l.Close)
	return l
}

// Close stops listening and ends every relayed connection.
func (l *Link) Close() {
	l.ln.Close()
	l.mu.Lock()
	for _, c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

func (l *Link) track(c net.Conn) {
	l.mu.Lock()
	l.conns = append(l.conns, c)
	l.mu.Unlock()
}

func (l *Link) accept() {
	for {
		client, err := l.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", l.target)
		if err != nil {
			client.Close()
			continue
		}
		l.track(client)
		l.track(server)
		l.wg.Go(func() { l.relay(client, server) })
	}
}

// chunk is what the server sent, and when it arrived.
type chunk struct {
	data []byte
	at   time.Time
}

func (l *Link) relay(client, server net.Conn) {
	defer client.Close()
	defer server.Close()
	go func() { _, _ = io.Copy(server, client) }() // ends when either side closes
	held := make(chan chunk, 1<<16)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for {
			buf := make([]byte, 32<<10)
			n, err := server.Read(buf)
			if n > 0 {
				held <- chunk{buf[:n], time.Now()}
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		select {
		case <-ended:
			return // the server is gone: drop what is held
		case c := <-held:
			select {
			case <-ended:
				return
			case <-time.After(time.Until(c.at.Add(l.Delay))):
			}
			if _, err := client.Write(c.data); err != nil {
				return
			}
		}
	}
}
