// Package legal loads the verified legal content the bot cites: statutes
// (verbatim, with their source), complaint channels and the crisis-safety
// words. Nothing here is written from memory: every entry comes from a file
// in content/ that names its source and the day it was checked.
package legal

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/anning-bot/anning/bot/diag"
)

// Statute is one article of a law, quoted verbatim.
type Statute struct {
	ID         string   `yaml:"id"`
	Law        string   `yaml:"law"`
	Article    string   `yaml:"article"`
	Summary    string   `yaml:"summary"`
	Text       string   `yaml:"text"`
	Version    string   `yaml:"version"`
	Effective  string   `yaml:"effective"`
	Source     string   `yaml:"source"`
	Checked    string   `yaml:"checked"`
	Confidence string   `yaml:"confidence"`
	Status     string   `yaml:"status"`
	ReplacedBy string   `yaml:"replaced_by"`
	Note       string   `yaml:"note"`
	Pos        diag.Pos `yaml:"-"`
}

// Retired reports whether the statute's numbering is no longer in force.
func (s *Statute) Retired() bool { return s.Status == StatusRetired }

// Statute statuses.
const (
	StatusCurrent = "current"
	StatusRetired = "retired"
)

// Channel is a place to complain or report, with what it handles and how.
type Channel struct {
	ID         string   `yaml:"id"`
	Name       string   `yaml:"name"`
	Handles    string   `yaml:"handles"`
	How        string   `yaml:"how"`
	Contact    string   `yaml:"contact"`
	When       string   `yaml:"when"`
	Note       string   `yaml:"note"`
	Confidence string   `yaml:"confidence"`
	Checked    string   `yaml:"checked"`
	Pos        diag.Pos `yaml:"-"`
}

// Safety holds the words and patterns that signal despair or self-harm and
// the message that answers them at once.
type Safety struct {
	Words      []string `yaml:"words"`
	Patterns   []string `yaml:"patterns"`   // Go regexps over the compacted text
	Figurative []string `yaml:"figurative"` // Go regexps of ordinary phrases (累死了) removed before matching
	Message    string   `yaml:"message"`

	patterns      *patternSet
	figurative    *regexp.Regexp // one alternation: its matches are replaced
	hasFigurative *patternSet    // a quick test first: most texts have none
}

// Literal sets aside the figurative phrases of compacted text (累死了,
// 死机), so that what is left can be read for despair.
func (s *Safety) Literal(compact string) string {
	if s.figurative == nil || !s.hasFigurative.MatchString(compact) {
		return compact
	}
	return s.figurative.ReplaceAllLiteralString(compact, "|")
}

// Matches reports whether compacted text (lowercase, no spaces or
// punctuation) holds a word or pattern of despair once its figurative
// phrases are set aside.
func (s *Safety) Matches(compact string) bool {
	return s.MatchesLiteral(s.Literal(compact))
}

// MatchesLiteral is Matches for text already passed through Literal.
func (s *Safety) MatchesLiteral(compact string) bool {
	for _, w := range s.Words {
		if w != "" && strings.Contains(compact, w) {
			return true
		}
	}
	return s.patterns.MatchString(compact)
}

// Library is the loaded, validated content.
type Library struct {
	Statutes []*Statute
	Channels []*Channel
	Safety   Safety

	statutes map[string]*Statute
	channels map[string]*Channel
}

// Statute returns the statute with the id, if any.
func (l *Library) Statute(id string) (*Statute, bool) {
	s, ok := l.statutes[id]
	return s, ok
}

// Channel returns the channel with the id, if any.
func (l *Library) Channel(id string) (*Channel, bool) {
	c, ok := l.channels[id]
	return c, ok
}

// StatuteIDs lists the statute ids in file order.
func (l *Library) StatuteIDs() []string {
	ids := make([]string, len(l.Statutes))
	for i, s := range l.Statutes {
		ids[i] = s.ID
	}
	return ids
}

