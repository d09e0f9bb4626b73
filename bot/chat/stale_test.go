package chat_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/chat"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/session"
)

type staleMeter struct{ turns, stale atomic.Int64 }

func (m *staleMeter) Turn(string, time.Duration) { m.turns.Add(1) }
func (m *staleMeter) Stale()                     { m.stale.Add(1) }

// An update that arrives after a newer one of the same chat was applied is
// dropped, counted and logged, by ids only (no message text).
func TestStaleUpdateCountedAndLogged(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	meter := &staleMeter{}
	r := chat.NewRunner(engine(t), session.NewMemory(0, nil), chat.Options{Meter: meter,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if _, err := r.Handle(ctx, "u", flow.Event{Kind: flow.EventText, Text: "/law", Seq: 1001}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Handle(ctx, "u", flow.Event{Kind: flow.EventText, Text: "/law", Seq: 1001}); err != nil {
		t.Fatal(err)
	}
	if n := meter.stale.Load(); n != 0 {
		t.Fatalf("a redelivery of the last update counted as stale (%d)", n)
	}
	if replies, err := r.Handle(ctx, "u", flow.Event{Kind: flow.EventText, Text: "我的秘密 13800138000", Seq: 999}); err != nil || len(replies) != 0 {
		t.Fatalf("stale update answered: %v %v", replies, err)
	}
	if n := meter.stale.Load(); n != 1 {
		t.Errorf("stale updates counted: %d, want 1", n)
	}
	out := logs.String()
	if !strings.Contains(out, "stale update dropped") || !strings.Contains(out, "seq=999") || !strings.Contains(out, "last_seq=1001") {
		t.Errorf("stale update not logged with its ids:\n%s", out)
	}
	if strings.Contains(out, "13800138000") || strings.Contains(out, "秘密") {
		t.Errorf("the log holds message text:\n%s", out)
	}
}
