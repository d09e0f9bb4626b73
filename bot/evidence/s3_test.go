package evidence_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/anning-bot/anning/bot/evidence"
	"github.com/anning-bot/anning/bot/internal/s3test"
)

func s3Config(srv *s3test.Server) evidence.S3Config {
	return evidence.S3Config{
		Endpoint:  srv.Endpoint,
		Secure:    srv.Secure,
		Bucket:    srv.Bucket,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
	}
}

func newS3(t *testing.T, cfg evidence.S3Config) *evidence.S3 {
	t.Helper()
	s, err := evidence.NewS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBlobStoreS3 runs the BlobStore conformance suite against a real S3
// server (versitygw in CI); .ci/run counts its passing subtests.
func TestBlobStoreS3(t *testing.T) {
	s3test.Real(t) // skip (or, under CI, fail) once rather than per subtest
	// LastModified is kept to the second.
	testBlobStore(t, func(t *testing.T) evidence.BlobStore {
		return newS3(t, s3Config(s3test.Real(t)))
	}, 1100*time.Millisecond)
}

// objectKeys lists every object in the bucket.
func objectKeys(t *testing.T, c *minio.Client, bucket string) []string {
	t.Helper()
	var out []string
	for o := range c.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

// In the bucket: one object per distinct content, named by its hash, under
// the same keyed-hash folder Dir uses, plus the activity marker.
func TestS3Layout(t *testing.T) {
	srv := s3test.Real(t)
	s := newS3(t, s3Config(srv))
	b := putString(t, s, "u-42", "催收短信截图")
	putString(t, s, "u-42", "催收短信截图")
	folder := "users/" + userKey("u-42") + "/"
	want := []string{folder + ".last", folder + b.SHA256}
	c := srv.Client(t)
	if got := objectKeys(t, c, srv.Bucket); !slices.Equal(got, want) {
		t.Fatalf("objects %v, want %v", got, want)
	}
	info, err := c.StatObject(ctx, srv.Bucket, folder+b.SHA256, minio.StatObjectOptions{})
	if err != nil || info.ContentType != "application/octet-stream" || info.Size != b.Size {
		t.Errorf("stat: %+v %v", info, err)
	}
	if _, err := s.RemoveUser(ctx, "u-42"); err != nil {
		t.Fatal(err)
	}
	if got := objectKeys(t, c, srv.Bucket); len(got) != 0 {
		t.Errorf("after erasing: %v", got)
	}
}

// A file over the limit, a broken download or a cancelled write leaves
// nothing in the bucket (not even the marker) and nothing in the spool.
func TestS3FailedPutKeepsNothing(t *testing.T) {
	srv := s3test.Real(t)
	cfg := s3Config(srv)
	cfg.TempDir = t.TempDir()
	s := newS3(t, cfg)
	if _, err := s.Put(ctx, "42", bytes.NewReader(make([]byte, 2048)), 1024); !errors.Is(err, evidence.ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := s.Put(ctx, "42", &failingReader{n: 5000}, 1<<20); err == nil {
		t.Fatal("a broken download was kept")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Put(cancelled, "42", strings.NewReader("x"), 1024); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled put: %v", err)
	}
	if got := objectKeys(t, srv.Client(t), srv.Bucket); len(got) != 0 {
		t.Errorf("kept: %v", got)
	}
	putString(t, s, "42", "fine")
	if left, _ := os.ReadDir(cfg.TempDir); len(left) != 0 {
		t.Errorf("spool files left: %d", len(left))
	}
}

// Big enough for minio-go to upload in parts (over 16 MiB), as a 20 MB
// photo would be.
func TestS3MultipartUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("17 MB upload")
	}
	s := newS3(t, s3Config(s3test.Real(t)))
	data := bytes.Repeat([]byte("0123456789abcdef"), 17<<16) // 17 MiB
	b, err := s.Put(ctx, "42", bytes.NewReader(data), 20<<20)
	if err != nil || b.SHA256 != sumHex(data) {
		t.Fatalf("put: %+v %v", b, err)
	}
	if got := readBlob(t, s, "42", b.SHA256); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, want %d", len(got), len(data))
	}
}

func TestS3MissingBucket(t *testing.T) {
	srv := s3test.Real(t)
	cfg := s3Config(srv)
	cfg.Bucket = s3test.UniqueBucket()
	_, err := evidence.NewS3(ctx, cfg)
	if err == nil || !strings.HasPrefix(err.Error(), "evidence: ") ||
		!strings.Contains(err.Error(), cfg.Bucket) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing bucket: %v", err)
	}
	cfg.CreateBucket = true
	c := srv.Client(t)
	t.Cleanup(func() { s3test.Erase(t, c, cfg.Bucket) })
	s := newS3(t, cfg)
	b := putString(t, s, "42", "into a new bucket")
	if got := objectKeys(t, c, cfg.Bucket); !slices.Contains(got, "users/"+userKey("42")+"/"+b.SHA256) {
		t.Errorf("objects in the new bucket: %v", got)
	}
}

func TestS3WrongCredentials(t *testing.T) {
	srv := s3test.Real(t)
	for name, cfg := range map[string]evidence.S3Config{
		"secret":     {SecretKey: "wrong-secret-k3y"},
		"access key": {AccessKey: "nobody", SecretKey: "wrong-secret-k3y"},
	} {
		cfg.Endpoint, cfg.Bucket = srv.Endpoint, srv.Bucket
		if cfg.AccessKey == "" {
			cfg.AccessKey = srv.AccessKey
		}
		_, err := evidence.NewS3(ctx, cfg)
		if err == nil {
			t.Fatalf("wrong %s accepted", name)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "evidence: ") || !strings.Contains(msg, "access key and secret key") {
			t.Errorf("wrong %s: unclear error %q", name, msg)
		}
		if strings.Contains(msg, cfg.SecretKey) {
			t.Errorf("wrong %s: the secret is in the error: %q", name, msg)
		}
	}
}

// Every call gives up when its context ends, with an error that says so.
func TestS3ContextHonoured(t *testing.T) {
	srv := s3test.Real(t)
	s := newS3(t, s3Config(srv))
	b := putString(t, s, "42", "kept")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "evidence: ") {
			t.Errorf("%s with a cancelled context: %v", what, err)
		}
	}
	_, err := s.Open(cancelled, "42", b.SHA256)
	check("open", err)
	check("remove", s.Remove(cancelled, "42", b.SHA256))
	_, err = s.RemoveUser(cancelled, "42")
	check("erase", err)
	_, err = s.RemoveIdle(cancelled, time.Now().Add(time.Hour))
	check("remove idle", err)
	_, err = evidence.NewS3(cancelled, s3Config(srv))
	check("connect", err)
	if got := readBlob(t, s, "42", b.SHA256); string(got) != "kept" {
		t.Errorf("after cancelled calls: %q", got)
	}
}