// ChannelIDs lists the channel ids in file order.
func (l *Library) ChannelIDs() []string {
	ids := make([]string, len(l.Channels))
	for i, c := range l.Channels {
		ids[i] = c.ID
	}
	return ids
}

// The files of a content folder.
const (
	StatutesFile = "statutes.yaml"
	ChannelsFile = "channels.yaml"
	SafetyFile   = "safety.yaml"
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Load reads and validates the content folder. All problems are returned at
// once as a diag.List.
func Load(fsys fs.FS) (*Library, error) {
	var probs diag.List
	lib := &Library{statutes: map[string]*Statute{}, channels: map[string]*Channel{}}

	if items := readList(fsys, StatutesFile, "statutes", &probs); items != nil {
		for _, n := range items {
			probs.CheckKeys(StatutesFile, n, "a statute", "id", "law", "article", "summary", "text", "version",
				"effective", "source", "checked", "confidence", "status", "replaced_by", "note")
			s := &Statute{Pos: diag.At(StatutesFile, n)}
			if err := n.Decode(s); err != nil {
				probs.AddYAMLError(StatutesFile, err)
				continue
			}
			lib.addStatute(s, &probs)
		}
	}
	if items := readList(fsys, ChannelsFile, "channels", &probs); items != nil {
		for _, n := range items {
			probs.CheckKeys(ChannelsFile, n, "a channel", "id", "name", "handles", "how", "contact", "when",
				"note", "confidence", "checked")
			c := &Channel{Pos: diag.At(ChannelsFile, n)}
			if err := n.Decode(c); err != nil {
				probs.AddYAMLError(ChannelsFile, err)
				continue
			}
			lib.addChannel(c, &probs)
		}
	}
	lib.loadSafety(fsys, &probs)

	for _, s := range lib.Statutes {
		if s.Retired() {
			if r, ok := lib.statutes[s.ReplacedBy]; !ok || r.Retired() {
				probs.Add(s.Pos, "name the current statute that replaced it", "retired statute %q needs replaced_by with a current statute id", s.ID)
			}
		}
	}
	if err := probs.Err(); err != nil {
		return nil, fmt.Errorf("legal: content has %d problem(s):\n%w", len(probs), err)
	}
	return lib, nil
}

func readList(fsys fs.FS, file, key string, probs *diag.List) []*yaml.Node {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		probs.Add(diag.Pos{File: file}, "the content folder needs this file", "cannot read: %v", errors.Unwrap(err))
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		probs.AddYAMLError(file, err)
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		probs.Add(diag.Pos{File: file, Line: 1}, "start the file with `"+key+":`", "expected a mapping with the key %q", key)
		return nil
	}
	root := doc.Content[0]
	probs.CheckKeys(file, root, "the file", key)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			list := root.Content[i+1]
			if list.Kind != yaml.SequenceNode {
				probs.Add(diag.At(file, list), "write a list of entries, each starting with `- id:`", "%s must be a list", key)
				return nil
			}
			return list.Content
		}
	}
	probs.Add(diag.Pos{File: file, Line: 1}, "", "missing key %q", key)
	return nil
}

func (l *Library) addStatute(s *Statute, probs *diag.List) {
	s.Text = strings.TrimSpace(s.Text)
	checkID(s.ID, s.Pos, "statute", probs)
	if _, dup := l.statutes[s.ID]; dup {
		probs.Add(s.Pos, "give each statute its own id", "duplicate statute id %q", s.ID)
	}
	required(s.Pos, probs, "statute "+s.ID, map[string]string{
		"law": s.Law, "article": s.Article, "text": s.Text, "version": s.Version,
		"effective": s.Effective, "source": s.Source, "checked": s.Checked, "summary": s.Summary,
	})
	checkDate(s.Effective, s.Pos, "effective", probs)
	checkDate(s.Checked, s.Pos, "checked", probs)
	switch s.Confidence {
	case "V", "S":
	default:
		probs.Add(s.Pos, "only verbatim (V) or cross-checked (S) texts may be cited", "statute %q has confidence %q", s.ID, s.Confidence)
	}
	switch s.Status {
	case StatusCurrent, StatusRetired:
	default:
		probs.Add(s.Pos, "use current or retired", "statute %q has status %q", s.ID, s.Status)
	}
	l.Statutes = append(l.Statutes, s)
	l.statutes[s.ID] = s
}

