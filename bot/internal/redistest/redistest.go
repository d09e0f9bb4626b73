// Package redistest gives tests a Redis to talk to: the real redis-server
// named by ANNING_TEST_REDIS_URL when the environment provides one (CI does),
// otherwise an in-process miniredis for quick local runs.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// EnvURL names the variable that points tests at a real redis-server.
const EnvURL = "ANNING_TEST_REDIS_URL"

// Server is a Redis for one test.
type Server struct {
	URL    string
	Real   bool
	Mini   *miniredis.Miniredis // nil for a real server
	Prefix string               // a key prefix no other test uses
}

// Open returns the real server when configured, else a fresh miniredis.
func Open(t testing.TB) *Server {
	t.Helper()
	if url := os.Getenv(EnvURL); url != "" {
		return &Server{URL: url, Real: true, Prefix: uniquePrefix()}
	}
	m := miniredis.RunT(t)
	return &Server{URL: "redis://" + m.Addr(), Mini: m, Prefix: uniquePrefix()}
}

// Real returns the real redis-server, or skips the test when the environment
// does not ask for one. Under CI (CI set) a missing server fails the test:
// CI must never pass without the real-Redis tests.
func Real(t testing.TB) *Server {
	t.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run the real-Redis tests (.ci/run starts redis-server)", EnvURL)
		}
		t.Skipf("set %s=redis://127.0.0.1:PORT to run against a real redis-server", EnvURL)
	}
	return &Server{URL: url, Real: true, Prefix: uniquePrefix()}
}

// Client returns a go-redis client for the server, closed with the test.
func (s *Server) Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	opt, err := redis.ParseURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", s.URL, err)
	}
	return c
}

func uniquePrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "anningtest" + hex.EncodeToString(b)
}
