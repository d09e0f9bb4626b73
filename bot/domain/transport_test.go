package domain_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/anning-bot/anning/bot/domain"
)

func TestTransportOf(t *testing.T) {
	for user, want := range map[string]string{
		"123456789":      domain.TransportTelegram, // Telegram chat ids from before namespaces
		"-1001234567890": domain.TransportTelegram, // a group's chat id
		"tg:42":          domain.TransportTelegram,
		"web:Zm9vYmFy":   domain.TransportWeb,
		"web:a:b":        domain.TransportWeb, // only the first ':' counts
		"console":        domain.TransportConsole,
		"-":              "-",
		"":               "",
	} {
		if got := domain.TransportOf(user); got != want {
			t.Errorf("TransportOf(%q) = %q, want %q", user, got, want)
		}
	}
	if got := domain.UserID(domain.TransportWeb, "abc"); got != "web:abc" || domain.TransportOf(got) != domain.TransportWeb {
		t.Errorf("UserID = %q", got)
	}
}

// door records what reached it.
type door struct {
	name     string
	notified []string
	fetched  []string
}

func (d *door) Notify(_ context.Context, user string, replies []domain.Reply) error {
	d.notified = append(d.notified, user+"="+replies[0].Text)
	return nil
}

func (d *door) Fetch(_ context.Context, user string, a *domain.Attachment) (io.ReadCloser, error) {
	d.fetched = append(d.fetched, user+"="+a.ID)
	return io.NopCloser(strings.NewReader(d.name + ":" + a.ID)), nil
}

func TestRouterRoutesByTransport(t *testing.T) {
	ctx := context.Background()
	tg, web, con := &door{name: "tg"}, &door{name: "web"}, &door{name: "console"}
	var r domain.Router
	r.Register(domain.TransportTelegram, domain.Door{Notifier: tg, FileFetcher: tg})
	r.Register(domain.TransportWeb, domain.Door{Notifier: web, FileFetcher: web})
	r.Register(domain.TransportConsole, domain.Door{Notifier: con}) // no fetcher
	say := []domain.Reply{{Kind: domain.ReplyNotice, Text: "ok"}}
	for _, u := range []string{"123", "web:s1", "console", "tg:7"} {
		if err := r.Notify(ctx, u, say); err != nil {
			t.Fatalf("Notify(%s): %v", u, err)
		}
	}
	if got := strings.Join(tg.notified, ","); got != "123=ok,tg:7=ok" {
		t.Errorf("telegram door got %q", got)
	}
	if got := strings.Join(web.notified, ","); got != "web:s1=ok" {
		t.Errorf("web door got %q", got)
	}
	if got := strings.Join(con.notified, ","); got != "console=ok" {
		t.Errorf("console door got %q", got)
	}
	body, err := r.Fetch(ctx, "web:s1", &domain.Attachment{ID: "f1"})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(body)
	body.Close()
	if string(data) != "web:f1" || len(tg.fetched) != 0 {
		t.Errorf("fetch went to %q (telegram saw %v)", data, tg.fetched)
	}
	if _, err := r.Fetch(ctx, "console", &domain.Attachment{ID: "f2"}); !errors.Is(err, domain.ErrNoDoor) {
		t.Errorf("fetch without a fetcher: %v, want ErrNoDoor", err)
	}
	if err := r.Notify(ctx, "sms:1", say); !errors.Is(err, domain.ErrNoDoor) {
		t.Errorf("notify of an unknown transport: %v, want ErrNoDoor", err)
	}
	var empty domain.Router
	if err := empty.Notify(ctx, "1", say); !errors.Is(err, domain.ErrNoDoor) {
		t.Errorf("zero Router: %v", err)
	}
}
