package catalog

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// column is one column of a list's spreadsheet.
type column struct {
	Header string
	Width  float64
	Help   string
	get    func(it Item) string
	// date, when set, gives the column's value as a date for the export
	// (a date cell a clerk can sort), instead of get.
	date func(it Item) time.Time
	set  func(r *ImportRow, v string)
}

func matterColumns(name, typ, code string) []column {
	return []column{
		{Header: name, Width: 36, Help: "事项的规范名称",
			get: func(it Item) string { return it.Matter.Name },
			set: func(r *ImportRow, v string) { r.matter().Name = v }},
		{Header: typ, Width: 12, Help: "行政许可、行政处罚、行政强制、行政征收、行政给付、行政检查、行政确认、行政奖励、行政裁决、其他行政权力、公共服务 之一",
			get: func(it Item) string { return it.Matter.TypeName },
			set: func(r *ImportRow, v string) { r.TypeName = v }},
		{Header: code, Width: 14, Help: "2位类型代码+5位主项编码+3位子项编码（无子项为000），如 XK00123000",
			get: func(it Item) string { return it.Matter.Code },
			set: func(r *ImportRow, v string) { r.Input.MatterCode = v }},
	}
}

var basisColumn = column{Header: "设定依据", Width: 40, Help: "《法律法规名称》条款，如 《中华人民共和国行政许可法》第十二条",
	get: func(it Item) string { return it.Matter.Basis() },
	set: func(r *ImportRow, v string) { r.matter().BasisLaw, r.matter().BasisArticle = ParseBasis(v) }}

var noteColumn = column{Header: "备注", Width: 20, Help: "可空",
	get: func(it Item) string { return it.Note },
	set: func(r *ImportRow, v string) { r.Input.Note = v }}

var townshipTypeColumn = column{Header: "乡镇类型", Width: 12, Help: strings.Join(TownshipTypes, "、") + " 之一",
	get: func(it Item) string { return it.TownshipType },
	set: func(r *ImportRow, v string) { r.Input.TownshipType = v }}

// columns returns the spreadsheet columns of a list, in order.
func columns(list ListKind) []column {
	switch list {
	case PowerList:
		cols := []column{townshipTypeColumn}
		cols = append(cols, matterColumns("职权名称", "职权类型", "职权编码")...)
		return append(cols,
			column{Header: "实施主体", Width: 20, Help: "乡镇（街道）内实施的机构，如 综合执法队",
				get: func(it Item) string { return it.Subject }, set: func(r *ImportRow, v string) { r.Input.Subject = v }},
			basisColumn,
			column{Header: "责任事项", Width: 48, Help: "受理、审查、决定、送达、事后监管等各环节的责任",
				get: func(it Item) string { return it.Duties }, set: func(r *ImportRow, v string) { r.Input.Duties = v }},
			column{Header: "追责情形", Width: 48, Help: "因不履行或不正确履行职责应承担责任的情形",
				get: func(it Item) string { return it.Accountability }, set: func(r *ImportRow, v string) { r.Input.Accountability = v }},
			noteColumn)
	case TerritorialList:
		cols := matterColumns("事项名称", "事项类型", "事项编码")
		return append(cols, basisColumn,
			column{Header: "主体责任部门", Width: 24, Help: "县直部门全称或单位编码",
				get: func(it Item) string { return it.UnitName }, set: func(r *ImportRow, v string) { r.Input.UnitCode = v }},
			column{Header: "部门主体责任", Width: 40, Help: "主体责任部门应履行的职责",
				get: func(it Item) string { return it.Duties }, set: func(r *ImportRow, v string) { r.Input.Duties = v }},
			column{Header: "配合部门", Width: 24, Help: "其他配合的县直部门，多个用、分隔，可空",
				get: func(it Item) string { return joinUnitNames(it.SupportUnits, it) },
				set: func(r *ImportRow, v string) { r.Input.SupportUnits = splitList(v) }},
			column{Header: "乡镇（街道）配合责任", Width: 40, Help: "属地乡镇（街道）应履行的配合职责",
				get: func(it Item) string { return it.SupportDuties }, set: func(r *ImportRow, v string) { r.Input.SupportDuties = v }},
			noteColumn)
	case AccessList:
		cols := []column{{Header: "县直部门", Width: 24, Help: "县直部门全称或单位编码",
			get: func(it Item) string { return it.UnitName }, set: func(r *ImportRow, v string) { r.Input.UnitCode = v }}}
		cols = append(cols, matterColumns("事项名称", "事项类型", "事项编码")...)
		return append(cols, basisColumn,
			column{Header: "准入工作内容", Width: 40, Help: "部门可交由乡镇（街道）承担的具体工作",
				get: func(it Item) string { return it.Duties }, set: func(r *ImportRow, v string) { r.Input.Duties = v }},
			noteColumn)
	case EmpowermentList:
		cols := []column{townshipTypeColumn}
		cols = append(cols, matterColumns("事项名称", "事项类型", "事项编码")...)
		return append(cols, basisColumn,
			column{Header: "批次号", Width: 12, Help: "如 第一批",
				get: func(it Item) string { return batchLabel(it.Batch) }, set: func(r *ImportRow, v string) { r.Input.BatchNo = v }},
			column{Header: "赋权文号", Width: 20, Help: "如 浦委编〔2026〕1号",
				get: func(it Item) string {
					if it.Batch == nil {
						return ""
					}
					return it.Batch.DocNo
				},
				set: func(r *ImportRow, v string) { r.batch().DocNo = v }},
			column{Header: "生效日期", Width: 12, Help: "如 2026-03-01",
				get: func(it Item) string {
					if it.Batch == nil {
						return ""
					}
					return it.Batch.EffectiveAt.In(shanghai).Format("2006-01-02")
				},
				date: func(it Item) time.Time {
					if it.Batch == nil {
						return time.Time{}
					}
					return it.Batch.EffectiveAt
				},
				set: func(r *ImportRow, v string) { r.EffectiveText = v }},
			noteColumn)
	}
	return nil
}

