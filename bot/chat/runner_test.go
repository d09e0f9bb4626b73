package chat_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/chat"
	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/session"
	"github.com/anning-bot/anning/content"
	"github.com/anning-bot/anning/flows"
)

var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func engine(t testing.TB) *flow.Engine {
	t.Helper()
	set, err := flows.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return flow.NewEngine(set, func() time.Time { return testNow })
}

func text(s string) domain.Event { return domain.Event{Kind: domain.EventText, Text: s} }

func stored(t *testing.T, s domain.Store, user string) flow.State {
	t.Helper()
	e, err := s.Get(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	st, err := chat.Decode(e.Data)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// racingStore lets "another process" write the session between our read and
// our write, once.
type racingStore struct {
	*session.Memory
	once  sync.Once
	other func()
	puts  int
}

func (r *racingStore) Put(ctx context.Context, user string, data []byte, rev int64) (int64, error) {
	r.puts++
	r.once.Do(r.other)
	return r.Memory.Put(ctx, user, data, rev)
}

func TestConflictRecomputesFromFreshState(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	e := engine(t)
	r := chat.NewRunner(e, mem, chat.Options{})
	if _, err := r.Handle(ctx, "u", text("/start")); err != nil {
		t.Fatal(err)
	}
	rs := &racingStore{Memory: mem}
	rs.other = func() {
		// Another process moves the user to /law before our write lands.
		other := chat.NewRunner(e, mem, chat.Options{})
		if _, err := other.Handle(ctx, "u", text("/law")); err != nil {
			t.Error(err)
		}
	}
	r = chat.NewRunner(e, rs, chat.Options{})
	replies, err := r.Handle(ctx, "u", text("1"))
	if err != nil {
		t.Fatal(err)
	}
	if rs.puts != 2 {
		t.Errorf("%d writes, want 2 (one conflict, one retry)", rs.puts)
	}
	// "1" at the law menu opens the privacy statutes; at the main menu it
	// would have opened the borrower flow.
	if st := stored(t, mem, "u"); st.Flow != "law" {
		t.Errorf("turn computed from stale state: now at %s.%s", st.Flow, st.Step)
	}
	if got := render(replies); !strings.Contains(got, "第一千零三十三条") {
		t.Errorf("replies from the stale computation were sent:\n%s", got)
	}
}

// A runner reuses the decoded session its last turn left only when the
// session it reads is still exactly that: after another process wrote, the
// turn is computed from what it wrote, and an update the other process
// applied is recognised, not applied again.
func TestDecodedSessionReusedOnlyWhenUnchanged(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	a := chat.NewRunner(engine(t), mem, chat.Options{})
	b := chat.NewRunner(engine(t), mem, chat.Options{})
	ev := func(s string, seq int64) domain.Event { return domain.Event{Kind: domain.EventText, Text: s, Seq: seq} }
	if _, err := a.Handle(ctx, "u", ev("/start", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Handle(ctx, "u", ev("/law", 2)); err != nil { // a's decoded copy is stale now
		t.Fatal(err)
	}
	replies, err := a.Handle(ctx, "u", ev("1", 3))
	if err != nil {
		t.Fatal(err)
	}
	if st := stored(t, mem, "u"); st.Flow != "law" || st.LastSeq != 3 {
		t.Errorf("turn computed from the stale copy: now at %s.%s, last update %d", st.Flow, st.Step, st.LastSeq)
	}
	if got := render(replies); !strings.Contains(got, "第一千零三十三条") {
		t.Errorf("replies from the stale copy:\n%s", got)
	}
	if _, err := b.Handle(ctx, "u", ev("/menu", 4)); err != nil {
		t.Fatal(err)
	}
	b.Delivered(ctx, "u", 4)
	b.Flush(ctx) // recorded in the store at once, as when b stops
	if replies, err := a.Handle(ctx, "u", ev("/menu", 4)); err != nil || len(replies) != 0 {
		t.Errorf("an update applied by the other runner, redelivered here, was answered: %v %s", err, render(replies))
	}
	if st := stored(t, mem, "u"); st.LastSeq != 4 || st.Flow != "main" {
		t.Errorf("after the redelivery: at %s.%s, last update %d", st.Flow, st.Step, st.LastSeq)
	}
}

type failingStore struct{ domain.Store }

func (failingStore) Get(context.Context, string) (domain.Entry, error) {
	return domain.Entry{}, errors.New("connection refused")
}

func TestStoreDownGivesBusyMessage(t *testing.T) {
	r := chat.NewRunner(engine(t), failingStore{}, chat.Options{})
	replies, err := r.Handle(context.Background(), "u", text("/start"))
	if err == nil || !strings.Contains(err.Error(), "chat: load session: connection refused") {
		t.Errorf("err = %v", err)
	}
	if len(replies) != 1 || replies[0].Text != chat.MsgBusy {
		t.Errorf("replies = %v", replies)
	}
}

type countingEraser struct{ users []string }

func (c *countingEraser) Erase(_ context.Context, user string) (int, error) {
	c.users = append(c.users, user)
	return 3, nil
}

func TestDeleteErasesEverything(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	er := &countingEraser{}
	r := chat.NewRunner(engine(t), mem, chat.Options{Erasers: []chat.Eraser{er}})
	for _, in := range []string{"/start", "1", "/delete"} {
		if _, err := r.Handle(ctx, "u", text(in)); err != nil {
			t.Fatal(err)
		}
	}
	replies, err := r.Handle(ctx, "u", text("确认删除"))
	if err != nil {
		t.Fatal(err)
	}
	if got := render(replies); !strings.Contains(got, "共删除 4 项数据") {
		t.Errorf("replies:\n%s", got)
	}
	if e, _ := mem.Get(ctx, "u"); e.Rev != 0 || len(er.users) != 1 {
		t.Errorf("after erase: entry %+v, erasers called for %v", e, er.users)
	}
}

// The update that erased everything, delivered again (its answer was lost),
// is answered that the data is gone, and no new session is started; a new
// message afterwards starts afresh.
func TestRedeliveredErasureStartsNothing(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	r := chat.NewRunner(engine(t), mem, chat.Options{})
	for i, in := range []string{"/start", "1", "/delete"} {
		r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: in, Seq: int64(100 + i)})
	}
	confirm := domain.Event{Kind: domain.EventText, Text: "确认删除", Seq: 103}
	if replies, _ := r.Handle(ctx, "u", confirm); !strings.Contains(render(replies), "项数据") {
		t.Fatalf("erase: %s", render(replies))
	}
	replies, err := r.Handle(ctx, "u", confirm)
	if err != nil || !strings.Contains(render(replies), "你的数据已经全部删除") {
		t.Errorf("redelivered erasure: %v %s", err, render(replies))
	}
	if e, _ := mem.Get(ctx, "u"); e.Rev != 0 {
		t.Errorf("a redelivered erasure started a session: %+v", e)
	}
	if replies, _ := r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "/start", Seq: 104}); !strings.Contains(render(replies), "你好") {
		t.Errorf("a new message after the erasure: %s", render(replies))
	}
}

