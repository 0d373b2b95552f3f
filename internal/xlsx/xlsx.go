// Package xlsx is the one Excel writer of every export: typed columns (text,
// whole numbers, decimals, percentages, dates and times as real date cells
// with a Chinese number format), columns sized to their content, a frozen
// header row with an autofilter, and the exports' file names.
//
// A clerk sorts, filters and sums what the program exports; a date written
// as text or a number written as a code cannot be sorted or summed, so the
// exports say what each column holds and this package writes the cell
// accordingly.
package xlsx

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// Kind is what a column holds, which decides its cell type and number format.
type Kind int

// The kinds of column.
const (
	// Text is a string cell.
	Text Kind = iota
	// Int is a whole number (format 0).
	Int
	// Float is a decimal number (general format: 4.5, 0.333).
	Float
	// Percent is a ratio shown as a percentage (0.935 shows 93.5%).
	Percent
	// Date is a calendar day in Asia/Shanghai (2026年12月3日).
	Date
	// DateTime is a time in Asia/Shanghai to the minute (2026-12-03 14:30).
	DateTime
)

// The number formats of the typed columns.
const (
	DateFormat     = `yyyy"年"m"月"d"日"`
	DateTimeFormat = `yyyy-mm-dd hh:mm`
	PercentFormat  = `0.0%`
	IntFormat      = `0`
)

// Column is one column of a sheet.
type Column struct {
	Title string
	Kind  Kind
	// Width is a fixed width in characters; 0 sizes the column to its
	// title and content.
	Width float64
}

// shanghai is Asia/Shanghai (UTC+8 all year), fixed so that no time-zone
// database is needed. Date cells hold the county's wall-clock time.
var shanghai = time.FixedZone("CST", 8*3600)

// Missing is the value of a number cell that has none — a rate or an
// average of nothing: written "—", as the pages show it.
const Missing = "—"

// sizeRows is how many data rows are held back to size the columns before
// a sheet streams: enough to see the content's shape, small enough that an
// export of 50,000 rows stays small in memory.
const sizeRows = 500

// Width bounds of a sized column, in characters.
const (
	minWidth = 6
	maxWidth = 60
)

// Workbook is an .xlsx file being written, sheet by sheet; rows stream to a
// temporary buffer (excelize's stream writer). Write it with WriteTo, then
// Close it (Close alone discards it).
type Workbook struct {
	f      *excelize.File
	styles map[Kind]int
	head   int
	title  int
	sheets int
	cur    *Sheet
}

// New starts an empty workbook.
func New() (*Workbook, error) {
	wb := &Workbook{f: excelize.NewFile(), styles: map[Kind]int{}}
	formats := map[Kind]string{Int: IntFormat, Percent: PercentFormat, Date: DateFormat, DateTime: DateTimeFormat}
	for k, code := range formats {
		id, err := wb.f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			wb.f.Close()
			return nil, fmt.Errorf("xlsx: style: %w", err)
		}
		wb.styles[k] = id
	}
	var err error
	wb.head, err = wb.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF9"}}})
	if err != nil {
		wb.f.Close()
		return nil, fmt.Errorf("xlsx: style: %w", err)
	}
	wb.title, err = wb.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}})
	if err != nil {
		wb.f.Close()
		return nil, fmt.Errorf("xlsx: style: %w", err)
	}
	return wb, nil
}

// File is the underlying workbook, for a sheet this package does not write
// (the lists' explanation sheet). Use it after the typed sheets are done.
func (wb *Workbook) File() (*excelize.File, error) {
	if err := wb.finish(); err != nil {
		return nil, err
	}
	return wb.f, nil
}

// Sheet is one sheet being written: an optional title line, the header row
// (frozen, with an autofilter over the data) and the rows.
type Sheet struct {
	wb      *Workbook
	name    string
	title   string
	cols    []Column
	sw      *excelize.StreamWriter
	held    [][]any // rows held back to size the columns
	widths  []float64
	next    int // the next row number once streaming
	headRow int
	rows    int
}

