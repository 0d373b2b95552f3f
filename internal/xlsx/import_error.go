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