func TestConcurrentTurnsOfOneUserAllApplied(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	r := chat.NewRunner(engine(t), mem, chat.Options{})
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := "/law"
			if i%2 == 0 {
				in = "/menu"
			}
			if _, err := r.Handle(ctx, "u", text(in)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if e, _ := mem.Get(ctx, "u"); e.Rev != n {
		t.Errorf("revision %d after %d turns: some were lost", e.Rev, n)
	}
}

func TestUnreadableSessionStartsAfresh(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	if _, err := mem.Put(ctx, "u", []byte(`{"v":1,"f":`), 0); err != nil {
		t.Fatal(err)
	}
	r := chat.NewRunner(engine(t), mem, chat.Options{})
	replies, err := r.Handle(ctx, "u", text("你好"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(render(replies), "你好，这里是“安宁”") {
		t.Errorf("replies:\n%s", render(replies))
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	st := flow.State{Flow: "borrower", Step: "stop", Vars: map[string]string{"platform": "有钱花"},
		History: []flow.Frame{{Flow: "borrower", Step: "report", Undo: []flow.Undo{{Var: "lender_kind"}}}}, Seq: 42}
	data, err := chat.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := chat.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema != flow.SchemaVersion || got.Vars["platform"] != "有钱花" || got.History[0].Undo[0].Var != "lender_kind" || got.Seq != 42 {
		t.Errorf("round trip: %+v", got)
	}
}

func render(rs []domain.Reply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Text + "\n")
	}
	return b.String()
}

// BenchmarkRunnerTurn is one whole turn on the memory store: load, decode,
// engine, encode, compare-and-set.
func BenchmarkRunnerTurn(b *testing.B) {
	ctx := context.Background()
	r := chat.NewRunner(engine(b), session.NewMemory(0, nil), chat.Options{})
	if _, err := r.Handle(ctx, "u", text("/start borrower")); err != nil {
		b.Fatal(err)
	}
	if _, err := r.Handle(ctx, "u", text("2")); err != nil {
		b.Fatal(err)
	}
	evs := []domain.Event{text("4"), text("5")} // step 4 from the five-step list, and back
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := r.Handle(ctx, "u", evs[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// A platform update delivered twice is applied once: the session remembers
// the newest update id it applied, atomically with the state; the redelivery
// of the last one shows the current question again (its reply may be lost).
func TestRedeliveredUpdateAppliedOnce(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	r := chat.NewRunner(engine(t), mem, chat.Options{})
	ev := domain.Event{Kind: domain.EventText, Text: "/law", Seq: 1001}
	if replies, err := r.Handle(ctx, "u", ev); err != nil || len(replies) == 0 {
		t.Fatalf("first delivery: %v %v", replies, err)
	}
	e1, _ := mem.Get(ctx, "u")
	replies, err := r.Handle(ctx, "u", ev)
	if err != nil || !strings.Contains(render(replies), "想看哪方面的法律规定") {
		t.Fatalf("redelivery: %v\n%s", err, render(replies))
	}
	older := domain.Event{Kind: domain.EventText, Text: "1", Seq: 999}
	if replies, _ := r.Handle(ctx, "u", older); len(replies) != 0 {
		t.Fatal("an older update was applied after a newer one")
	}
	if e2, _ := mem.Get(ctx, "u"); e2.Rev != e1.Rev {
		t.Fatal("a redelivery changed the session")
	}
	if replies, _ := r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "1", Seq: 1002}); !strings.Contains(render(replies), "第一千零三十三条") {
		t.Fatalf("the next update was not applied:\n%s", render(replies))
	}
}

// After a long silence Telegram may restart update ids lower: they are new.
func TestLowerUpdateIDAfterLongSilenceIsNew(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	old := flow.State{Schema: flow.SchemaVersion, Flow: "main", Step: "menu", LastSeq: 900000, Updated: testNow.Add(-8 * 24 * time.Hour).Unix()} // the engine's clock, not the wall's
	data, _ := chat.Encode(old)
	mem.Put(ctx, "u", data, 0)
	r := chat.NewRunner(engine(t), mem, chat.Options{})
	replies, err := r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "/law", Seq: 12345})
	if err != nil || !strings.Contains(render(replies), "想看哪方面的法律规定") {
		t.Fatalf("update with a restarted id ignored: %v\n%s", err, render(replies))
	}
}

func TestNewerSchemaIsNeverOverwritten(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	mem.Put(ctx, "u", []byte(`{"v":99,"f":"future"}`), 0)
	r := chat.NewRunner(engine(t), mem, chat.Options{})
	replies, err := r.Handle(ctx, "u", text("/law"))
	if err == nil || replies[0].Text != chat.MsgBusy {
		t.Fatalf("%v %v", replies, err)
	}
	if e, _ := mem.Get(ctx, "u"); string(e.Data) != `{"v":99,"f":"future"}` {
		t.Fatal("a newer session was overwritten")
	}
}

// A redelivered update whose replies were lost gets the same replies in
// full (kept beside the session), and its actions run again; without kept
// replies (a store that keeps none) the current question is shown again.
func TestRedeliveryResendsTheWholeReply(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	var acted int
	r := chat.NewRunner(engine(t), mem, chat.Options{Actions: map[string]chat.ActionFunc{
		domain.DoEvidence: func(context.Context, string, domain.Action, flow.State) ([]domain.Reply, error) {
			acted++
			return []domain.Reply{{Kind: domain.ReplyNotice, Text: "证据清单"}}, nil
		}}})
	if _, err := r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "/law", Seq: 10}); err != nil {
		t.Fatal(err)
	}
	pick := domain.Event{Kind: domain.EventText, Text: "1", Seq: 11}
	first, err := r.Handle(ctx, "u", pick)
	if err != nil || !strings.Contains(render(first), "第一千零三十三条") {
		t.Fatalf("first delivery: %v\n%s", err, render(first))
	}
	rev := stored(t, mem, "u")
	again, err := r.Handle(ctx, "u", pick)
	if err != nil || render(again) != render(first) {
		t.Fatalf("redelivery: %v\n%s\nwant\n%s", err, render(again), render(first))
	}
	if st := stored(t, mem, "u"); st.Step != rev.Step || st.LastSeq != 11 {
		t.Errorf("redelivery changed the session: %+v", st)
	}
	ev := domain.Event{Kind: domain.EventText, Text: "/evidence", Seq: 12}
	if replies, _ := r.Handle(ctx, "u", ev); !strings.Contains(render(replies), "证据清单") {
		t.Fatalf("evidence: %s", render(replies))
	}
	if replies, _ := r.Handle(ctx, "u", ev); !strings.Contains(render(replies), "证据清单") || acted != 2 {
		t.Errorf("redelivered action: ran %d times; replies %s", acted, render(replies))
	}

	plain := chat.NewRunner(engine(t), plainStore{session.NewMemory(0, nil)}, chat.Options{})
	plain.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "/law", Seq: 10})
	plain.Handle(ctx, "u", pick)
	if replies, _ := plain.Handle(ctx, "u", pick); strings.Contains(render(replies), "第一千零三十三条") ||
		!strings.Contains(render(replies), "还想看其他法条吗") {
		t.Errorf("without kept replies: %s", render(replies))
	}
}