// AddSheet starts a sheet named name with columns cols, and finishes the
// sheet before it. A non-empty title is written in the first row, above the
// header (the unit and period of a report).
func (wb *Workbook) AddSheet(name, title string, cols []Column) (*Sheet, error) {
	if err := wb.finish(); err != nil {
		return nil, err
	}
	if wb.sheets == 0 {
		if err := wb.f.SetSheetName("Sheet1", name); err != nil {
			return nil, fmt.Errorf("xlsx: sheet %s: %w", name, err)
		}
	} else if _, err := wb.f.NewSheet(name); err != nil {
		return nil, fmt.Errorf("xlsx: sheet %s: %w", name, err)
	}
	wb.sheets++
	s := &Sheet{wb: wb, name: name, title: title, cols: cols, headRow: 1}
	if title != "" {
		s.headRow = 2
	}
	s.widths = make([]float64, len(cols))
	for i, c := range cols {
		s.widths[i] = textWidth(c.Title)
	}
	wb.cur = s
	return s, nil
}

// Add writes one row, one value per column: a string for Text; an int,
// int64 or float64 for Int, Float and Percent (a *float64 or nil leaves the
// cell empty, as for a ratio without denominator); a time.Time or *time.Time
// for Date and DateTime (zero or nil: empty).
func (s *Sheet) Add(values ...any) error {
	if len(values) != len(s.cols) {
		return fmt.Errorf("xlsx: sheet %s: %d values for %d columns", s.name, len(values), len(s.cols))
	}
	row := make([]any, len(values))
	for i, v := range values {
		cell, w, err := s.cell(s.cols[i], v)
		if err != nil {
			return fmt.Errorf("xlsx: sheet %s, column %s: %w", s.name, s.cols[i].Title, err)
		}
		row[i] = cell
		if s.sw == nil {
			s.widths[i] = max(s.widths[i], w)
		}
	}
	s.rows++
	if s.sw == nil {
		s.held = append(s.held, row)
		if len(s.held) < sizeRows {
			return nil
		}
		return s.start()
	}
	return s.put(row)
}

// cell turns a value into a cell of the column's kind, with the width it
// needs.
func (s *Sheet) cell(c Column, v any) (any, float64, error) {
	if v == nil {
		return nil, 0, nil
	}
	switch c.Kind {
	case Text:
		var t string
		switch x := v.(type) {
		case string:
			t = x
		case fmt.Stringer:
			t = x.String()
		default:
			t = fmt.Sprint(v)
		}
		if t == "" {
			return nil, 0, nil
		}
		return t, textWidth(t), nil
	case Int, Float, Percent:
		var f float64
		switch x := v.(type) {
		case string:
			// Only Missing: a figure without a denominator reads "—", as
			// on the page, never 0 or an empty cell.
			if x != Missing {
				return nil, 0, fmt.Errorf("a number, not %q", x)
			}
			return x, 2, nil
		case int:
			f = float64(x)
		case int64:
			f = float64(x)
		case float64:
			f = x
		case *float64:
			if x == nil {
				return nil, 0, nil
			}
			f = *x
		default:
			return nil, 0, fmt.Errorf("a number, not %T", v)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, 0, nil
		}
		switch c.Kind {
		case Int:
			return excelize.Cell{StyleID: s.wb.styles[Int], Value: f}, float64(len(strconv.FormatFloat(f, 'f', 0, 64))), nil
		case Percent:
			return excelize.Cell{StyleID: s.wb.styles[Percent], Value: f}, float64(len(strconv.FormatFloat(f*100, 'f', 1, 64)) + 1), nil
		}
		return f, float64(len(strconv.FormatFloat(f, 'f', -1, 64))), nil
	case Date, DateTime:
		var t time.Time
		switch x := v.(type) {
		case time.Time:
			t = x
		case *time.Time:
			if x == nil {
				return nil, 0, nil
			}
			t = *x
		default:
			return nil, 0, fmt.Errorf("a time, not %T", v)
		}
		if t.IsZero() {
			return nil, 0, nil
		}
		t = t.In(shanghai)
		if c.Kind == Date {
			// A day is the date at midnight, so that it sorts and filters as a day.
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, shanghai)
			return excelize.Cell{StyleID: s.wb.styles[Date], Value: t}, textWidth(t.Format("2006年1月2日")), nil
		}
		t = t.Truncate(time.Minute)
		return excelize.Cell{StyleID: s.wb.styles[DateTime], Value: t}, 16, nil
	}
	return nil, 0, fmt.Errorf("unknown column kind %d", c.Kind)
}

