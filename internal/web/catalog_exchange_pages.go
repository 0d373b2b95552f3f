package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"grassroots/internal/catalog"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// The lists' Excel exchange: export of what is filtered, the import
// template, imports and their progress.

func (s *Server) listsExport(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	version, _ := strconv.Atoi(q.Get("version"))
	f := catalog.Filter{TownshipType: q.Get("township_type"), UnitCode: q.Get("unit"), Q: q.Get("q")}
	var buf bytes.Buffer
	if err := s.Lists.Export(r.Context(), actorOf(r), list, version, f, &buf); err != nil {
		return err
	}
	unit := f.UnitCode
	if unit != "" && s.Org != nil {
		// The file is named by the unit's name, never its code.
		if u, err := s.Org.UnitByCode(r.Context(), actorOf(r), unit); err == nil {
			unit = u.Name
		}
	}
	xlsx.Serve(w, listFileName(list, version, f, unit), buf.Bytes())
	return nil
}

// listFileName names a list's export by the list, its version and its
// filters (unit is the filtered unit's name), and the day:
// 权责清单-第3版-城关型-20261203.xlsx.
func listFileName(list catalog.ListKind, version int, f catalog.Filter, unit string) string {
	v := ""
	if version > 0 {
		v = fmt.Sprintf("第%d版", version)
	}
	return xlsx.FileName(time.Now(), list.Title(), v, f.TownshipType, unit, f.Q)
}

func (s *Server) listsTemplate(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := catalog.Template(list, &buf); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(time.Time{}, list.Title()+"模板"), buf.Bytes())
	return nil
}

// maxImportFile bounds an uploaded spreadsheet.
const maxImportFile = 20 << 20

func (s *Server) listsImport(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	actor := actorOf(r)
	if !catalog.CanEdit(actor) {
		return store.Forbidden(s.Msgs.T(langOf(r), "lists.readonly"))
	}
	if r.MultipartForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxImportFile)
		if err := r.ParseMultipartForm(maxImportFile); err != nil {
			return store.Invalid("上传的文件过大或格式不正确（不超过20MB的 .xlsx 文件）")
		}
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return store.Invalid("请选择要导入的 Excel 文件")
	}
	defer file.Close()
	rows, err := catalog.ParseFile(r.Context(), list, file)
	if err == nil && len(rows) == 0 {
		err = store.Invalid("文件中没有数据行")
	}
	var rowErrs []catalog.RowError
	if err == nil {
		rowErrs, err = s.Lists.CheckImport(r.Context(), actor, list, rows)
	}
	if err != nil || len(rowErrs) > 0 {
		p, perr := s.listPageData(r, list)
		if perr != nil {
			return perr
		}
		p.ImportErrors = rowErrs
		if err != nil {
			msg, ok := userMessage(r, err)
			if !ok {
				return err
			}
			p.ImportMessage = msg
		} else {
			p.ImportMessage = (&catalog.ImportError{Errors: rowErrs}).Error()
		}
		s.renderStatus(w, r, http.StatusBadRequest, "lists_list", p)
		return nil
	}
	id, err := s.Lists.StartImport(actor, list, rows, catalog.ImportOptions{Replace: r.PostFormValue("replace") == "1", Reason: r.PostFormValue("reason")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/"+string(list)+"/imports/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

// ListsImportPage shows an import's progress and outcome.
type ListsImportPage struct {
	ListsPage
	List catalog.ListKind
	Job  catalog.ImportJob
}

func (s *Server) listsImportStatus(w http.ResponseWriter, r *http.Request) error {
	list, err := listOf(r)
	if err != nil {
		return err
	}
	p := ListsImportPage{ListsPage: s.listsPage(r, "lists.import.title", string(list)), List: list}
	job, ok := s.Lists.ImportStatus(p.Actor, r.PathValue("id"))
	if !ok {
		return store.NotFound(p.T("lists.import.gone"))
	}
	p.Job = job
	return s.render(w, r, "lists_import", p)
}
