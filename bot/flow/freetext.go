package flow

import (
	"regexp"
	"unicode"

	"strings"
	"unicode/utf8"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/understand"
)

// How sure the engine must be before it acts on free text. Chosen from the
// cross-validated scores of the shipped intents' examples (bot lint), never
// from the held-out test set.
const (
	sureP       = 0.50 // the likeliest intent's probability to go there at once
	sureMargin  = 0.25 // ... and its lead over the second
	offerP      = 0.12 // an intent this likely is offered as a button
	maxOffers   = 3
	crisisP     = 0.50 // the model adds to the patterns of content/safety.yaml (chosen by cross-validation, bot lint)
	minQuestion = 2    // runes: shorter text is never taken for a question
)

// reading is what the engine made of a typed message.
type reading struct {
	crisis bool
	sure   *Intent
	likely []*Intent // the likeliest intents, best first (includes sure)
	also   *Intent   // with sure: another topic the message names by a keyword
}

// read classifies free text. Without intents it understands nothing but
// the crisis word list.
func (t *turn) read(in string) reading {
	var r reading
	lit := t.e.set.Library.Safety.Literal(normalizeText(in))
	r.crisis = t.e.set.Library.Safety.MatchesLiteral(lit)
	u := t.e.set.Understanding
	if u == nil || u.Model == nil {
		return r
	}
	if !hasWords(in) {
		return r // digits, emoji and punctuation alone say nothing of a topic
	}
	if u.Crisis != nil {
		// Read without its figurative phrases: 累死了 is no despair.
		if cs, _ := u.Crisis.Classify(lit); probability(cs, ClassCrisis) >= crisisP {
			r.crisis = true
		}
	}
	scores, _ := u.Model.Classify(in)
	for _, s := range scores {
		switch s.Class {
		case ClassOther:
		default:
			if in := u.Intents[s.Class]; in != nil && s.P >= offerP && len(r.likely) < maxOffers {
				r.likely = append(r.likely, in)
			}
		}
	}
	// Sure: the likeliest class of all is an intent, likely enough, and well
	// ahead of the runner-up (which may be "other" or "crisis").
	if len(scores) > 1 && len(r.likely) > 0 && r.likely[0].ID == scores[0].Class &&
		scores[0].P >= sureP && scores[0].P-scores[1].P >= sureMargin {
		r.sure = r.likely[0]
		r.also = u.alsoMentioned(in, r.sure)
	}
	return r
}

func probability(scores []understand.Score, class string) float64 {
	for _, s := range scores {
		if s.Class == class {
			return s.P
		}
	}
	return 0
}

