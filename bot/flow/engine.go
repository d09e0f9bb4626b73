package flow

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/anning-bot/anning/bot/domain"
)

// SchemaVersion is the version of State's encoding: 2 writes History
// compactly (see Frames), under a key of its own, "g"; sessions of version 1
// (History under "h", every frame an object) are still read.
const SchemaVersion = 2

// Limits that keep a session small and a turn bounded.
const (
	MaxInputRunes   = 4096 // longer text is refused, state unchanged
	maxHistory      = 30   // answers /back can undo
	maxHops         = 64   // steps one turn may pass through
	missesForMenu   = 3    // misses before the menu is offered
	minEvidenceText = 8    // shorter text at the evidence step is a (mistyped) answer
	maxShortAnswer  = 60   // runes: a text question this short wants a name or a phrase, not a message
)

// State is one person's place in the conversation. The engine never changes
// the State it is given; it returns a new one.
type State struct {
	Schema  int               `json:"v"`
	Flow    string            `json:"f,omitempty"`
	Step    string            `json:"s,omitempty"`
	Vars    map[string]string `json:"vars,omitempty"`
	History Frames            `json:"g,omitempty"` // schema 1 wrote "h" (see UnmarshalJSON)
	Seq     int               `json:"q,omitempty"` // numbers each question, so old buttons are recognised
	Misses  int               `json:"m,omitempty"`
	Pending string            `json:"p,omitempty"` // a confirmation being asked, e.g. "delete"
	Updated int64             `json:"t,omitempty"` // unix seconds of the last turn
	LastSeq int64             `json:"u,omitempty"` // the newest Event.Seq applied: redeliveries are recognised
	Resume  string            `json:"r,omitempty"` // "flow.step" of the question a detour interrupted
	Offer   []string          `json:"o,omitempty"` // intents offered as buttons for the current Ref
	Held    string            `json:"k,omitempty"` // text typed at the evidence step, kept if the person says so
	Also    string            `json:"a,omitempty"` // an intent the person also mentioned, offered as a button until visited
	// Erasing marks a /delete under way (the runner's, not the engine's):
	// the session holds nothing else until the erasure is complete.
	Erasing bool `json:"x,omitempty"`
}

// Frame is one answered question, kept so /back can undo it.
type Frame struct {
	Flow string `json:"f"`
	Step string `json:"s"`
	Undo []Undo `json:"u,omitempty"`
}

// Undo restores one variable to its value before an answer.
type Undo struct {
	Var string `json:"n"`
	Old string `json:"o,omitempty"`
	Had bool   `json:"h,omitempty"`
}

func (s State) clone() State {
	c := s
	if s.Vars != nil {
		c.Vars = make(map[string]string, len(s.Vars))
		for k, v := range s.Vars {
			c.Vars[k] = v
		}
	}
	c.History = append(Frames(nil), s.History...)
	c.Offer = append([]string(nil), s.Offer...)
	return c
}

// Ref identifies the question now being asked; choices carry it so a press on
// an old button can be told apart.
func (s State) Ref() string { return strconv.Itoa(s.Seq) }

// Output is the result of one turn.
type Output struct {
	State   State
	Replies []domain.Reply
	Actions []domain.Action
	Visited []string // "flow.step" of every step entered, in order
	Intent  string   // the intent free text was understood as and taken to, if any
}

// Engine runs a flow set. It is pure: no I/O, time comes from Now.
type Engine struct {
	set     *Set
	now     func() time.Time
	globals map[string]string
}

// GlobalVars are the variables every flow may read that describe the bot
// itself rather than the person: how long their data is kept. Main sets
// them from the configuration (WithGlobals); they read as the defaults
// until then.
var GlobalVars = []string{"keep_session", "keep_evidence", "keep_replies", "kept_where"}

// WithGlobals sets the values of GlobalVars and returns the engine.
func (e *Engine) WithGlobals(g map[string]string) *Engine {
	e.globals = g
	return e
}

// render fills a template from the person's variables and the globals.
func (t *turn) render(tpl *Template) string {
	if len(t.e.globals) == 0 || !tpl.usesAny(t.e.globals) {
		return tpl.Render(t.s.Vars)
	}
	vars := make(map[string]string, len(t.s.Vars)+len(t.e.globals))
	for k, v := range t.e.globals {
		vars[k] = v
	}
	for k, v := range t.s.Vars {
		vars[k] = v
	}
	return tpl.Render(vars)
}

