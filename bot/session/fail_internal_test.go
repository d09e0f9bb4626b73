package session

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// redisReply is an error reply as go-redis returns it.
type redisReply string

func (e redisReply) Error() string { return string(e) }
func (redisReply) RedisError()     {}

var _ redis.Error = redisReply("")

// Error replies mean "not applied", except those a retry meets after a
// restart or failover (the first attempt may have landed); network errors
// and timeouts never do.
func TestFailMarksOnlyDefiniteRefusals(t *testing.T) {
	for err, refused := range map[error]bool{
		redisReply("OOM command not allowed when used memory > 'maxmemory'."):                          true,
		redisReply("NOPERM this user has no permissions to run the 'set' command"):                     true,
		redisReply("ERR The user executing the script can't run this command or subcommand script: x"): true,
		redisReply("WRONGPASS invalid username-password pair or user is disabled."):                    true,
		redisReply("LOADING Redis is loading the dataset in memory"):                                   false,
		redisReply("READONLY You can't write against a read only replica."):                            false,
		redisReply("MASTERDOWN Link with MASTER is down"):                                              false,
		redis.Nil:                           false,
		context.DeadlineExceeded:            false,
		errors.New("read tcp: i/o timeout"): false,
		fmt.Errorf("pipeline: %w", redisReply("OOM command not allowed")): true,
	} {
		if got := errors.Is(fail("put", err), ErrRefused); got != refused {
			t.Errorf("%v: refused %v, want %v", err, got, refused)
		}
	}
}
