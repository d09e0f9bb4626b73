package flow_test

import (
	"testing"
	"testing/fstest"
	"time"

	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/legal"
	"github.com/anning-bot/anning/content"
	"github.com/anning-bot/anning/flows"
)

var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// fixedFlows are the smallest valid set: main (welcome, menu), law, channels.
var fixedFlows = map[string]string{
	"main.yaml": `flow: main
title: 主菜单
steps:
  welcome:
    say: 欢迎
    next: menu
  menu:
    say: 请选择
    choices:
      - label: 测试
        flow: demo
      - label: 法条
        flow: law
`,
	"law.yaml": `flow: law
title: 法条
steps:
  pick:
    say: 法条如下
    cite: [civil-code-1033]
    end: true
`,
	"channels.yaml": `flow: channels
title: 渠道
steps:
  pick:
    say: 渠道如下
    channels: [nfra-12378]
    end: true
`,
}

func library(t testing.TB) *legal.Library {
	t.Helper()
	lib, err := legal.Load(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// load builds a set from the fixed flows plus extra files.
func load(t testing.TB, extra map[string]string) (*flow.Set, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, src := range fixedFlows {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	for name, src := range extra {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	return flow.Load(fsys, library(t))
}

func mustLoad(t testing.TB, demo string) *flow.Set {
	t.Helper()
	set, err := load(t, map[string]string{"demo.yaml": demo})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func shippedSet(t testing.TB) *flow.Set {
	t.Helper()
	set, err := flow.Load(flows.FS, library(t))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// evidenceDemo is a flow with one evidence step that waits for "发完了".
const evidenceDemo = `flow: demo
title: 演示
steps:
  send:
    action: evidence
    say: 把截图或短信发给我。
    choices:
      - label: 发完了
        goto: done
  done:
    say: 好
    end: true
`
