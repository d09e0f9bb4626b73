// Package evidence keeps what people send as evidence: the files themselves
// (content-addressed, written atomically, one folder per person), their
// real type read from the bytes, and the text OCR finds in them.
package evidence

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// ErrTooLarge means a file was bigger than the limit it was given; nothing
// of it was kept.
var ErrTooLarge = errors.New("evidence: file too large")

// ErrNotFound means no such file is kept for the person.
var ErrNotFound = errors.New("evidence: no such file")

// Blob is a kept file, named by the SHA-256 of its bytes.
type Blob struct {
	SHA256 string
	Size   int64
}

// BlobStore keeps files per person.
type BlobStore interface {
	// Put reads r to its end (at most max bytes) and keeps it; the same
	// bytes twice are kept once.
	Put(ctx context.Context, user string, r io.Reader, max int64) (Blob, error)
	Open(ctx context.Context, user, sha string) (io.ReadCloser, error)
	Remove(ctx context.Context, user, sha string) error
	// RemoveUser erases every file of the person and says how many.
	RemoveUser(ctx context.Context, user string) (int, error)
	// RemoveIdle erases the files of everyone who sent nothing since before.
	RemoveIdle(ctx context.Context, before time.Time) (int, error)
}

// Dir is a BlobStore in a folder (EVIDENCE_DIR):
//
//	DIR/tmp/              files being written
//	DIR/users/KEY/SHA256  kept files; KEY is a hash of the person's id (userKey)
type Dir struct {
	root string
}

// NewDir opens (and creates) the folder.
func NewDir(root string) (*Dir, error) {
	for _, sub := range []string{"tmp", "users"} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o700); err != nil {
			return nil, fmt.Errorf("evidence: create %s: %w", sub, err)
		}
	}
	return &Dir{root: root}, nil
}

var shaRe = regexp.MustCompile(`^[0-9a-f]{64}$`)

// userKey names a person's folder (Dir) or key prefix (S3) by a hash of
// their id, so no path is ever built from anything a person sent and no id
// is written out. It is not a secret: whoever holds the storage and guesses
// an id can confirm it (and holds the evidence itself anyway).
func userKey(user string) string {
	h := sha256.Sum256([]byte("anning-evidence-user:" + user))
	return hex.EncodeToString(h[:16])
}

func (d *Dir) userDir(user string) string {
	return filepath.Join(d.root, "users", userKey(user))
}

// Put implements BlobStore: temp file, fsync, rename, fsync of the folder.
func (d *Dir) Put(ctx context.Context, user string, r io.Reader, max int64) (Blob, error) {
	tmp, err := d.tempFile()
	if err != nil {
		return Blob{}, err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(ctxReader{ctx, r}, max+1))
	if err == nil && n > max {
		err = ErrTooLarge
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if !errors.Is(err, ErrTooLarge) {
			err = fmt.Errorf("evidence: write file: %w", err)
		}
		return Blob{}, err
	}
	b := Blob{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}
	dir := d.userDir(user)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Blob{}, fmt.Errorf("evidence: create folder: %w", err)
	}
	final := filepath.Join(dir, b.SHA256)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Blob{}, fmt.Errorf("evidence: keep file: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return Blob{}, err
	}
	now := time.Now()
	_ = os.Chtimes(dir, now, now) // the folder's time says when the person last sent something
	return b, nil
}

func (d *Dir) tempFile() (*os.File, error) {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	f, err := os.OpenFile(filepath.Join(d.root, "tmp", hex.EncodeToString(rnd[:])), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("evidence: temp file: %w", err)
	}
	return f, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("evidence: sync folder: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("evidence: sync folder: %w", err)
	}
	return nil
}

// Open implements BlobStore.
func (d *Dir) Open(_ context.Context, user, sha string) (io.ReadCloser, error) {
	if !shaRe.MatchString(sha) {
		return nil, ErrNotFound
	}
	f, err := os.Open(filepath.Join(d.userDir(user), sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("evidence: open: %w", err)
	}
	return f, nil
}

// Remove implements BlobStore.
func (d *Dir) Remove(_ context.Context, user, sha string) error {
	if !shaRe.MatchString(sha) {
		return ErrNotFound
	}
	err := os.Remove(filepath.Join(d.userDir(user), sha))
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("evidence: remove: %w", err)
	}
	return nil
}

// RemoveUser implements BlobStore.
func (d *Dir) RemoveUser(_ context.Context, user string) (int, error) {
	return removeFolder(d.userDir(user))
}

// RemoveIdle implements BlobStore.
func (d *Dir) RemoveIdle(_ context.Context, before time.Time) (int, error) {
	entries, err := os.ReadDir(filepath.Join(d.root, "users"))
	if err != nil {
		return 0, fmt.Errorf("evidence: list: %w", err)
	}
	total := 0
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.IsDir() || !info.ModTime().Before(before) {
			continue
		}
		n, err := removeFolder(filepath.Join(d.root, "users", e.Name()))
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func removeFolder(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("evidence: list: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return 0, fmt.Errorf("evidence: erase: %w", err)
	}
	return len(entries), nil
}

// ctxReader stops a long copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
