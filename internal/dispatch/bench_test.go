package dispatch

import (
	"runtime"
	"testing"
)

// BenchmarkTrain100k trains on 100,000 synthetic messages of 30 categories
// (about 100-150 characters each) and reports the model's encoded size and
// the heap the training held.
func BenchmarkTrain100k(b *testing.B) {
	ex := synth(100_000, 30, 9)
	b.ResetTimer()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m, err := Train(ex, DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		buf, err := m.Bytes()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(buf))/1e6, "model-MB")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/1e6, "alloc-MB")
		b.ReportMetric(float64(m.Features()), "features")
	}
}

// BenchmarkPredict is one suggestion (top three) for a message, with a
// model trained on 20,000 synthetic messages of 30 categories.
func BenchmarkPredict(b *testing.B) {
	ex := synth(20_000, 30, 10)
	m, err := Train(ex, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		m.Top(ex[i%len(ex)].Text, 3)
		i++
	}
}
