package session

import (
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisConfig says how to reach Redis. Exactly one of URL (one server) or
// Addrs (a cluster's seed nodes, or the Sentinels when SentinelMaster is set)
// is used.
type RedisConfig struct {
	URL            string   // redis:// or rediss:// (TLS), may carry a password and db
	Addrs          []string // host:port list
	SentinelMaster string   // with Addrs: the Sentinel master name
	Password       string   // overrides the URL's password
	SentinelPass   string   // the Sentinels' own password, when they have one
	Timeout        time.Duration
}

// slogPrinter routes go-redis's own messages (reconnects, pool errors) into
// the bot's structured log instead of stderr. They name addresses, never data.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(ctx context.Context, format string, v ...any) {
	p.log.WarnContext(ctx, "redis client", "msg", fmt.Sprintf(format, v...))
}

// SetRedisLogger sends go-redis's internal messages to log.
func SetRedisLogger(log *slog.Logger) { redis.SetLogger(slogPrinter{log}) }

// NewRedisClient builds a client for one server, a Sentinel-managed master or
// a cluster. Every command is bounded by the context's deadline and Timeout.
func NewRedisClient(c RedisConfig) (redis.UniversalClient, error) {
	if c.Timeout == 0 {
		c.Timeout = 2 * time.Second
	}
	opts := &redis.UniversalOptions{
		Addrs:                 c.Addrs,
		MasterName:            c.SentinelMaster,
		Password:              c.Password,
		SentinelPassword:      c.SentinelPass,
		DialTimeout:           c.Timeout,
		ReadTimeout:           c.Timeout,
		WriteTimeout:          c.Timeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
		// RESP2: the bot uses no server push, and RESP3 makes the client look
		// for pending pushes around every command (~5% of a turn's CPU).
		Protocol:      2,
		IsClusterMode: c.URL == "" && c.SentinelMaster == "",
	}
	if c.URL != "" {
		u, err := redis.ParseURL(c.URL)
		if err != nil {
			return nil, fmt.Errorf("session: REDIS_URL: %w", err)
		}
		opts.Addrs = []string{u.Addr}
		opts.Username, opts.DB = u.Username, u.DB
		if opts.Password == "" {
			opts.Password = u.Password
		}
		if u.TLSConfig != nil {
			opts.TLSConfig = u.TLSConfig
		}
	}
	if len(opts.Addrs) == 0 {
		return nil, errors.New("session: no Redis address")
	}
	if opts.TLSConfig != nil && opts.TLSConfig.MinVersion == 0 {
		opts.TLSConfig.MinVersion = tls.VersionTLS12
	}
	return redis.NewUniversalClient(opts), nil
}

// Redis is the production Store. Key layout (PREFIX defaults to "anning"; the
// {u:ID} hash tag keeps all of one user's keys in one cluster slot):
//
//	PREFIX:{u:ID}:session          string "REV|STATE_JSON", expires after the idle TTL
//	PREFIX:{u:ID}:session:replies  "SEQ|KEPT": the last turn's replies until
//	                               delivered, then "SEQ|"; the shorter of 24 h and the idle TTL
//	PREFIX:{u:ID}:evidence         the evidence ledger (see Record), expires after DATA_RETENTION
//	PREFIX:upd:ID                  de-duplication marker of a platform update (FirstSeen)
//	PREFIX:erased:SEQ              the platform update SEQ erased someone's data (48 h; no user id)
//	PREFIX:outbox                  sorted set: people whose replies wait to go out (Outbox), by due time (ms)
//
// Each record is erased by the part of the bot that keeps it (chat.Eraser).
type Redis struct {
	client redis.UniversalClient
	prefix string
	suffix string // the record this store keeps: "session", "evidence"...
	ttl    time.Duration

	waitReplicas int           // 0: do not wait for replicas
	waitTimeout  time.Duration // how long a write waits for them
}

// NewRedis returns a store over client; ttl is the sliding idle expiry.
func NewRedis(client redis.UniversalClient, prefix string, ttl time.Duration) *Redis {
	if prefix == "" {
		prefix = "anning"
	}
	return &Redis{client: client, prefix: prefix, suffix: "session", ttl: ttl}
}

// Record returns a store over the same Redis for another per-user record
// (key PREFIX:{u:ID}:SUFFIX) with its own expiry; its Delete erases only that
// record. The evidence ledger is kept this way, as long as DATA_RETENTION.
func (r *Redis) Record(suffix string, ttl time.Duration) *Redis {
	c := *r
	c.suffix, c.ttl = suffix, ttl
	return &c
}

