package xlsx

import (
	"bytes"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/store"
)

// MaxUpload is the largest workbook an import reads.
const MaxUpload = 10 << 20

// Open reads an uploaded workbook. The file is untrusted input: it is read
// up to MaxUpload, and unzipped within limits, since a few kilobytes of
// .xlsx can unzip to gigabytes. The caller closes the file.
func Open(r io.Reader) (*excelize.File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxUpload+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxUpload {
		return nil, store.Invalid("上传的文件过大或格式不正确（不超过10MB的 .xlsx 文件）")
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 50 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, store.Invalid("无法读取 Excel 文件，请上传 .xlsx 格式")
	}
	return f, nil
}

// Table is a sheet read by its header row: the rows under it, and each
// header's column.
type Table struct {
	Name  string
	Rows  [][]string
	index map[string]int
}

// ReadTable reads the sheet called name, which must have every column of
// need in its header row and at most maxRows rows under it (0: no limit).
func ReadTable(f *excelize.File, name string, maxRows int, need ...string) (Table, error) {
	t := Table{Name: name, index: map[string]int{}}
	rows, err := f.GetRows(name)
	if err != nil || len(rows) == 0 {
		return t, store.Invalidf("文件中没有“%s”工作表", name)
	}
	if maxRows > 0 && len(rows) > maxRows+1 {
		return t, store.Invalidf("工作表“%s”超过%d行：请分批导入", name, maxRows)
	}
	for i, h := range rows[0] {
		t.index[strings.TrimSpace(h)] = i
	}
	for _, c := range need {
		if _, ok := t.index[c]; !ok {
			return t, store.Invalidf("“%s”工作表缺少“%s”列", name, c)
		}
	}
	t.Rows = rows[1:]
	return t, nil
}

// Has reports whether the header row has the column.
func (t Table) Has(col string) bool {
	_, ok := t.index[col]
	return ok
}

// Cell is row's value in the column headed col, trimmed; "" when the
// sheet has no such column or the row stops short of it.
func (t Table) Cell(row []string, col string) string {
	i, ok := t.index[col]
	if !ok || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}
