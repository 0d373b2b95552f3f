package dispatch

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
)

// Metrics is how well a model does on labelled texts it was not trained
// on, and what a gate would do: the share of texts whose top suggestion is
// at least Gate confident (Coverage) and how many of those are right
// (GateAccuracy).
type Metrics struct {
	Examples     int     `json:"examples"`
	Classes      int     `json:"classes"`
	Accuracy     float64 `json:"accuracy"`
	MacroF1      float64 `json:"macro_f1"`
	Top3         float64 `json:"top3"`
	Gate         float64 `json:"gate"`
	Coverage     float64 `json:"coverage"`
	GateAccuracy float64 `json:"gate_accuracy"`
}

// Scored is one text's true label and the model's suggestions for it.
type Scored struct {
	Label       string
	Suggestions []Suggestion
}

// Score predicts every example with m.
func Score(m *Model, examples []Example) []Scored {
	out := make([]Scored, 0, len(examples))
	for _, e := range examples {
		out = append(out, Scored{Label: strings.TrimSpace(e.Label), Suggestions: m.Predict(e.Text)})
	}
	return out
}

// Measure computes the metrics of scored texts at a gate.
func Measure(scored []Scored, gate float64) Metrics {
	r := Metrics{Examples: len(scored), Gate: gate}
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	labels := map[string]bool{}
	var right, top3, covered, coveredRight int
	for _, s := range scored {
		labels[s.Label] = true
		if len(s.Suggestions) == 0 {
			fn[s.Label]++
			continue
		}
		got := s.Suggestions[0]
		if got.Label == s.Label {
			right++
			tp[s.Label]++
		} else {
			fp[got.Label]++
			fn[s.Label]++
		}
		for _, x := range s.Suggestions[:min(3, len(s.Suggestions))] {
			if x.Label == s.Label {
				top3++
			}
		}
		if got.Confidence >= gate {
			covered++
			if got.Label == s.Label {
				coveredRight++
			}
		}
	}
	r.Classes = len(labels)
	if len(scored) == 0 {
		return r
	}
	n := float64(len(scored))
	r.Accuracy, r.Top3, r.Coverage = float64(right)/n, float64(top3)/n, float64(covered)/n
	if covered > 0 {
		r.GateAccuracy = float64(coveredRight) / float64(covered)
	}
	var f1 float64
	for l := range labels {
		if tp[l] > 0 {
			p := float64(tp[l]) / float64(tp[l]+fp[l])
			rc := float64(tp[l]) / float64(tp[l]+fn[l])
			f1 += 2 * p * rc / (p + rc)
		}
	}
	r.MacroF1 = f1 / float64(len(labels))
	return r
}

// Evaluate measures m on examples at a gate.
func Evaluate(m *Model, examples []Example, gate float64) Metrics {
	return Measure(Score(m, examples), gate)
}

// CrossValidate trains on k−1 folds and scores the held-out fold, k times
// (folds stratified by label, shuffled with seed), and returns the scored
// texts of every fold, so that one run can be measured at many gates.
func CrossValidate(examples []Example, k int, opt Options, seed uint64) ([]Scored, error) {
	if k < 2 {
		return nil, errors.New("dispatch: cross-validation needs at least 2 folds")
	}
	byLabel := map[string][]int{}
	var labels []string
	for i, e := range examples {
		l := strings.TrimSpace(e.Label)
		if _, ok := byLabel[l]; !ok {
			labels = append(labels, l)
		}
		byLabel[l] = append(byLabel[l], i)
	}
	slices.Sort(labels)
	fold := make([]int, len(examples))
	rng := rand.New(rand.NewPCG(seed, 0x6376))
	j := 0
	for _, l := range labels {
		idx := byLabel[l]
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for _, i := range idx {
			fold[i] = j % k
			j++
		}
	}
	var out []Scored
	for f := range k {
		var train, test []Example
		for i, e := range examples {
			if fold[i] == f {
				test = append(test, e)
			} else {
				train = append(train, e)
			}
		}
		m, err := Train(train, opt)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f+1, err)
		}
		out = append(out, Score(m, test)...)
	}
	return out, nil
}

// ReadCSV reads labelled texts from CSV with a header row naming the
// columns text and label (in any order, other columns ignored). Rows with
// an empty text or label are skipped.
func ReadCSV(r io.Reader) ([]Example, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("CSV is empty: expected a header row with columns text,label")
		}
		return nil, fmt.Errorf("read CSV header: %w", err)
	}
	ti, li := -1, -1
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "text":
			ti = i
		case "label":
			li = i
		}
	}
	if ti < 0 || li < 0 {
		return nil, fmt.Errorf("CSV header %q: expected columns text and label", strings.Join(head, ","))
	}
	var out []Example
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read CSV line %d: %w", line, err)
		}
		if ti >= len(rec) || li >= len(rec) {
			continue
		}
		e := Example{Text: strings.TrimSpace(rec[ti]), Label: strings.TrimSpace(rec[li])}
		if e.Text != "" && e.Label != "" {
			out = append(out, e)
		}
	}
	return out, nil
}

// DefaultGate is the confidence above which a case is dispatched without
// a person when the county has not set its own (docs/DISPATCH.md says why).
const DefaultGate = 0.8
