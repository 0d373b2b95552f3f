package dispatch

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// FormatVersion is the version of the serialised model. Decode refuses
// other versions: a model is retrained, never converted.
const FormatVersion = 1

var magic = [8]byte{'G', 'R', 'D', 'I', 'S', 'P', 'M', 'D'}

// Encode serialises m: a magic, the format version, then gzip-compressed
// little-endian data. The weights are quantised to int8 with one scale per
// class; an n-gram whose weights all round to zero is left out, which
// prunes the vocabulary.
func (m *Model) Encode(w io.Writer) error {
	nc := len(m.Classes)
	scale := make([]float32, nc)
	for f := range m.hashes {
		for k := range nc {
			scale[k] = max(scale[k], float32(math.Abs(float64(m.w[f*nc+k]))))
		}
	}
	for k := range scale {
		scale[k] /= 127
		if scale[k] == 0 {
			scale[k] = 1
		}
	}
	q := make([]int8, 0, len(m.w))
	var keep []int
	row := make([]int8, nc)
	for f := range m.hashes {
		zero := true
		for k := range nc {
			row[k] = int8(math.Round(float64(m.w[f*nc+k] / scale[k])))
			zero = zero && row[k] == 0
		}
		if !zero {
			keep = append(keep, f)
			q = append(q, row...)
		}
	}
	if _, err := w.Write(magic[:]); err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, uint16(FormatVersion)); err != nil {
		return err
	}
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriter(zw)
	put := func(v any) {
		if err := binary.Write(bw, binary.LittleEndian, v); err != nil {
			panic(err) // bufio defers errors to Flush
		}
	}
	putString := func(s string) { put(uint32(len(s))); bw.WriteString(s) }
	put(uint32(nc))
	for _, c := range m.Classes {
		putString(c)
	}
	put(uint8(m.MinN))
	put(uint8(m.MaxN))
	put(m.TrainedAt.UnixMilli())
	put(uint64(m.Examples))
	put(uint64(len(keep)))
	for _, f := range keep {
		put(m.hashes[f])
	}
	for _, f := range keep {
		put(m.idf[f])
	}
	put(scale)
	put(m.b)
	put(q)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	return zw.Close()
}

// Bytes returns the encoded model.
func (m *Model) Bytes() ([]byte, error) {
	var b bytes.Buffer
	if err := m.Encode(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ErrFormat is returned for data that is not a model this version reads.
var ErrFormat = errors.New("dispatch: not a dispatch model of a version this program reads")

// Decode reads a model that Encode wrote.
func Decode(r io.Reader) (*Model, error) {
	var head [8]byte
	var ver uint16
	if _, err := io.ReadFull(r, head[:]); err != nil || head != magic {
		return nil, ErrFormat
	}
	if err := binary.Read(r, binary.LittleEndian, &ver); err != nil || ver != FormatVersion {
		return nil, fmt.Errorf("%w (format %d, expected %d)", ErrFormat, ver, FormatVersion)
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	br := bufio.NewReader(zr)
	var rerr error
	get := func(v any) {
		if rerr == nil {
			rerr = binary.Read(br, binary.LittleEndian, v)
		}
	}
	var nc uint32
	get(&nc)
	if rerr != nil || nc < 2 || nc > 100_000 {
		return nil, fmt.Errorf("%w: bad class count", ErrFormat)
	}
	m := &Model{Classes: make([]string, nc)}
	for k := range m.Classes {
		var n uint32
		get(&n)
		if rerr != nil || n > 1<<16 {
			return nil, fmt.Errorf("%w: bad class name", ErrFormat)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		m.Classes[k] = string(b)
	}
	var minN, maxN uint8
	var at int64
	var ex, nf uint64
	get(&minN)
	get(&maxN)
	get(&at)
	get(&ex)
	get(&nf)
	if rerr != nil || minN < 1 || maxN < minN || maxN > 8 || nf > 50_000_000 || nf*uint64(nc) > 1<<31 {
		return nil, fmt.Errorf("%w: bad header", ErrFormat)
	}
	m.MinN, m.MaxN, m.TrainedAt, m.Examples = int(minN), int(maxN), time.UnixMilli(at).UTC(), int(ex)
	m.hashes = make([]uint64, nf)
	m.idf = make([]float32, nf)
	scale := make([]float32, nc)
	m.b = make([]float32, nc)
	q := make([]int8, nf*uint64(nc))
	get(m.hashes)
	get(m.idf)
	get(scale)
	get(m.b)
	get(q)
	if rerr != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, rerr)
	}
	m.w = make([]float32, len(q))
	for j, x := range q {
		m.w[j] = float32(x) * scale[j%int(nc)]
	}
	m.index()
	return m, nil
}

// Load decodes a model from its bytes.
func Load(b []byte) (*Model, error) { return Decode(bytes.NewReader(b)) }