// WaitForReplicas makes every write and erasure wait (Redis WAIT, on the
// connection that wrote) until n replicas have it, at most timeout; after
// that the turn goes on, as without replicas. Replication is asynchronous:
// without this, a write the master acknowledged just before it died can be
// missing on the replica Sentinel promotes. Not for a Cluster (the client
// would not send WAIT on the connection that wrote). It applies to records
// made by Record afterwards too.
func (r *Redis) WaitForReplicas(n int, timeout time.Duration) *Redis {
	r.waitReplicas, r.waitTimeout = n, timeout
	return r
}

// write runs a write script; with WaitForReplicas, followed by WAIT on the
// same connection (one pipeline, one round trip).
func (r *Redis) write(ctx context.Context, s *redis.Script, keys []string, args ...any) (int64, error) {
	if r.waitReplicas == 0 {
		return s.Run(ctx, r.client, keys, args...).Int64()
	}
	run := func(sha bool) (*redis.Cmd, error) {
		var res *redis.Cmd
		_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			if sha {
				res = s.EvalSha(ctx, p, keys, args...)
			} else {
				res = s.Eval(ctx, p, keys, args...) // a new master has no scripts cached
			}
			p.Do(ctx, "WAIT", r.waitReplicas, r.waitTimeout.Milliseconds())
			return nil
		})
		return res, err
	}
	res, err := run(true)
	if redis.HasErrorPrefix(res.Err(), "NOSCRIPT") {
		res, err = run(false)
	}
	if res.Err() == nil {
		return res.Int64() // written; a failed WAIT only means it may not be replicated yet
	}
	if err == nil {
		err = res.Err()
	}
	return 0, err
}

// fail wraps a Redis error for op. An error reply from the server (OOM under
// maxmemory, NOPERM from an ACL, WRONGPASS...) means the command was not
// carried out: it is marked ErrRefused. Anything else (a timeout, a broken
// connection) leaves it unknown whether a write landed, and so do the
// replies of a restart or failover (see inTransition).
func fail(op string, err error) error {
	var reply redis.Error
	if errors.As(err, &reply) && !errors.Is(err, redis.Nil) && !errors.Is(err, redis.TxFailedErr) && !inTransition(err) {
		return fmt.Errorf("session: redis %s: %w: %w", op, ErrRefused, err)
	}
	return fmt.Errorf("session: redis %s: %w", op, err)
}

// inTransition reports the error replies of a server restarting (LOADING)
// or of a failover or resharding under way. The client retries a command
// once after a broken connection, and these are what that retry meets when
// the server went away: the first attempt may have landed before it did.
func inTransition(err error) bool {
	for _, p := range []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN"} {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}

// braces would break the hash tag; user ids are numbers in practice.
var tagSafe = strings.NewReplacer("{", "%7B", "}", "%7D")

// UserKey returns the key of one of a user's records.
func (r *Redis) UserKey(user, suffix string) string {
	return r.prefix + ":{u:" + tagSafe.Replace(user) + "}:" + suffix
}

// putScript writes only if the stored revision is still the one read (and,
// given ARGV[6], the stored value's SHA-1 is still that), then sets the
// sliding expiry, in one atomic step. Given a second key, it also sets (or,
// given "", removes) the kept replies there, expiring after ARGV[5].
var putScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
local cur = 0
if v then cur = tonumber(string.match(v, '^(%d+)|')) or 0 end
if cur ~= tonumber(ARGV[1]) then return -1 end
if ARGV[6] and ARGV[6] ~= '' and (not v or redis.sha1hex(v) ~= ARGV[6]) then return -1 end
local nr = cur + 1
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], nr .. '|' .. ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], nr .. '|' .. ARGV[2])
end
if #KEYS > 1 then
  if ARGV[4] == '' then
    redis.call('DEL', KEYS[2])
  else
    redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
  end
