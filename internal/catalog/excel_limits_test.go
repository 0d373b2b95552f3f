package catalog

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"grassroots/internal/store"
)

// sheetHead opens a worksheet whose first row holds the power list's
// headers.
func sheetHead() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">`)
	for i, h := range Headers(PowerList) {
		fmt.Fprintf(&b, `<c r="%c1" t="inlineStr"><is><t>%s</t></is></c>`, 'A'+i, h)
	}
	b.WriteString(`</row>`)
	return b.String()
}

const sheetTail = `</sheetData></worksheet>`

// withSheet returns the power list's template with its first worksheet
// replaced by what write writes.
func withSheet(t testing.TB, write func(w io.Writer)) []byte {
	t.Helper()
	var tpl bytes.Buffer
	if err := Template(PowerList, &tpl); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(tpl.Bytes()), int64(tpl.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "xl/worksheets/sheet1.xml" {
			write(w)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, rc)
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// wideRows is the reproducer of the stall FuzzParseFile ran into: every row
// has one cell in the last column (XFD), so each row reads as 16,384 cells.
// 20,000 such rows are a 9 KB file that took 13 to 43 s to read before the
// cell limit (327 million cells); a 20 MB upload would take hours.
func wideRows(t testing.TB) []byte {
	return withSheet(t, func(w io.Writer) {
		io.WriteString(w, sheetHead())
		for range 20000 {
			io.WriteString(w, `<row><c r="XFD1"><v>1</v></c></row>`)
		}
		io.WriteString(w, sheetTail)
	})
}

// lyingZip is a spreadsheet whose worksheet declares 6 KB unzipped but
// holds 200 MB.
func lyingZip(t testing.TB) []byte {
	t.Helper()
	var sheet bytes.Buffer
	fw, _ := flate.NewWriter(&sheet, flate.BestSpeed)
	crc := crc32.NewIEEE()
	w := io.MultiWriter(fw, crc)
	io.WriteString(w, sheetHead()+`<row r="2"><c r="A2" t="inlineStr"><is><t>`)
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for range 200 {
		w.Write(chunk)
	}
	io.WriteString(w, `</t></is></c></row>`+sheetTail)
	fw.Close()
	good := withSheet(t, func(w io.Writer) { io.WriteString(w, sheetHead()+sheetTail) })
	zr, _ := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			raw, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, CRC32: crc.Sum32(),
				CompressedSize64: uint64(sheet.Len()), UncompressedSize64: 6000})
			if err != nil {
				t.Fatal(err)
			}
			raw.Write(sheet.Bytes())
			continue
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		rc, _ := f.Open()
		io.Copy(w, rc)
		rc.Close()
	}
	zw.Close()
	return out.Bytes()
}

// TestParseFileRefusesHostileFiles: files made to exhaust the server are
// refused quickly, each with a message that tells the clerk what to do.
func TestParseFileRefusesHostileFiles(t *testing.T) {
	t.Parallel()
	for _, tt := range hostileFiles() {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file(t)
			start := time.Now()
			rows, err := parseFile(context.Background(), PowerList, bytes.NewReader(file), tt.timeout)
			took := time.Since(start)
			msg, _ := store.UserMessage(err)
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(msg, tt.want) {
				t.Fatalf("%d-byte file: %d rows, %v; want an invalid-input error saying %q", len(file), len(rows), err, tt.want)
			}
			// How fast the refusal comes is BenchmarkParseHostileFiles's to
			// measure, not a timed assertion's.
			t.Logf("%d-byte file refused in %v: %s", len(file), took.Round(time.Millisecond), msg)
		})
	}
}

// BenchmarkParseHostileFiles measures how long each hostile file takes to
// be refused (without the limits the wide rows alone take 13 s, and a
// 20 MB file hours).
func BenchmarkParseHostileFiles(b *testing.B) {
	for _, tt := range hostileFiles() {
		b.Run(tt.name, func(b *testing.B) {
			file := tt.file(b)
			for b.Loop() {
				if _, err := parseFile(context.Background(), PowerList, bytes.NewReader(file), tt.timeout); !errors.Is(err, store.ErrInvalid) {
					b.Fatalf("not refused: %v", err)
				}
			}
		})
	}
}