// NewEngine returns an engine for the set; now supplies the time.
func NewEngine(set *Set, now func() time.Time) *Engine {
	return &Engine{set: set, now: now, globals: DefaultGlobals()}
}

// Now is the engine's clock: the time every turn is stamped with. Callers
// that compare against a state's Updated use it too, so that one injected
// clock governs the whole turn path.
func (e *Engine) Now() time.Time { return e.now() }

// Set returns the flows the engine runs.
func (e *Engine) Set() *Set { return e.set }

// turn holds the work of one Handle call.
type turn struct {
	e    *Engine
	s    State
	out  Output
	also *Intent // another topic the message being handled mentions
}

// Handle computes the person's next state and the replies to send.
func (e *Engine) Handle(st State, ev domain.Event) Output {
	t := &turn{e: e, s: st.clone()}
	now := e.now()
	if t.s.Schema == 0 {
		t.s.Schema = SchemaVersion
		t.s.Seq = int(now.Unix()%100000) * 10 // a fresh session's buttons never match an old one's
	}
	t.s.Updated = now.Unix()
	if t.s.Step != "" && t.current() == nil {
		t.notice(msgUpdated)
		t.s.History = nil
		t.enter(Target{Flow: MainFlow, Step: MenuStep})
		return t.finish()
	}
	switch ev.Kind {
	case domain.EventText:
		t.hear(ev.Heard)
		t.text(ev.Text)
	case domain.EventPick:
		t.pick(ev.Ref, ev.Index)
	case domain.EventOpen:
		if t.s.Step == "" {
			t.enter(t.welcome())
		} else {
			t.notice(msgWelcomeBack)
			t.reshow()
		}
	case domain.EventAttachment:
		if ev.Attachment != nil {
			t.crisisCheck(ev.Attachment.Caption)
		}
		t.out.Actions = append(t.out.Actions, domain.Action{Kind: domain.DoEvidenceAdd, Attachment: ev.Attachment})
	case domain.EventResend:
		t.reshow()
	default:
		t.notice(msgUnsupported)
	}
	return t.finish()
}

func (t *turn) finish() Output {
	t.out.State = t.s
	return t.out
}

func (t *turn) current() *Step {
	f := t.e.set.Flows[t.s.Flow]
	if f == nil {
		return nil
	}
	return f.Steps[t.s.Step]
}

func (t *turn) notice(text string) {
	t.out.Replies = append(t.out.Replies, domain.Reply{Kind: domain.ReplyNotice, Text: text})
}

func (t *turn) text(raw string) {
	in := strings.TrimSpace(raw)
	var r reading
	if !strings.HasPrefix(in, "/") && in != "" {
		r = t.read(in)
		t.also = r.also
		if r.crisis && t.isOptionLabel(in) && !t.e.set.Library.Safety.Matches(normalizeText(in)) {
			// An option typed out is a choice: the model alone misreads
			// short ones (没有, 不用，我自己填). The patterns still count
			// ("我压力很大，快撑不住了" gets the hotlines).
			r.crisis = false
		}
		if r.crisis { // first, even for text too long to keep
			t.out.Replies = append(t.out.Replies, domain.Reply{Kind: domain.ReplyCrisis, Text: t.e.set.Library.Safety.Message})
		}
	}
	offered := len(t.s.Offer) > 0 || t.s.Held != ""
	switch {
	case in == "":
		t.notice(msgEmpty)
		return
	case utf8.RuneCountInString(in) > MaxInputRunes:
		t.notice(fmt.Sprintf(msgTooLong, MaxInputRunes))
		return
	case strings.HasPrefix(in, "/"):
		t.command(in)
		return
	}
	if t.s.Pending != "" {
		t.confirm(in)
		return
	}
	if offered {
		if i := t.matchOffer(in); i >= 0 {
			t.pickOffer(i)
			return
		}
		t.s.Offer, t.s.Held = nil, ""
	}
	step := t.current()
	if step == nil || !step.Waits() {
		t.first(r, in)
		return
	}
	t.answer(step, in, r)
}

// first answers text from a person with no question open (a first message,
// or a session whose step is gone): what they said decides where to start.
func (t *turn) first(r reading, in string) {
	switch {
	case r.crisis:
		t.enter(t.welcome())
	case r.sure != nil:
		t.notice(msgHello)
		t.detour(r.sure)
	case t.canOffer(r, in):
		t.notice(msgHello)
		t.offerTopics(r, in)
	default:
		t.enter(t.welcome())
	}
}

func (t *turn) welcome() Target { return Target{Flow: MainFlow, Step: t.e.set.Flows[MainFlow].Start} }

