package xlsx

import (
	"fmt"
	"strings"

	"grassroots/internal/store"
)

// RowError is a refused row of an imported workbook: its sheet (when the
// file has several), its row number as the spreadsheet shows it, and why.
type RowError struct {
	Sheet  string `json:"sheet,omitempty"`
	Row    int    `json:"row"`
	Reason string `json:"reason"`
}

// ImportError is an import refused for its rows; nothing was recorded. It
// is an invalid input (store.ErrInvalid), and its text names every row.
type ImportError struct{ Rows []RowError }

func (e *ImportError) Error() string {
	var b strings.Builder
	for i, r := range e.Rows {
		if i > 0 {
			b.WriteString("；")
		}
		if r.Sheet != "" {
			fmt.Fprintf(&b, "“%s”", r.Sheet)
		}
		fmt.Fprintf(&b, "第%d行：%s", r.Row, r.Reason)
	}
	return b.String()
}

// Unwrap makes an ImportError an invalid input.
func (e *ImportError) Unwrap() error { return store.ErrInvalid }

// Refusals collects an import's refused rows while its transaction runs.
type Refusals struct{ rows []RowError }

// Refuse records the row as refused when err is a user's error (a rule the
// row breaks) and returns nil; any other error comes back, to abort the
// import.
func (f *Refusals) Refuse(sheet string, row int, err error) error {
	msg, ok := store.UserMessage(err)
	if !ok {
		return err
	}
	f.Add(sheet, row, msg)
	return nil
}

// Add records the row as refused for reason.
func (f *Refusals) Add(sheet string, row int, reason string) {
	f.rows = append(f.rows, RowError{Sheet: sheet, Row: row, Reason: reason})
}

// Err is the ImportError naming every refused row, or nil when none was.
func (f *Refusals) Err() error {
	if len(f.rows) == 0 {
		return nil
	}
	return &ImportError{Rows: f.rows}
}