// hostileFile is a file made to exhaust the server, and what its refusal says.
type hostileFile struct {
	name    string
	file    func(t testing.TB) []byte
	timeout time.Duration
	want    string // in the user's message
}

func hostileFiles() []hostileFile {
	dataRow := `<row><c r="A1" t="inlineStr"><is><t>城区街道</t></is></c><c r="B1" t="inlineStr"><is><t>某许可</t></is></c></row>`
	return []hostileFile{
		{"wide rows (fuzz reproducer)", func(t testing.TB) []byte { return wideRows(t) }, time.Minute, "单元格过多"},
		{"zip bomb: 120 MB of one letter", func(t testing.TB) []byte {
			return withSheet(t, func(w io.Writer) {
				io.WriteString(w, sheetHead()+`<row r="2"><c r="A2" t="inlineStr"><is><t>`)
				chunk := bytes.Repeat([]byte("a"), 1<<20)
				for range 120 {
					w.Write(chunk)
				}
				io.WriteString(w, `</t></is></c></row>`+sheetTail)
			})
		}, time.Minute, "解压后超过100MB"},
		{"zip that lies about its unzipped size", func(t testing.TB) []byte { return lyingZip(t) }, time.Minute, "已损坏"},
		{"too many rows", func(t testing.TB) []byte {
			return withSheet(t, func(w io.Writer) {
				io.WriteString(w, sheetHead())
				for range MaxRows + 1 {
					io.WriteString(w, dataRow)
				}
				io.WriteString(w, sheetTail)
			})
		}, time.Minute, "超过50000行"},
		{"too large", func(t testing.TB) []byte { return make([]byte, MaxFileSize+1) }, time.Minute, "超过20MB"},
		{"too many parts", func(t testing.TB) []byte {
			var b bytes.Buffer
			zw := zip.NewWriter(&b)
			for i := range maxParts + 1 {
				zw.Create("x/" + strconv.Itoa(i))
			}
			zw.Close()
			return b.Bytes()
		}, time.Minute, "部件过多"},
		{"encrypted or old .xls", func(t testing.TB) []byte {
			return append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...)
		}, time.Minute, "另存为 .xlsx"},
		{"reading past the deadline", func(t testing.TB) []byte {
			return withSheet(t, func(w io.Writer) { io.WriteString(w, sheetHead()+dataRow+sheetTail) })
		}, time.Nanosecond, "读取文件超时"},
	}
}

// TestParseFileStopsWithContext: an import whose request has gone stops
// reading, and says so to the caller rather than to the clerk.
func TestParseFileStopsWithContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ParseFile(ctx, PowerList, bytes.NewReader(wideRows(t)))
	if !errors.Is(err, context.Canceled) || errors.Is(err, store.ErrInvalid) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestFuzzCorpusHoldsTheReproducer: the seed corpus, which `go test` runs
// through FuzzParseFile, holds the wide-rows file, and it is refused.
// GRASSROOTS_WRITE_CORPUS=1 writes it anew.
func TestFuzzCorpusHoldsTheReproducer(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "fuzz", "FuzzParseFile", "wide-rows-xfd")
	if os.Getenv("GRASSROOTS_WRITE_CORPUS") == "1" {
		entry := fmt.Sprintf("go test fuzz v1\nstring(%q)\n[]byte(%q)\n", PowerList, wideRows(t))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(entry), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entry, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(entry)), "\n")
	if len(lines) != 3 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[2], "[]byte(") {
		t.Fatalf("%s is not a corpus entry of FuzzParseFile", path)
	}
	list, err1 := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
	data, err2 := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[2], "[]byte("), ")"))
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: %v, %v", path, err1, err2)
	}
	_, err = ParseFile(context.Background(), ListKind(list), strings.NewReader(data))
	if msg, _ := store.UserMessage(err); !strings.Contains(msg, "单元格过多") {
		t.Errorf("corpus entry: %v, want the cell limit's message", err)
	}
}
