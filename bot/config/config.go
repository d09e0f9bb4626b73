// Package config reads the bot's settings from the environment, once, at
// start. Every secret may also come from a file named by NAME_FILE. All
// problems are reported together.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of one bot process.
type Config struct {
	TelegramToken        string
	TelegramAPIEndpoint  string // method URL pattern: .../bot%s/%s
	TelegramFileEndpoint string // file URL pattern: .../file/bot%s/%s
	WebhookURL           string // set: webhook mode
	WebhookSecret        string
	WebhookAddr          string
	TelegramGlobalRate   float64 // ceiling on messages/s overall, the pace learned below it; 0: unlimited; Learned (unset): learned without a ceiling
	TelegramChatRate     float64 // messages/s to one chat; 0: unlimited
	FlowsDir             string  // "" = embedded flows
	ContentDir           string  // "" = embedded content
	SessionTTL           time.Duration
	HTTPAddr             string        // ops server (/healthz, /readyz); "" = off
	EvidenceDir          string        // where evidence files are kept (without EVIDENCE_S3_ENDPOINT)
	EvidenceS3           S3            // an S3-compatible object store for evidence; Endpoint "" = off
	DataRetention        time.Duration // evidence of people idle longer than this is removed

	RedisURL            string   // redis:// or rediss://; with REDIS_ADDRS unset: one server
	RedisAddrs          []string // cluster seeds, or Sentinels with RedisSentinelMaster
	RedisSentinelMaster string
	RedisPassword       string
	RedisSentinelPass   string // the Sentinels' own password (REDIS_SENTINEL_PASSWORD)
	RedisPrefix         string
	RedisWaitReplicas   int           // writes wait for this many replicas (REDIS_WAIT_REPLICAS); 0: no waiting
	RedisWaitTimeout    time.Duration // at most this long
	LogLevel            slog.Level
	LogFormat           string // "text" or "json"
	LogIDKey            string // key of the pseudonyms of user ids in logs; "" = random per process

	WebAddr               string         // web chat page (WEB_ADDR); "" = off
	WebTrustedProxies     []netip.Prefix // reverse proxies whose X-Forwarded-For/-Proto are believed
	WebNewSessionsPerHour int            // sessions one address may start per hour
}

// HostPort splits Endpoint (https://host:port, http://host:port, or a bare
// host:port meaning TLS) into the host:port to dial and whether to use TLS.
func (s S3) HostPort() (hostport string, secure bool, err error) {
	// The raw value is never quoted back: it may carry user:password@.
	bad := errors.New("EVIDENCE_S3_ENDPOINT: want https://host[:port], http://host:port, or host[:port] (TLS)")
	raw := strings.TrimSpace(s.Endpoint)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, perr := url.Parse(raw)
	if perr != nil || u.Hostname() == "" || u.User != nil || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.Fragment != "" {
		return "", false, bad
	}
	switch u.Scheme {
	case "https":
		return u.Host, true, nil
	case "http":
		return u.Host, false, nil
	}
	return "", false, bad
}

// S3 locates the evidence bucket in an S3-compatible object store.
type S3 struct {
	Endpoint  string // as given: https://host[:port], http://host:port, or host[:port] (TLS)
	Bucket    string
	Region    string
	AccessKey string
	SecretKey string
}

// Getenv looks up one environment variable.
type Getenv func(string) string