// plainStore hides the memory store's ReplyKeeper side.
type plainStore struct{ m *session.Memory }

func (p plainStore) Get(ctx context.Context, u string) (domain.Entry, error) { return p.m.Get(ctx, u) }
func (p plainStore) Put(ctx context.Context, u string, d []byte, rev int64) (int64, error) {
	return p.m.Put(ctx, u, d, rev)
}
func (p plainStore) Delete(ctx context.Context, u string) (int, error) { return p.m.Delete(ctx, u) }

// flakyStore breaks like Redis dying mid-command: a write that may or may not
// land before the error, then a few failed reads while it restarts.
type flakyStore struct {
	*session.Memory
	mu         sync.Mutex
	failPut    bool // the next write fails
	applyFirst bool // ... after it was applied
	downReads  int  // reads that fail after that
	puts       int
}

func (f *flakyStore) PutWithReplies(ctx context.Context, u string, d []byte, rep domain.Kept, rev int64) (int64, error) {
	return f.write(func() (int64, error) { return f.Memory.PutWithReplies(ctx, u, d, rep, rev) })
}

func (f *flakyStore) PutOver(ctx context.Context, u string, d []byte, rep domain.Kept, prev domain.Entry) (int64, error) {
	return f.write(func() (int64, error) { return f.Memory.PutOver(ctx, u, d, rep, prev) })
}