// crisisCheck answers words of despair or self-harm with the hotlines at once.
func (t *turn) crisisCheck(in string) {
	if in != "" && t.inCrisis(in) {
		t.out.Replies = append(t.out.Replies, domain.Reply{Kind: domain.ReplyCrisis, Text: t.e.set.Library.Safety.Message})
	}
}

func (t *turn) inCrisis(in string) bool {
	return t.e.set.Library.Safety.Matches(normalizeText(in))
}

// normalizeText lowercases and drops spaces and punctuation, so "不 想 活了！"
// still matches "不想活".
// Compact is text as the safety patterns and the option matching read it:
// half-width, lowercase, without spaces, punctuation or symbols.
func Compact(s string) string { return normalizeText(s) }

func normalizeText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, halfWidth.Replace(s))
}

func (t *turn) command(in string) {
	name, arg, _ := strings.Cut(in, " ")
	name, _, _ = strings.Cut(strings.ToLower(name), "@") // "/start@AnNingBot"
	arg = strings.TrimSpace(arg)
	if name != "/cancel" && name != "/delete" {
		t.s.Pending = ""
	}
	switch name {
	case "/start":
		if f, ok := t.e.set.Flows[arg]; ok && arg != "" {
			t.enter(Target{Flow: f.ID, Step: f.Start})
			return
		}
		t.enter(t.welcome())
	case "/menu":
		t.enter(Target{Flow: MainFlow, Step: MenuStep})
	case "/back":
		t.back()
	case "/restart":
		t.s = State{Schema: SchemaVersion, Seq: t.s.Seq, Updated: t.s.Updated}
		t.notice(msgRestart)
		t.enter(t.welcome())
	case "/help":
		t.notice(msgHelp)
		t.reshow()
	case "/privacy":
		// The privacy notice (the web page links it from its header).
		if f, ok := t.e.set.Flows[MainFlow]; ok && f.Steps[PrivacyStep] != nil {
			t.enter(Target{Flow: MainFlow, Step: PrivacyStep})
		} else {
			t.notice(msgUnknownCommand)
		}
	case "/law":
		t.enter(Target{Flow: LawFlow, Step: t.e.set.Flows[LawFlow].Start})
	case "/channels":
		t.enter(Target{Flow: ChannelsFlow, Step: t.e.set.Flows[ChannelsFlow].Start})
	case "/draft":
		if f, ok := t.e.set.Flows[DraftsFlow]; ok {
			t.enter(Target{Flow: f.ID, Step: f.Start})
		} else {
			t.notice(msgUnknownCommand)
		}
	case "/evidence":
		// The ledger lives outside the session: the runner's evidence
		// handler lists, removes ("删除 3") or exports ("导出") it.
		t.out.Actions = append(t.out.Actions, domain.Action{Kind: domain.DoEvidence, With: map[string]string{"op": arg}})
	case "/delete":
		t.s.Pending = "delete"
		t.s.Seq++
		t.out.Replies = append(t.out.Replies, domain.Reply{Kind: domain.ReplyNotice, Text: msgDeleteAsk,
			Choices: []string{msgDeleteYes, msgDeleteNo}, Ref: t.s.Ref()})
	case "/cancel":
		switch {
		case t.s.Pending != "":
			t.s.Pending = ""
			t.notice(msgDeleteKept)
			t.reshow()
		case t.current() != nil && !(t.s.Flow == MainFlow && t.s.Step == MenuStep):
			t.notice(msgCancelled)
			t.enter(Target{Flow: MainFlow, Step: MenuStep})
		default:
			t.notice(msgNothingCancel)
			t.reshow()
		}
	default:
		t.notice(msgUnknownCommand)
	}
}

// confirm answers the pending /delete question.
func (t *turn) confirm(in string) {
	t.s.Pending = ""
	if in == "1" || in == msgDeleteYes || in == "确认" || in == "删除" {
		t.erase()
		return
	}
	t.notice(msgDeleteKept)
	t.reshow()
}

func (t *turn) erase() {
	t.s = State{}
	t.out.Replies = append(t.out.Replies, domain.Reply{Kind: domain.ReplyNotice, Text: msgDeleted})
	t.out.Actions = append(t.out.Actions, domain.Action{Kind: domain.DoErase})
}

