package dispatch

import (
	"math"
	"slices"
	"time"
)

// Model is a trained classifier: a vocabulary of character n-grams with
// their inverse document frequencies and one weight per (n-gram, class).
// A Model is safe for concurrent use once built.
type Model struct {
	// Classes are the labels the model tells apart (category codes).
	Classes []string
	// MinN and MaxN bound the character n-grams.
	MinN, MaxN int
	// TrainedAt is when the model was trained; Examples how many labelled
	// texts it saw.
	TrainedAt time.Time
	Examples  int

	hashes []uint64 // feature → n-gram hash
	idf    []float32
	w      []float32 // feature-major: w[f*len(Classes)+c]
	b      []float32
	vocab  map[uint64]int32
}

// Suggestion is one class the model proposes, with its probability.
type Suggestion struct {
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
}

// Features is the number of n-grams the model knows.
func (m *Model) Features() int { return len(m.hashes) }

func (m *Model) index() {
	m.vocab = make(map[uint64]int32, len(m.hashes))
	for i, h := range m.hashes {
		m.vocab[h] = int32(i)
	}
}

// scores writes the raw class scores of a vector, with the weights
// multiplied by scale, into out (len(out) = classes).
func scores(m *Model, v vector, scale float64, out []float64) {
	c := len(m.Classes)
	for k := range c {
		out[k] = 0
	}
	for _, t := range v {
		row := m.w[int(t.idx)*c : int(t.idx)*c+c]
		x := float64(t.val)
		for k, w := range row {
			out[k] += float64(w) * x
		}
	}
	for k := range c {
		out[k] = out[k]*scale + float64(m.b[k])
	}
}

// probs returns the class probabilities of a vector.
func (m *Model) probs(v vector, out []float64) []float64 {
	c := len(m.Classes)
	out = out[:0]
	for k := range c {
		out = append(out, float64(m.b[k]))
	}
	for _, t := range v {
		row := m.w[int(t.idx)*c : int(t.idx)*c+c]
		x := float64(t.val)
		for k, w := range row {
			out[k] += float64(w) * x
		}
	}
	softmax(out)
	return out
}

func softmax(s []float64) {
	mx := math.Inf(-1)
	for _, x := range s {
		mx = max(mx, x)
	}
	var sum float64
	for k, x := range s {
		s[k] = math.Exp(x - mx)
		sum += s[k]
	}
	for k := range s {
		s[k] /= sum
	}
}

// Predict returns every class with its probability for text, most probable
// first. An empty text (or one the model knows no n-gram of) gives the
// classes' prior as the model learnt it.
func (m *Model) Predict(text string) []Suggestion {
	v := vectorize(text, m.MinN, m.MaxN, m.vocab, m.idf, make(map[uint64]float32, 256))
	p := m.probs(v, make([]float64, 0, len(m.Classes)))
	out := make([]Suggestion, len(p))
	for k, x := range p {
		out[k] = Suggestion{Label: m.Classes[k], Confidence: x}
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		switch {
		case a.Confidence > b.Confidence:
			return -1
		case a.Confidence < b.Confidence:
			return 1
		}
		return 0
	})
	return out
}

// Top returns the n most probable classes for text.
func (m *Model) Top(text string, n int) []Suggestion {
	s := m.Predict(text)
	return s[:min(n, len(s))]
}
