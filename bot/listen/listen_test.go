package listen_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/listen"
)

// A flood of events writes one line a minute, and that line counts them all.
func TestEveryLetsOneLineAMinute(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	e := listen.NewEvery(time.Minute, func() time.Time { return now })
	lines, counted := 0, 0
	for range 600 { // 600 events over 3 minutes, one each 0.3 s
		if ok, n := e.Allow(); ok {
			lines++
			counted += n
		}
		now = now.Add(300 * time.Millisecond)
	}
	if lines != 3 {
		t.Errorf("%d lines for 3 minutes of events, want 3", lines)
	}
	if ok, n := e.Allow(); ok { // a minute after the last line: it counts those held since
		counted += n
	}
	if counted != 601 {
		t.Errorf("the lines count %d events of 601", counted)
	}
	if ok, n := listen.NewEvery(time.Minute, nil).Allow(); !ok || n != 1 {
		t.Errorf("the first event: %v %d, want a line counting 1", ok, n)
	}
}

func TestDefaults(t *testing.T) {
	l := listen.Limits{}.WithDefaults()
	if l.ReadHeaderTimeout != 10*time.Second || l.ReadTimeout != 10*time.Second || l.IdleTimeout != 3*time.Minute || l.MaxConns != 256 {
		t.Errorf("defaults: %+v", l)
	}
	srv := listen.Server(http.NotFoundHandler(), listen.Limits{IdleTimeout: time.Second})
	if srv.IdleTimeout != time.Second || srv.ReadTimeout != 10*time.Second || srv.ReadHeaderTimeout != 10*time.Second || srv.WriteTimeout != 0 {
		t.Errorf("server: idle %v read %v header %v write %v", srv.IdleTimeout, srv.ReadTimeout, srv.ReadHeaderTimeout, srv.WriteTimeout)
	}
	ln, err := listen.Listen("127.0.0.1:0", listen.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}
