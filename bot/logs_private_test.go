package main

import (
	"regexp"
	"strings"
	"testing"
)

// logTime matches the time stamp a JSON or text log line starts with.
var logTime = regexp.MustCompile(`(?m)^(\{"time":"[^"]*"|time=\S+)`)

// checkNoSecrets fails the test for each secret the bot's logs hold.
//
// Short numbers (a hotline such as 95188) are only found standing alone:
// the time stamps' nanoseconds and other figures are digits that hold any
// five of them now and then by chance (a CI run once failed so). A longer
// number, like a mobile phone, is found anywhere, even inside "+86...".
func checkNoSecrets(t *testing.T, logs string, secrets []string) {
	t.Helper()
	logs = logTime.ReplaceAllString(logs, "")
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		if leaked(logs, secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
}

// leaked says whether secret occurs in logs, alone if it is a short number.
func leaked(logs, secret string) bool {
	if !isShortNumber(secret) {
		return strings.Contains(logs, secret)
	}
	for from := 0; ; {
		i := strings.Index(logs[from:], secret)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(secret)
		if !inNumber(logs, start-1, -1) && !inNumber(logs, end, 1) {
			return true
		}
		from = start + 1
	}
}

// isShortNumber reports digits (and dashes) fewer than 9 digits long,
// which chance alone can put in a long log.
func isShortNumber(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch {
		case isDigit(s[i]):
			digits++
		case s[i] != '-':
			return false
		}
	}
	return digits > 0 && digits < 9
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// inNumber says whether the byte at i continues a number: a digit, or a
// decimal point with a digit beyond it (dir is the side away from the match),
// as in "dur=1.95188ms".
func inNumber(s string, i, dir int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	if isDigit(s[i]) {
		return true
	}
	j := i + dir
	return s[i] == '.' && j >= 0 && j < len(s) && isDigit(s[j])
}

func TestCheckNoSecretsFindsLeaksNotChance(t *testing.T) {
	chance := `{"time":"2026-12-02T14:53:51.95188Z","level":"INFO","msg":"turn","ms":1.951883}
time=2026-12-02T14:53:51.951880+00:00 level=INFO msg=ok
`
	leak := chance + `{"time":"2026-12-02T14:53:52Z","msg":"x","phone":"+8613812345678","text":"请拨95188"}
`
	cases := []struct {
		logs, secret string
		want         bool
	}{
		{chance, "95188", false}, // in time stamps and a figure only
		{chance, "51883", false},
		{`dur=1.95188ms`, "95188", false}, // a figure's decimals
		{leak, "95188", true},             // alone, after Chinese text
		{leak, "13812345678", true},       // a long number counts inside a longer one
		{leak, "0755-26543210", false},
	}
	for _, c := range cases {
		if got := leaked(logTime.ReplaceAllString(c.logs, ""), c.secret); got != c.want {
			t.Errorf("leaked(%q) = %v, want %v", c.secret, got, c.want)
		}
	}
}