// hasWords reports whether the text has a letter or a Chinese character.
func hasWords(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// HeardPrefix starts the name of every variable that holds a fact heard in
// the person's own words, not yet confirmed.
const HeardPrefix = "heard_"

// hear keeps the facts the runner read in a typed message. They are never
// used as they are: a flow offers each for confirmation first.
func (t *turn) hear(heard map[string]string) {
	for k, v := range heard {
		if !strings.HasPrefix(k, HeardPrefix) || !varNameOK(k) || v == "" || utf8.RuneCountInString(v) > maxHeardRunes {
			continue
		}
		if t.s.Vars == nil {
			t.s.Vars = map[string]string{}
		}
		t.s.Vars[k] = v
	}
}

// maxHeardRunes bounds one heard fact: a session stays small.
const maxHeardRunes = 60

func varNameOK(s string) bool { return varName.MatchString(s) }

// detour takes the person to an intent's target, saying in a few words what
// was understood; the question they were at stays resumable, and another
// topic the message named is offered as a button until visited.
func (t *turn) detour(in *Intent) {
	if t.also != nil && t.also != in {
		t.s.Also = t.also.ID
	}
	if cur := t.current(); cur != nil && cur.Waits() && !isMenu(cur) && (cur.Flow != in.Target.Flow || cur.ID != in.Target.Step) {
		t.s.Resume = cur.Flow + "." + cur.ID
	}
	t.notice(in.Understood)
	t.out.Intent = in.ID
	t.enter(in.Target)
}

func isMenu(s *Step) bool { return s.Flow == MainFlow && s.ID == MenuStep }

// offer shows the likeliest intents as buttons under a short line; the
// person stays at their question, which one more button returns to.
func (t *turn) offer(text string, likely []*Intent, held string) {
	t.s.Seq++
	t.s.Offer = nil
	var labels []string
	for _, in := range likely {
		t.s.Offer = append(t.s.Offer, in.ID)
		labels = append(labels, in.Label)
	}
	t.s.Held = held
	for _, x := range t.offerExtras() {
		labels = append(labels, t.extraLabel(x))
	}
	t.out.Replies = append(t.out.Replies, domain.Reply{Kind: domain.ReplyNotice, Text: text, Choices: labels, Ref: t.s.Ref()})
}

// offerExtras are the buttons after the offered intents.
func (t *turn) offerExtras() []extra {
	var out []extra
	cur := t.current()
	if cur != nil && cur.Waits() && !isMenu(cur) {
		out = append(out, extraBack)
	}
	if cur == nil || !isMenu(cur) {
		out = append(out, extraMenu)
	}
	if t.s.Held != "" {
		out = append(out, extraKeep)
	}
	return out
}

// pickOffer follows the index-th button of an offer.
func (t *turn) pickOffer(index int) {
	ids, held := t.s.Offer, t.s.Held
	extras := t.offerExtras()
	t.s.Offer, t.s.Held = nil, ""
	u := t.e.set.Understanding
	switch {
	case index >= 0 && index < len(ids):
		if in := u.Intents[ids[index]]; in != nil {
			t.detour(in)
			return
		}
	case index >= len(ids) && index < len(ids)+len(extras):
		switch extras[index-len(ids)] {
		case extraBack:
			t.reshow()
			return
		case extraMenu:
			t.enter(Target{Flow: MainFlow, Step: MenuStep})
			return
		case extraKeep:
			t.out.Actions = append(t.out.Actions, domain.Action{Kind: domain.DoEvidenceAdd, Attachment: &domain.Attachment{Text: held}})
			return
		}
	}
	t.notice(msgStale)
	t.reshow()
}

// matchOffer finds the offered button a typed text means, or -1.
func (t *turn) matchOffer(in string) int {
	return matchLabel(t.offerLabels(), in, true)
}

// offerLabels are the buttons of the offer being made: its intents, then
// the engine's own (offerExtras).
func (t *turn) offerLabels() []string {
	var labels []string
	for _, id := range t.s.Offer {
		label := "" // an intent gone since (new flows): its place keeps the numbers of the rest
		if in := t.e.set.Understanding.Intents[id]; in != nil {
			label = in.Label
		}
		labels = append(labels, label)
	}
	for _, x := range t.offerExtras() {
		labels = append(labels, t.extraLabel(x))
	}
	return labels
}

// understandAtStep handles free text that is no option of the waiting step.
// It reports whether it answered.
func (t *turn) understandAtStep(r reading, in string) bool {
	switch {
	case r.crisis:
		// The hotlines stand alone: no "not understood" after them, only a
		// gentle way back to the question. At a form's question, the form
		// is not simply asked again: help with the pressure comes first.
		if cur := t.current(); cur != nil && cur.Ask != nil {
			if care := t.offerable(t.afterCrisis()); len(care) > 0 {
				t.offer(msgCrisisCare, care, "")
				return true
			}
		}
		t.notice(msgCrisisBack)
		t.reshow()
	case r.sure != nil:
		t.detour(r.sure)
	default:
		return t.offerTopics(r, in)
	}
	return true
}

// offerTopics offers the likeliest topics as buttons, and a collector's
// message pasted here (not at the evidence step) is offered to be kept as
// evidence too. It reports whether there was anything to offer.
func (t *turn) offerTopics(r reading, in string) bool {
	if !t.canOffer(r, in) {
		return false
	}
	m := t.e.set.Understanding.Messages
	if looksForwarded(in) && !r.crisis {
		text := m.Forwarded
		if text == "" { // a flows folder from before this message
			text = m.Unsure
		}
		t.offer(text, t.offerable(r.likely), in)
	} else {
		t.offer(m.Unsure, t.offerable(r.likely), "")
	}
	return true
}

// canOffer: offerTopics has topics to offer, or a message to keep.
func (t *turn) canOffer(r reading, in string) bool {
	return t.e.set.Understanding != nil && (looksForwarded(in) && !r.crisis || len(t.offerable(r.likely)) > 0)
}

// looksForwarded tells a collector's message from the person's own words:
// it is signed 【…】, or it addresses the reader as 您 about the debt and
// asks nothing (people are polite to the bot too: "您能再说一遍吗").
func looksForwarded(in string) bool {
	return signed(in) || strings.Contains(in, "您") && debtWords.MatchString(in) && !questionRe.MatchString(in)
}

// signed: an SMS signature, 【平台名】.
func signed(in string) bool {
	i := strings.Index(in, "【")
	return i >= 0 && strings.Contains(in[i:], "】")
}

var debtWords = regexp.MustCompile(`逾期|还款|欠款|借款|账单|结清|催收|法务|尽快处理|上门|起诉|\d{7,}`)

// afterCrisis are the intents offered after the hotlines at a question.
func (t *turn) afterCrisis() []*Intent {
	u := t.e.set.Understanding
	if u == nil {
		return nil
	}
	var out []*Intent
	for _, id := range u.Order {
		if in := u.Intents[id]; in.AfterCrisis {
			out = append(out, in)
		}
	}
	return out
}

// offerable drops intents that lead to the main menu: the offer has its own
// menu button.
func (t *turn) offerable(likely []*Intent) []*Intent {
	var out []*Intent
	for _, in := range likely {
		if in.Target.Flow != MainFlow || in.Target.Step != MenuStep {
			out = append(out, in)
		}
	}
	return out
}

// Evidence-step text: pasted collector messages are kept; the person's own
// questions are answered.
var (
	questionRe = regexp.MustCompile(`[?？]|吗|呢|怎么|怎样|如何|什么|为什么|能不能|可不可以|会不会|要不要|是不是|该不该|有没有|行不行|哪|多久|多少|咋|啥`)
	phoneRe    = regexp.MustCompile(`\d{7,}|\d{3,4}-\d{7,8}`)
)

// looksPasted tells a forwarded or pasted message (signed, addressed with
// 您, carrying a number, several lines, or long) from a typed question.
func looksPasted(in string) bool {
	return strings.ContainsAny(in, "【】\n") || strings.Contains(in, "您") || phoneRe.MatchString(in) ||
		utf8.RuneCountInString(in) > 60
}

// plainQuestion: the person is asking something, not answering.
func plainQuestion(in string) bool {
	return utf8.RuneCountInString(in) >= minQuestion && questionRe.MatchString(in) && !looksPasted(in)
}

// isResume tells whether typed text asks to go back to the interrupted question.
func (t *turn) isResume(in string) bool {
	n := normalizeText(in)
	u := t.e.set.Understanding
	return n == "继续" || n == "继续刚才的" || n == "继续刚才" || (u != nil && n == normalizeText(u.Messages.Resume))
}

// resume returns to the interrupted question; with none (or it is gone),
// the question being asked now is shown again.
func (t *turn) resume() {
	target := t.resumeTarget()
	t.s.Resume = ""
	if target == nil {
		t.reshow()
		return
	}
	t.enter(*target)
}

func (t *turn) resumeTarget() *Target {
	f, s, ok := strings.Cut(t.s.Resume, ".")
	if !ok {
		return nil
	}
	if fl := t.e.set.Flows[f]; fl == nil || fl.Steps[s] == nil {
		return nil
	}
	return &Target{Flow: f, Step: s}
}

// extra is a button the engine adds after a step's own choices.
type extra int

const (
	extraSkip   extra = iota // an optional question: skip it
	extraResume              // go back to the question a detour interrupted
	extraMenu                // the main menu (after repeated misses, or in an offer)
	extraBack                // in an offer: back to the question being asked
	extraKeep                // in an offer at the evidence step: keep the text as evidence
	extraAlso                // another topic the person's message named
)

func (t *turn) extraLabel(x extra) string {
	var m UnderstandingMessages
	if u := t.e.set.Understanding; u != nil {
		m = u.Messages
	}
	pick := func(s, def string) string {
		if s != "" {
			return s
		}
		return def
	}
	switch x {
	case extraSkip:
		return msgSkip
	case extraResume, extraBack:
		return pick(m.Resume, msgResume)
	case extraMenu:
		return pick(m.Menu, msgBackToMenu)
	case extraAlso:
		if in := t.alsoIntent(); in != nil {
			return msgAlso + in.Label
		}
		return msgBackToMenu
	default:
		return pick(m.KeepEvidence, msgKeepEvidence)
	}
}

// stepExtras are the buttons after a waiting step's own choices, in order.
func (t *turn) stepExtras(step *Step) []extra {
	var out []extra
	if step.Ask != nil && !step.Ask.Required {
		out = append(out, extraSkip)
	}
	if t.s.Resume != "" && !strings.HasPrefix(t.s.Resume, step.Flow+".") && t.resumeTarget() != nil {
		out = append(out, extraResume)
	}

	if t.s.Misses >= missesForMenu && step.Ask == nil && !leadsToMenu(step) {
		out = append(out, extraMenu)
	}
	// Last, so that every other button keeps its number (an older bot
	// reading this session sees one button fewer). Not at a form's
	// question, where it would only distract, nor where an option already
	// leads there.
	if in := t.alsoIntent(); in != nil && step.Ask == nil && !isMenu(step) && !in.Target.Is(step.Flow, step.ID) && !leadsTo(step, in.Target) {
		out = append(out, extraAlso)
	}
	return out
}

// leadsTo: one of the step's options goes to target.
func leadsTo(step *Step, target Target) bool {
	for _, c := range step.Choices {
		if c.Target != nil && c.Target.Is(target.Flow, target.Step) {
			return true
		}
	}
	return false
}

// leadsToMenu: the step already has a choice for the main menu, so no
// second "回到主菜单" button is added after misses.
func leadsToMenu(step *Step) bool {
	if isMenu(step) {
		return true
	}
	for _, c := range step.Choices {
		if c.Target != nil && c.Target.Flow == MainFlow && c.Target.Step == MenuStep {
			return true
		}
	}
	return false
}

// alsoIntent is the topic the person also mentioned, if it still exists.
func (t *turn) alsoIntent() *Intent {
	if t.s.Also == "" || t.e.set.Understanding == nil {
		return nil
	}
	return t.e.set.Understanding.Intents[t.s.Also]
}
