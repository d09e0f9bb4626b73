package config_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/config"
)

func load(vars map[string]string) (config.Config, error) {
	return config.Load(func(k string) string { return vars[k] })
}

func TestDefaults(t *testing.T) {
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.UsesRedis() || c.RedisPrefix != "anning" || c.SessionTTL != 720*time.Hour || c.LogFormat != "text" || c.LogLevel != slog.LevelWarn {
		t.Errorf("defaults: %+v", c)
	}
	if c, _ := load(map[string]string{"TELEGRAM_BOT_TOKEN": "1:x"}); c.LogLevel != slog.LevelInfo {
		t.Errorf("on Telegram the default level is info, got %v", c.LogLevel)
	}
}

// Unset, the overall pace is learned (no ceiling); 0 turns pacing off; a
// number is a ceiling. Chats are paced at one message a second unless told.
func TestTelegramRates(t *testing.T) {
	c, err := load(nil)
	if err != nil || c.TelegramGlobalRate != config.Learned || c.TelegramChatRate != 1 {
		t.Errorf("defaults: global %v, chat %v, %v", c.TelegramGlobalRate, c.TelegramChatRate, err)
	}
	if !strings.Contains(strings.Join(c.Redacted(), "\n"), "TELEGRAM_GLOBAL_RATE=\n") {
		t.Error("an unset ceiling is not shown as unset")
	}
	c, err = load(map[string]string{"TELEGRAM_GLOBAL_RATE": "0", "TELEGRAM_CHAT_RATE": "0.5"})
	if err != nil || c.TelegramGlobalRate != 0 || c.TelegramChatRate != 0.5 {
		t.Errorf("set: global %v, chat %v, %v", c.TelegramGlobalRate, c.TelegramChatRate, err)
	}
	if c, _ := load(map[string]string{"TELEGRAM_GLOBAL_RATE": "30"}); c.TelegramGlobalRate != 30 || !strings.Contains(strings.Join(c.Redacted(), "\n"), "TELEGRAM_GLOBAL_RATE=30\n") {
		t.Errorf("ceiling: %v", c.TelegramGlobalRate)
	}
	if _, err := load(map[string]string{"TELEGRAM_GLOBAL_RATE": "-1"}); err == nil {
		t.Error("a negative rate accepted")
	}
}