// joinUnitNames shows supporting departments by code; the item only keeps
// codes, and codes import back without loss.
func joinUnitNames(codes []string, _ Item) string { return strings.Join(codes, "、") }

func splitList(v string) []string {
	f := strings.FieldsFunc(v, func(r rune) bool { return r == '、' || r == ',' || r == '，' || r == ';' || r == '；' || r == '\n' })
	var out []string
	for _, s := range f {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Headers returns the column headers of a list's spreadsheet.
func Headers(list ListKind) []string {
	var out []string
	for _, c := range columns(list) {
		out = append(out, c.Header)
	}
	return out
}

// ImportRow is one row read from a file (or sent to the API), with its row
// number for error reports.
type ImportRow struct {
	Row           int       `json:"row"`
	Input         ItemInput `json:"item"`
	TypeName      string    `json:"type_name"`
	EffectiveText string    `json:"effective_date,omitempty"`
}

func (r *ImportRow) matter() *MatterInput {
	if r.Input.Matter == nil {
		r.Input.Matter = &MatterInput{}
	}
	return r.Input.Matter
}

func (r *ImportRow) batch() *BatchInput {
	if r.Input.Batch == nil {
		r.Input.Batch = &BatchInput{}
	}
	return r.Input.Batch
}

// RowError is one bad row of an import.
type RowError struct {
	Row     int    `json:"row"`
	Message string `json:"message"`
}

// ImportError lists every bad row of a file; nothing was written.
type ImportError struct {
	Errors []RowError
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("导入文件有%d行有误，未导入任何内容", len(e.Errors))
}

// Unwrap makes an ImportError an ErrInvalid with a user message.
func (e *ImportError) Unwrap() error { return store.Invalid(e.Error()) }

const sheetName = "清单"

// The limits of reading an uploaded spreadsheet. The file is untrusted
// input: a few kilobytes of .xlsx can unzip to gigabytes, or put a cell in
// the last column (XFD) of every row so that each row reads as 16,384
// cells. Real lists are far inside these limits.
const (
	// MaxFileSize bounds the .xlsx file itself (20 MB).
	MaxFileSize = 20 << 20
	// MaxRows bounds the data rows of one import.
	MaxRows = 50000
	// maxUnzipped bounds the sum of the file's parts once unzipped, as the
	// zip declares them (archive/zip refuses a part that unzips to more
	// than it declared).
	maxUnzipped = 100 << 20
	// maxXMLInMemory is the largest worksheet or shared-strings part kept
	// in memory; a larger one is read from a temporary file.
	maxXMLInMemory = 16 << 20
	// maxParts bounds the number of parts (files) in the zip.
	maxParts = 2000
	// maxCells bounds the cells read, blank ones included.
	maxCells = 5_000_000
	// parseTimeout bounds the time spent reading one file.
	parseTimeout = time.Minute
)

// ParseFile reads a list's spreadsheet. The first sheet's first row must
// hold the list's headers (in any order); blank rows are skipped. Row
// numbers are the spreadsheet's. A file that is not a spreadsheet or lacks a
// header is an error; bad values are left for the import's checks.
//
// The file is untrusted: it is refused, with a message saying what to do,
// when it is larger than MaxFileSize, unzips to more than 100 MB, has more
// than MaxRows data rows or more than 5 million cells, or takes longer than
// a minute to read. Reading stops when ctx ends.
func ParseFile(ctx context.Context, list ListKind, r io.Reader) ([]ImportRow, error) {
	return parseFile(ctx, list, r, parseTimeout)
}

// parseFile is ParseFile with a timeout (tests shorten it).
func parseFile(ctx context.Context, list ListKind, r io.Reader, timeout time.Duration) ([]ImportRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read list file: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, store.Invalidf("文件超过%dMB：请只保留清单所在的工作表、删除图片后另存为 .xlsx 再导入", MaxFileSize>>20)
	}
	if err := checkZip(data); err != nil {
		return nil, err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stopped := func() error {
		if parent.Err() != nil {
			return fmt.Errorf("read list file: %w", parent.Err())
		}
		return store.Invalid("读取文件超时：文件过大或过于复杂，请删除清单以外的内容，或分批导入后重试")
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true,
		UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxXMLInMemory})
	if err != nil {
		return nil, store.Invalid("无法读取该文件：请上传 .xlsx 格式的 Excel 文件")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, store.Invalid("文件中没有工作表")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, store.Invalid("无法读取第一个工作表")
	}
	defer rows.Close()
	cols := columns(list)
	index := make([]int, len(cols))
	var out []ImportRow
	n, cellsRead := 0, 0
	for rows.Next() {
		n++
		if ctx.Err() != nil {
			return nil, stopped()
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, store.Invalidf("第%d行无法读取", n)
		}
		if cellsRead += len(cells); cellsRead > maxCells {
			return nil, store.Invalidf("表格中的单元格过多（超过%d万个，到第%d行为止），多半是清单以外的列里有内容或格式：请删除清单以外的列和空行后再导入", maxCells/10000, n)
		}
		if n == 1 {
			pos := map[string]int{}
			for i, c := range cells {
				pos[strings.TrimSpace(c)] = i
			}
			var missing []string
			for i, c := range cols {
				p, ok := pos[c.Header]
				if !ok {
					missing = append(missing, c.Header)
				}
				index[i] = p
			}
			if len(missing) > 0 {
				return nil, store.Invalidf("第1行表头缺少列：%s（请使用%s模板）", strings.Join(missing, "、"), list.Title())
			}
			continue
		}
		blank := true
		for _, c := range cells {
			if strings.TrimSpace(c) != "" {
				blank = false
				break
			}
		}
		if blank {
			continue
		}
		if len(out) == MaxRows {
			return nil, store.Invalidf("清单超过%d行：请分成每个不超过%d行的文件分批导入", MaxRows, MaxRows)
		}
		row := ImportRow{Row: n}
		for i, c := range cols {
			v := ""
			if index[i] < len(cells) {
				v = strings.TrimSpace(cells[index[i]])
			}
			c.set(&row, v)
		}
		out = append(out, row)
	}
	if n == 0 {
		return nil, store.Invalid("文件是空的")
	}
	if err := rows.Error(); err != nil {
		return nil, store.Invalidf("文件读取出错：%v", err)
	}
	return out, nil
}

// checkZip refuses, before the Excel reader unzips anything, a file that is
// not a zip (with a word for encrypted and old .xls files), has too many
// parts, declares more unzipped bytes than maxUnzipped, or has a part that
// does not unzip to what it declares.
func checkZip(data []byte) error {
	if bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
		return store.Invalid("该文件是旧版 .xls 格式或设置了密码：请在 Excel 中取消密码并另存为 .xlsx 后再导入")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return store.Invalid("无法读取该文件：请上传 .xlsx 格式的 Excel 文件")
	}
	if len(zr.File) > maxParts {
		return store.Invalidf("文件包含的部件过多（%d个），不像是正常的清单文件：请把清单复制到新建的工作簿，另存为 .xlsx 后再导入", len(zr.File))
	}
	var total uint64
	for _, zf := range zr.File {
		if zf.UncompressedSize64 > maxUnzipped || total+zf.UncompressedSize64 > maxUnzipped {
			return store.Invalidf("文件解压后超过%dMB，不像是正常的清单文件：请把清单复制到新建的工作簿，另存为 .xlsx 后再导入", maxUnzipped>>20)
		}
		total += zf.UncompressedSize64
	}
	// The Excel reader ignores a part that stops short or fails its
	// checksum, and would read a truncated sheet as if it were whole: read
	// every part once (at most maxUnzipped bytes) to refuse a damaged file.
	for _, zf := range zr.File {
		if err := readPart(zf); err != nil {
			return store.Invalidf("文件已损坏（%s 无法解压）：请在 Excel 中打开，另存为 .xlsx 后再导入", zf.Name)
		}
	}
	return nil
}