end
return nr
`)

// repliesTTL keeps the replies no longer than the session they belong to.
func (r *Redis) repliesTTL() time.Duration {
	if r.ttl > 0 && r.ttl < RepliesTTL {
		return r.ttl
	}
	return RepliesTTL
}

// repliesKey is where a record's kept replies live, in the user's slot.
func (r *Redis) repliesKey(user string) string { return r.UserKey(user, r.suffix+":replies") }

// Get implements Store with one GET.
func (r *Redis) Get(ctx context.Context, user string) (Entry, error) {
	v, err := r.client.Get(ctx, r.UserKey(user, r.suffix)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Entry{}, nil
	}
	if err != nil {
		return Entry{}, fail("get", err)
	}
	revText, data, ok := strings.Cut(string(v), "|")
	rev, perr := strconv.ParseInt(revText, 10, 64)
	if !ok || perr != nil {
		// Not written by this store (or damaged): treat it as absent, so the
		// person starts afresh instead of being told "busy" until it expires;
		// the put script reads it as revision 0 too.
		return Entry{}, nil
	}
	return Entry{Data: []byte(data), Rev: rev}, nil
}

// Put implements Store with one EVALSHA of the compare-and-set script.
func (r *Redis) Put(ctx context.Context, user string, data []byte, rev int64) (int64, error) {
	n, err := r.write(ctx, putScript, []string{r.UserKey(user, r.suffix)}, rev, data, r.ttl.Milliseconds())
	if err != nil {
		return 0, fail("put", err)
	}
	if n < 0 {
		return 0, ErrConflict
	}
	return n, nil
}

// PutWithReplies implements ReplyKeeper with one EVALSHA: the session and
// the replies ("SEQ|REPLIES") are written together or not at all.
func (r *Redis) PutWithReplies(ctx context.Context, user string, data []byte, kept Kept, rev int64) (int64, error) {
	keys := []string{r.UserKey(user, r.suffix), r.repliesKey(user)}
	value := ""
	if kept.Seq != 0 {
		value = strconv.FormatInt(kept.Seq, 10) + "|" + string(kept.Replies)
	}
	n, err := r.write(ctx, putScript, keys, rev, data, r.ttl.Milliseconds(), value, r.repliesTTL().Milliseconds())
	if err != nil {
		return 0, fail("put", err)
	}
	if n < 0 {
		return 0, ErrConflict
	}
	return n, nil
}

// PutOver implements Overwriter with one EVALSHA: the put script, told the
// SHA-1 of the value it must find.
func (r *Redis) PutOver(ctx context.Context, user string, data []byte, kept Kept, prev Entry) (int64, error) {
	h := sha1.New() // of the stored value, "REV|DATA"
	h.Write(strconv.AppendInt(nil, prev.Rev, 10))
	h.Write([]byte{'|'})
	h.Write(prev.Data)
	keys := []string{r.UserKey(user, r.suffix)}
	value := ""
	if kept.Seq != 0 {
		keys = append(keys, r.repliesKey(user))
		value = strconv.FormatInt(kept.Seq, 10) + "|" + string(kept.Replies)
	}
	n, err := r.write(ctx, putScript, keys, prev.Rev, data, r.ttl.Milliseconds(), value, r.repliesTTL().Milliseconds(), hex.EncodeToString(h.Sum(nil)))
	if err != nil {
		return 0, fail("put", err)
	}
	if n < 0 {
		return 0, ErrConflict
	}
	return n, nil
}

// Replies implements ReplyKeeper with one GET.
func (r *Redis) Replies(ctx context.Context, user string) (Kept, error) {
	v, err := r.client.Get(ctx, r.repliesKey(user)).Result()
	if errors.Is(err, redis.Nil) {
		return Kept{}, nil
	}
	if err != nil {
		return Kept{}, fail("get replies", err)
	}
	seqText, replies, _ := strings.Cut(v, "|")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil {
		return Kept{}, nil // not written by this store: as if nothing were kept
	}
	k := Kept{Seq: seq}
	if replies != "" {
		k.Replies = []byte(replies)
	}
	return k, nil
}

// deliveredScript keeps only "SEQ|" once the replies of SEQ arrived, unless
// a newer turn's replies replaced them meanwhile.
var deliveredScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
  redis.call('SET', KEYS[1], ARGV[1] .. '|', 'PX', ARGV[2])
end
return 0
`)

// Delivered implements ReplyKeeper with one EVALSHA.
func (r *Redis) Delivered(ctx context.Context, user string, seq int64) error {
	err := deliveredScript.Run(ctx, r.client, []string{r.repliesKey(user)}, strconv.FormatInt(seq, 10), r.repliesTTL().Milliseconds()).Err()
	if err != nil {
		return fail("delivered", err)
	}
	return nil
}

// DeliveredAll implements BatchDeliverer: one EVALSHA per delivery, all in
// one pipeline (split by node on a cluster).
func (r *Redis) DeliveredAll(ctx context.Context, ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	ttl := r.repliesTTL().Milliseconds()
	run := func(sha bool) ([]redis.Cmder, error) {
		return r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, d := range ds {
				keys, seq := []string{r.repliesKey(d.User)}, strconv.FormatInt(d.Seq, 10)
				if sha {
					deliveredScript.EvalSha(ctx, p, keys, seq, ttl)
				} else {
					deliveredScript.Eval(ctx, p, keys, seq, ttl) // the server has not cached the script
				}
			}
			return nil
		})
	}
	cmds, err := run(true)
	for _, c := range cmds {
		if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			_, err = run(false)
			break
		}
	}
	if err != nil {
		return fail("delivered", err)
	}
	return nil
}