func (t *turn) pick(ref string, index int) {
	if ref != t.s.Ref() {
		// An old button never confirms anything: it also cancels a pending
		// /delete, whose question it cannot be the answer to.
		t.s.Pending = ""
		t.s.Offer, t.s.Held = nil, ""
		t.out.Replies = append(t.out.Replies, domain.Reply{Kind: domain.ReplyExpired, Text: msgStale})
		t.reshow()
		return
	}
	if t.s.Pending != "" {
		t.s.Pending = ""
		if index == 0 {
			t.erase()
			return
		}
		t.notice(msgDeleteKept)
		t.reshow()
		return
	}
	if len(t.s.Offer) > 0 || t.s.Held != "" {
		t.pickOffer(index)
		return
	}
	step := t.current()
	if step == nil {
		t.enter(t.welcome())
		return
	}
	t.choose(step, index)
}

// choose follows the index-th option of the waiting step. One past the last
// is the "back to menu" option shown after repeated misses; for an optional
// question without choices, index 0 is "skip".
func (t *turn) choose(step *Step, index int) {
	n := len(step.Choices)
	extras := t.stepExtras(step)
	switch {
	case index >= 0 && index < n:
		c := step.Choices[index]
		t.record(step, c.Set)
		target := c.Target
		if target == nil {
			target = step.Next
		}
		t.enter(*target)
		return
	case index >= n && index < n+len(extras):
		switch extras[index-n] {
		case extraSkip:
			t.record(step, []Assign{{Var: step.Ask.Var}})
			t.enter(*step.Next)
			return
		case extraResume:
			t.resume()
			return
		case extraAlso:
			if in := t.alsoIntent(); in != nil {
				// The form question a detour interrupted stays the one to
				// go back to; this step is no question to resume.
				resume := t.s.Resume
				t.s.Also = ""
				t.detour(in)
				if resume != "" {
					t.s.Resume = resume
				}
				return
			}
		case extraMenu:
			t.enter(Target{Flow: MainFlow, Step: MenuStep})
			return
		}
	}
	t.notice(msgStale)
	t.reshow()
}

func (t *turn) answer(step *Step, in string, r reading) {
	if i := t.matchChoice(step, in); i >= 0 {
		t.choose(step, i)
		return
	}
	if t.isResume(in) {
		t.resume()
		return
	}
	// Words for the menu or for a step back are never an answer.
	if menuWords[strings.ToLower(in)] {
		t.enter(Target{Flow: MainFlow, Step: MenuStep})
		return
	}
	if backWords[normalizeText(in)] {
		t.back()
		return
	}
	if t.courtesy(step, in) {
		return
	}
	_, isNumber := bareNumber(in)
	if step.Ask != nil && step.Ask.Kind == KindText && len(step.Choices) > 0 && isNumber {
		t.miss(step, in) // "5" where there are four options is no answer to write down
		return
	}
	if step.Ask != nil {
		// A question typed where an answer is expected is answered, not
		// saved as the answer.
		if r.crisis || plainQuestion(in) && r.sure != nil && !meansDontKnow(in) {
			t.understandAtStep(r, in)
			return
		}
		// A signed collector's message pasted into a short answer (a
		// platform's name) is evidence, not the answer.
		if step.Ask.Kind == KindText && step.Ask.Max > 0 && step.Ask.Max <= maxShortAnswer && signed(in) && t.offerTopics(r, in) {
			return
		}
		if meansDontKnow(in) {
			if step.Ask.Required {
				t.notice(msgNeedAnswer)
				t.reshow()
				return
			}
			t.notice(msgSkipped)
			t.choose(step, len(step.Choices))
			return
		}
		value, problem := checkAnswer(step.Ask, in, t.e.now())
		if problem == "" {
			problem = t.timeline(step.Ask, value)
		}
		if problem == "" {
			t.record(step, []Assign{{Var: step.Ask.Var, Value: value}})
			t.enter(*step.Next)
			return
		}
		if r.sure != nil {
			t.detour(r.sure)
			return
		}
		if step.Ask.Error != "" {
			problem = step.Ask.Error
		}
		if !step.Ask.Required && !strings.Contains(problem, msgSkip) {
			problem += msgSkipHint
		}
		t.s.Misses++
		if t.s.Misses >= missesForMenu {
			problem += "\n" + msgAskAgain
		}
		t.notice(problem)
		return
	}
	if step.Action == ActionEvidence && utf8.RuneCountInString(in) >= minEvidenceText && !r.crisis {
		t.evidenceText(in, r)
		return
	}
	if t.understandAtStep(r, in) {
		return
	}
	t.miss(step, in)
}

