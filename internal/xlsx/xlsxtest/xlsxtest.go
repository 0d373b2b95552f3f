// Package xlsxtest reads an export back for tests, and checks what every
// export promises a clerk: a frozen header row with an autofilter, columns
// sized, dates as date cells, numbers as numbers, names where names belong.
package xlsxtest

import (
	"archive/zip"
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Cell is one cell read back.
type Cell struct {
	// Value is the formatted text, Raw the stored value (a date's serial
	// number).
	Value, Raw string
	// Number is true for a numeric cell; Format is its custom number
	// format ("" for the general one).
	Number bool
	Format string
}

// Date reports whether the cell is a date cell: a number shown with a date
// format.
func (c Cell) Date() bool {
	return c.Number && (strings.Contains(c.Format, "yyyy") || strings.Contains(c.Format, "hh:mm"))
}

// Sheet is one sheet read back: its header row (the frozen one) and the
// data rows under it, by column title.
type Sheet struct {
	Name    string
	HeadRow int
	Titles  []string
	Rows    [][]Cell
	Widths  []float64
	Filter  string // the autofilter's range ("A1:R10")
	Frozen  bool
}

// Column returns the cells of the column titled title.
func (s Sheet) Column(t testing.TB, title string) []Cell {
	t.Helper()
	for i, h := range s.Titles {
		if h == title {
			out := make([]Cell, 0, len(s.Rows))
			for _, r := range s.Rows {
				if i < len(r) {
					out = append(out, r[i])
				} else {
					out = append(out, Cell{})
				}
			}
			return out
		}
	}
	t.Fatalf("sheet %s has no column %q (columns %q)", s.Name, title, s.Titles)
	return nil
}

// Book is a workbook read back.
type Book struct {
	Sheets []Sheet
}

// Sheet returns the sheet named name.
func (b Book) Sheet(t testing.TB, name string) Sheet {
	t.Helper()
	for _, s := range b.Sheets {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no sheet %q", name)
	return Sheet{}
}

var (
	filterRef = regexp.MustCompile(`<autoFilter ref="([$A-Z0-9]+:[$A-Z0-9]+)"`)
	// code is a raw code of the program's vocabulary (hotline, answered,
	// resident_rate) where a name belongs.
	code = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	// dateText is a date or time written as text.
	dateText = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$`)
	// numberText is a short number written as text (codes of ten digits
	// or more, like unit codes, are identifiers).
	numberText = regexp.MustCompile(`^-?[0-9]{1,9}(\.[0-9]+)?%?$`)
)

// Read opens an export and checks every sheet whose name is not in skip:
// the header row is frozen (the first row, or the second under a title
// line), has an autofilter over the header and the data, every column has
// a width, dates are date cells, numbers are numbers and no text cell is a
// raw code. It returns what it read for further checks.
func Read(t testing.TB, data []byte, skip ...string) Book {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open export: %v", err)
	}
	defer f.Close()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("open export as zip: %v", err)
	}
	var book Book
	for i, name := range f.GetSheetList() {
		skipped := false
		for _, s := range skip {
			skipped = skipped || s == name
		}
		if skipped {
			continue
		}
		s := Sheet{Name: name}
		panes, err := f.GetPanes(name)
		if err != nil {
			t.Fatalf("sheet %s: panes: %v", name, err)
		}
		s.Frozen = panes.Freeze && panes.YSplit >= 1
		s.HeadRow = panes.YSplit
		if !s.Frozen {
			t.Errorf("sheet %s: the header row is not frozen (%+v)", name, panes)
			s.HeadRow = 1
		}
		xml := sheetXML(t, zr, i+1)
		if m := filterRef.FindStringSubmatch(xml); m != nil {
			s.Filter = strings.ReplaceAll(m[1], "$", "")
		}
		rows, err := f.GetRows(name, excelize.Options{RawCellValue: false})
		if err != nil {
			t.Fatalf("sheet %s: %v", name, err)
		}
		if len(rows) < s.HeadRow {
			t.Fatalf("sheet %s: %d rows, no header row %d", name, len(rows), s.HeadRow)
		}
		s.Titles = rows[s.HeadRow-1]
		for c := range s.Titles {
			col, _ := excelize.ColumnNumberToName(c + 1)
			w, err := f.GetColWidth(name, col)
			if err != nil {
				t.Fatalf("sheet %s: width of %s: %v", name, col, err)
			}
			s.Widths = append(s.Widths, w)
		}
		lastCol, _ := excelize.ColumnNumberToName(len(s.Titles))
		wantFilter := "A" + strconv.Itoa(s.HeadRow) + ":" + lastCol + strconv.Itoa(max(len(rows), s.HeadRow))
		if s.Filter != wantFilter {
			t.Errorf("sheet %s: autofilter %q, want %q", name, s.Filter, wantFilter)
		}
		for r := s.HeadRow + 1; r <= len(rows); r++ {
			var line []Cell
			for c := 1; c <= len(s.Titles); c++ {
				ref, _ := excelize.CoordinatesToCellName(c, r)
				line = append(line, readCell(t, f, name, ref))
			}
			s.Rows = append(s.Rows, line)
		}
		for c, title := range s.Titles {
			for r, line := range s.Rows {
				cell := line[c]
				where := name + "!" + title + " row " + strconv.Itoa(r+s.HeadRow+1)
				switch {
				case !cell.Number && dateText.MatchString(cell.Value):
					t.Errorf("%s: the date %q is text, not a date cell", where, cell.Value)
				case !cell.Number && numberText.MatchString(cell.Value):
					t.Errorf("%s: the number %q is text", where, cell.Value)
				case !cell.Number && code.MatchString(cell.Value):
					t.Errorf("%s: %q is a code where a name belongs", where, cell.Value)
				}
			}
			if s.Widths[c] <= 0 {
				t.Errorf("sheet %s: column %q has no width", name, title)
			}
		}
		book.Sheets = append(book.Sheets, s)
	}
	return book
}

func readCell(t testing.TB, f *excelize.File, sheet, ref string) Cell {
	t.Helper()
	var c Cell
	var err error
	if c.Value, err = f.GetCellValue(sheet, ref); err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	if c.Raw, err = f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true}); err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	typ, err := f.GetCellType(sheet, ref)
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	// The stream writer leaves a number's type unset (a number by default).
	c.Number = c.Raw != "" && (typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset)
	if c.Number {
		if _, err := strconv.ParseFloat(c.Raw, 64); err != nil {
			c.Number = false
		}
	}
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	if id != 0 {
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatalf("%s!%s: style %d: %v", sheet, ref, id, err)
		}
		if st.CustomNumFmt != nil {
			c.Format = *st.CustomNumFmt
		}
	}
	return c
}

// sheetXML is the XML of the n-th worksheet part, for what excelize does
// not read back (the autofilter).
func sheetXML(t testing.TB, zr *zip.Reader, n int) string {
	t.Helper()
	name := "xl/worksheets/sheet" + strconv.Itoa(n) + ".xml"
	for _, zf := range zr.File {
		if zf.Name != name {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Fatalf("no part %s", name)
	return ""
}
