package ops_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anning-bot/anning/bot/ops"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func TestHealthAndReadiness(t *testing.T) {
	redisUp := true
	h := ops.Handler(map[string]ops.Check{
		"redis": func(context.Context) error {
			if !redisUp {
				return errors.New("dial tcp 10.0.0.5:6379: password=s3cret refused")
			}
			return nil
		},
		"telegram": func(context.Context) error { return nil },
	}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "anning_updates_total 1\n") }))
	if code, body := get(t, h, "/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("healthz: %d %q", code, body)
	}
	if code, body := get(t, h, "/metrics"); code != 200 || !strings.Contains(body, "anning_updates_total") {
		t.Errorf("metrics: %d %q", code, body)
	}
	if code, _ := get(t, ops.Handler(nil, nil), "/metrics"); code != 404 {
		t.Errorf("metrics without a handler: %d", code)
	}
	if code, _ := get(t, h, "/readyz"); code != 200 {
		t.Errorf("readyz with everything up: %d", code)
	}
	redisUp = false
	code, body := get(t, h, "/readyz")
	if code != 503 || !strings.Contains(body, "redis") || strings.Contains(body, "telegram") {
		t.Errorf("readyz with redis down: %d %q", code, body)
	}
	if strings.Contains(body, "s3cret") || strings.Contains(body, "10.0.0.5") {
		t.Error("readyz leaked an error's details")
	}
	if code, _ := get(t, h, "/nope"); code != 404 {
		t.Errorf("unknown path: %d", code)
	}
}
