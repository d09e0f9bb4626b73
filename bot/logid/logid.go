// Package logid keeps people's ids out of the logs: every log attribute named
// "user" is replaced by a keyed hash of it. The same person gets the same
// pseudonym for as long as the key stays the same (one process, or every
// replica sharing LOG_ID_KEY), so an operator can follow one conversation
// through the logs without learning who it is.
package logid

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
)

// Key is the attribute name that carries a user id in log calls.
const Key = "user"

// Pseudonymizer turns user ids into pseudonyms with a secret key.
type Pseudonymizer struct {
	key []byte
}

// New returns a pseudonymizer keyed with key; an empty key is replaced by a
// random one, so pseudonyms then only hold within this process.
func New(key string) Pseudonymizer {
	if key == "" {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		return Pseudonymizer{key: k}
	}
	return Pseudonymizer{key: []byte(key)}
}

// Of returns the pseudonym of a user id: "u-" and 12 hex digits of
// HMAC-SHA256, enough to tell people apart in logs and useless to reverse.
func (p Pseudonymizer) Of(user string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(user))
	return "u-" + hex.EncodeToString(m.Sum(nil)[:6])
}

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr that pseudonymises every
// "user" attribute, whatever group it is in, and chains to next if given.
func (p Pseudonymizer) ReplaceAttr(next func([]string, slog.Attr) slog.Attr) func([]string, slog.Attr) slog.Attr {
	return func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == Key {
			a.Value = slog.StringValue(p.Of(a.Value.String()))
		}
		if next != nil {
			return next(groups, a)
		}
		return a
	}
}