// start sets the columns' widths and the frozen header, writes the title,
// the header and the rows held back, and streams from then on.
func (s *Sheet) start() error {
	sw, err := s.wb.f.NewStreamWriter(s.name)
	if err != nil {
		return fmt.Errorf("xlsx: sheet %s: %w", s.name, err)
	}
	s.sw = sw
	for i, c := range s.cols {
		w := c.Width
		if w == 0 {
			// Two characters of room for the autofilter's button.
			w = min(max(s.widths[i]+3, minWidth), maxWidth)
		}
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return fmt.Errorf("xlsx: sheet %s: %w", s.name, err)
		}
	}
	top, _ := excelize.CoordinatesToCellName(1, s.headRow+1)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: s.headRow, TopLeftCell: top, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomLeft"}}}); err != nil {
		return fmt.Errorf("xlsx: sheet %s: %w", s.name, err)
	}
	s.next = 1
	if s.title != "" {
		if err := s.put([]any{excelize.Cell{StyleID: s.wb.title, Value: s.title}}); err != nil {
			return err
		}
	}
	head := make([]any, len(s.cols))
	for i, c := range s.cols {
		head[i] = excelize.Cell{StyleID: s.wb.head, Value: c.Title}
	}
	if err := s.put(head); err != nil {
		return err
	}
	for _, row := range s.held {
		if err := s.put(row); err != nil {
			return err
		}
	}
	s.held = nil
	return nil
}

func (s *Sheet) put(row []any) error {
	cell, err := excelize.CoordinatesToCellName(1, s.next)
	if err != nil {
		return fmt.Errorf("xlsx: sheet %s: %w", s.name, err)
	}
	if err := s.sw.SetRow(cell, row); err != nil {
		return fmt.Errorf("xlsx: sheet %s: %w", s.name, err)
	}
	s.next++
	return nil
}

// close writes what is held back, sets the autofilter over the header and
// the rows, and ends the sheet.
func (s *Sheet) close() error {
	if s.sw == nil {
		if err := s.start(); err != nil {
			return err
		}
	}
	first, _ := excelize.CoordinatesToCellName(1, s.headRow)
	last, _ := excelize.CoordinatesToCellName(max(len(s.cols), 1), s.headRow+s.rows)
	// The stream writer shares the sheet's worksheet until Flush, which
	// writes the filter it was given.
	if err := s.wb.f.AutoFilter(s.name, first+":"+last, nil); err != nil {
		return fmt.Errorf("xlsx: sheet %s: autofilter: %w", s.name, err)
	}
	if err := s.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: sheet %s: %w", s.name, err)
	}
	return nil
}

// finish ends the sheet being written, if any.
func (wb *Workbook) finish() error {
	if wb.cur == nil {
		return nil
	}
	s := wb.cur
	wb.cur = nil
	return s.close()
}

// WriteTo finishes the last sheet and writes the workbook to w.
func (wb *Workbook) WriteTo(w io.Writer) (int64, error) {
	if err := wb.finish(); err != nil {
		return 0, err
	}
	n, err := wb.f.WriteTo(w)
	if err != nil {
		return n, fmt.Errorf("xlsx: write: %w", err)
	}
	return n, nil
}

// Close releases the workbook's temporary files.
func (wb *Workbook) Close() error { return wb.f.Close() }

// textWidth is the width of s in a spreadsheet's character units: a Chinese
// character (or any East Asian wide one) takes two, a Latin one one. The
// widest line counts.
func textWidth(s string) float64 {
	w, widest := 0, 0
	for _, r := range s {
		switch {
		case r == '\n':
			w = 0
			continue
		case wide(r):
			w += 2
		default:
			w++
		}
		widest = max(widest, w)
	}
	return float64(widest)
}

// wide reports whether r is drawn two columns wide: Han, kana, Hangul and
// the full-width forms and punctuation of East Asian text.
func wide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		unicode.Is(unicode.Hangul, r) ||
		(r >= 0x3000 && r <= 0x303f) || // CJK punctuation: 、。「」
		(r >= 0xff00 && r <= 0xffef) // full-width forms: （），：
}