// miss answers text that is no option of the waiting step. A number says
// which options there are; after a few misses the menu is offered too.
func (t *turn) miss(step *Step, in string) {
	t.s.Misses++
	n, isNumber := bareNumber(in)
	switch {
	case t.s.Misses >= missesForMenu:
		t.notice(msgNoMatchMenu)
	case isNumber:
		t.notice(fmt.Sprintf(msgNoSuchOption, n, len(step.Choices)+len(t.stepExtras(step))))
	default:
		t.notice(msgNoMatch)
	}
	t.reshow()
}

// evidenceText handles text typed at the evidence step: pasted or forwarded
// messages are kept as evidence; the person's own question is answered; when
// it could be either, they are asked.
func (t *turn) evidenceText(in string, r reading) {
	keep := func() {
		t.out.Actions = append(t.out.Actions, domain.Action{Kind: domain.DoEvidenceAdd, Attachment: &domain.Attachment{Text: in}})
	}
	switch {
	case looksPasted(in) || !plainQuestion(in) || t.e.set.Understanding == nil:
		keep()
	case r.sure != nil:
		t.detour(r.sure)
	default:
		t.offer(t.e.set.Understanding.Messages.Unsure, t.offerable(r.likely), in)
	}
}

// isOptionLabel reports whether text is, word for word, one of the options
// shown now: the waiting step's, or an offer's.
func (t *turn) isOptionLabel(in string) bool {
	var labels []string
	if t.s.Offer != nil || t.s.Held != "" {
		labels = t.offerLabels()
	}
	if step := t.current(); step != nil && step.Waits() {
		labels = append(labels, t.stepLabels(step)...)
	}
	n := normalizeText(in)
	for _, l := range labels {
		if normalizeText(l) == n {
			return true
		}
	}
	return false
}

// stepLabels are the buttons of a waiting step: its options, then the
// engine's own (stepExtras).
func (t *turn) stepLabels(step *Step) []string {
	labels := make([]string, 0, len(step.Choices)+4)
	for _, c := range step.Choices {
		labels = append(labels, c.Label)
	}
	for _, x := range t.stepExtras(step) {
		labels = append(labels, t.extraLabel(x))
	}
	return labels
}

// matchChoice finds the option a typed answer means: its number, its label,
// or a part of exactly one label. It returns -1 when nothing matches.
func (t *turn) matchChoice(step *Step, in string) int {
	labels := t.stepLabels(step)
	if i, ok := bareNumber(in); ok {
		if step.Ask != nil && (step.Ask.Kind == KindAmount || step.Ask.Kind == KindNumber) {
			return -1 // at a number question a number is the answer
		}
		if i >= 1 && i <= len(labels) {
			return i - 1 // elsewhere a small bare number picks an option
		}
		return -1
	}
	if i := matchLabel(labels, in, false); i >= 0 {
		return i
	}
	if step.Ask != nil {
		return -1 // free text must not be mistaken for a choice
	}
	// A part of a label picks only one of the step's own options: the
	// engine's buttons answer to their number or whole label (报警 must
	// not be taken for 也看看：报警).
	return matchLabel(labels[:len(step.Choices)], in, true)
}

