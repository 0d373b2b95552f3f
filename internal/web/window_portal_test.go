package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/service"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// Issue 21 point 6: an online application whose form comes back with an
// error keeps the files uploaded; the next try needs only what was wrong.
func TestOnlineFormKeepsUploads(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newCaseFixture(t, db)
		d := fx.s.Deps
		d.Lists = catalog.NewService(db)
		d.Service = service.New(db, d.Cases, d.Org.Sealer(), d.Log)
		s, err := New(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO matters (code, type, name, created_at, updated_at) VALUES ('GF09901000', 'GF', '网办事项', 0, 0)`); err != nil {
			t.Fatal(err)
		}
		it, err := s.Service.SaveItem(ctx, access.System, service.ItemInput{Code: "GF09901000", Kind: service.KindPromised, Level: service.LevelCounty,
			DeptCode: "350722D003", PromisedDays: 3, Online: true, Materials: []service.MaterialInput{{Name: "申请表", Required: true}}})
		if err != nil {
			t.Fatal(err)
		}
		post := func(fields map[string]string, file bool) *httptest.ResponseRecorder {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			for k, v := range fields {
				_ = mw.WriteField(k, v)
			}
			if file {
				fw, _ := mw.CreateFormFile("material_"+strconv.FormatInt(it.Materials[0].ID, 10), "申请表.png")
				_, _ = fw.Write(pngFile)
			}
			mw.Close()
			r := httptest.NewRequest(http.MethodPost, "/portal/service/items/GF09901000", &body)
			r.Header.Set("Content-Type", mw.FormDataContentType())
			r.RemoteAddr = "192.0.2.7:1234"
			w := httptest.NewRecorder()
			s.mux.ServeHTTP(w, withState(r, requestState{CSRF: "test-csrf"}))
			return w
		}
		w := post(map[string]string{"phone": "13900001111"}, true)
		if w.Code != http.StatusBadRequest {
			t.Fatalf("no name: %d", w.Code)
		}
		page := w.Body.String()
		m := regexp.MustCompile(`name="kept" value="([0-9a-f]+)"`).FindStringSubmatch(page)
		if m == nil || !strings.Contains(page, "申请表.png") {
			t.Fatalf("the form does not keep the upload:\n%s", page)
		}
		w = post(map[string]string{"phone": "13900001111", "name": "王大妈", "kept": m[1]}, false)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/portal/service/done") {
			t.Fatalf("second try: %d %s\n%s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		// The token is spent.
		w = post(map[string]string{"phone": "13900001112", "name": "王大妈", "kept": m[1]}, false)
		if w.Code != http.StatusBadRequest {
			t.Fatalf("a spent token: %d", w.Code)
		}
	})
}

var pngFile = []byte{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
	0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82}
