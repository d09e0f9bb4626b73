package domain_test

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The layering of the bot, checked on the production code's imports (tests
// may wire real parts together): the shared types depend on nothing of the
// project; a transport reaches the engine and the stores only through
// domain and the runner's interfaces; the engine knows nothing of
// transports, stores, Redis or the web.

const module = "github.com/anning-bot/anning"

// moduleRoot is the folder of go.mod, two levels above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	return root
}

// deps returns every import of pkg (a path inside the module), direct or
// through other packages of the module, with the chain that brings each in.
func deps(t *testing.T, root, pkg string) map[string]string {
	t.Helper()
	via := map[string]string{}
	var walk func(p, chain string)
	walk = func(p, chain string) {
		bp, err := build.ImportDir(filepath.Join(root, strings.TrimPrefix(p, module)), 0)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, imp := range bp.Imports {
			if _, seen := via[imp]; seen {
				continue
			}
			via[imp] = chain + " -> " + imp
			if strings.HasPrefix(imp, module+"/") || imp == module {
				walk(imp, via[imp])
			}
		}
	}
	walk(pkg, pkg)
	return via
}

func exists(root, pkg string) bool {
	fi, err := os.Stat(filepath.Join(root, strings.TrimPrefix(pkg, module)))
	return err == nil && fi.IsDir()
}

func TestLayering(t *testing.T) {
	root := moduleRoot(t)
	p := func(rel string) string { return module + "/" + rel }

	for imp, chain := range deps(t, root, p("bot/domain")) {
		if strings.HasPrefix(imp, module) {
			t.Errorf("bot/domain imports the project: %s", chain)
		}
	}

	// Transports: never the engine, the stores or the runner's package.
	transports := []string{p("bot/console"), p("bot/telegram"), p("bot/web")}
	checked := 0
	for _, tr := range transports {
		if !exists(root, tr) {
			continue // bot/web: not there yet on every branch
		}
		checked++
		for imp, chain := range deps(t, root, tr) {
			if slices.Contains([]string{p("bot/flow"), p("bot/session"), p("bot/chat"), "github.com/redis/go-redis/v9"}, imp) {
				t.Errorf("transport imports %s: %s", imp, chain)
			}
		}
	}
	if checked < 2 {
		t.Errorf("only %d transports found: the package list here is out of date", checked)
	}

	// The engine: pure, no transport, store, Redis or HTTP.
	banned := append(transports, p("bot/session"), p("bot/chat"), p("bot/evidence"), p("bot/ops"), p("bot/metrics"),
		"github.com/redis/go-redis/v9", "github.com/go-telegram-bot-api/telegram-bot-api/v5", "net/http", "os/exec")
	got := deps(t, root, p("bot/flow"))
	for _, b := range banned {
		if chain, ok := got[b]; ok {
			t.Errorf("bot/flow imports %s: %s", b, chain)
		}
	}
	if _, ok := got[p("bot/domain")]; !ok {
		t.Error("bot/flow does not import bot/domain: the check above may be reading the wrong folder")
	}
}
