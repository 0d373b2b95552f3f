package dispatch

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// synth makes n messages of nc categories: each category has its own
// words, every message mixes a few of them with words all categories share.
func synth(n, nc int, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 1))
	common := []string{"您好", "我想反映", "请尽快处理", "谢谢", "家住", "小区", "昨天", "已经多次", "希望", "有关部门"}
	word := func(c, i int) string {
		r := []rune("水电路灯噪音垃圾医保学校工资物业停车拆迁养老燃气餐饮公交环境卫生户籍低保")
		return string([]rune{r[(c*7+i)%len(r)], r[(c*3+i*5+1)%len(r)], rune('甲' + c%40), rune('一' + i%9)})
	}
	out := make([]Example, n)
	for i := range out {
		c := rng.IntN(nc)
		var b strings.Builder
		for j := range 20 + rng.IntN(30) {
			if j%3 == 0 {
				b.WriteString(word(c, rng.IntN(6)))
			} else {
				b.WriteString(common[rng.IntN(len(common))])
			}
			if rng.IntN(4) == 0 {
				b.WriteString("，")
			}
		}
		out[i] = Example{Text: b.String(), Label: fmt.Sprintf("C%03d", c)}
	}
	return out
}

func TestTrainPredictRoundTrip(t *testing.T) {
	t.Parallel()
	train, test := synth(2000, 10, 1), synth(300, 10, 2)
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	opt := DefaultOptions()
	opt.Now = func() time.Time { return at }
	m, err := Train(train, opt)
	if err != nil {
		t.Fatal(err)
	}
	got := Evaluate(m, test, 0.8)
	if got.Accuracy < 0.95 || got.Top3 < 0.99 || got.Classes != 10 || got.Examples != 300 {
		t.Fatalf("metrics on separable synthetic data: %+v", got)
	}
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	if !m2.TrainedAt.Equal(at) || m2.Examples != 2000 || len(m2.Classes) != 10 || m2.MinN != 1 || m2.MaxN != 3 {
		t.Fatalf("decoded header: %v %d %v %d-%d", m2.TrainedAt, m2.Examples, m2.Classes, m2.MinN, m2.MaxN)
	}
	for _, e := range test[:50] {
		a, b := m.Top(e.Text, 1)[0], m2.Top(e.Text, 1)[0]
		if a.Label != b.Label || math.Abs(a.Confidence-b.Confidence) > 0.05 {
			t.Fatalf("quantised model differs on %q: %+v vs %+v", e.Text, a, b)
		}
	}
	if p := m.Predict(""); len(p) != 10 {
		t.Fatalf("empty text: %d suggestions, want every class", len(p))
	}
}

func TestTrainTooFew(t *testing.T) {
	t.Parallel()
	if _, err := Train([]Example{{"a", "x"}, {"b", "x"}, {" ", "y"}}, Options{}); err != ErrTooFew {
		t.Fatalf("one class: %v, want ErrTooFew", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	m, err := Train(synth(200, 3, 3), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Bytes()
	bad := bytes.Clone(b)
	bad[8] = 9 // format version 9
	for name, in := range map[string][]byte{"empty": nil, "junk": []byte("not a model at all"), "version": bad, "truncated": b[:len(b)/2]} {
		if _, err := Load(in); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	m, _ := Train(synth(100, 2, 4), Options{})
	b, _ := m.Bytes()
	f.Add(b)
	f.Add([]byte("GRDISPMD\x01\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if m, err := Load(in); err == nil {
			m.Predict("路灯不亮")
		}
	})
}

func TestReadCSV(t *testing.T) {
	t.Parallel()
	ex, err := ReadCSV(strings.NewReader("\ufefflabel_id,text,label\n1,路灯不亮,城乡建设\n2,,空\n3,\"工资, 拖欠\",劳动和社会保障\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 2 || ex[1] != (Example{"工资, 拖欠", "劳动和社会保障"}) {
		t.Fatalf("read %+v", ex)
	}
	for _, in := range []string{"", "text,category\na,b\n"} {
		if _, err := ReadCSV(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestMeasure(t *testing.T) {
	t.Parallel()
	s := func(label string, top ...string) Scored {
		var out []Suggestion
		for i, l := range top {
			out = append(out, Suggestion{l, 0.9 - 0.3*float64(i)})
		}
		return Scored{label, out}
	}
	got := Measure([]Scored{s("a", "a", "b"), s("a", "b", "a"), s("b", "b", "a"), s("b", "b", "a")}, 0.8)
	want := Metrics{Examples: 4, Classes: 2, Accuracy: 0.75, Top3: 1, Gate: 0.8, Coverage: 1, GateAccuracy: 0.75,
		MacroF1: (2*1*0.5/1.5 + 2*(2.0/3)*1/(2.0/3+1)) / 2}
	if math.Abs(got.MacroF1-want.MacroF1) > 1e-9 {
		t.Fatalf("macro-F1 %v, want %v", got.MacroF1, want.MacroF1)
	}
	got.MacroF1 = want.MacroF1
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}
