package telegram

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
)

// outboxHandler is a runner whose outbox lists people of several transports.
type outboxHandler struct {
	due      []string
	mu       sync.Mutex
	released []string
}

func (h *outboxHandler) Handle(context.Context, string, domain.Event) ([]domain.Reply, error) {
	return nil, nil
}
func (h *outboxHandler) Hold(context.Context, string, time.Time) error { return nil }
func (h *outboxHandler) Release(_ context.Context, user string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.released = append(h.released, user)
}
func (h *outboxHandler) Due(context.Context, time.Time, int) ([]string, error) { return h.due, nil }
func (h *outboxHandler) Undelivered(context.Context, string) ([]domain.Reply, int64, error) {
	return nil, 0, nil
}

// Held replies of people of another transport (web:…) are left to it: the
// poller neither sends them nor forgets them; its own chats are taken up.
func TestTakeUpOnlyTelegramChats(t *testing.T) {
	h := &outboxHandler{due: []string{"web:abc", "12345", "console"}}
	b, err := New(Config{Token: "1:x"}, h)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var chats []int64
	ran := make(chan struct{}, 3)
	d := newDispatcher(context.Background(), 2, func(_ context.Context, j *job) bool {
		mu.Lock()
		chats = append(chats, j.in.ChatID)
		mu.Unlock()
		j.settle(true)
		ran <- struct{}{}
		return true
	})
	if n := b.takeUp(context.Background(), d, time.Now()); n != 3 {
		t.Errorf("takeUp = %d, want 3 listed", n)
	}
	<-ran
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(chats, []int64{12345}) {
		t.Errorf("resent to chats %v, want [12345]", chats)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.released) != 0 {
		t.Errorf("released %v: another transport's held replies must stay", h.released)
	}
}