func TestRedisSettings(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(map[string]string{"REDIS_ADDRS": "10.0.0.1:26379, 10.0.0.2:26379", "REDIS_SENTINEL_MASTER": "mymaster",
		"REDIS_PASSWORD_FILE": pw, "REDIS_SENTINEL_PASSWORD": "sentinel-pw", "REDIS_PREFIX": "bot2", "SESSION_TTL": "48h"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.UsesRedis() || len(c.RedisAddrs) != 2 || c.RedisAddrs[1] != "10.0.0.2:26379" || c.RedisPassword != "s3cret" ||
		c.RedisSentinelMaster != "mymaster" || c.RedisSentinelPass != "sentinel-pw" || c.RedisPrefix != "bot2" || c.SessionTTL != 48*time.Hour {
		t.Errorf("parsed: %+v", c)
	}
	if c, err := load(map[string]string{"REDIS_URL": "rediss://:pw@redis.example:6380/2"}); err != nil || !c.UsesRedis() {
		t.Errorf("rediss URL: %+v %v", c, err)
	}
}

func TestEveryProblemReportedAtOnce(t *testing.T) {
	_, err := load(map[string]string{
		"REDIS_URL": "http://x", "REDIS_ADDRS": "nohostport", "REDIS_PASSWORD": "a", "REDIS_PASSWORD_FILE": "/x",
		"REDIS_PREFIX": "{bad}", "SESSION_TTL": "-1h", "LOG_FORMAT": "xml", "TELEGRAM_BOT_TOKEN_FILE": "/no/such/file",
	})
	if err == nil {
		t.Fatal("bad settings accepted")
	}
	for _, want := range []string{"REDIS_URL and REDIS_ADDRS are both set", "REDIS_URL: want redis://", `REDIS_ADDRS: "nohostport"`,
		"REDIS_PASSWORD and REDIS_PASSWORD_FILE are both set", "REDIS_PREFIX", "SESSION_TTL", "LOG_FORMAT", "TELEGRAM_BOT_TOKEN_FILE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Error("a secret leaked into the error")
	}
	if _, err := load(map[string]string{"REDIS_SENTINEL_MASTER": "m"}); err == nil || !strings.Contains(err.Error(), "needs REDIS_ADDRS") {
		t.Errorf("sentinel without addrs: %v", err)
	}
}

func TestRedisWaitSettings(t *testing.T) {
	c, err := load(map[string]string{"REDIS_ADDRS": "s1:26379", "REDIS_SENTINEL_MASTER": "m", "REDIS_WAIT_REPLICAS": "1", "REDIS_WAIT_TIMEOUT": "250ms"})
	if err != nil || c.RedisWaitReplicas != 1 || c.RedisWaitTimeout != 250*time.Millisecond {
		t.Errorf("parsed: %d %v %v", c.RedisWaitReplicas, c.RedisWaitTimeout, err)
	}
	if c, _ := load(nil); c.RedisWaitReplicas != 0 || c.RedisWaitTimeout != 100*time.Millisecond {
		t.Errorf("defaults: %d %v", c.RedisWaitReplicas, c.RedisWaitTimeout)
	}
	_, err = load(map[string]string{"REDIS_ADDRS": "n1:6379,n2:6379", "REDIS_WAIT_REPLICAS": "-1"})
	for _, want := range []string{"REDIS_WAIT_REPLICAS: want a number", "not with a Cluster"} {
		if want == "not with a Cluster" {
			_, err = load(map[string]string{"REDIS_ADDRS": "n1:6379,n2:6379", "REDIS_WAIT_REPLICAS": "1"})
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestEvidenceS3Settings(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("S3-SECRET-KEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(map[string]string{"EVIDENCE_S3_ENDPOINT": "https://s3.example.cn", "EVIDENCE_S3_BUCKET": "anning-evidence",
		"EVIDENCE_S3_ACCESS_KEY": "AKID", "EVIDENCE_S3_SECRET_KEY_FILE": keyFile, "EVIDENCE_S3_REGION": "cn-north-1"})
	if err != nil {
		t.Fatal(err)
	}
	want := config.S3{Endpoint: "https://s3.example.cn", Bucket: "anning-evidence", Region: "cn-north-1", AccessKey: "AKID", SecretKey: "S3-SECRET-KEY"}
	if c.EvidenceS3 != want {
		t.Errorf("parsed %+v", c.EvidenceS3)
	}
	if dump := strings.Join(c.Redacted(), "\n"); strings.Contains(dump, "S3-SECRET-KEY") || strings.Contains(dump, "AKID") {
		t.Errorf("dump shows S3 keys:\n%s", dump)
	}
	_, err = load(map[string]string{"EVIDENCE_S3_ENDPOINT": "ftp://x/y"})
	for _, want := range []string{"EVIDENCE_S3_ENDPOINT: want", "EVIDENCE_S3_BUCKET: required", "EVIDENCE_S3_ACCESS_KEY and EVIDENCE_S3_SECRET_KEY: required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := load(map[string]string{"EVIDENCE_S3_BUCKET": "b"}); err == nil || !strings.Contains(err.Error(), "EVIDENCE_S3_ENDPOINT is not") {
		t.Errorf("bucket without endpoint: %v", err)
	}
	if _, err := load(map[string]string{"EVIDENCE_S3_ENDPOINT": "minio:9000", "EVIDENCE_S3_BUCKET": "b", "EVIDENCE_S3_ACCESS_KEY": "a", "EVIDENCE_S3_SECRET_KEY": "s"}); err != nil {
		t.Errorf("host:port endpoint refused: %v", err)
	}
}

func TestRedactedDumpHidesSecrets(t *testing.T) {
	c, err := load(map[string]string{"TELEGRAM_BOT_TOKEN": "123:TOPSECRET", "REDIS_URL": "redis://user:hunter2@redis:6379/0",
		"WEBHOOK_URL": "https://x.example/hook", "WEBHOOK_SECRET": "webhook-secret-value-123"})
	if err != nil {
		t.Fatal(err)
	}
	dump := strings.Join(c.Redacted(), "\n")
	for _, secret := range []string{"TOPSECRET", "hunter2", "webhook-secret-value-123"} {
		if strings.Contains(dump, secret) {
			t.Errorf("dump shows %q:\n%s", secret, dump)
		}
	}
	for _, want := range []string{"TELEGRAM_BOT_TOKEN=(set, hidden)", "redis://user@redis:6379/0", "WEBHOOK_URL=https://x.example/hook", "SESSION_TTL=720h0m0s"} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
}

func TestS3HostPort(t *testing.T) {
	for _, tc := range []struct {
		raw, host string
		secure    bool
	}{
		{"https://s3.example.com:9000", "s3.example.com:9000", true},
		{"http://127.0.0.1:7070", "127.0.0.1:7070", false},
		{"http://127.0.0.1:7070/", "127.0.0.1:7070", false},
		{"s3.example.com:443", "s3.example.com:443", true},
		{" s3.example.com ", "s3.example.com", true},
		{"[::1]:7070", "[::1]:7070", true},
	} {
		host, secure, err := config.S3{Endpoint: tc.raw}.HostPort()
		if err != nil || host != tc.host || secure != tc.secure {
			t.Errorf("%q: %q %v %v", tc.raw, host, secure, err)
		}
	}
	for _, raw := range []string{"", "ftp://host:21", "https://host/bucket", "https://user:pa55@host",
		"http://host:port", "https://host?x=1", "://host"} {
		_, _, err := config.S3{Endpoint: raw}.HostPort()
		if err == nil {
			t.Errorf("%q accepted", raw)
		} else if strings.Contains(err.Error(), "pa55") {
			t.Errorf("%q: the password is in the error", raw)
		}
	}
}

// The web chat and the webhook (or the ops server) on one address would
// fail at start with "address already in use": the settings say so first.
func TestWebAddrMustNotBeAnotherServersAddress(t *testing.T) {
	for _, env := range []map[string]string{
		{"WEB_ADDR": "127.0.0.1:8080", "TELEGRAM_BOT_TOKEN": "123:abc", "WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_SECRET": "s3cret-s3cret-s3cret"},
		{"WEB_ADDR": ":9090", "HTTP_ADDR": "127.0.0.1:9090"},
	} {
		if _, err := load(env); err == nil || !strings.Contains(err.Error(), "give the web chat a port of its own") {
			t.Errorf("%v: %v", env, err)
		}
	}
	// Polling: no webhook server, so 8080 is free for the web chat.
	if _, err := load(map[string]string{"WEB_ADDR": "127.0.0.1:8080", "TELEGRAM_BOT_TOKEN": "123:abc"}); err != nil {
		t.Errorf("polling with the web chat on 8080: %v", err)
	}
	if _, err := load(map[string]string{"WEB_ADDR": "127.0.0.1:8081", "HTTP_ADDR": "127.0.0.1:9090"}); err != nil {
		t.Errorf("distinct ports: %v", err)
	}
}

func TestWebSettings(t *testing.T) {
	c, err := load(map[string]string{"WEB_ADDR": "127.0.0.1:8080", "WEB_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.WebAddr != "127.0.0.1:8080" || len(c.WebTrustedProxies) != 3 || c.WebTrustedProxies[0].String() != "127.0.0.1/32" ||
		c.WebTrustedProxies[2].String() != "::1/128" || c.WebNewSessionsPerHour != 30 || c.LogLevel != slog.LevelInfo {
		t.Errorf("web settings: %+v", c)
	}
	dump := strings.Join(c.Redacted(), "\n")
	for _, want := range []string{"WEB_ADDR=127.0.0.1:8080", "WEB_TRUSTED_PROXIES=127.0.0.1/32,10.0.0.0/8,::1/128", "WEB_NEW_SESSIONS_PER_HOUR=30"} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %s", want)
		}
	}
	_, err = load(map[string]string{"WEB_ADDR": "8080", "WEB_TRUSTED_PROXIES": "proxy.local", "WEB_NEW_SESSIONS_PER_HOUR": "0"})
	for _, want := range []string{"WEB_ADDR: \"8080\" is not host:port", "WEB_TRUSTED_PROXIES: \"proxy.local\"", "WEB_NEW_SESSIONS_PER_HOUR: want a positive number"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