// matchLabel finds the button a typed text means: its number, its label, or
// (when partial) a part of exactly one label. It returns -1 when nothing matches.
func matchLabel(labels []string, in string, partial bool) int {
	if i, ok := bareNumber(in); ok {
		if i >= 1 && i <= len(labels) {
			return i - 1
		}
		return -1
	}
	norm := normalizeText(in)
	if norm == "" {
		return -1
	}
	for i, l := range labels {
		if normalizeText(l) == norm {
			return i
		}
	}
	if !partial || utf8.RuneCountInString(norm) < 2 {
		return -1 // free text must not be mistaken for a choice
	}
	found := -1
	for i, l := range labels {
		if strings.Contains(normalizeText(l), norm) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

// record remembers an answer for /back, then applies its assignments.
func (t *turn) record(step *Step, sets []Assign) {
	f := Frame{Flow: step.Flow, Step: step.ID}
	for _, a := range sets {
		old, had := t.s.Vars[a.Var]
		f.Undo = append(f.Undo, Undo{Var: a.Var, Old: old, Had: had})
	}
	t.s.History = append(t.s.History, f)
	if len(t.s.History) > maxHistory {
		t.s.History = t.s.History[len(t.s.History)-maxHistory:]
	}
	t.assign(sets)
}

func (t *turn) assign(sets []Assign) {
	if len(sets) == 0 {
		return
	}
	if t.s.Vars == nil {
		t.s.Vars = map[string]string{}
	}
	for _, a := range sets {
		if a.Tpl != nil {
			t.s.Vars[a.Var] = a.Tpl.Render(t.s.Vars)
			continue
		}
		t.s.Vars[a.Var] = a.Value
	}
}

func (t *turn) back() {
	for len(t.s.History) > 0 {
		f := t.s.History[len(t.s.History)-1]
		t.s.History = t.s.History[:len(t.s.History)-1]
		for i := len(f.Undo) - 1; i >= 0; i-- {
			u := f.Undo[i]
			if u.Had {
				t.s.Vars[u.Var] = u.Old
			} else {
				delete(t.s.Vars, u.Var)
			}
		}
		if fl := t.e.set.Flows[f.Flow]; fl != nil && fl.Steps[f.Step] != nil {
			t.notice(msgBack)
			t.enter(Target{Flow: f.Flow, Step: f.Step})
			return
		}
	}
	t.notice(msgBackNone)
	t.reshow()
}

// reshow repeats the question now being asked, with a fresh Ref.
func (t *turn) reshow() {
	step := t.current()
	if step == nil {
		t.enter(t.welcome())
		return
	}
	if !step.Waits() {
		t.enter(Target{Flow: MainFlow, Step: MenuStep})
		return
	}
	last := step.Say[len(step.Say)-1]
	t.out.Replies = append(t.out.Replies, domain.Reply{Kind: domain.ReplySay, Text: t.render(last)})
	t.ask(step)
}

// enter moves to a step and runs it and the steps after it until one waits.
func (t *turn) enter(target Target) {
	for hop := 0; ; hop++ {
		if hop == maxHops {
			t.notice(msgLoop) // the validator forbids such loops; this is a last guard
			target = Target{Flow: MainFlow, Step: MenuStep}
		}
		f := t.e.set.Flows[target.Flow]
		step := f.Steps[target.Step]
		t.s.Flow, t.s.Step = f.ID, step.ID
		t.s.Misses = 0
		if t.s.Resume == f.ID+"."+step.ID {
			t.s.Resume = ""
		}
		if t.s.Also != "" && (isMenu(step) || t.alsoIntent() == nil || t.alsoIntent().Target.Is(f.ID, step.ID)) {
			t.s.Also = "" // there, or at the menu, which lists everything
		}
		t.out.Visited = append(t.out.Visited, f.ID+"."+step.ID)
		said := len(t.out.Replies)
		t.say(step)
		if step.Action != "" {
			at := len(t.out.Replies)
			if step.Waits() && at > said {
				at-- // the question the step waits on stays the last message
			}
			t.out.Actions = append(t.out.Actions, domain.Action{Kind: step.Action, With: step.With, Before: at + 1})
		}
		switch {
		case step.Waits():
			t.ask(step)
			return
		case step.End:
			target = Target{Flow: MainFlow, Step: MenuStep}
		case len(step.Branch) > 0:
			for _, r := range step.Branch {
				if r.Cond == nil || r.Cond.Eval(t.s.Vars) {
					t.assign(r.Set)
					target = r.Target
					break
				}
			}
		default:
			target = *step.Next
		}
		if hop > maxHops {
			return
		}
	}
}

func (t *turn) say(step *Step) {
	for _, tpl := range step.Say {
		t.out.Replies = append(t.out.Replies, domain.Reply{Kind: domain.ReplySay, Text: t.render(tpl)})
	}
	lib := t.e.set.Library
	for _, id := range step.Cite {
		if st, ok := lib.Statute(id); ok {
			t.out.Replies = append(t.out.Replies, domain.Reply{Kind: domain.ReplyCitation, Text: FormatStatute(st)})
		}
	}
	for _, id := range step.Channels {
		if c, ok := lib.Channel(id); ok {
			t.out.Replies = append(t.out.Replies, domain.Reply{Kind: domain.ReplyChannel, Text: FormatChannel(c)})
		}
	}
}

// ask attaches the step's options to the last reply and opens a new question.
func (t *turn) ask(step *Step) {
	t.s.Seq++
	labels := t.stepLabels(step)
	last := &t.out.Replies[len(t.out.Replies)-1]
	if step.Ask != nil {
		hint := step.Ask.Hint
		if !step.Ask.Required {
			hint = strings.TrimSpace(hint + msgOptionalHint)
		}
		if hint != "" {
			last.Text += "\n" + hint
		}
	}
	last.Choices, last.Ref = labels, t.s.Ref()
}
