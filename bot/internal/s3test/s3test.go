// Package s3test gives tests a real S3-compatible server to talk to: the one
// named by ANNING_TEST_S3_ENDPOINT (CI starts versitygw), with a fresh bucket
// for every test.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The variables that point tests at a real server.
const (
	EnvEndpoint  = "ANNING_TEST_S3_ENDPOINT" // http://127.0.0.1:PORT
	EnvAccessKey = "ANNING_TEST_S3_ACCESS_KEY"
	EnvSecretKey = "ANNING_TEST_S3_SECRET_KEY"
)

// Server is an S3 server and a bucket of one test's own.
type Server struct {
	Endpoint  string // host:port
	Secure    bool
	AccessKey string
	SecretKey string
	Bucket    string // exists, empty, removed with the test
}

// Real returns the configured server with a fresh bucket, or skips the test
// when the environment does not name one. Under CI (CI set) a missing server
// fails the test: CI must never pass without the real-S3 tests.
func Real(t testing.TB) *Server {
	t.Helper()
	raw := os.Getenv(EnvEndpoint)
	if raw == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run the real-S3 tests (.ci/run starts versitygw)", EnvEndpoint)
		}
		t.Skipf("set %s=http://127.0.0.1:PORT, %s and %s to run against a real S3 server such as versitygw",
			EnvEndpoint, EnvAccessKey, EnvSecretKey)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		t.Fatalf("%s: want http://host:port or https://host:port", EnvEndpoint)
	}
	s := &Server{
		Endpoint:  u.Host,
		Secure:    u.Scheme == "https",
		AccessKey: os.Getenv(EnvAccessKey),
		SecretKey: os.Getenv(EnvSecretKey),
		Bucket:    UniqueBucket(),
	}
	c := s.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.MakeBucket(ctx, s.Bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("S3 at %s: make bucket: %v", raw, err)
	}
	t.Cleanup(func() { Erase(t, c, s.Bucket) })
	return s
}

// Client returns a minio client for the server, to look at a bucket directly.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(s.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure: s.Secure,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// UniqueBucket returns a valid bucket name no other test uses.
func UniqueBucket() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "anningtest-" + hex.EncodeToString(b)
}

// Erase removes every object of a bucket and the bucket; a bucket that is
// already gone is fine.
func Erase(t testing.TB, c *minio.Client, bucket string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ok, err := c.BucketExists(ctx, bucket); err == nil && !ok {
		return
	}
	var objs []minio.ObjectInfo
	for o := range c.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Errorf("list bucket %s: %v", bucket, o.Err)
			return
		}
		objs = append(objs, o)
	}
	if len(objs) > 0 {
		res, err := c.RemoveObjectsWithIter(ctx, bucket, slices.Values(objs), minio.RemoveObjectsOptions{})
		if err != nil {
			t.Errorf("erase bucket %s: %v", bucket, err)
			return
		}
		for r := range res {
			if r.Err != nil {
				t.Errorf("erase bucket %s: %s: %v", bucket, r.ObjectName, r.Err)
			}
		}
	}
	if err := c.RemoveBucket(ctx, bucket); err != nil {
		t.Errorf("remove bucket %s: %v", bucket, err)
	}
}
