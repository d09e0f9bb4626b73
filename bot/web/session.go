package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"sync"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"golang.org/x/time/rate"
)

// UserPrefix starts the user id of every web person, so web ids never
// collide with Telegram's chat ids (numbers) or the console's.
const UserPrefix = "web:"

// IsUser reports whether a user id belongs to a web person.
func IsUser(user string) bool {
	return len(user) > len(UserPrefix) && user[:len(UserPrefix)] == UserPrefix
}

// newID returns a fresh random session id (256 bits, URL-safe).
func newID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("web: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// userOf is the runner's user id for a session id: a hash, so the secret in
// the cookie is never stored (Redis keys) nor logged.
func userOf(id string) string {
	sum := sha256.Sum256([]byte("anning-web-user:" + id))
	return UserPrefix + hex.EncodeToString(sum[:16])
}

// csrfOf is the session's CSRF token: derived from the secret id, so any
// replica can check it, and only a page of the session knows it.
func csrfOf(id string) string {
	sum := sha256.Sum256([]byte("anning-web-csrf:" + id))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// message is one bubble of the conversation.
type message struct {
	I        int // its index in the whole conversation
	Mine     bool
	Kind     domain.ReplyKind
	Text     string
	Choices  []string
	Ref      string
	FileID   string
	FileName string
}

// file is a document the bot sent (a draft, the evidence export), kept
// for download by the session that received it.
type file struct {
	name  string
	data  []byte                        // held in memory (a draft), or
	open  func() (io.ReadCloser, error) // read anew at each download (the evidence export: never held whole)
	added time.Time
}

// session is one browser's conversation as this process shows it: the
// last messages (bounded) and the documents to download. The conversation
// state itself is the runner's (in Redis or memory), under user.
type session struct {
	id   string
	user string

	mu      sync.Mutex
	msgs    []message
	next    int // index of the next message
	files   map[string]*file
	order   []string      // file ids, oldest first
	changed chan struct{} // closed (and replaced) whenever msgs change
	used    time.Time
	erased  bool
	streams int // open event streams
	// byeReplies are the replies of the turn that erased the session,
	// shown on the page that follows.
	byeReplies []domain.Reply

	limit *rate.Limiter // posts of this session
}

// since returns the messages from index n on, the index after the last,
// and a channel closed at the next change.
func (s *session) since(n int) ([]message, int, <-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []message
	for _, m := range s.msgs {
		if m.I >= n {
			out = append(out, m)
		}
	}
	return out, s.next, s.changed, s.erased
}

// add appends messages, keeping the last maxMessages.
func (s *session) add(msgs ...message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		m.I = s.next
		s.next++
		s.msgs = append(s.msgs, m)
	}
	if over := len(s.msgs) - maxMessages; over > 0 {
		s.msgs = append(s.msgs[:0:0], s.msgs[over:]...)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// choiceOf is the label of choice i of the question ref, as shown.
func (s *session) choiceOf(ref string, i int) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for j := len(s.msgs) - 1; j >= 0; j-- {
		m := s.msgs[j]
		if m.Ref == ref && len(m.Choices) > 0 {
			if i >= 0 && i < len(m.Choices) {
				return m.Choices[i], true
			}
			return "", false
		}
	}
	return "", false
}

// empty reports whether the session shows nothing yet (new, or this
// process started after it was made).
func (s *session) empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next == 0
}

// Bounds of what one process keeps in memory.
const (
	maxMessages     = 120       // per session: older bubbles scroll away
	maxFiles        = 5         // documents kept per session
	maxSessions     = 50_000    // sessions in memory (the runner's state is elsewhere)
	maxFileBytes    = 256 << 20 // documents of all sessions together
	maxStreams      = 4         // event streams per session
	maxStreamsTotal = 20_000
)

// sessions are the sessions this process holds.
type sessions struct {
	mu        sync.Mutex
	byID      map[string]*session
	byUser    map[string]*session
	fileBytes int64
	streams   int
	ttl       time.Duration
	now       func() time.Time
	newLimit  func() *rate.Limiter
}

func newSessions(ttl time.Duration, now func() time.Time, newLimit func() *rate.Limiter) *sessions {
	return &sessions{byID: map[string]*session{}, byUser: map[string]*session{}, ttl: ttl, now: now, newLimit: newLimit}
}

// get returns the session of id, making its in-memory part when this
// process does not hold it yet (a restart, another replica made it): the
// runner's state under its user id is what matters.
func (ss *sessions) get(id string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	if s, ok := ss.byID[id]; ok {
		s.mu.Lock()
		s.used = now
		s.mu.Unlock()
		return s
	}
	if len(ss.byID) >= maxSessions {
		ss.evictLocked(now)
	}
	s := &session{id: id, user: userOf(id), files: map[string]*file{}, changed: make(chan struct{}), used: now, limit: ss.newLimit()}
	ss.byID[id] = s
	ss.byUser[s.user] = s
	return s
}

// held returns the session of id when this process holds it.
func (ss *sessions) held(id string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[id]
	if s != nil {
		s.mu.Lock()
		s.used = ss.now()
		s.mu.Unlock()
	}
	return s
}

// byUserID returns the session of a runner user id, if held here.
func (ss *sessions) byUserID(user string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.byUser[user]
}

// drop forgets a session (erased, or expired) and wakes its streams.
func (ss *sessions) drop(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.dropLocked(s)
}

func (ss *sessions) dropLocked(s *session) {
	if ss.byID[s.id] == s {
		delete(ss.byID, s.id)
		delete(ss.byUser, s.user)
	}
	s.mu.Lock()
	for _, f := range s.files {
		ss.fileBytes -= int64(len(f.data))
	}
	s.files, s.order, s.msgs = map[string]*file{}, nil, nil
	if !s.erased {
		s.erased = true
		close(s.changed)
		s.changed = make(chan struct{})
	}
	s.mu.Unlock()
}

// evictLocked drops sessions idle past the TTL, else the least recently
// used one.
func (ss *sessions) evictLocked(now time.Time) {
	var oldest *session
	var oldestUsed time.Time
	for _, s := range ss.byID {
		s.mu.Lock()
		used := s.used
		s.mu.Unlock()
		if now.Sub(used) > ss.ttl {
			ss.dropLocked(s)
			continue
		}
		if oldest == nil || used.Before(oldestUsed) {
			oldest, oldestUsed = s, used
		}
	}
	if len(ss.byID) >= maxSessions && oldest != nil {
		ss.dropLocked(oldest)
	}
}

// sweep drops sessions idle past the TTL.
func (ss *sessions) sweep() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	for _, s := range ss.byID {
		s.mu.Lock()
		idle := now.Sub(s.used) > ss.ttl
		s.mu.Unlock()
		if idle {
			ss.dropLocked(s)
		}
	}
}

