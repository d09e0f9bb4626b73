package telegram

import (
	"math"
	"math/bits"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer decides when the bot may next call Telegram for a chat. Telegram
// publishes no exact limits: about one message a second to a chat, and for
// the bot as a whole a pace it only reveals by answering 429 Too Many
// Requests with a retry_after. So messages to each chat are paced (about
// one a second, with a small burst), and the overall pace is learned from
// Telegram's answers (AIMD): unlimited, or the operator's ceiling, until
// Telegram says the bot as a whole sends too fast; then halved, and raised
// again step by step for every second without such an answer.
//
// A 429 always holds back its chat for its retry_after. It is taken as
// meant for the whole bot when calls of many chats get one at once: at
// least globalRefused of the last 64 calls. Then every call waits out the
// retry_after, the overall pace is cut, and those 64 calls are forgotten:
// the burst was one signal, and the next takes as many fresh 429s. (Kept,
// they made every stray 429 after a cut look global again, and each cut
// the pace anew, down to 1 message/s, at which the old 429s never left the
// window: the bot all but stopped.) A few 429s scattered over many chats
// (one chat over its own limit, or a passing hiccup) only hold back their
// chats. The price of 16: a quarter of calls refused for a while is taken
// as global only by chance, and a bot that made few calls needs 16 429s
// before it pauses as a whole (each refused chat waits meanwhile); a flood
// wait for the whole bot refuses nearly every call, and reaches 16 at once.
type pacer struct {
	now func() time.Time

	chatEvery rate.Limit // 0: chats are not paced
	chatBurst int
	chatsMu   sync.Mutex
	chats     map[int64]*chatPace

	mu          sync.Mutex
	global      *rate.Limiter // nil: no overall pace at all (not even a learned one)
	ceiling     rate.Limit    // the operator's ceiling, or rate.Inf
	learned     rate.Limit    // the pace in force, at most ceiling
	step        rate.Limit    // additive increase per second, set at the last cut
	cutAt       time.Time     // the last cut
	raisedAt    time.Time     // the last increase
	pausedUntil time.Time     // Telegram's wait for the whole bot
	secs        [2]second     // messages sent this second and the one before: the pace of the last second
	outcomes    uint64        // the last 64 calls since the last global 429: a 1 for each 429
}

type second struct {
	at        int64 // unix second
	delivered int   // messages sent
}

type chatPace struct {
	lim         *rate.Limiter // nil when chats are not paced
	pausedUntil time.Time     // this chat's flood wait
	used        time.Time
}

const (
	// globalRefused of the last 64 calls: with 5 % of calls refused at
	// random, a window reaches it with a chance of 7e-8 (13, the threshold
	// before, 1.4e-5: a false alarm every few minutes at 2,000 calls/s).
	globalRefused = 16
	minGlobalRate = 1 // messages/s: a cut never goes below
)

// newPacer paces chats at chatEvery (burst chatBurst; 0: not paced) and the
// bot as a whole at most at ceiling: 0 learns the pace without a ceiling,
// rate.Inf does not pace the bot as a whole at all.
func newPacer(chatEvery rate.Limit, chatBurst int, ceiling rate.Limit, ceilingBurst int, now func() time.Time) *pacer {
	if now == nil {
		now = time.Now
	}
	p := &pacer{now: now, chatEvery: chatEvery, chatBurst: max(chatBurst, 1), chats: map[int64]*chatPace{}}
	if chatEvery == rate.Inf {
		p.chatEvery = 0
	}
	switch {
	case ceiling == rate.Inf:
	case ceiling <= 0:
		p.ceiling, p.learned = rate.Inf, rate.Inf
		p.global = rate.NewLimiter(rate.Inf, 1)
	default:
		p.ceiling, p.learned = ceiling, ceiling
		p.global = rate.NewLimiter(ceiling, max(ceilingBurst, 1))
	}
	return p
}

// reserve books the next call for chatID (0: a call of no chat) and says
// how long to wait before making it. paced calls (messages) take a place
// in the chat's and the overall pace; every call waits out the flood waits
// Telegram set for its chat and for the whole bot. cancel gives the places
// back when the call is not made after all.
func (p *pacer) reserve(chatID int64, paced bool) (wait time.Duration, cancel func()) {
	now := p.now()
	var cancels []func()
	if chatID != 0 {
		c := p.chat(chatID, now)
		p.chatsMu.Lock()
		if d := c.pausedUntil.Sub(now); d > wait {
			wait = d
		}
		p.chatsMu.Unlock()
		if paced && c.lim != nil {
			r := c.lim.ReserveN(now, 1)
			wait = max(wait, r.DelayFrom(now))
			cancels = append(cancels, func() { r.CancelAt(p.now()) })
		}
	}
	p.mu.Lock()
	p.raiseLocked(now)
	if d := p.pausedUntil.Sub(now); d > wait {
		wait = d
	}
	if paced && p.global != nil && p.learned != rate.Inf {
		r := p.global.ReserveN(now, 1)
		wait = max(wait, r.DelayFrom(now))
		cancels = append(cancels, func() { r.CancelAt(p.now()) })
	}
	p.mu.Unlock()
	return wait, func() {
		for _, c := range cancels {
			c()
		}
	}
}

// chat returns the chat's pace, forgetting chats idle for a minute.
func (p *pacer) chat(chatID int64, now time.Time) *chatPace {
	p.chatsMu.Lock()
	defer p.chatsMu.Unlock()
	if len(p.chats) > 10_000 {
		for id, c := range p.chats {
			if now.Sub(c.used) > time.Minute && now.After(c.pausedUntil) {
				delete(p.chats, id)
			}
		}
	}
	c := p.chats[chatID]
	if c == nil {
		c = &chatPace{}
		if p.chatEvery > 0 {
			c.lim = rate.NewLimiter(p.chatEvery, p.chatBurst)
		}
		p.chats[chatID] = c
	}
	c.used = now
	return c
}

// done records the outcome of a call: delivered says a message went out;
// retryAfter > 0 is a 429 with Telegram's wait, which holds back the chat
// (and, when many chats get one at once, the whole bot, whose pace is then
// cut). It reports whether the 429 was taken as meant for the whole bot.
func (p *pacer) done(chatID int64, delivered bool, retryAfter time.Duration) (global bool) {
	now := p.now()
	if retryAfter > 0 && chatID != 0 {
		c := p.chat(chatID, now)
		p.chatsMu.Lock()
		c.pausedUntil = later(c.pausedUntil, now.Add(retryAfter))
		p.chatsMu.Unlock()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if delivered {
		p.secondLocked(now).delivered++
	}
	p.outcomes <<= 1
	if retryAfter <= 0 {
		return false
	}
	p.outcomes |= 1
	if chatID != 0 && bits.OnesCount64(p.outcomes) < globalRefused {
		return false
	}
	p.outcomes = 0
	p.pausedUntil = later(p.pausedUntil, now.Add(retryAfter))
	p.cutLocked(now, retryAfter)
	return true
}

// secondLocked returns the counters of now's second, moving the window.
func (p *pacer) secondLocked(now time.Time) *second {
	sec := now.Unix()
	switch {
	case p.secs[0].at == sec:
	case p.secs[0].at == sec-1:
		p.secs[1], p.secs[0] = p.secs[0], second{at: sec}
	default:
		p.secs[1], p.secs[0] = second{at: sec - 1}, second{at: sec}
	}
	return &p.secs[0]
}

// cutLocked halves the overall pace, at most once per flood wait (and per
// second): the 429s of one burst are one signal. It halves what was sent
// lately when that is below the pace in force (an unlimited pace, say).
func (p *pacer) cutLocked(now time.Time, retryAfter time.Duration) {
	if p.global == nil || now.Sub(p.cutAt) < max(time.Second, retryAfter) {
		return
	}
	p.secondLocked(now)
	frac := float64(now.Nanosecond()) / 1e9 // of this second gone: the one before counts for the rest
	sent := rate.Limit(float64(p.secs[0].delivered) + float64(p.secs[1].delivered)*(1-frac))
	cur := p.learned
	if sent < cur {
		cur = sent
	}
	p.learned = max(cur/2, minGlobalRate)
	p.step = max(p.learned/10, 0.5)
	p.cutAt, p.raisedAt = now, later(now, p.pausedUntil) // the climb starts once the flood wait is over
	p.applyLocked(now)
}

// raiseLocked adds one step to the overall pace for every whole second
// since the last cut or increase, up to the ceiling; far above the pace it
// was cut to, it lifts the limit (back to the ceiling).
func (p *pacer) raiseLocked(now time.Time) {
	if p.global == nil || p.learned >= p.ceiling || p.cutAt.IsZero() {
		return
	}
	secs := math.Floor(now.Sub(p.raisedAt).Seconds())
	if secs < 1 || now.Before(p.pausedUntil) {
		return
	}
	p.learned += p.step * rate.Limit(secs)
	p.raisedAt = p.raisedAt.Add(time.Duration(secs) * time.Second)
	if p.learned >= p.ceiling || p.learned >= 100*p.step { // 10x the pace it was cut to
		p.learned = p.ceiling
	}
	p.applyLocked(now)
}

func (p *pacer) applyLocked(now time.Time) {
	p.global.SetLimitAt(now, p.learned)
	if p.learned != rate.Inf {
		p.global.SetBurstAt(now, max(int(p.learned), 1)) // a second's worth
	}
}

// pace reports the overall pace in force (rate.Inf: none), for logs and tests.
func (p *pacer) pace() rate.Limit {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.global == nil {
		return rate.Inf
	}
	p.raiseLocked(p.now())
	return p.learned
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
