package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/pairing"
	"grassroots/internal/staffing"
	"grassroots/internal/store"
	"grassroots/internal/taskforce"
	"grassroots/internal/xlsx"
)

// orgLedgerExcelEndpoints registers the ledgers' Excel: each registry's
// export (its figures in the workbook) and the imports, all rows in one
// transaction or none.
func (s *Server) orgLedgerExcelEndpoints() {
	s.route("GET /api/v1/pairings/export.xlsx", s.authed(s.exportOf("结对共建台账", func(ctx context.Context, a access.Actor, w io.Writer) error {
		return s.Pairing.Export(ctx, a, w)
	})))
	s.route("GET /api/v1/taskforces/export.xlsx", s.authed(s.exportOf("工作专班台账", func(ctx context.Context, a access.Actor, w io.Writer) error {
		return s.TaskForce.Export(ctx, a, w)
	})))
	s.route("GET /api/v1/staffing/export.xlsx", s.authed(s.exportOf("机构编制实名制台账", func(ctx context.Context, a access.Actor, w io.Writer) error {
		return s.Staffing.Export(ctx, a, w)
	})))
	s.route("POST /api/v1/taskforces/import", s.authed(importOf(taskforce.MayImport, "只有乡镇街道或县级单位可以导入工作专班", s.TaskForce.Import)))
	s.route("POST /api/v1/staffing/import", s.authed(importOf(staffing.CanWrite, "只有县委编办可以调整机构编制", counted(s.Staffing.Import))))
	s.route("POST /api/v1/villages/incomes/import", s.authed(importOf(pairing.MayImportIncomes, "村集体经营性收入由所在乡镇或县委组织部填报", counted(s.Pairing.ImportIncomes))))
	s.route("POST /api/v1/pairings/import", s.authed(importOf(pairing.CanPair, "结对共建由县委组织部安排", counted(s.Pairing.ImportPairings))))
	s.route("POST /api/v1/pairings/work/import", s.authed(importOf(pairing.MayImportWork, "只有结对单位、县委组织部可以记录结对共建", s.Pairing.ImportWork)))
	s.route("POST /api/v1/taskforces/{id}/close", s.authed(s.taskforceClose))
}

func (s *Server) exportOf(name string, export func(context.Context, access.Actor, io.Writer) error) func(http.ResponseWriter, *http.Request, access.Actor) error {
	return func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
		var b bytes.Buffer
		if err := export(r.Context(), actor, &b); err != nil {
			return err
		}
		xlsx.Serve(w, xlsx.FileName(time.Now(), name), b.Bytes())
		return nil
	}
}

// xlsxUpload is the file field of a multipart upload of at most 10 MB.
func xlsxUpload(w http.ResponseWriter, r *http.Request) (multipart.File, error) {
	r.Body = http.MaxBytesReader(w, r.Body, 10<<20+1<<16)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, store.Invalid("上传的文件过大或格式不正确（不超过10MB的 .xlsx 文件）")
		}
		return nil, &store.UserError{Kind: store.ErrInvalid, Message: "请以multipart/form-data上传文件（字段file）", Cause: err}
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, &store.UserError{Kind: store.ErrInvalid, Message: "缺少文件字段file", Cause: err}
	}
	return f, nil
}

// LedgerImportRefused is the 400 answer of a ledger import with bad rows:
// nothing was recorded; rows names each refused row.
type LedgerImportRefused struct {
	Error ErrorDetail `json:"error"`
	Rows  any         `json:"rows"`
}

func refused(w http.ResponseWriter, msg string, rows any) error {
	return writeJSON(w, http.StatusBadRequest, LedgerImportRefused{Error: ErrorDetail{Code: "invalid", Message: msg}, Rows: rows})
}

// ImportCount is how many rows an import recorded.
type ImportCount struct {
	Imported int `json:"imported"`
}

// importOf is a ledger import's handler: may says who may import at all
// (the domain checks each row), run records the file's rows in one
// transaction, and a file with bad rows is answered 400 with every refused
// row and nothing recorded.
func importOf[T any](may func(access.Actor) bool, forbidden string, run func(context.Context, access.Actor, io.Reader) (T, error)) func(http.ResponseWriter, *http.Request, access.Actor) error {
	return func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
		if !may(actor) {
			return store.Forbidden(forbidden)
		}
		f, err := xlsxUpload(w, r)
		if err != nil {
			return err
		}
		defer r.MultipartForm.RemoveAll()
		defer f.Close()
		n, err := run(r.Context(), actor, f)
		var ie *xlsx.ImportError
		if errors.As(err, &ie) {
			return refused(w, ie.Error(), ie.Rows)
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, n)
	}
}

// counted answers an import's count as ImportCount.
func counted(run func(context.Context, access.Actor, io.Reader) (int, error)) func(context.Context, access.Actor, io.Reader) (ImportCount, error) {
	return func(ctx context.Context, a access.Actor, r io.Reader) (ImportCount, error) {
		n, err := run(ctx, a, r)
		return ImportCount{Imported: n}, err
	}
}

func (s *Server) taskforceClose(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := idParam(r, "专班")
	if err != nil {
		return err
	}
	var req DayRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := s.TaskForce.Close(r.Context(), actor, id, req.Day); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pairingWorkImport records the visits, projects and fund lines of an
// .xlsx file (sheets 蹲点调研, 产业项目, 资金): all rows or none.
