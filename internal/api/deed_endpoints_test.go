package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestDeedEndpoints records good deeds through the API and reads them back
// per subtree, on both engines.
func TestDeedEndpoints(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newAPIWalkFixture(t, db)
		call := func(role apiRole, method, target, body string, out any) int {
			t.Helper()
			r := httptest.NewRequest(method, target, strings.NewReader(body))
			if body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			r.Header.Set("Authorization", "Bearer "+fx.tokens[role])
			w := httptest.NewRecorder()
			fx.s.Handler().ServeHTTP(w, r)
			if out != nil && w.Code < 300 {
				if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
					t.Fatalf("%s %s: %v %s", method, target, err, w.Body.String())
				}
			}
			return w.Code
		}
		var d struct {
			ID          int64  `json:"id"`
			Doer        string `json:"doer"`
			UnitName    string `json:"unit_name"`
			ConfirmedAs string `json:"confirmed_as"`
			ConfirmedBy string `json:"confirmed_by"`
			DoneAt      string `json:"done_at"`
		}
		yesterday := time.Now().In(shanghaiZone).AddDate(0, 0, -1).Format("2006-01-02")
		if code := call(apiCommunity, "POST", "/api/v1/party/deeds", `{"community":"350722001001","doer_unit":"350722D003","beneficiary":"3号楼居民",
			"problem":"修好楼道灯","confirmed_as":"resident","confirmed_by":"王大爷","done_on":"`+yesterday+`"}`, &d); code != http.StatusCreated {
			t.Fatalf("record: %d", code)
		}
		if d.ID == 0 || d.Doer != "县城市管理和综合执法局" || d.UnitName != "仙楼社区" || d.ConfirmedAs != "resident" || d.ConfirmedBy != "王大爷" || !strings.HasPrefix(d.DoneAt, yesterday) {
			t.Fatalf("recorded %+v", d)
		}
		for _, bad := range []string{
			`{"community":"NOSUCH","doer_unit":"350722D003","beneficiary":"居民","problem":"修灯"}`,
			`{"community":"350722001001","doer_unit":"NOSUCH","beneficiary":"居民","problem":"修灯"}`,
			`{"community":"350722001001","doer_unit":"350722D003","beneficiary":"居民","problem":""}`,
			`{"community":"350722001001","doer_unit":"350722D003","beneficiary":"居民","problem":"修灯","done_on":"2999-01-01"}`,
		} {
			if code := call(apiCommunity, "POST", "/api/v1/party/deeds", bad, nil); code != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", bad, code)
			}
		}
		if code := call(apiTownB, "POST", "/api/v1/party/deeds", `{"community":"350722001001","doer_unit":"350722D003","beneficiary":"居民","problem":"修灯"}`, nil); code != http.StatusForbidden {
			t.Errorf("another township records: %d, want 403", code)
		}
		var list DeedsAnswer
		if code := call(apiTownA, "GET", "/api/v1/party/deeds", "", &list); code != http.StatusOK {
			t.Fatalf("list: %d", code)
		}
		if list.Total != 1 || len(list.Deeds) != 1 || list.Deeds[0].ID != d.ID || len(list.ByCommunity) != 1 || list.ByCommunity[0].UnitName != "仙楼社区" {
			t.Fatalf("township A's deeds %+v", list)
		}
		if code := call(apiTownB, "GET", "/api/v1/party/deeds", "", &list); code != http.StatusOK || list.Total != 0 || len(list.Deeds) != 0 {
			t.Fatalf("township B's deeds: %d %+v", code, list)
		}
		if code := call(apiTownA, "GET", "/api/v1/party/deeds?from="+time.Now().AddDate(0, 0, 1).Format("2006-01-02")+"&to="+time.Now().AddDate(0, 0, 2).Format("2006-01-02"), "", &list); code != http.StatusOK || list.Total != 0 {
			t.Fatalf("a later period: %d %+v", code, list)
		}
		// With an evidence photo, as multipart/form-data: a PNG is kept in
		// the attachments' store and served to the deed's readers only; a
		// GIF or a text file is refused.
		var img bytes.Buffer
		if err := png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 4, 3))); err != nil {
			t.Fatal(err)
		}
		upload := func(role apiRole, name string, data []byte, out any) int {
			t.Helper()
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			for k, v := range map[string]string{"community": "350722001001", "doer_unit": "350722D003", "beneficiary": "5号楼居民", "problem": "清理楼道杂物"} {
				_ = mw.WriteField(k, v)
			}
			fw, _ := mw.CreateFormFile("photo", name)
			_, _ = fw.Write(data)
			_ = mw.Close()
			r := httptest.NewRequest("POST", "/api/v1/party/deeds", &body)
			r.Header.Set("Content-Type", mw.FormDataContentType())
			r.Header.Set("Authorization", "Bearer "+fx.tokens[role])
			w := httptest.NewRecorder()
			fx.s.Handler().ServeHTTP(w, r)
			if out != nil && w.Code < 300 {
				if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
					t.Fatalf("upload: %v %s", err, w.Body.String())
				}
			}
			return w.Code
		}
		var pd struct {
			ID       int64  `json:"id"`
			Problem  string `json:"problem"`
			PhotoURL string `json:"photo_url"`
		}
		if code := upload(apiCommunity, "楼道.png", img.Bytes(), &pd); code != http.StatusCreated {
			t.Fatalf("record with photo: %d", code)
		}
		if pd.Problem != "清理楼道杂物" || pd.PhotoURL != fmt.Sprintf("/api/v1/party/deeds/%d/photo", pd.ID) {
			t.Fatalf("recorded with photo %+v", pd)
		}
		get := func(role apiRole, target string) *httptest.ResponseRecorder {
			r := httptest.NewRequest("GET", target, nil)
			r.Header.Set("Authorization", "Bearer "+fx.tokens[role])
			w := httptest.NewRecorder()
			fx.s.Handler().ServeHTTP(w, r)
			return w
		}
		if w := get(apiTownA, pd.PhotoURL); w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/png" || !bytes.Equal(w.Body.Bytes(), img.Bytes()) {
			t.Fatalf("photo for township A: %d %q %d bytes", w.Code, w.Header().Get("Content-Type"), w.Body.Len())
		}
		if w := get(apiTownB, pd.PhotoURL); w.Code != http.StatusNotFound {
			t.Fatalf("photo for township B: %d, want 404", w.Code)
		}
		if w := get(apiTownA, fmt.Sprintf("/api/v1/party/deeds/%d/photo", d.ID)); w.Code != http.StatusNotFound {
			t.Fatalf("photo of a deed without one: %d, want 404", w.Code)
		}
		for name, data := range map[string][]byte{"a.gif": []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "a.txt": []byte("not a photo")} {
			if code := upload(apiCommunity, name, data, nil); code != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", name, code)
			}
		}
		// The walk's case is open: nothing to offer, and marking it is refused.
		var offer CaseDeedAnswer
		if code := call(apiCommunity, "GET", "/api/v1/cases/"+fx.caseNo+"/deed", "", &offer); code != http.StatusOK || offer.Offer != nil {
			t.Fatalf("open case's offer: %d %+v", code, offer)
		}
		if code := call(apiCommunity, "POST", "/api/v1/cases/"+fx.caseNo+"/deed", `{"doer":"u1","beneficiary":"李四","problem":"路灯"}`, nil); code != http.StatusBadRequest {
			t.Fatalf("open case marked: %d", code)
		}
		// A whistle the community's member carried out, resolved: marking it
		// answers the whole deed, as recording one does.
		ctx := context.Background()
		community, err := fx.s.Auth.TokenActor(ctx, fx.tokens[apiCommunity])
		if err != nil {
			t.Fatal(err)
		}
		// The member is registered (双报到) at 仙楼社区, where the whistle is
		// (the party registry answers, as cmd/grassroots wires it).
		fx.s.Cases.UseParty(fx.s.Party)
		if _, err := db.Exec(ctx, `UPDATE people SET home_unit_id = (SELECT id FROM units WHERE code = '350722001001') WHERE id = ?`, fx.volunteer); err != nil {
			t.Fatal(err)
		}
		wc, _, err := fx.s.Cases.Create(ctx, community, casework.NewCase{Flow: "whistle", Kind: casework.WhistleCommunity, Title: "帮扶独居老人",
			PlaceUnit: "350722001001", SummonPeople: []int64{fx.volunteer}})
		if err != nil {
			t.Fatal(err)
		}
		wd, err := fx.s.Cases.Get(ctx, access.System, wc.No)
		if err != nil || len(wd.Assignments) == 0 {
			t.Fatalf("whistle %s: %v", wc.No, err)
		}
		part := wd.Assignments[0].ID
		for _, a := range []casework.Action{{Name: "report_in", AssignmentID: part}, {Name: "report_result", AssignmentID: part, Note: "已上门"},
			{Name: "accept_result", AssignmentID: part, Rating: 5}} {
			if _, err := fx.s.Cases.Do(ctx, community, wc.No, a); err != nil {
				t.Fatalf("%s: %v", a.Name, err)
			}
		}
		if code := call(apiCommunity, "GET", "/api/v1/cases/"+wc.No+"/deed", "", &offer); code != http.StatusOK || offer.Offer == nil || len(offer.Offer.Doers) != 1 {
			t.Fatalf("resolved whistle's offer: %d %+v", code, offer)
		}
		var cd struct {
			ID          int64  `json:"id"`
			Doer        string `json:"doer"`
			Beneficiary string `json:"beneficiary"`
			Problem     string `json:"problem"`
			CaseNo      string `json:"case_no"`
			UnitName    string `json:"unit_name"`
			ConfirmedAs string `json:"confirmed_as"`
		}
		if code := call(apiCommunity, "POST", "/api/v1/cases/"+wc.No+"/deed", `{"doer":"`+offer.Offer.Doers[0].Key+`","beneficiary":"王奶奶","problem":"独居老人无人照料"}`, &cd); code != http.StatusCreated {
			t.Fatalf("mark resolved whistle: %d", code)
		}
		if cd.ID == 0 || cd.Doer != "志愿者赵某" || cd.Beneficiary != "王奶奶" || cd.Problem != "独居老人无人照料" || cd.CaseNo != wc.No || cd.UnitName != "仙楼社区" || cd.ConfirmedAs != "community" {
			t.Fatalf("marked deed %+v", cd)
		}
	})
}
