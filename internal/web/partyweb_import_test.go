package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// A register import's row errors are shown in the reader's language.
func TestPartyImportRowErrorsInEnglish(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		ctx := context.Background()
		if _, err := db.Exec(ctx, `INSERT INTO party_orgs (code, name, kind, path, depth, unit_id, created_at)
			SELECT 'PXL', '仙楼社区党委', 'community_committee', '/xl/', 0, id, 0 FROM units WHERE code = '350722001001'`); err != nil {
			t.Fatal(err)
		}
		f := excelize.NewFile()
		if err := f.SetSheetName("Sheet1", "党员"); err != nil {
			t.Fatal(err)
		}
		for i, row := range [][]any{{"姓名", "所在党组织代码", "出生年份"}, {"党员甲", "PXL", "八五年"}} {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow("党员", cell, &row); err != nil {
				t.Fatal(err)
			}
		}
		var file bytes.Buffer
		if _, err := f.WriteTo(&file); err != nil {
			t.Fatal(err)
		}
		community := fx.actor(13, "350722001001", "community", access.RoleCommunity)
		for lang, want := range map[string]string{"zh": "出生年份应为四位数字，如1985", "en": "The birth year should be four digits, such as 1985"} {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			fw, _ := mw.CreateFormFile("file", "党员.xlsx")
			_, _ = fw.Write(file.Bytes())
			_ = mw.Close()
			r := httptest.NewRequest("POST", "/org/party/PXL/import", &b)
			r.Header.Set("Content-Type", mw.FormDataContentType())
			r.AddCookie(&http.Cookie{Name: "lang", Value: lang})
			w := httptest.NewRecorder()
			fx.s.mux.ServeHTTP(w, withState(r, requestState{Actor: community, CSRF: "test-csrf"}))
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), want) {
				t.Errorf("%s: %d, body lacks %q", lang, w.Code, want)
			}
		}
	})
}