func (f *flakyStore) write(put func() (int64, error)) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts++
	if f.failPut {
		f.failPut = false
		if f.applyFirst {
			put()
		}
		return 0, errors.New("session: redis put: EOF")
	}
	return put()
}

func (f *flakyStore) Get(ctx context.Context, u string) (domain.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.downReads > 0 && f.puts > 0 {
		f.downReads--
		return domain.Entry{}, errors.New("session: redis get: connection refused")
	}
	return f.Memory.Get(ctx, u)
}

// A save that failed without an answer is resolved by reading again, not by
// telling the person "busy": if the write landed, the person gets its
// replies; if not, the turn is applied now. Either way exactly once.
func TestUnsureSaveIsResolvedNotAnsweredBusy(t *testing.T) {
	ctx := context.Background()
	for _, landed := range []bool{true, false} {
		f := &flakyStore{Memory: session.NewMemory(0, nil)}
		r := chat.NewRunner(engine(t), f, chat.Options{UnsureFor: 5 * time.Second})
		if _, err := r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "/law", Seq: 20}); err != nil {
			t.Fatal(err)
		}
		f.failPut, f.applyFirst, f.downReads, f.puts = true, landed, 3, 0
		replies, err := r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "1", Seq: 21})
		if err != nil || !strings.Contains(render(replies), "第一千零三十三条") {
			t.Fatalf("landed=%v: %v\n%s", landed, err, render(replies))
		}
		e, _ := f.Memory.Get(ctx, "u")
		if st := stored(t, f.Memory, "u"); e.Rev != 2 || st.LastSeq != 21 {
			t.Errorf("landed=%v: rev %d, last update %d: want the turn applied exactly once", landed, e.Rev, st.LastSeq)
		}
	}
	// When the store stays away past UnsureFor, nothing is answered ("busy"
	// would make the person resend a message that may have been applied):
	// the update is left for the platform to deliver again, and that
	// redelivery settles it once the store is back.
	f := &flakyStore{Memory: session.NewMemory(0, nil)}
	r := chat.NewRunner(engine(t), f, chat.Options{UnsureFor: 200 * time.Millisecond})
	r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "/law", Seq: 20})
	f.failPut, f.applyFirst, f.downReads, f.puts = true, true, 1000, 0
	pick := domain.Event{Kind: domain.EventText, Text: "1", Seq: 21}
	replies, err := r.Handle(ctx, "u", pick)
	if !errors.Is(err, chat.ErrUnsettled) || len(replies) != 0 {
		t.Fatalf("store gone: %v %q", err, render(replies))
	}
	f.mu.Lock()
	f.downReads = 0
	f.mu.Unlock()
	replies, err = r.Handle(ctx, "u", pick)
	if err != nil || !strings.Contains(render(replies), "第一千零三十三条") {
		t.Errorf("redelivery after the store came back: %v\n%s", err, render(replies))
	}
	if e, _ := f.Memory.Get(ctx, "u"); e.Rev != 2 {
		t.Errorf("rev %d: the turn was applied %d times", e.Rev, e.Rev-1)
	}
}