// Delete implements Store: the user's record and its kept replies go in one
// round trip; the count is of records (0 or 1).
func (r *Redis) Delete(ctx context.Context, user string) (int, error) {
	var rec *redis.IntCmd
	pipelined := r.client.TxPipelined
	if r.waitReplicas > 0 {
		pipelined = r.client.Pipelined // WAIT is refused inside MULTI
	}
	_, err := pipelined(ctx, func(p redis.Pipeliner) error {
		rec = p.Del(ctx, r.UserKey(user, r.suffix))
		p.Del(ctx, r.repliesKey(user))
		if r.waitReplicas > 0 {
			p.Do(ctx, "WAIT", r.waitReplicas, r.waitTimeout.Milliseconds()) // an erasure lost in a failover would bring the data back
		}
		return nil
	})
	if err != nil {
		return 0, fail("delete", err)
	}
	return int(rec.Val()), nil
}

// FirstSeen implements Deduper with SET NX: true the first time id is seen
// within the retention window.
func (r *Redis) FirstSeen(ctx context.Context, id string) (bool, error) {
	ok, err := r.client.SetNX(ctx, r.prefix+":upd:"+id, 1, DedupeWindow).Result()
	if err != nil {
		return false, fail("dedupe", err)
	}
	return ok, nil
}

// MarkErased implements Tombstones with one SET (PREFIX:erased:SEQ, 48 h).
func (r *Redis) MarkErased(ctx context.Context, seq int64) error {
	if err := r.client.Set(ctx, r.prefix+":erased:"+strconv.FormatInt(seq, 10), 1, DedupeWindow).Err(); err != nil {
		return fail("mark erased", err)
	}
	return nil
}

// Erased implements Tombstones with one EXISTS.
func (r *Redis) Erased(ctx context.Context, seq int64) (bool, error) {
	n, err := r.client.Exists(ctx, r.prefix+":erased:"+strconv.FormatInt(seq, 10)).Result()
	if err != nil {
		return false, fail("erased", err)
	}
	return n > 0, nil
}

// Probe checks that Redis takes a small write within the prefix (key
// PREFIX:ready, kept 10 s), for readiness: a PING passes on a server that is
// full (maxmemory with noeviction) or whose ACL forbids the bot's writes. A
// refusal names the likely cause.
func (r *Redis) Probe(ctx context.Context) error {
	err := r.client.Set(ctx, r.prefix+":ready", 1, 10*time.Second).Err()
	if err == nil {
		return nil
	}
	hint := ""
	switch {
	case redis.HasErrorPrefix(err, "WRONGPASS"), redis.HasErrorPrefix(err, "NOAUTH"), redis.HasErrorPrefix(err, "AUTH"):
		hint = " (the user or password is wrong: check REDIS_URL and REDIS_PASSWORD)"
	case redis.HasErrorPrefix(err, "NOPERM"):
		hint = " (the ACL user may not write " + r.prefix + ":*)"
	case redis.HasErrorPrefix(err, "OOM"):
		hint = " (Redis is full: maxmemory reached with noeviction)"
	case redis.HasErrorPrefix(err, "READONLY"):
		hint = " (connected to a read-only replica)"
	}
	return fail("probe"+hint, err)
}

// Ping checks that Redis answers, for readiness probes.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fail("ping", err)
	}
	return nil
}

func (r *Redis) outboxKey() string { return r.prefix + ":outbox" }

// Hold implements Outbox with one ZADD.
func (r *Redis) Hold(ctx context.Context, user string, due time.Time) error {
	if err := r.client.ZAdd(ctx, r.outboxKey(), redis.Z{Score: float64(due.UnixMilli()), Member: user}).Err(); err != nil {
		return fail("hold", err)
	}
	return nil
}

// Release implements Outbox with one ZREM.
func (r *Redis) Release(ctx context.Context, user string) error {
	if err := r.client.ZRem(ctx, r.outboxKey(), user).Err(); err != nil {
		return fail("release", err)
	}
	return nil
}

// dueScript takes up to ARGV[3] members due by ARGV[1] and moves each one's
// score to ARGV[2], in one atomic step.
var dueScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], m) end
return due
`)

// Due implements Outbox with one EVALSHA, oldest first.
func (r *Redis) Due(ctx context.Context, now time.Time, lease time.Duration, n int) ([]string, error) {
	due, err := dueScript.Run(ctx, r.client, []string{r.outboxKey()}, now.UnixMilli(), now.Add(lease).UnixMilli(), n).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fail("due", err)
	}
	return due, nil
}