// Load reads the configuration; the error lists every problem found.
func Load(getenv Getenv) (Config, error) {
	var errs []error
	c := Config{
		FlowsDir:    getenv("FLOWS_DIR"),
		ContentDir:  getenv("CONTENT_DIR"),
		LogFormat:   orDefault(getenv("LOG_FORMAT"), "text"),
		EvidenceDir: orDefault(getenv("EVIDENCE_DIR"), "./data/evidence"),
		HTTPAddr:    getenv("HTTP_ADDR"),
		WebAddr:     getenv("WEB_ADDR"),

		TelegramAPIEndpoint:  orDefault(getenv("TELEGRAM_API_ENDPOINT"), "https://api.telegram.org/bot%s/%s"),
		TelegramFileEndpoint: orDefault(getenv("TELEGRAM_FILE_ENDPOINT"), "https://api.telegram.org/file/bot%s/%s"),
		WebhookURL:           getenv("WEBHOOK_URL"),
		WebhookAddr:          orDefault(getenv("WEBHOOK_ADDR"), "127.0.0.1:8080"), // loopback: the TLS proxy forwards to it

		RedisURL:            getenv("REDIS_URL"),
		RedisSentinelMaster: getenv("REDIS_SENTINEL_MASTER"),
		RedisPrefix:         orDefault(getenv("REDIS_PREFIX"), "anning"),
	}
	for _, a := range strings.Split(getenv("REDIS_ADDRS"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			c.RedisAddrs = append(c.RedisAddrs, a)
		}
	}
	var err error
	if c.TelegramToken, err = secret(getenv, "TELEGRAM_BOT_TOKEN"); err != nil {
		errs = append(errs, err)
	}
	if c.TelegramGlobalRate, err = rateSetting(getenv, "TELEGRAM_GLOBAL_RATE", Learned); err != nil {
		errs = append(errs, err)
	}
	if c.TelegramChatRate, err = rateSetting(getenv, "TELEGRAM_CHAT_RATE", 1); err != nil {
		errs = append(errs, err)
	}
	if c.WebhookSecret, err = secret(getenv, "WEBHOOK_SECRET"); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.checkTelegram()...)
	if c.LogIDKey, err = secret(getenv, "LOG_ID_KEY"); err != nil {
		errs = append(errs, err)
	}
	c.EvidenceS3 = S3{Endpoint: getenv("EVIDENCE_S3_ENDPOINT"), Bucket: getenv("EVIDENCE_S3_BUCKET"), Region: getenv("EVIDENCE_S3_REGION")}
	if c.EvidenceS3.AccessKey, err = secret(getenv, "EVIDENCE_S3_ACCESS_KEY"); err != nil {
		errs = append(errs, err)
	}
	if c.EvidenceS3.SecretKey, err = secret(getenv, "EVIDENCE_S3_SECRET_KEY"); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.checkS3()...)
	if c.RedisPassword, err = secret(getenv, "REDIS_PASSWORD"); err != nil {
		errs = append(errs, err)
	}
	if c.RedisSentinelPass, err = secret(getenv, "REDIS_SENTINEL_PASSWORD"); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.checkRedis()...)
	if v := getenv("REDIS_WAIT_REPLICAS"); v != "" {
		if c.RedisWaitReplicas, err = strconv.Atoi(v); err != nil || c.RedisWaitReplicas < 0 {
			errs = append(errs, fmt.Errorf("REDIS_WAIT_REPLICAS: want a number of replicas (0 = do not wait), got %q", v))
		}
	}
	if c.RedisWaitTimeout, err = duration(getenv, "REDIS_WAIT_TIMEOUT", 100*time.Millisecond); err != nil {
		errs = append(errs, err)
	}
	if c.RedisWaitReplicas > 0 && c.RedisSentinelMaster == "" && len(c.RedisAddrs) > 0 {
		errs = append(errs, errors.New("REDIS_WAIT_REPLICAS works with one server (REDIS_URL) or Sentinel, not with a Cluster"))
	}
	if c.SessionTTL, err = duration(getenv, "SESSION_TTL", 720*time.Hour); err != nil {
		errs = append(errs, err)
	}
	if c.DataRetention, err = duration(getenv, "DATA_RETENTION", 4320*time.Hour); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.loadWeb(getenv)...)
	// In the terminal chat, info lines would mix with the dialogue: warn.
	defLevel := "info"
	if c.TelegramToken == "" && c.WebAddr == "" {
		defLevel = "warn"
	}
	if err := c.LogLevel.UnmarshalText([]byte(orDefault(getenv("LOG_LEVEL"), defLevel))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: want debug, info, warn or error: %w", err))
	}
	if c.HTTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
			errs = append(errs, fmt.Errorf("HTTP_ADDR: %q is not host:port (e.g. :9090)", c.HTTPAddr))
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT: want text or json, got %q", c.LogFormat))
	}
	for _, d := range []struct{ name, dir string }{{"FLOWS_DIR", c.FlowsDir}, {"CONTENT_DIR", c.ContentDir}} {
		if d.dir == "" {
			continue
		}
		if fi, err := os.Stat(d.dir); err != nil || !fi.IsDir() {
			errs = append(errs, fmt.Errorf("%s: %q is not a readable folder", d.name, d.dir))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

var webhookSecretRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,256}$`)

func (c Config) checkTelegram() []error {
	var errs []error
	for _, e := range []struct{ name, v string }{{"TELEGRAM_API_ENDPOINT", c.TelegramAPIEndpoint}, {"TELEGRAM_FILE_ENDPOINT", c.TelegramFileEndpoint}} {
		u, err := url.Parse(strings.ReplaceAll(e.v, "%s", "x"))
		if strings.Count(e.v, "%s") != 2 || err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("%s: want a URL pattern with two %%s (token, then method or file path), like https://api.telegram.org/bot%%s/%%s", e.name))
		}
	}
	if c.WebhookURL == "" {
		return errs
	}
	if c.TelegramToken == "" {
		errs = append(errs, errors.New("WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not"))
	}
	if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New("WEBHOOK_URL: want the public https:// URL Telegram should post to"))
	}
	if !webhookSecretRe.MatchString(c.WebhookSecret) {
		errs = append(errs, errors.New("WEBHOOK_SECRET: required in webhook mode: 16 to 256 characters of A-Z, a-z, 0-9, _ and -"))
	}
	if _, _, err := net.SplitHostPort(c.WebhookAddr); err != nil {
		errs = append(errs, fmt.Errorf("WEBHOOK_ADDR: %q is not host:port (e.g. 127.0.0.1:8080)", c.WebhookAddr))
	}
	return errs
}

func (c Config) checkS3() []error {
	s := c.EvidenceS3
	if s.Endpoint == "" {
		if s.Bucket != "" || s.AccessKey != "" || s.SecretKey != "" {
			return []error{errors.New("EVIDENCE_S3_BUCKET or keys are set but EVIDENCE_S3_ENDPOINT is not")}
		}
		return nil
	}
	var errs []error
	if _, _, err := s.HostPort(); err != nil {
		errs = append(errs, err)
	}
	if s.Bucket == "" {
		errs = append(errs, errors.New("EVIDENCE_S3_BUCKET: required with EVIDENCE_S3_ENDPOINT"))
	}
	if s.AccessKey == "" || s.SecretKey == "" {
		errs = append(errs, errors.New("EVIDENCE_S3_ACCESS_KEY and EVIDENCE_S3_SECRET_KEY: required with EVIDENCE_S3_ENDPOINT"))
	}
	return errs
}

// sameListener reports whether two host:port addresses would listen on the
// same port of the same interface (an empty host or 0.0.0.0/:: is every one).
func sameListener(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil || pa != pb {
		return false
	}
	every := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || every(ha) || every(hb)
}

// loadWeb reads the web chat's settings.
func (c *Config) loadWeb(getenv Getenv) []error {
	var errs []error
	if c.WebAddr != "" {
		if _, _, err := net.SplitHostPort(c.WebAddr); err != nil {
			errs = append(errs, fmt.Errorf("WEB_ADDR: %q is not host:port (e.g. 127.0.0.1:8080)", c.WebAddr))
		}
		// Two servers on one address: the second would fail to start with
		// "address already in use"; say which settings collide instead.
		others := map[string]string{"HTTP_ADDR": c.HTTPAddr}
		if c.TelegramToken != "" && c.WebhookURL != "" {
			others["WEBHOOK_ADDR"] = c.WebhookAddr
		}
		for name, addr := range others {
			if addr != "" && sameListener(c.WebAddr, addr) {
				errs = append(errs, fmt.Errorf("WEB_ADDR: %q is also %s's address: give the web chat a port of its own (e.g. 127.0.0.1:8081)", c.WebAddr, name))
			}
		}
	}
	for _, p := range strings.Split(getenv("WEB_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pre, err := netip.ParsePrefix(p)
		if err != nil {
			ip, ierr := netip.ParseAddr(p)
			if ierr != nil {
				errs = append(errs, fmt.Errorf("WEB_TRUSTED_PROXIES: %q is not an address or CIDR range (e.g. 127.0.0.1,10.0.0.0/8)", p))
				continue
			}
			pre = netip.PrefixFrom(ip, ip.BitLen())
		}
		c.WebTrustedProxies = append(c.WebTrustedProxies, pre.Masked())
	}
	c.WebNewSessionsPerHour = 30
	if v := getenv("WEB_NEW_SESSIONS_PER_HOUR"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("WEB_NEW_SESSIONS_PER_HOUR: want a positive number, got %q", v))
		}
		c.WebNewSessionsPerHour = n
	}
	return errs
}

// UsesRedis reports whether sessions live in Redis (else in memory).
func (c Config) UsesRedis() bool { return c.RedisURL != "" || len(c.RedisAddrs) > 0 }

func (c Config) checkRedis() []error {
	var errs []error
	if c.RedisURL != "" {
		if len(c.RedisAddrs) > 0 {
			errs = append(errs, errors.New("REDIS_URL and REDIS_ADDRS are both set: use REDIS_URL for one server, REDIS_ADDRS for a cluster or Sentinels"))
		}
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			errs = append(errs, errors.New("REDIS_URL: want redis://[:password@]host:port[/db] or rediss:// for TLS"))
		}
	}
	if c.RedisSentinelPass != "" && c.RedisSentinelMaster == "" {
		errs = append(errs, errors.New("REDIS_SENTINEL_PASSWORD is set but REDIS_SENTINEL_MASTER is not"))
	}
	if c.RedisSentinelMaster != "" && len(c.RedisAddrs) == 0 {
		errs = append(errs, errors.New("REDIS_SENTINEL_MASTER needs REDIS_ADDRS, the Sentinels' host:port list"))
	}
	for _, a := range c.RedisAddrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("REDIS_ADDRS: %q is not host:port", a))
		}
	}
	if strings.ContainsAny(c.RedisPrefix, "{} ") {
		errs = append(errs, fmt.Errorf("REDIS_PREFIX: %q must not contain braces or spaces", c.RedisPrefix))
	}
	return errs
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// secret reads NAME, or the file named by NAME_FILE (not both).
func secret(getenv Getenv, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("%s and %s_FILE are both set: keep one", name, name)
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(data)), nil
	}
	return v, nil
}

// Learned is TELEGRAM_GLOBAL_RATE unset: no ceiling, the overall pace is
// learned from Telegram's answers.
const Learned = -1

func rateText(r float64) string {
	if r == Learned {
		return "" // unset
	}
	return strconv.FormatFloat(r, 'g', -1, 64)
}

func rateSetting(getenv Getenv, name string, def float64) (float64, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%s: want messages per second (0 = no limit), got %q", name, v)
	}
	return f, nil
}

func duration(getenv Getenv, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: want a positive duration such as 720h, got %q", name, v)
	}
	return d, nil
}

// Redacted lists every setting as NAME=value for `bot config`, with secrets
// and passwords replaced, so it can be pasted into a support request.
func (c Config) Redacted() []string {
	secret := func(v string) string {
		if v == "" {
			return ""
		}
		return "(set, hidden)"
	}
	redisURL := c.RedisURL
	if u, err := url.Parse(redisURL); err == nil && u.User != nil {
		u.User = url.User(u.User.Username())
		redisURL = u.String() + " (password hidden)"
	}
	return []string{
		"TELEGRAM_BOT_TOKEN=" + secret(c.TelegramToken),
		"TELEGRAM_API_ENDPOINT=" + c.TelegramAPIEndpoint,
		"TELEGRAM_FILE_ENDPOINT=" + c.TelegramFileEndpoint,
		"WEBHOOK_URL=" + c.WebhookURL,
		"WEBHOOK_SECRET=" + secret(c.WebhookSecret),
		"WEBHOOK_ADDR=" + c.WebhookAddr,
		"TELEGRAM_GLOBAL_RATE=" + rateText(c.TelegramGlobalRate),
		fmt.Sprintf("TELEGRAM_CHAT_RATE=%g", c.TelegramChatRate),
		"REDIS_URL=" + redisURL,
		"REDIS_ADDRS=" + strings.Join(c.RedisAddrs, ","),
		"REDIS_SENTINEL_MASTER=" + c.RedisSentinelMaster,
		"REDIS_PASSWORD=" + secret(c.RedisPassword),
		"REDIS_SENTINEL_PASSWORD=" + secret(c.RedisSentinelPass),
		"REDIS_PREFIX=" + c.RedisPrefix,
		"REDIS_WAIT_REPLICAS=" + strconv.Itoa(c.RedisWaitReplicas),
		"REDIS_WAIT_TIMEOUT=" + c.RedisWaitTimeout.String(),
		"SESSION_TTL=" + c.SessionTTL.String(),
		"EVIDENCE_DIR=" + c.EvidenceDir,
		"EVIDENCE_S3_ENDPOINT=" + c.EvidenceS3.Endpoint,
		"EVIDENCE_S3_BUCKET=" + c.EvidenceS3.Bucket,
		"EVIDENCE_S3_REGION=" + c.EvidenceS3.Region,
		"EVIDENCE_S3_ACCESS_KEY=" + secret(c.EvidenceS3.AccessKey),
		"EVIDENCE_S3_SECRET_KEY=" + secret(c.EvidenceS3.SecretKey),
		"DATA_RETENTION=" + c.DataRetention.String(),
		"HTTP_ADDR=" + c.HTTPAddr,
		"WEB_ADDR=" + c.WebAddr,
		"WEB_TRUSTED_PROXIES=" + prefixes(c.WebTrustedProxies),
		"WEB_NEW_SESSIONS_PER_HOUR=" + strconv.Itoa(c.WebNewSessionsPerHour),
		"FLOWS_DIR=" + c.FlowsDir,
		"CONTENT_DIR=" + c.ContentDir,
		"LOG_LEVEL=" + c.LogLevel.String(),
		"LOG_FORMAT=" + c.LogFormat,
		"LOG_ID_KEY=" + secret(c.LogIDKey),
	}
}

func prefixes(ps []netip.Prefix) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ",")
}
