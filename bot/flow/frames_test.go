package flow_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/anning-bot/anning/bot/flow"
)

func TestFramesRoundTrip(t *testing.T) {
	for _, fs := range []flow.Frames{
		nil,
		{{Flow: "main", Step: "menu"}},
		{
			{Flow: "main", Step: "menu", Undo: []flow.Undo{{Var: "x"}}},
			{Flow: "borrower", Step: "start", Undo: []flow.Undo{{Var: "y"}}},
			{Flow: "borrower", Step: "evidence"},
			{Flow: "borrower", Step: "stop", Undo: []flow.Undo{{Var: "platform", Old: "有钱花\"\\", Had: true}}},
			{Flow: "borrower", Step: "stop_script"},
			{Flow: "relatives", Step: "start"},
			{Flow: "Odd.Flow", Step: "a \"b\""}, // not an id the loader accepts: written in full
			{Flow: "", Step: "nameless"},
			{Flow: "", Step: "again", Undo: []flow.Undo{{Var: "z"}}},
			{Flow: "relatives", Step: "calls"},
		},
	} {
		data, err := json.Marshal(flow.State{History: fs})
		if err != nil {
			t.Fatal(err)
		}
		var back flow.State
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if len(fs) == 0 && len(back.History) == 0 {
			continue
		}
		if !reflect.DeepEqual(back.History, fs) {
			t.Errorf("%s\nread back %+v\nwant      %+v", data, back.History, fs)
		}
	}
}

func TestFramesCompact(t *testing.T) {
	fs := flow.Frames{{Flow: "main", Step: "menu"}, {Flow: "borrower", Step: "start"}, {Flow: "borrower", Step: "evidence"},
		{Flow: "borrower", Step: "stop", Undo: []flow.Undo{{Var: "platform"}}}, {Flow: "borrower", Step: "stop_script"}}
	data, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	want := `["main.menu","borrower.start","evidence",{"s":"stop","u":[{"n":"platform"}]},"stop_script"]`
	if string(data) != want {
		t.Errorf("got  %s\nwant %s", data, want)
	}
}

// Sessions written before the compact form (schema 1) are read as they were.
func TestFramesSchema1(t *testing.T) {
	old := `{"v":1,"f":"borrower","s":"stop","h":[{"f":"main","s":"menu"},{"f":"borrower","s":"start"},{"f":"borrower","s":"stop","u":[{"n":"platform","o":"x","h":true}]}],"q":3}`
	var st flow.State
	if err := json.Unmarshal([]byte(old), &st); err != nil {
		t.Fatal(err)
	}
	want := flow.Frames{{Flow: "main", Step: "menu"}, {Flow: "borrower", Step: "start"},
		{Flow: "borrower", Step: "stop", Undo: []flow.Undo{{Var: "platform", Old: "x", Had: true}}}}
	if !reflect.DeepEqual(st.History, want) || st.Schema != 1 || st.Seq != 3 {
		t.Errorf("read %+v", st)
	}
	for _, bad := range []string{`{"h":[1]}`, `{"h":{"f":"x"}}`, `{"h":["a",{"f":3}]}`} {
		if err := json.Unmarshal([]byte(bad), &st); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}

func FuzzFramesRoundTrip(f *testing.F) {
	f.Add("main", "menu", "borrower", "start", "platform", "有钱花")
	f.Add("", "", "a.b", "\"", "", "")
	f.Fuzz(func(t *testing.T, flowA, stepA, flowB, stepB, v, old string) {
		for _, s := range []string{flowA, stepA, flowB, stepB, v, old} {
			if !utf8.ValidString(s) {
				return // encoding/json writes U+FFFD for it: not read back as it was, by design
			}
		}
		fs := flow.Frames{{Flow: flowA, Step: stepA}, {Flow: flowB, Step: stepB}, {Flow: flowB, Step: stepA, Undo: []flow.Undo{{Var: v, Old: old, Had: old != ""}}}, {Flow: flowA, Step: stepB}}
		data, err := json.Marshal(fs)
		if err != nil {
			t.Fatal(err)
		}
		var back flow.Frames
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if !reflect.DeepEqual(back, fs) {
			t.Fatalf("%s\nread back %+v\nwant      %+v", data, back, fs)
		}
	})
}

// A bot of schema 1 (during a rolling deploy or after a rollback) must
// decode a schema-2 session, so that it sees the newer schema and leaves the
// session alone; failing to decode it, it would start afresh over it. This
// is State as schema 1 declared it.
type stateV1 struct {
	Schema  int               `json:"v"`
	Flow    string            `json:"f,omitempty"`
	Step    string            `json:"s,omitempty"`
	Vars    map[string]string `json:"vars,omitempty"`
	History []struct {
		Flow string `json:"f"`
		Step string `json:"s"`
		Undo []struct {
			Var string `json:"n"`
			Old string `json:"o,omitempty"`
			Had bool   `json:"h,omitempty"`
		} `json:"u,omitempty"`
	} `json:"h,omitempty"`
	Seq     int      `json:"q,omitempty"`
	Misses  int      `json:"m,omitempty"`
	Pending string   `json:"p,omitempty"`
	Updated int64    `json:"t,omitempty"`
	LastSeq int64    `json:"u,omitempty"`
	Resume  string   `json:"r,omitempty"`
	Offer   []string `json:"o,omitempty"`
	Held    string   `json:"k,omitempty"`
	Erasing bool     `json:"x,omitempty"`
}

func TestSchema2ReadableBySchema1(t *testing.T) {
	st := flow.State{Schema: flow.SchemaVersion, Flow: "borrower", Step: "stop", Vars: map[string]string{"platform": "有钱花"},
		History: flow.Frames{{Flow: "main", Step: "menu"}, {Flow: "borrower", Step: "start"}, {Flow: "borrower", Step: "stop", Undo: []flow.Undo{{Var: "platform"}}}},
		Seq:     3, Misses: 1, Pending: "delete", Updated: 1795744800, LastSeq: 9, Resume: "borrower.stop", Offer: []string{"a"}, Held: "x", Also: "jail_fraud", Erasing: true}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var old stateV1
	if err := json.Unmarshal(data, &old); err != nil {
		t.Fatalf("a schema-1 bot cannot decode %s: %v (it would start afresh over the session)", data, err)
	}
	if old.Schema != 2 {
		t.Fatalf("a schema-1 bot reads schema %d", old.Schema)
	}
	var back flow.State
	if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(back, st) {
		t.Fatalf("read back %+v (%v), want %+v", back, err, st)
	}
}
