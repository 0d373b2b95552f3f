// Package dispatch owns smart dispatch: a text classifier that proposes a
// case category (and through the lists, a unit) from what the resident
// said, the models trained from the county's own dispatches, and the gate
// above which a case is dispatched without a person.
//
// The classifier is pure Go: character 1–3-gram TF-IDF features (sublinear
// term frequency, l2-normalised) and a multinomial logistic regression
// trained by AdaGrad. Nothing is downloaded or fetched at run time.
package dispatch

import (
	"math"
	"slices"
	"unicode"
)

// maxRunes bounds the text a message contributes: beyond it a message
// repeats itself and only costs time.
const maxRunes = 2000

// normalize folds a message to the runes the features are built from:
// full-width forms to half-width, letters to lower case, every digit to
// '0' (dates, amounts and house numbers say little about the category), and
// each run of spaces and punctuation to one space.
func normalize(text string) []rune {
	out := make([]rune, 0, min(len(text), maxRunes*3)/2+1)
	space := true
	for _, r := range text {
		if len(out) >= maxRunes {
			break
		}
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		switch {
		case unicode.IsDigit(r):
			r = '0'
		case unicode.IsLetter(r):
			r = unicode.ToLower(r)
		default:
			if space {
				continue
			}
			r, space = ' ', true
			out = append(out, r)
			continue
		}
		space = false
		out = append(out, r)
	}
	for len(out) > 0 && out[len(out)-1] == ' ' {
		out = out[:len(out)-1]
	}
	return out
}

// gram hashes the character n-gram rs (FNV-1a over the runes, with the
// length folded in so that grams of different lengths never meet).
func gram(rs []rune) uint64 {
	h := uint64(14695981039346656037) ^ uint64(len(rs))
	for _, r := range rs {
		h ^= uint64(r)
		h *= 1099511628211
	}
	return h
}

// grams counts the character n-grams (minN..maxN) of a normalised text.
// An n-gram that is only a space is left out.
func grams(rs []rune, minN, maxN int, into map[uint64]float32) {
	for i := range rs {
		for n := minN; n <= maxN && i+n <= len(rs); n++ {
			g := rs[i : i+n]
			if n == 1 && g[0] == ' ' {
				continue
			}
			into[gram(g)]++
		}
	}
}

// term is one feature of a vector.
type term struct {
	idx int32
	val float32
}

// vector is a sparse, l2-normalised TF-IDF vector, ordered by feature.
type vector []term

// vectorize turns a text into its TF-IDF vector over the vocabulary (index
// by gram hash) with inverse document frequencies idf.
func vectorize(text string, minN, maxN int, vocab map[uint64]int32, idf []float32, scratch map[uint64]float32) vector {
	clear(scratch)
	grams(normalize(text), minN, maxN, scratch)
	v := make(vector, 0, len(scratch))
	var norm float64
	for h, tf := range scratch {
		i, ok := vocab[h]
		if !ok {
			continue
		}
		w := (1 + float32(math.Log(float64(tf)))) * idf[i]
		v = append(v, term{i, w})
		norm += float64(w) * float64(w)
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for k := range v {
			v[k].val *= inv
		}
	}
	slices.SortFunc(v, func(a, b term) int { return int(a.idx - b.idx) })
	return v
}