// keepFile stores a document for the session and returns its id; the
// oldest documents go when the session or the process holds too many.
func (ss *sessions) keepFile(s *session, f *domain.File) string {
	id := newID()[:22]
	ss.mu.Lock()
	defer ss.mu.Unlock()
	size := int64(len(f.Data))
	for ss.fileBytes+size > maxFileBytes && ss.dropOldestFileLocked() {
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.erased {
		return ""
	}
	for len(s.order) >= maxFiles {
		ss.fileBytes -= int64(len(s.files[s.order[0]].data))
		delete(s.files, s.order[0])
		s.order = s.order[1:]
	}
	s.files[id] = &file{name: f.Name, data: f.Data, open: f.Open, added: ss.now()}
	s.order = append(s.order, id)
	ss.fileBytes += size
	return id
}

func (ss *sessions) dropOldestFileLocked() bool {
	var from *session
	var at time.Time
	for _, s := range ss.byID {
		s.mu.Lock()
		if len(s.order) > 0 {
			if f := s.files[s.order[0]]; from == nil || f.added.Before(at) {
				from, at = s, f.added
			}
		}
		s.mu.Unlock()
	}
	if from == nil {
		return false
	}
	from.mu.Lock()
	ss.fileBytes -= int64(len(from.files[from.order[0]].data))
	delete(from.files, from.order[0])
	from.order = from.order[1:]
	from.mu.Unlock()
	return true
}

// file returns a document of the session.
func (s *session) file(id string) (*file, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	return f, ok
}

// openStream counts an event stream; false when there are too many.
func (ss *sessions) openStream(s *session) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streams >= maxStreams || ss.streams >= maxStreamsTotal {
		return false
	}
	s.streams++
	ss.streams++
	return true
}

func (ss *sessions) closeStream(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams--
	ss.streams--
}
