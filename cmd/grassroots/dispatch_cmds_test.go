package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDispatchTrainEval trains from a CSV and measures the model on
// another, as text and as JSON.
func TestDispatchTrainEval(t *testing.T) {
	dir := t.TempDir()
	words := map[string][]string{"路灯": {"路灯不亮", "路灯坏了", "晚上路灯"}, "工资": {"拖欠工资", "工资没发", "讨要工资"}, "噪音": {"噪音扰民", "半夜噪音", "施工噪音"}}
	var b strings.Builder
	b.WriteString("text,label\n")
	for i := range 60 {
		for label, ws := range words {
			fmt.Fprintf(&b, "您好，%s，第%d次反映，请处理,%s\n", ws[i%3], i, label)
		}
	}
	csv := filepath.Join(dir, "train.csv")
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "m.bin")
	r := runCLI(t, "dispatch", "train", "--from", csv, "--out", model)
	if r.code != exitOK || !strings.Contains(r.out, "examples  180") || !strings.Contains(r.out, "classes   3") {
		t.Fatalf("train: %s", r)
	}
	r = runCLI(t, "dispatch", "eval", "--model", model, "--test", csv)
	for _, want := range []string{"accuracy       1.0000", "macro-F1", "top-3          1.0000", "gate           0.80", "coverage", "gate accuracy"} {
		if r.code != exitOK || !strings.Contains(r.out, want) {
			t.Fatalf("eval: want %q in %s", want, r)
		}
	}
	r = runCLI(t, "dispatch", "eval", "--json", "--model", model, "--test", csv, "--gate", "0.5")
	var got map[string]float64
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || r.code != exitOK {
		t.Fatalf("eval --json: %v %s", err, r)
	}
	for _, k := range []string{"accuracy", "macro_f1", "top3", "gate", "coverage", "gate_accuracy"} {
		if _, ok := got[k]; !ok {
			t.Errorf("eval --json lacks %s: %s", k, r.out)
		}
	}
	if got["gate"] != 0.5 || got["accuracy"] != 1 {
		t.Errorf("eval --json: %s", r.out)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("message,category\na,b\n"), 0o644)
	if r := runCLI(t, "dispatch", "train", "--from", bad, "--out", model); r.code != 1 || !strings.Contains(r.errOut, "expected columns text and label") {
		t.Errorf("bad header: %s", r)
	}
	if r := runCLI(t, "dispatch", "eval", "--model", csv, "--test", csv); r.code != 1 || !strings.Contains(r.errOut, "not a dispatch model") {
		t.Errorf("not a model: %s", r)
	}
	if r := runCLI(t, "dispatch", "train", "--from", csv); r.code != exitUsage {
		t.Errorf("train without --out: %s", r)
	}
}
