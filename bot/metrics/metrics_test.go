package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/session"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 {
		t.Fatalf("metrics: %d", rec.Code)
	}
	return string(body)
}

func TestEveryHookShowsOnMetrics(t *testing.T) {
	m := New()
	m.Update("text")
	m.Update("text")
	m.Update("photo")
	m.Turn("1001", 3*time.Millisecond)
	m.TelegramError("sendMessage", 429)
	m.TelegramError("getUpdates", 0)
	m.EvidenceKept(2048)
	m.OCR(800*time.Millisecond, nil)
	m.OCR(time.Second, errors.New("tesseract: exit 1"))
	m.Draft("police")
	store := m.Store("session", failing{err: fmt.Errorf("x: %w", context.DeadlineExceeded)})
	store.Get(context.Background(), "1001")
	store.Put(context.Background(), "1001", nil, 0)
	m.Store("evidence", failing{err: domain.ErrConflict}).Put(context.Background(), "1001", nil, 0)
	m.Store("session", failing{err: errors.New("dial tcp: refused")}).Delete(context.Background(), "1001")
	m.Store("session", failing{err: fmt.Errorf("session: redis put: %w: OOM", domain.ErrRefused)}).Put(context.Background(), "1001", nil, 0)
	m.Stale()
	out := scrape(t, m)
	for _, want := range []string{
		`anning_updates_total{kind="text"} 2`,
		`anning_updates_total{kind="photo"} 1`,
		`anning_turn_duration_seconds_count 1`,
		`anning_turn_duration_seconds_bucket{le="0.005"} 1`,
		`anning_telegram_errors_total{kind="429",method="sendMessage"} 1`,
		`anning_telegram_errors_total{kind="network",method="getUpdates"} 1`,
		`anning_telegram_429_total 1`,
		`anning_evidence_files_total 1`,
		`anning_evidence_bytes_total 2048`,
		`anning_ocr_duration_seconds_count{result="ok"} 1`,
		`anning_ocr_duration_seconds_count{result="error"} 1`,
		`anning_drafts_total{kind="police"} 1`,
		`anning_store_errors_total{kind="timeout",op="session.get"} 1`,
		`anning_store_errors_total{kind="timeout",op="session.put"} 1`,
		`anning_store_errors_total{kind="conflict",op="evidence.put"} 1`,
		`anning_store_errors_total{kind="unavailable",op="session.delete"} 1`,
		`anning_store_errors_total{kind="refused",op="session.put"} 1`,
		`anning_updates_stale_total 1`,
		`anning_active_sessions 1`,
		`go_goroutines`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Only the bot's own series: Go's and the process's figures are digits
	// that hold any four of them now and then.
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "anning_") && strings.Contains(line, "1001") {
			t.Errorf("a user id appears on /metrics: %s", line)
		}
	}
}

func TestActiveSessionsForgetTheIdle(t *testing.T) {
	m := New()
	now := time.Unix(1_800_000_000, 0)
	m.now = func() time.Time { return now }
	m.Turn("a", time.Millisecond)
	m.Turn("b", time.Millisecond)
	m.Turn("a", time.Millisecond)
	if got := m.activeCount(); got != 2 {
		t.Errorf("active %v, want 2", got)
	}
	now = now.Add(ActiveWindow + time.Second)
	m.Turn("c", time.Millisecond)
	if got := m.activeCount(); got != 1 {
		t.Errorf("active after the window %v, want 1", got)
	}
}

func TestNilMetricsCountNothing(t *testing.T) {
	var m *Metrics
	m.Update("text")
	m.Turn("u", time.Millisecond)
	m.TelegramError("sendMessage", 500)
	m.EvidenceKept(1)
	m.OCR(time.Second, nil)
	m.Draft("x")
	m.StoreError("get", errors.New("x"))
	s := failing{}
	if m.Store("session", s) != domain.Store(s) {
		t.Error("a nil Metrics must not wrap the store")
	}
}

func TestStoreWrapperPassesResultsThrough(t *testing.T) {
	m := New()
	mem := session.NewMemory(time.Hour, time.Now)
	s := m.Store("session", mem)
	rev, err := s.Put(context.Background(), "u", []byte("state"), 0)
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.Get(context.Background(), "u")
	if err != nil || string(e.Data) != "state" || e.Rev != rev {
		t.Fatalf("get: %+v %v", e, err)
	}
	if _, err := s.Put(context.Background(), "u", []byte("late"), 0); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("conflict not passed through: %v", err)
	}
	if n, err := s.Delete(context.Background(), "u"); err != nil || n != 1 {
		t.Errorf("delete: %d %v", n, err)
	}
	if out := scrape(t, m); !strings.Contains(out, `anning_store_errors_total{kind="conflict",op="session.put"} 1`) {
		t.Error("conflict not counted")
	}
}

type failing struct{ err error }

func (f failing) Get(context.Context, string) (domain.Entry, error) { return domain.Entry{}, f.err }
func (f failing) Put(context.Context, string, []byte, int64) (int64, error) {
	return 0, f.err
}
func (f failing) Delete(context.Context, string) (int, error) { return 0, f.err }