func (l *Library) addChannel(c *Channel, probs *diag.List) {
	checkID(c.ID, c.Pos, "channel", probs)
	if _, dup := l.channels[c.ID]; dup {
		probs.Add(c.Pos, "give each channel its own id", "duplicate channel id %q", c.ID)
	}
	required(c.Pos, probs, "channel "+c.ID, map[string]string{
		"name": c.Name, "handles": c.Handles, "how": c.How, "confidence": c.Confidence, "checked": c.Checked,
	})
	checkDate(c.Checked, c.Pos, "checked", probs)
	l.Channels = append(l.Channels, c)
	l.channels[c.ID] = c
}

func (l *Library) loadSafety(fsys fs.FS, probs *diag.List) {
	data, err := fs.ReadFile(fsys, SafetyFile)
	if err != nil {
		probs.Add(diag.Pos{File: SafetyFile}, "the content folder needs this file", "cannot read: %v", errors.Unwrap(err))
		return
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		probs.AddYAMLError(SafetyFile, err)
		return
	}
	if len(doc.Content) == 0 {
		probs.Add(diag.Pos{File: SafetyFile, Line: 1}, "", "empty file")
		return
	}
	probs.CheckKeys(SafetyFile, doc.Content[0], "the file", "words", "patterns", "figurative", "message")
	if err := doc.Content[0].Decode(&l.Safety); err != nil {
		probs.AddYAMLError(SafetyFile, err)
		return
	}
	for i := 0; i+1 < len(doc.Content[0].Content); i += 2 {
		k, v := doc.Content[0].Content[i], doc.Content[0].Content[i+1]
		if k.Value != "patterns" && k.Value != "figurative" {
			continue
		}
		var exprs []string
		for _, item := range v.Content {
			if _, err := regexp.Compile(item.Value); err != nil {
				probs.Add(diag.At(SafetyFile, item), "write a Go regular expression (no look-ahead); test it with go run ./bot lint", "bad pattern: %v", err)
				continue
			}
			exprs = append(exprs, item.Value)
		}
		if len(exprs) == 0 {
			continue
		}
		if k.Value == "patterns" {
			l.Safety.patterns = newPatternSet(exprs)
		} else {
			l.Safety.figurative = regexp.MustCompile("(?:" + strings.Join(exprs, ")|(?:") + ")")
			l.Safety.hasFigurative = newPatternSet(exprs)
		}
	}
	if len(l.Safety.Words) == 0 || strings.TrimSpace(l.Safety.Message) == "" {
		probs.Add(diag.Pos{File: SafetyFile, Line: 1}, "list the words and write the message with the hotlines", "safety needs words and a message")
	}
	l.Safety.Message = strings.TrimSpace(l.Safety.Message)
}

func checkID(id string, pos diag.Pos, what string, probs *diag.List) {
	if !idPattern.MatchString(id) {
		probs.Add(pos, "use lowercase letters, digits and '-'", "bad %s id %q", what, id)
	}
}

func required(pos diag.Pos, probs *diag.List, what string, fields map[string]string) {
	for _, name := range []string{"law", "article", "summary", "text", "version", "effective", "source", "name", "handles", "how", "confidence", "checked"} {
		if v, ok := fields[name]; ok && strings.TrimSpace(v) == "" {
			probs.Add(pos, "every entry must say this", "%s: missing %s", what, name)
		}
	}
}

func checkDate(v string, pos diag.Pos, field string, probs *diag.List) {
	if v == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		probs.Add(pos, "write dates as YYYY-MM-DD", "%s date %q is not a date", field, v)
	}
}
