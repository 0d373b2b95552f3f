package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/party"
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

// The register's filter narrows the page, and the export link carries it:
// the Excel holds what is filtered.
func TestPartyRegisterFilterExport(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		ctx := context.Background()
		if _, err := db.Exec(ctx, `INSERT INTO party_orgs (code, name, kind, path, depth, unit_id, created_at)
			SELECT 'PXL', '仙楼社区党委', 'community_committee', '/xl/', 0, id, 0 FROM units WHERE code = '350722001001'`); err != nil {
			t.Fatal(err)
		}
		admin := fx.actor(1, "350722000000", "county", access.RoleAdmin)
		for _, m := range [][2]string{{"党员甲某某", "法律、电工"}, {"党员乙某某", "医疗"}} {
			if _, err := fx.s.Party.AddMember(ctx, admin, party.MemberInput{Name: m[0], OrgCode: "PXL", Skills: m[1]}); err != nil {
				t.Fatal(err)
			}
		}
		community := fx.actor(13, "350722001001", "community", access.RoleCommunity)
		get := func(target string) *httptest.ResponseRecorder {
			t.Helper()
			w := httptest.NewRecorder()
			fx.s.mux.ServeHTTP(w, withState(httptest.NewRequest("GET", target, nil), requestState{Actor: community, CSRF: "test-csrf"}))
			if w.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", target, w.Code, w.Body.String())
			}
			return w
		}
		body := get("/org/party/PXL?skill=" + url.QueryEscape("电工")).Body.String()
		if !strings.Contains(body, "党员甲某某") || strings.Contains(body, "党员乙某某") {
			t.Errorf("the filtered page lists the wrong members")
		}
		link := `/org/party/PXL/members.xlsx?skill=` + url.QueryEscape("电工")
		if !strings.Contains(body, `href="`+link+`"`) {
			i := strings.Index(body, "register-export")
			t.Fatalf("the export link does not carry the filter %q: %s", link, body[i:i+200])
		}
		f, err := excelize.OpenReader(get(link).Body)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(party.SheetMembers)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[1][0] != "党员甲某某" {
			t.Errorf("export of the filter: %q", rows)
		}
		if w := get("/org/party/PXL/members.xlsx"); w.Body.Len() == 0 {
			t.Error("empty export")
		} else if f, err := excelize.OpenReader(w.Body); err != nil {
			t.Fatal(err)
		} else if rows, _ := f.GetRows(party.SheetMembers); len(rows) != 3 {
			t.Errorf("unfiltered export has %d rows, want 3", len(rows))
		}
	})
}
