package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/api"
	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestCoordinationThroughAPI carries a whistle, a township call and an
// enforcement transfer through POST /api/v1/cases and the action endpoints
// with API tokens, and reads the lists and the report card back.
func TestCoordinationThroughAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, u := range []string{
			`(1, '350722000000', '浦城县', 'county', NULL, '/1/', 0)`,
			`(2, '350722001000', '南浦街道', 'street', 1, '/1/2/', 1)`,
			`(3, '350722101000', '富岭镇', 'township', 1, '/1/3/', 1)`,
			`(4, '350722D000', '县委督查室', 'department', 1, '/1/4/', 1)`,
			`(5, '350722D002', '县住房和城乡建设局', 'department', 1, '/1/5/', 1)`,
			`(6, '350722D003', '县城市管理和综合执法局', 'department', 1, '/1/6/', 1)`,
			`(7, '350722001001', '仙楼社区', 'community', 2, '/1/2/7/', 2)`,
		} {
			if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES `+u[:len(u)-1]+`, 0, 0)`); err != nil {
				t.Fatal(err)
			}
		}
		svc := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
		token := map[string]string{}
		for _, u := range []auth.NewUser{
			{Username: "nanpu", Name: "南浦干部", UnitCode: "350722001000", Roles: []string{"township"}},
			{Username: "fuling", Name: "富岭干部", UnitCode: "350722101000", Roles: []string{"township"}},
			{Username: "zhujian", Name: "住建局", UnitCode: "350722D002", Roles: []string{"department"}},
			{Username: "chengguan", Name: "城管局", UnitCode: "350722D003", Roles: []string{"department"}},
			{Username: "sup", Name: "督查室", UnitCode: "350722D000", Roles: []string{"supervisor"}},
		} {
			u.Password = "long enough password"
			if _, err := svc.CreateUser(ctx, access.System, u); err != nil {
				t.Fatal(err)
			}
			tok, err := svc.CreateToken(ctx, access.System, u.Username, "test")
			if err != nil {
				t.Fatal(err)
			}
			token[u.Username] = "Bearer " + tok
		}
		for short, long := range map[string]string{"zj": "zhujian", "cg": "chengguan"} {
			token[short] = token[long]
		}
		sealer, err := pii.New(make([]byte, pii.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		cases, err := casework.NewService(db, casework.Deps{Sealer: sealer, Log: log, AttachDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		h := api.New(api.Deps{DB: db, Auth: svc, Cases: cases, Log: log}).Handler()
		send := func(r *http.Request, who string) (int, map[string]any) {
			t.Helper()
			r.Header.Set("Authorization", token[who])
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var out map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatalf("%s %s: not JSON: %s", r.Method, r.URL, w.Body.String())
			}
			return w.Code, out
		}
		call := func(method, path, who, body string) (int, map[string]any) {
			t.Helper()
			return send(httptest.NewRequest(method, path, strings.NewReader(body)), who)
		}
		must := func(want int, method, path, who, body string) map[string]any {
			t.Helper()
			code, out := call(method, path, who, body)
			if code != want {
				t.Fatalf("%s %s as %s = %d %v, want %d", method, path, who, code, out, want)
			}
			return out
		}
		caseOf := func(out map[string]any) map[string]any { return out["case"].(map[string]any) }
		partID := func(no, unit string) int {
			t.Helper()
			d := must(200, "GET", "/api/v1/cases/"+no, "sup", "")
			for _, a := range d["assignments"].([]any) {
				m := a.(map[string]any)
				if m["unit_code"] == unit {
					return int(m["id"].(float64))
				}
			}
			t.Fatalf("%s has no part of %s", no, unit)
			return 0
		}

		// A street whistle, blown through the case API.
		w := caseOf(must(201, "POST", "/api/v1/cases", "nanpu",
			`{"flow":"whistle","kind":"street","title":"燃气泄漏","priority":"urgent","place_unit":"350722001001","summon":["350722D002","350722D003"]}`))
		no := w["no"].(string)
		if w["status"] != "blown" || w["kind"] != "street" {
			t.Fatalf("whistle %v", w)
		}
		if code, out := call("POST", "/api/v1/cases", "nanpu", `{"flow":"whistle","kind":"market","title":"x","place_unit":"350722001001"}`); code != 400 {
			t.Errorf("unknown whistle kind: %d %v", code, out)
		}
		zj, cg := partID(no, "350722D002"), partID(no, "350722D003")
		if code, _ := call("POST", "/api/v1/cases/"+no+"/actions/report_in", "cg", fmt.Sprintf(`{"assignment_id":%d}`, zj)); code != 403 {
			t.Errorf("a department reported in on another's part: %d", code)
		}
		must(200, "POST", "/api/v1/cases/"+no+"/actions/report_in", "zj", fmt.Sprintf(`{"assignment_id":%d,"lng":118.54,"lat":27.92}`, zj))
		must(200, "POST", "/api/v1/cases/"+no+"/actions/refuse_summons", "cg", fmt.Sprintf(`{"assignment_id":%d,"note":"非本部门职责"}`, cg))
		must(200, "POST", "/api/v1/cases/"+no+"/actions/report_result", "zj", fmt.Sprintf(`{"assignment_id":%d,"note":"已抢修"}`, zj))
		if c := caseOf(must(200, "POST", "/api/v1/cases/"+no+"/actions/accept_result", "nanpu", fmt.Sprintf(`{"assignment_id":%d,"rating":5}`, zj))); c["status"] != "closed" {
			t.Errorf("whistle after the last rating: %v", c["status"])
		}

		// A township call; another township cannot see it.
		call1 := caseOf(must(201, "POST", "/api/v1/cases", "nanpu", `{"flow":"township_call","title":"井盖缺失","place_unit":"350722001000","dispatch":"350722D002"}`))
		cno := call1["no"].(string)
		if code, _ := call("GET", "/api/v1/cases/"+cno, "fuling", ""); code != 404 {
			t.Errorf("another township read the call: %d", code)
		}
		if rows := must(200, "GET", "/api/v1/township-calls", "fuling", "")["rows"].([]any); len(rows) != 0 {
			t.Errorf("another township lists %d calls", len(rows))
		}
		must(200, "POST", "/api/v1/cases/"+cno+"/actions/sign", "zj", `{}`)
		must(200, "POST", "/api/v1/cases/"+cno+"/actions/answer", "zj", `{"note":"已补装"}`)
		must(200, "POST", "/api/v1/cases/"+cno+"/actions/rate", "nanpu", `{"resolved":true,"rating":4}`)
		rows := must(200, "GET", "/api/v1/township-calls?status=closed", "sup", "")["rows"].([]any)
		if len(rows) != 1 || rows[0].(map[string]any)["lead_unit"] != "县住房和城乡建设局" {
			t.Errorf("county list of calls %v", rows)
		}

		// An enforcement transfer with its evidence.
		enf := caseOf(must(201, "POST", "/api/v1/cases", "fuling", `{"flow":"enforcement","matter_code":"CF00207000","title":"违法占地","place_unit":"350722101000"}`))
		eno := enf["no"].(string)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "evidence.pdf")
		fw.Write([]byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"))
		mw.WriteField("stage", "evidence")
		mw.Close()
		r := httptest.NewRequest("POST", "/api/v1/cases/"+eno+"/attachments", &buf)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		if code, out := send(r, "fuling"); code != 201 {
			t.Fatalf("evidence upload %d %v", code, out)
		}
		if code, out := call("POST", "/api/v1/cases/"+eno+"/actions/transfer", "fuling", `{"unit":"350722D003","note":"超出权限"}`); code != 400 {
			t.Errorf("transfer without legal basis: %d %v", code, out)
		}
		must(200, "POST", "/api/v1/cases/"+eno+"/actions/transfer", "fuling", `{"unit":"350722D003","note":"超出权限","fields":{"basis":"《土地管理法》第七十七条"}}`)
		must(200, "POST", "/api/v1/cases/"+eno+"/actions/return_transfer", "cg", `{"note":"缺测绘报告"}`)
		must(200, "POST", "/api/v1/cases/"+eno+"/actions/transfer", "fuling", `{"unit":"350722D003","note":"补充后再次移送","fields":{"basis":"《土地管理法》第七十七条"}}`)
		if c := caseOf(must(200, "POST", "/api/v1/cases/"+eno+"/actions/accept_transfer", "cg", `{}`)); c["status"] != "accepted" {
			t.Errorf("enforcement case %v", c["status"])
		}
		zones := must(200, "GET", "/api/v1/enforcement-zones", "sup", "")["zones"].([]any)
		if len(zones) != 1 || zones[0].(map[string]any)["open"].(float64) != 1 {
			t.Errorf("zones %v", zones)
		}

		// The report card shows what these produced.
		card := must(200, "GET", "/api/v1/reportcard?from=2000-01-01", "sup", "")["departments"].([]any)
		byCode := map[string]map[string]any{}
		for _, c := range card {
			m := c.(map[string]any)
			byCode[m["unit_code"].(string)] = m
		}
		if d := byCode["350722D002"]; d == nil || d["whistles"].(float64) != 1 || d["township_calls"].(float64) != 1 || d["avg_rating"].(float64) != 4.5 || d["report_ins"].(float64) != 1 {
			t.Errorf("住建局's card %v", d)
		}
		if d := byCode["350722D003"]; d == nil || d["refusals"].(float64) != 1 || d["returns"].(float64) != 1 || d["enforcement"].(float64) != 2 {
			t.Errorf("城管局's card %v", d)
		}
		if code, _ := call("GET", "/api/v1/reportcard", "nanpu", ""); code != 403 {
			t.Errorf("a township read the report card: %d", code)
		}
		rate := must(200, "GET", "/api/v1/whistle-rate", "sup", "")
		if rate["rows"] == nil {
			t.Errorf("whistle rate %v", rate)
		}
		if code, _ := call("GET", "/api/v1/township-calls/proposal?category=NONE", "nanpu", ""); code != 404 {
			t.Errorf("proposal for an unknown category: %d", code)
		}
	})
}