// readPart unzips one part and discards it; archive/zip fails a part that
// unzips to more bytes than it declared or to a wrong checksum.
func readPart(zf *zip.File) error {
	rc, err := zf.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// writeSheet writes items (nil for a template) to w as a spreadsheet with
// the shared Excel writer: the list's columns under a frozen header with an
// autofilter, sized to their content in an export (a template keeps the
// widths the columns are given, for the clerk to type into), and a second
// sheet explaining each column. The effective date is a date cell; the
// import reads it back (excelDate).
func writeSheet(list ListKind, items []Item, w io.Writer) error {
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	cols := columns(list)
	typed := make([]xlsx.Column, len(cols))
	for i, c := range cols {
		typed[i] = xlsx.Column{Title: c.Header}
		if c.date != nil {
			typed[i].Kind = xlsx.Date
		}
		if items == nil {
			typed[i].Width = c.Width
		}
	}
	sh, err := wb.AddSheet(sheetName, "", typed)
	if err != nil {
		return err
	}
	for _, it := range items {
		vals := make([]any, len(cols))
		for i, c := range cols {
			if c.date != nil {
				vals[i] = c.date(it)
			} else {
				vals[i] = c.get(it)
			}
		}
		if err := sh.Add(vals...); err != nil {
			return err
		}
	}
	f, err := wb.File()
	if err != nil {
		return err
	}
	// A second sheet explains each column.
	if _, err := f.NewSheet("填写说明"); err != nil {
		return err
	}
	_ = f.SetCellValue("填写说明", "A1", "列名")
	_ = f.SetCellValue("填写说明", "B1", "填写要求")
	_ = f.SetColWidth("填写说明", "A", "A", 20)
	_ = f.SetColWidth("填写说明", "B", "B", 90)
	for i, c := range cols {
		_ = f.SetCellValue("填写说明", fmt.Sprintf("A%d", i+2), c.Header)
		_ = f.SetCellValue("填写说明", fmt.Sprintf("B%d", i+2), c.Help)
	}
	_ = f.SetCellValue("填写说明", fmt.Sprintf("A%d", len(cols)+3), "说明")
	_ = f.SetCellValue("填写说明", fmt.Sprintf("B%d", len(cols)+3), "导入前系统会检查整个文件：任何一行有误都会列出行号和原因，全部正确才会写入。")
	_, err = wb.WriteTo(w)
	return err
}

// Template writes an empty spreadsheet for a list with its headers and an
// explanation sheet.
func Template(list ListKind, w io.Writer) error { return writeSheet(list, nil, w) }

// Export writes a list (at version, 0 for current; filtered) as a spreadsheet
// in the columns it is kept in.
func (s *Service) Export(ctx context.Context, actor access.Actor, list ListKind, version int, f Filter, w io.Writer) error {
	items, err := s.ItemsAt(ctx, actor, list, version, f)
	if err != nil {
		return err
	}
	return writeSheet(list, items, w)
}

// excelDate reads a date cell: text (2026-03-01) or an Excel serial number.
func excelDate(v string) (time.Time, error) {
	if n, err := strconv.ParseFloat(v, 64); err == nil && n > 20000 && n < 100000 {
		d := time.Date(1899, 12, 30, 0, 0, 0, 0, shanghai).AddDate(0, 0, int(n))
		return d, nil
	}
	return ParseDate(v)
}

// ImportOptions tune an import.
type ImportOptions struct {
	// Replace removes the items of the list that the file does not hold;
	// otherwise the file adds and changes items only.
	Replace bool
	Reason  string
	// Progress is called as rows are checked and written.
	Progress func(phase string, done, total int)
}

// ImportResult is what an import did.
type ImportResult struct {
	Summary
	Rows           int `json:"rows"`
	MattersCreated int `json:"matters_created"`
	MattersUpdated int `json:"matters_updated"`
	BatchesCreated int `json:"batches_created"`
}

// checked is the outcome of checking a whole file.
type checked struct {
	items      []Item
	newMatters []MatterInput
	changed    []MatterInput
	newBatches []BatchInput
}

// check validates every row of an import against the database and each
// other, and returns every bad row.
func (s *Service) check(ctx context.Context, q querier, list ListKind, rows []ImportRow, progress func(string, int, int)) (*resolver, checked, []RowError, error) {
	var out checked
	r, err := s.newResolver(ctx, q, list)
	if err != nil {
		return nil, out, nil, err
	}
	var errs []RowError
	fail := func(row int, err error) {
		msg, ok := store.UserMessage(err)
		if !ok {
			msg = err.Error()
		}
		errs = append(errs, RowError{Row: row, Message: msg})
	}
	type seenMatter struct {
		row int
		in  MatterInput
	}
	matters := map[string]seenMatter{}
	batches := map[string]int{}
	keys := map[string]int{}
	for i := range rows {
		row := &rows[i]
		if progress != nil && i%500 == 0 {
			progress("checking", i, len(rows))
		}
		in := row.Input
		if list == EmpowermentList && in.Batch != nil {
			if row.EffectiveText == "" {
				fail(row.Row, store.Invalid("生效日期不能为空"))
				continue
			}
			t, err := excelDate(row.EffectiveText)
			if err != nil {
				fail(row.Row, err)
				continue
			}
			in.Batch.EffectiveAt = t
		}
		if in.Matter != nil {
			m := *in.Matter
			in.Matter = &m
		}
		if in.Batch != nil {
			b := *in.Batch
			in.Batch = &b
		}
		it, err := r.check(&in)
		if err != nil {
			fail(row.Row, err)
			continue
		}
		if in.Matter != nil {
			code := TypeCode(row.TypeName)
			if code == "" {
				fail(row.Row, store.Invalidf("事项类型“%s”不正确：应为 行政许可、行政处罚、…、公共服务 之一", row.TypeName))
				continue
			}
			if code != in.MatterCode[:2] {
				fail(row.Row, store.Invalidf("事项类型“%s”与事项编码“%s”的类型代码不符（%s 应为%s）", row.TypeName, in.MatterCode, in.MatterCode[:2], TypeName(in.MatterCode[:2])))
				continue
			}
			if prev, ok := matters[in.MatterCode]; ok {
				if prev.in != *in.Matter {
					fail(row.Row, store.Invalidf("事项编码“%s”在第%d行的名称或设定依据与本行不同", in.MatterCode, prev.row))
					continue
				}
			} else {
				matters[in.MatterCode] = seenMatter{row: row.Row, in: *in.Matter}
				old, exists := r.matters[in.MatterCode]
				switch {
				case !exists:
					out.newMatters = append(out.newMatters, *in.Matter)
				case old.Name != in.Matter.Name || old.BasisLaw != in.Matter.BasisLaw || old.BasisArticle != in.Matter.BasisArticle:
					out.changed = append(out.changed, *in.Matter)
				}
			}
		}
		if it.Batch != nil && it.batchID == 0 {
			if prev, ok := batches[in.BatchNo]; ok {
				nb := out.newBatches[prev]
				if nb.DocNo != in.Batch.DocNo || !sameDay(nb.EffectiveAt, in.Batch.EffectiveAt) {
					fail(row.Row, store.Invalidf("批次“%s”的文号或生效日期与前面的行不一致", in.BatchNo))
					continue
				}
			} else {
				batches[in.BatchNo] = len(out.newBatches)
				out.newBatches = append(out.newBatches, *in.Batch)
			}
		}
		fileKey := it.TownshipType + "/" + it.UnitCode + "/" + it.Matter.Code
		if prev, ok := keys[fileKey]; ok {
			fail(row.Row, store.Invalidf("与第%d行重复（同一%s事项只能有一行）", prev, list.Title()))
			continue
		}
		keys[fileKey] = row.Row
		out.items = append(out.items, it)
	}
	return r, out, errs, nil
}

// CheckImport checks a whole file without writing anything and returns
// every bad row (none: the file can be imported).
func (s *Service) CheckImport(ctx context.Context, actor access.Actor, list ListKind, rows []ImportRow) ([]RowError, error) {
	if err := mustEdit(actor); err != nil {
		return nil, err
	}
	_, _, errs, err := s.check(ctx, s.db, list, rows, nil)
	return errs, err
}

// Import checks every row, and only when all are good writes them in one
// transaction: new and changed matters, new batches, and the list's items as
// one new version. Any bad row gives an *ImportError listing all of them.
func (s *Service) Import(ctx context.Context, actor access.Actor, list ListKind, rows []ImportRow, opts ImportOptions) (ImportResult, error) {
	if err := mustEdit(actor); err != nil {
		return ImportResult{}, err
	}
	if len(rows) == 0 {
		return ImportResult{}, store.Invalid("文件中没有数据行")
	}
	reason := strings.TrimSpace(opts.Reason)
	if reason == "" {
		reason = "Excel导入"
	}
	res := ImportResult{Rows: len(rows)}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		r, c, errs, err := s.check(ctx, tx, list, rows, opts.Progress)
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			return &ImportError{Errors: errs}
		}
		if opts.Progress != nil {
			opts.Progress("writing", 0, len(rows))
		}
		if err := s.writeMatters(ctx, tx, c.newMatters, c.changed, false); err != nil {
			return err
		}
		res.MattersCreated, res.MattersUpdated = len(c.newMatters), len(c.changed)
		if res.MattersCreated+res.MattersUpdated > 0 {
			if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "matter.import", Entity: "matter", EntityID: string(list),
				After: map[string]int{"created": res.MattersCreated, "updated": res.MattersUpdated}, Reason: reason}); err != nil {
				return err
			}
		}
		ids, err := s.matterIDs(ctx, tx)
		if err != nil {
			return err
		}
		batchIDs := map[string]int64{}
		for _, b := range r.batches {
			batchIDs[b.BatchNo] = b.ID
		}
		for _, b := range c.newBatches {
			nb, err := s.createBatchTx(ctx, tx, actor, b, false)
			if err != nil {
				return err
			}
			batchIDs[nb.BatchNo] = nb.ID
			res.BatchesCreated++
		}
		for i := range c.items {
			c.items[i].Matter.ID = ids[c.items[i].Matter.Code]
			if c.items[i].Batch != nil {
				c.items[i].batchID = batchIDs[c.items[i].Batch.BatchNo]
			}
		}
		var progress func(int, int)
		if opts.Progress != nil {
			progress = func(done, total int) { opts.Progress("writing", done, total) }
		}
		res.Summary, err = s.apply(ctx, tx, actor, change{list: list, put: c.items, replace: opts.Replace, reason: reason, progress: progress})
		return err
	})
	if err != nil {
		var ie *ImportError
		if errors.As(err, &ie) {
			return res, ie
		}
		return res, err
	}
	return res, nil
}

