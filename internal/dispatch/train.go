package dispatch

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Example is one labelled text: what a resident said and the category a
// person dispatched it as.
type Example struct {
	Text  string
	Label string
}

// Options tune training; the zero value takes the defaults.
type Options struct {
	MinN, MaxN int // character n-gram lengths (1 and 3)
	// MinDF drops n-grams seen in fewer texts (2).
	MinDF int
	// MaxWeights bounds features × classes, which bounds the model's
	// memory and size (20,000,000: 300,000 features at 7 classes,
	// 66,000 at 300).
	MaxWeights int
	// MaxFeatures bounds the vocabulary (300,000).
	MaxFeatures int
	Epochs      int     // passes over the examples (12)
	Rate        float64 // the first step of SGD (0.5)
	L2          float64 // L2 regularisation per example, λ (1e-5)
	// Balanced weighs each class by the inverse of its share, so that a
	// rare category counts as much as a common one (macro-F1).
	Balanced bool
	Seed     uint64
	// Now stamps the model (time.Now when nil).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.MinN == 0 {
		o.MinN = 1
	}
	if o.MaxN == 0 {
		o.MaxN = 3
	}
	if o.MinDF == 0 {
		o.MinDF = 2
	}
	if o.MaxWeights == 0 {
		o.MaxWeights = 20_000_000
	}
	if o.MaxFeatures == 0 {
		o.MaxFeatures = 300_000
	}
	if o.Epochs == 0 {
		o.Epochs = 12
	}
	if o.Rate == 0 {
		o.Rate = 0.5
	}
	if o.L2 == 0 {
		o.L2 = 1e-5
	}
	if o.Seed == 0 {
		o.Seed = 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// DefaultOptions are the options Train uses for the zero Options.
func DefaultOptions() Options { return Options{Balanced: true}.withDefaults() }

// ErrTooFew is returned when there is not enough to learn from: fewer than
// two classes, or no text.
var ErrTooFew = errors.New("dispatch: too few examples to train on (need texts of at least two categories)")

// Train learns a model from labelled examples. Examples with an empty text
// or label are skipped.
func Train(examples []Example, opt Options) (*Model, error) {
	opt = opt.withDefaults()
	var docs []Example
	classIdx := map[string]int{}
	for _, e := range examples {
		e.Text, e.Label = strings.TrimSpace(e.Text), strings.TrimSpace(e.Label)
		if e.Text == "" || e.Label == "" {
			continue
		}
		docs = append(docs, e)
		classIdx[e.Label] = 0
	}
	if len(classIdx) < 2 {
		return nil, ErrTooFew
	}
	m := &Model{MinN: opt.MinN, MaxN: opt.MaxN, TrainedAt: opt.Now().UTC(), Examples: len(docs)}
	for l := range classIdx {
		m.Classes = append(m.Classes, l)
	}
	slices.Sort(m.Classes)
	for i, l := range m.Classes {
		classIdx[l] = i
	}
	nc := len(m.Classes)

	// Vocabulary: document frequencies, then the most frequent n-grams
	// seen in at least MinDF texts.
	df := map[uint64]int32{}
	seen := make(map[uint64]float32, 1024)
	for _, d := range docs {
		clear(seen)
		grams(normalize(d.Text), opt.MinN, opt.MaxN, seen)
		for h := range seen {
			df[h]++
		}
	}
	type feat struct {
		h  uint64
		df int32
	}
	var feats []feat
	for h, n := range df {
		if int(n) >= opt.MinDF {
			feats = append(feats, feat{h, n})
		}
	}
	df = nil
	limit := min(opt.MaxFeatures, opt.MaxWeights/nc)
	if len(feats) > limit {
		slices.SortFunc(feats, func(a, b feat) int {
			if c := cmp.Compare(b.df, a.df); c != 0 {
				return c
			}
			return cmp.Compare(a.h, b.h)
		})
		feats = feats[:limit]
	}
	slices.SortFunc(feats, func(a, b feat) int { return cmp.Compare(a.h, b.h) })
	m.hashes = make([]uint64, len(feats))
	m.idf = make([]float32, len(feats))
	n := float64(len(docs))
	for i, f := range feats {
		m.hashes[i] = f.h
		m.idf[i] = float32(math.Log((1+n)/(1+float64(f.df))) + 1)
	}
	feats = nil
	m.index()

	// The texts as vectors, kept flat: offsets into one slice of terms.
	off := make([]int, 1, len(docs)+1)
	var terms []term
	labels := make([]int, len(docs))
	for i, d := range docs {
		terms = append(terms, vectorize(d.Text, opt.MinN, opt.MaxN, m.vocab, m.idf, seen)...)
		off = append(off, len(terms))
		labels[i] = classIdx[d.Label]
	}

	weight := make([]float64, nc)
	for k := range weight {
		weight[k] = 1
	}
	if opt.Balanced {
		count := make([]float64, nc)
		for _, l := range labels {
			count[l]++
		}
		for k := range weight {
			weight[k] = n / (float64(nc) * count[k])
		}
	}

	nf := len(m.hashes)
	m.w = make([]float32, nf*nc)
	m.b = make([]float32, nc)
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6469737061746368))
	p := make([]float64, nc)
	grad := make([]float64, nc)
	// SGD on the L2-regularised log loss with the step 1/(λ(t0+t)), the
	// weights kept as scale·w so that the decay of every weight costs one
	// multiplication per step.
	lambda := opt.L2
	t0 := 1 / (lambda * opt.Rate)
	scale := 1.0
	var t float64
	for range opt.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			eta := 1 / (lambda * (t0 + t))
			t++
			v := vector(terms[off[i]:off[i+1]])
			scores(m, v, scale, p[:nc])
			softmax(p[:nc])
			y := labels[i]
			for k := range nc {
				g := p[k]
				if k == y {
					g--
				}
				grad[k] = g * weight[y]
			}
			scale *= 1 - eta*lambda
			for k := range nc {
				m.b[k] -= float32(eta * grad[k] * 0.1)
			}
			for _, tm := range v {
				row := m.w[int(tm.idx)*nc : int(tm.idx)*nc+nc]
				step := eta * float64(tm.val) / scale
				for k := range row {
					row[k] -= float32(step * grad[k])
				}
			}
			if scale < 1e-6 {
				for j := range m.w {
					m.w[j] *= float32(scale)
				}
				scale = 1
			}
		}
	}
	for j := range m.w {
		m.w[j] *= float32(scale)
	}
	if len(m.w) == 0 {
		return nil, fmt.Errorf("%w: no n-gram occurs in %d texts", ErrTooFew, opt.MinDF)
	}
	return m, nil
}