// Once the replies of an update were delivered, its redelivery (Telegram
// never got the answer) sends nothing; the replies of an undelivered one are
// sent again.
func TestDeliveredRepliesAreNotSentTwice(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	r := chat.NewRunner(engine(t), mem, chat.Options{})
	law := domain.Event{Kind: domain.EventText, Text: "/law", Seq: 30}
	if _, err := r.Handle(ctx, "u", law); err != nil {
		t.Fatal(err)
	}
	r.Delivered(ctx, "u", 30)
	if replies, err := r.Handle(ctx, "u", law); err != nil || len(replies) != 0 {
		t.Errorf("a delivered update's redelivery was answered: %v %s", err, render(replies))
	}
	pick := domain.Event{Kind: domain.EventText, Text: "1", Seq: 31}
	r.Handle(ctx, "u", pick)
	r.Delivered(ctx, "u", 30) // late, for an older update: changes nothing
	if replies, _ := r.Handle(ctx, "u", pick); !strings.Contains(render(replies), "第一千零三十三条") {
		t.Errorf("an undelivered update's replies were not sent again: %s", render(replies))
	}
}

// Telegram may restart update ids lower after a long silence; every later
// update must still be applied, not only the first.
func TestUpdatesAfterAnIDResetAreAllApplied(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	r := chat.NewRunner(engine(t), mem, chat.Options{})
	r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "/law", Seq: 900000})
	e, _ := mem.Get(ctx, "u")
	st, _ := chat.Decode(e.Data)
	st.Updated -= int64((72 * time.Hour).Seconds()) // three days of silence
	data, _ := chat.Encode(st)
	if _, err := mem.Put(ctx, "u", data, e.Rev); err != nil {
		t.Fatal(err)
	}
	r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "/law", Seq: 12345})
	if replies, _ := r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "1", Seq: 12346}); !strings.Contains(render(replies), "第一千零三十三条") {
		t.Errorf("the second update after the reset was not applied: %s", render(replies))
	}
}