// writeMatters inserts new matters and updates changed ones in bulk, with one
// audit entry for the lot.
func (s *Service) writeMatters(ctx context.Context, tx *store.Tx, created, changed []MatterInput, demo bool) error {
	now := store.Millis(s.now())
	const per = 200
	for i := 0; i < len(created); i += per {
		batch := created[i:min(i+per, len(created))]
		var b strings.Builder
		b.WriteString(`INSERT INTO matters (code, type, name, basis_law, basis_article, demo, created_at, updated_at) VALUES `)
		args := make([]any, 0, len(batch)*8)
		for j, m := range batch {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, m.Code, m.Code[:2], m.Name, m.BasisLaw, m.BasisArticle, store.BoolInt(demo), now, now)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("create matters: %w", err)
		}
	}
	for _, m := range changed {
		if _, err := tx.Exec(ctx, `UPDATE matters SET name = ?, basis_law = ?, basis_article = ?, updated_at = ? WHERE code = ?`,
			m.Name, m.BasisLaw, m.BasisArticle, now, m.Code); err != nil {
			return fmt.Errorf("update matter %s: %w", m.Code, err)
		}
	}
	return nil
}

func (s *Service) matterIDs(ctx context.Context, q querier) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT id, code FROM matters`)
	if err != nil {
		return nil, fmt.Errorf("read matter ids: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, err
		}
		out[code] = id
	}
	return out, rows.Err()
}
