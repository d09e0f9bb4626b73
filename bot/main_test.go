package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anning-bot/anning/flows"
)

// withEvidenceDir keeps test evidence in a temporary folder.
func withEvidenceDir(t *testing.T, vars map[string]string) map[string]string {
	out := map[string]string{"EVIDENCE_DIR": t.TempDir()}
	for k, v := range vars {
		out[k] = v
	}
	return out
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func runBot(t *testing.T, input string, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	vars = withEvidenceDir(t, vars)
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(input), &out, &errOut, env(vars))
	return code, out.String(), errOut.String()
}

// The first thing a newcomer does: pipe a few lines into `go run ./bot`.
func TestConsoleDialogueFromPipe(t *testing.T) {
	code, out, errOut := runBot(t, "1\n1\n/law\n3\n/quit\n", nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"安宁 · 终端对话",
		"你好，这里是“安宁”",      // greeted without typing /start
		"1. 我的通讯录被爆了，怎么办", // numbered choices
		"> 1", // piped input is echoed so the dialogue reads whole
		"第一步：保存证据",
		"【法条】《中华人民共和国民法典》第一千零三十四条",
		"再见",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q", want)
		}
	}
	if strings.Count(out, "你好，这里是“安宁”") != 1 {
		t.Error("welcome shown more than once")
	}
}

func TestConsoleStartsWithTypedStartOnce(t *testing.T) {
	_, out, _ := runBot(t, "/start\n/help\n", nil)
	if n := strings.Count(out, "你好，这里是“安宁”"); n != 1 {
		t.Errorf("welcome shown %d times", n)
	}
	if !strings.Contains(out, "/delete 删除我的全部数据") {
		t.Error("help missing")
	}
}

func TestConsoleEmptyInputStillGreets(t *testing.T) {
	code, out, _ := runBot(t, "", nil)
	if code != 0 || !strings.Contains(out, "你想先了解哪一项") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func TestLintShippedFlows(t *testing.T) {
	code, out, errOut := runBot(t, "", nil, "lint")
	if code != 0 || !strings.HasPrefix(out, "ok: ") {
		t.Fatalf("lint exit %d: %s%s", code, out, errOut)
	}
}

// A broken copy of the flows must be refused with file:line:col, exit 1.
func TestLintBrokenCopy(t *testing.T) {
	dir := t.TempDir()
	entries, err := flows.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			data, _ := flows.FS.ReadFile(e.Name())
			if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	main := filepath.Join(dir, "main.yaml")
	data, _ := os.ReadFile(main)
	broken := strings.Replace(string(data), "flow: relatives", "flow: relative", 1)
	broken = strings.Replace(broken, "    next: menu\n", "    nxt: menu\n", 1)
	if err := os.WriteFile(main, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runBot(t, "", nil, "lint", dir)
	if code != 1 {
		t.Errorf("lint exit %d, want 1", code)
	}
	for _, want := range []string{
		filepath.Join(dir, "main.yaml") + ":",
		`unknown key "nxt" in a step (hint: did you mean "next"?)`,
		`unknown flow "relative" (hint: did you mean "relatives"?)`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("lint output lacks %q:\n%s", want, errOut)
		}
	}
	// The bot itself refuses to start on the broken copy, without panicking.
	code, _, errOut = runBot(t, "", map[string]string{"FLOWS_DIR": dir})
	if code != 1 || !strings.Contains(errOut, "main.yaml") {
		t.Errorf("bot started on broken flows: exit %d %s", code, errOut)
	}
}

func TestGraph(t *testing.T) {
	code, out, errOut := runBot(t, "", nil, "graph", "borrower")
	if code != 0 || !strings.Contains(out, "flowchart TD") || !strings.Contains(out, "five_steps") {
		t.Fatalf("graph exit %d: %s%s", code, out, errOut)
	}
	if code, _, errOut := runBot(t, "", nil, "graph", "nope"); code != 2 || !strings.Contains(errOut, `no flow "nope"`) {
		t.Errorf("graph of unknown flow: exit %d %s", code, errOut)
	}
}

func TestConfigProblemsListedTogether(t *testing.T) {
	code, _, errOut := runBot(t, "", map[string]string{"LOG_LEVEL": "loud", "SESSION_TTL": "soon", "FLOWS_DIR": "/no/such"})
	if code != 2 {
		t.Errorf("exit %d", code)
	}
	for _, want := range []string{"LOG_LEVEL", "SESSION_TTL", "FLOWS_DIR"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("config error lacks %s: %s", want, errOut)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	if code, _, errOut := runBot(t, "", nil, "serve"); code != 2 || !strings.Contains(errOut, "usage") {
		t.Errorf("exit %d %s", code, errOut)
	}
}
