package telegram

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time              { return c.t }
func (c *fakeClock) add(d time.Duration)         { c.t = c.t.Add(d) }
func newClock() *fakeClock                       { return &fakeClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)} }
func sendNow(p *pacer, chat int64) time.Duration { w, _ := p.reserve(chat, true); return w }

// A chat gets its burst at once, then one message a second; other chats are
// not held back by it.
func TestPacerPacesEachChat(t *testing.T) {
	clk := newClock()
	p := newPacer(1, 3, 0, 0, clk.now)
	for i := range 3 {
		if w := sendNow(p, 1); w != 0 {
			t.Fatalf("message %d of the burst waits %v", i+1, w)
		}
	}
	if w := sendNow(p, 1); w < 900*time.Millisecond || w > time.Second {
		t.Errorf("the fourth message waits %v, want about 1 s", w)
	}
	if w := sendNow(p, 2); w != 0 {
		t.Errorf("another chat waits %v", w)
	}
	if w, _ := p.reserve(1, false); w != 0 {
		t.Errorf("a call that is not a message (an answer to a button) waits %v for the chat's pace", w)
	}
}

// Without a ceiling the bot as a whole is not paced until Telegram says it
// sends too fast; a 429 for one chat among many successful calls holds back
// only that chat.
func TestPacerScattered429sHoldBackOnlyTheirChats(t *testing.T) {
	clk := newClock()
	p := newPacer(rate.Inf, 1, 0, 0, clk.now)
	for i := range 2000 { // 2000 messages in one second, one in twenty refused
		chat := int64(i + 1)
		if w := sendNow(p, chat); w != 0 {
			t.Fatalf("message %d waits %v", i, w)
		}
		refused := i%20 == 0
		retry := time.Duration(0)
		if refused {
			retry = time.Second
		}
		if p.done(chat, !refused, retry) {
			t.Fatalf("429 number %d taken as meant for the whole bot", i/20+1)
		}
		clk.add(time.Second / 2000)
	}
	if p.pace() != rate.Inf {
		t.Errorf("the overall pace was cut to %v", p.pace())
	}
	if w := sendNow(p, 1981); w < 990*time.Millisecond {
		t.Errorf("a chat just refused waits %v, want its retry_after", w)
	}
}

// When many chats get 429s at once, every call waits out the retry_after,
// the overall pace is cut to half of what was sent, and it climbs back
// step by step, to no limit at all.
func TestPacerLearnsTheOverallPace(t *testing.T) {
	clk := newClock()
	p := newPacer(rate.Inf, 1, 0, 0, clk.now)
	for i := range 100 { // a second at 100 messages/s
		sendNow(p, int64(i+1))
		p.done(int64(i+1), true, 0)
		clk.add(10 * time.Millisecond)
	}
	global := false
	for i := range 20 { // then Telegram refuses everything
		sendNow(p, int64(200+i))
		global = p.done(int64(200+i), false, 2*time.Second) || global
	}
	if !global {
		t.Fatal("a burst of 429s over many chats was not taken as meant for the whole bot")
	}
	if w := sendNow(p, 999); w < 1900*time.Millisecond {
		t.Errorf("a new chat waits %v during the flood wait, want 2 s", w)
	}
	cut := p.pace()
	if cut < 40 || cut > 60 {
		t.Fatalf("pace after the cut %v, want about half of 100/s", cut)
	}
	clk.add(2 * time.Second)
	if got := p.pace(); got > cut+1 {
		t.Errorf("the pace rose during the flood wait: %v", got)
	}
	clk.add(3 * time.Second)
	if got := p.pace(); got < cut+2 || got > cut*1.5 {
		t.Errorf("3 s later the pace is %v, want a few steps above %v", got, cut)
	}
	clk.add(2 * time.Minute)
	if got := p.pace(); got != rate.Inf {
		t.Errorf("after two quiet minutes the pace is %v, want no limit", got)
	}
}

// An operator's ceiling paces the bot as a whole from the start; a cut
// never lifts it, and recovery stops at it. rate.Inf turns pacing off.
func TestPacerCeiling(t *testing.T) {
	clk := newClock()
	p := newPacer(rate.Inf, 1, 10, 10, clk.now)
	waited := 0
	for i := range 20 {
		if sendNow(p, int64(i+1)) > 0 {
			waited++
		}
	}
	if waited != 10 {
		t.Errorf("%d of 20 messages waited at a ceiling of 10/s (burst 10), want 10", waited)
	}
	clk.add(time.Hour)
	for i := range 5 {
		p.done(int64(i+1), false, time.Second)
	}
	clk.add(time.Hour)
	if got := p.pace(); got != 10 {
		t.Errorf("pace %v after recovery, want the ceiling 10", got)
	}
	off := newPacer(rate.Inf, 1, rate.Inf, 0, clk.now)
	for i := range 5 {
		off.done(int64(i+1), false, time.Second)
	}
	if off.pace() != rate.Inf {
		t.Errorf("pacing off, yet the pace was cut to %v", off.pace())
	}
}

// After a burst of 429s was taken as meant for the whole bot, the stray
// 429s that follow (5 % of calls here) hold back only their chats: the
// burst is not counted again, so the pace is cut once and climbs back.
func TestPacerOneBurstCutsOnce(t *testing.T) {
	clk := newClock()
	p := newPacer(rate.Inf, 1, 0, 0, clk.now)
	chat := int64(0)
	next := func() int64 { chat++; return chat }
	for range 1000 { // a second at 1,000 messages/s
		c := next()
		sendNow(p, c)
		p.done(c, true, 0)
		clk.add(time.Millisecond)
	}
	global := 0
	for range 20 { // Telegram refuses everything for a moment
		c := next()
		sendNow(p, c)
		if p.done(c, false, time.Second) {
			global++
		}
	}
	if global != 1 {
		t.Fatalf("%d of a burst's 429s were taken as meant for the whole bot, want 1 (its 16th)", global)
	}
	cut := p.pace()
	clk.add(1100 * time.Millisecond) // the flood wait is over
	for i := range 5000 {
		c := next()
		if w := sendNow(p, c); w > 0 {
			clk.add(w)
		}
		if i%20 == 0 {
			if p.done(c, false, time.Second) {
				t.Fatalf("a stray 429 (call %d after the flood wait) was taken as meant for the whole bot; pace %v", i, p.pace())
			}
		} else {
			p.done(c, true, 0)
		}
		clk.add(time.Millisecond)
	}
	if got := p.pace(); got <= cut {
		t.Errorf("the pace is %v, want it climbing back from %v", got, cut)
	}
}