// The redelivery window is measured with the engine's clock, the one that
// stamped the session, never the machine's: the outcome is the same whatever
// today's date is.
func TestRedeliveryWindowFollowsTheInjectedClock(t *testing.T) {
	ctx := context.Background()
	set, err := flows.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, start := range []time.Time{time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), testNow, time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC)} {
		now := start
		r := chat.NewRunner(flow.NewEngine(set, func() time.Time { return now }), session.NewMemory(0, nil), chat.Options{})
		law := domain.Event{Kind: domain.EventText, Text: "/law", Seq: 40}
		r.Handle(ctx, "u", law)
		r.Delivered(ctx, "u", 40)
		now = start.Add(47 * time.Hour)
		if replies, err := r.Handle(ctx, "u", law); err != nil || len(replies) != 0 {
			t.Errorf("%s: a redelivery 47 h later was answered: %v %s", start, err, render(replies))
		}
		now = start.Add(49 * time.Hour)
		if replies, _ := r.Handle(ctx, "u", law); len(replies) == 0 {
			t.Errorf("%s: an id seen 49 h ago (an id reset) was not applied", start)
		}
	}
}

// An action's replies follow the text of the step that asked for it, and
// the question asked next stays the last message (a draft used to come
// after "还需要生成其他文书吗？").
func TestActionRepliesPrecedeTheNextQuestion(t *testing.T) {
	ctx := context.Background()
	draftAct := func(ctx context.Context, user string, a domain.Action, st flow.State) ([]domain.Reply, error) {
		return []domain.Reply{{Kind: domain.ReplyNotice, Text: "草稿正文"}}, nil
	}
	r := chat.NewRunner(engine(t), session.NewMemory(0, nil), chat.Options{Actions: map[string]chat.ActionFunc{domain.DoDraft: draftAct}})
	r.Handle(ctx, "u", text("/draft"))
	r.Handle(ctx, "u", text("亲友告知声明"))
	replies, err := r.Handle(ctx, "u", text("都没有"))
	if err != nil {
		t.Fatal(err)
	}
	got := render(replies)
	intro, body, next := strings.Index(got, "下面是亲友"), strings.Index(got, "草稿正文"), strings.Index(got, "还需要生成其他文书吗")
	if intro < 0 || body < 0 || next < 0 || !(intro < body && body < next) {
		t.Errorf("order intro %d, draft %d, question %d:\n%s", intro, body, next, got)
	}
	if last := replies[len(replies)-1]; len(last.Choices) == 0 {
		t.Errorf("the last message carries no buttons: %q", last.Text)
	}
}

// failingEraser fails its first fails calls.
type failingEraser struct {
	fails int
	calls int
}

func (f *failingEraser) Erase(_ context.Context, _ string) (int, error) {
	f.calls++
	if f.calls <= f.fails {
		return 0, errors.New("storage away")
	}
	return 2, nil
}

// /delete is all-or-nothing and resumable: when a step fails, the answers
// are already gone from the session (a marker replaced them), the person is
// told the erasure is unfinished (not that nothing changed), and their next
// message, whatever it is, finishes it.
func TestUnfinishedErasureResumes(t *testing.T) {
	ctx := context.Background()
	mem := session.NewMemory(0, nil)
	er := &failingEraser{fails: 1}
	r := chat.NewRunner(engine(t), mem, chat.Options{Erasers: []chat.Eraser{er}})
	for i, in := range []string{"/start", "1", "/delete"} {
		if _, err := r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: in, Seq: int64(200 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	notices := content.DefaultNotices()
	replies, err := r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "确认删除", Seq: 203})
	if err != nil || strings.TrimSpace(render(replies)) != notices.Get("erase_unfinished") {
		t.Fatalf("erasure with a failing step: %v %q", err, render(replies))
	}
	e, _ := mem.Get(ctx, "u")
	st, _ := chat.Decode(e.Data)
	if !st.Erasing || st.Flow != "" || len(st.Vars) != 0 || len(st.History) != 0 {
		t.Errorf("after an unfinished erasure the session holds %+v; want only the marker", st)
	}
	replies, err = r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "你好", Seq: 204})
	if err != nil || !strings.Contains(render(replies), notices.Get("erase_finished")) {
		t.Fatalf("the next message: %v %q", err, render(replies))
	}
	if e, _ := mem.Get(ctx, "u"); e.Rev != 0 || er.calls != 2 {
		t.Errorf("after the resumed erasure: entry %+v, eraser called %d times", e, er.calls)
	}
	if replies, _ := r.Handle(ctx, "u", domain.Event{Kind: domain.EventText, Text: "/start", Seq: 205}); !strings.Contains(render(replies), "你好") {
		t.Errorf("a new start after the erasure: %s", render(replies))
	}
}
