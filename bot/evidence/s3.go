package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config says where an S3-compatible store keeps the evidence
// (EVIDENCE_S3_*).
type S3Config struct {
	Endpoint  string // host:port, no scheme; see ParseS3Endpoint
	Secure    bool   // TLS
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // "" lets the client ask the server
	// CreateBucket makes the bucket when it is missing. Off by default, so
	// a mistyped bucket name stops the bot instead of scattering evidence
	// into a new bucket nobody backs up.
	CreateBucket bool
	// TempDir is where Put spools a file while hashing it; "" is os.TempDir().
	TempDir string
}

// S3 is a BlobStore in a bucket of an S3-compatible server, laid out like Dir:
//
//	users/KEY/SHA256  kept files; KEY is the same hash of the person's id (userKey)
//	users/KEY/.last   empty marker, rewritten on every Put: when the person
//	                  last sent something, even bytes that were already kept
type S3 struct {
	c      *minio.Client
	bucket string
	tmp    string
}

const lastMarker = ".last"

// NewS3 connects to the server and checks that the keys are accepted and the
// bucket is there (or makes it, with CreateBucket).
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("evidence: S3 needs an endpoint and a bucket")
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("evidence: S3 client for %s: %w", cfg.Endpoint, err)
	}
	s := &S3{c: c, bucket: cfg.Bucket, tmp: cfg.TempDir}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("evidence: S3 bucket %q at %s%s: %w", cfg.Bucket, cfg.Endpoint, hint(err), err)
	}
	if !ok && !cfg.CreateBucket {
		return nil, fmt.Errorf("evidence: S3 bucket %q at %s does not exist; create it first", cfg.Bucket, cfg.Endpoint)
	}
	if !ok {
		err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err != nil {
			return nil, fmt.Errorf("evidence: create S3 bucket %q at %s%s: %w", cfg.Bucket, cfg.Endpoint, hint(err), err)
		}
	}
	return s, nil
}

// Ping checks that the server answers and the bucket is there, for
// readiness probes.
func (s *S3) Ping(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("evidence: S3: %w", err)
	}
	if !ok {
		return fmt.Errorf("evidence: S3 bucket %q is gone", s.bucket)
	}
	return nil
}

// hint says what to check when the server turns the keys down. A HEAD
// answer often has no body, so the status is all there is; versitygw
// answers an unknown access key with 404 XAdminUserNotFound.
func hint(err error) string {
	e := minio.ToErrorResponse(err)
	switch {
	case e.StatusCode == http.StatusForbidden, e.Code == "InvalidAccessKeyId",
		e.Code == "SignatureDoesNotMatch", e.Code == "XAdminUserNotFound":
		return " (access denied: check the access key and secret key, and that they may use this bucket)"
	case e.StatusCode == http.StatusMovedPermanently, e.Code == "AuthorizationHeaderMalformed":
		return " (check the region)"
	}
	return ""
}

func userPrefix(user string) string { return "users/" + userKey(user) + "/" }

func isNotFound(err error) bool { return minio.ToErrorResponse(err).Code == minio.NoSuchKey }

