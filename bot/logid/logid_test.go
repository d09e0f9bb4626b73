package logid_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/anning-bot/anning/bot/logid"
)

func TestUserAttributesArePseudonymised(t *testing.T) {
	p := logid.New("a secret key")
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: p.ReplaceAttr(nil)}))
	log.Info("turn", "user", "7340215")
	log.With("user", "7340215").Info("with")
	log.WithGroup("g").Info("grouped", "user", "7340215")
	log.Info("typed", slog.Int64("user", 7340215))
	out := buf.String()
	if strings.Contains(out, "7340215") {
		t.Fatalf("raw id in the log:\n%s", out)
	}
	if n := strings.Count(out, p.Of("7340215")); n != 4 {
		t.Errorf("pseudonym appears %d times, want 4:\n%s", n, out)
	}
}

func TestPseudonymsDependOnTheKey(t *testing.T) {
	a, b := logid.New("key one"), logid.New("key two")
	if a.Of("42") != logid.New("key one").Of("42") {
		t.Error("same key, different pseudonyms")
	}
	if a.Of("42") == b.Of("42") || a.Of("42") == a.Of("43") {
		t.Error("pseudonyms collide across keys or users")
	}
	if r1, r2 := logid.New(""), logid.New(""); r1.Of("42") == r2.Of("42") {
		t.Error("an empty key must give a random key")
	}
	if got := a.Of("42"); !strings.HasPrefix(got, "u-") || len(got) != 14 {
		t.Errorf("pseudonym %q: want u- and 12 hex digits", got)
	}
}