// Put implements BlobStore. The name is the hash of the bytes, so they are
// spooled to a private temp file first and uploaded with a known size.
func (s *S3) Put(ctx context.Context, user string, r io.Reader, max int64) (Blob, error) {
	tmp, err := os.CreateTemp(s.tmp, "anning-evidence-*") // mode 0600
	if err != nil {
		return Blob{}, fmt.Errorf("evidence: temp file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(ctxReader{ctx, r}, max+1))
	if err == nil && n > max {
		return Blob{}, ErrTooLarge
	}
	if err != nil {
		return Blob{}, fmt.Errorf("evidence: write file: %w", err)
	}
	b := Blob{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}
	// The marker first: if the upload then fails, only a marker is left,
	// never a file the person was told was not kept.
	_, err = s.c.PutObject(ctx, s.bucket, userPrefix(user)+lastMarker, strings.NewReader(""), 0,
		minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return Blob{}, fmt.Errorf("evidence: mark activity: %w", err)
	}
	// Uploaded even when the same bytes are kept already: a fresh object
	// time keeps a retention sweep running meanwhile from removing it.
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return Blob{}, fmt.Errorf("evidence: rewind temp file: %w", err)
	}
	_, err = s.c.PutObject(ctx, s.bucket, userPrefix(user)+b.SHA256, tmp, n, minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return Blob{}, fmt.Errorf("evidence: upload: %w", err)
	}
	return b, nil
}

// Open implements BlobStore. The object is fetched here, not on first Read,
// so a missing file is ErrNotFound from Open itself.
func (s *S3) Open(ctx context.Context, user, sha string) (io.ReadCloser, error) {
	if !shaRe.MatchString(sha) {
		return nil, ErrNotFound
	}
	obj, err := s.c.GetObject(ctx, s.bucket, userPrefix(user)+sha, minio.GetObjectOptions{})
	if err == nil {
		_, err = obj.Stat()
		if err != nil {
			obj.Close()
		}
	}
	if isNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("evidence: open: %w", err)
	}
	return obj, nil
}

// Remove implements BlobStore.
func (s *S3) Remove(ctx context.Context, user, sha string) error {
	if !shaRe.MatchString(sha) {
		return ErrNotFound
	}
	key := userPrefix(user) + sha
	// S3 deletes a missing key without complaint; ask first.
	_, err := s.c.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if isNotFound(err) {
		return ErrNotFound
	}
	if err == nil {
		err = s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	}
	if err != nil {
		return fmt.Errorf("evidence: remove: %w", err)
	}
	return nil
}

// RemoveUser implements BlobStore.
func (s *S3) RemoveUser(ctx context.Context, user string) (int, error) {
	return s.removeUnder(ctx, userPrefix(user), time.Time{})
}

// RemoveIdle implements BlobStore. A person's last activity is the newest
// object under their prefix (the marker, unless it was lost).
func (s *S3) RemoveIdle(ctx context.Context, before time.Time) (int, error) {
	last := map[string]time.Time{}
	for o := range s.c.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: "users/", Recursive: true}) {
		if o.Err != nil {
			return 0, fmt.Errorf("evidence: list: %w", o.Err)
		}
		key, _, ok := strings.Cut(strings.TrimPrefix(o.Key, "users/"), "/")
		if ok && o.LastModified.After(last[key]) {
			last[key] = o.LastModified
		}
	}
	// The listing just stops when the context ends.
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("evidence: list: %w", err)
	}
	total := 0
	for key, t := range last {
		if !t.Before(before) {
			continue
		}
		// Only objects older than before go: a file sent while this runs
		// (and its marker) stays.
		n, err := s.removeUnder(ctx, "users/"+key+"/", before)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// removeUnder erases the objects under prefix (those last written before
// olderThan, unless it is zero) and counts the evidence files among them.
func (s *S3) removeUnder(ctx context.Context, prefix string, olderThan time.Time) (int, error) {
	var objs []minio.ObjectInfo
	for o := range s.c.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return 0, fmt.Errorf("evidence: list: %w", o.Err)
		}
		if olderThan.IsZero() || o.LastModified.Before(olderThan) {
			objs = append(objs, o)
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("evidence: list: %w", err)
	}
	if len(objs) == 0 {
		return 0, nil
	}
	results, err := s.c.RemoveObjectsWithIter(ctx, s.bucket, slices.Values(objs), minio.RemoveObjectsOptions{})
	if err != nil {
		return 0, fmt.Errorf("evidence: erase: %w", err)
	}
	n := 0
	var first error
	for res := range results {
		switch {
		case res.Err != nil:
			if first == nil {
				first = res.Err
			}
		case shaRe.MatchString(path.Base(res.ObjectName)):
			n++
		}
	}
	if first == nil {
		first = ctx.Err() // the removal, too, just stops
	}
	if first != nil {
		return n, fmt.Errorf("evidence: erase: %w", first)
	}
	return n, nil
}
