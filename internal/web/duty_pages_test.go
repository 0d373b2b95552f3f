package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/web"
)

// TestDutyPages (issue 21 point 12) in the web UI: a department's
// responsibility letter on a matter off its access list is refused with
// the rule and logged; an admitted one is registered; the approval office
// records an existing one's clean-up; the summary shows what is left.
func TestDutyPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, q := range []string{
			`INSERT INTO units (id, code, name, kind, path, depth, created_at, updated_at) VALUES (1, '350722000000', '浦城县', 'county', '/1/', 0, 0, 0)`,
			`INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (2, '350722D001', '县委编办', 'department', 1, '/1/2/', 1, 0, 0)`,
			`INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (3, '350722D008', '县民政局', 'department', 1, '/1/3/', 1, 0, 0)`,
			`INSERT INTO units (id, code, name, kind, parent_id, path, depth, township_type, created_at, updated_at) VALUES (4, '350722100000', '富岭镇', 'township', 1, '/1/4/', 1, '中心镇', 0, 0)`,
		} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		authSvc := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
		for _, u := range []auth.NewUser{
			{Username: "bianban", Password: "bianban password", Name: "编办干部", UnitCode: "350722D001", Roles: []string{"department"}},
			{Username: "minzheng", Password: "minzheng password", Name: "民政局干部", UnitCode: "350722D008", Roles: []string{"department"}},
		} {
			if _, err := authSvc.CreateUser(ctx, access.System, u); err != nil {
				t.Fatal(err)
			}
		}
		lists := catalog.NewService(db)
		for _, m := range []catalog.MatterInput{{Code: "JF00501000", Name: "最低生活保障审批"}, {Code: "JC00602000", Name: "安全生产监督检查"}} {
			if _, _, err := lists.SaveMatter(ctx, access.System, m, "初版"); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := lists.SaveItem(ctx, access.System, catalog.AccessList, catalog.ItemInput{UnitCode: "350722D008", MatterCode: "JF00501000", Duties: "受理"}, "初版"); err != nil {
			t.Fatal(err)
		}
		s, err := web.New(web.Deps{DB: db, Auth: authSvc, Lists: lists, Org: org.NewService(db, nil), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		login := func(user, pw string) *listsClient {
			tok, err := authSvc.Login(ctx, user, pw, "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			_, csrf, err := authSvc.Session(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			return &listsClient{t: t, h: s.Handler(), cookie: tok, csrf: csrf}
		}
		clerk, mz := login("bianban", "bianban password"), login("minzheng", "minzheng password")
		letter := url.Values{"kind": {"letter"}, "title": {"社会救助目标责任书"}, "issued_at": {"2026-03-01"}, "townships": {"350722100000"},
			"matters": {"JF00501000", "JC00602000"}}
		w := mz.post("/lists/duties", letter)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "根据职责准入清单") {
			t.Fatalf("letter off the access list: %d", w.Code)
		}
		if as, _ := lists.Attempts(ctx, access.System, testEpoch, testFar, "", 0); len(as) != 1 || as[0].Kind != catalog.AttemptDocument || as[0].Allowed {
			t.Fatalf("refusal logged as %+v", as)
		}
		letter["matters"] = []string{"JF00501000"}
		if w := mz.post("/lists/duties", letter); w.Code != http.StatusSeeOther {
			t.Fatalf("admitted letter: %d %s", w.Code, w.Body.String())
		}
		if w := clerk.post("/lists/duties", url.Values{"kind": {"veto"}, "title": {"安全生产一票否决"}, "dept": {"350722D008"}, "issued_at": {"2025-02-10"},
			"townships": {"350722100000"}, "existing": {"1"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("existing veto: %d %s", w.Code, w.Body.String())
		}
		ds, err := lists.DutyDocuments(ctx, access.System, catalog.DutyFilter{Status: catalog.DutyInForce})
		if err != nil || len(ds) != 2 {
			t.Fatalf("register %+v %v", ds, err)
		}
		var veto int64
		for _, d := range ds {
			if d.Kind == catalog.DutyVeto {
				veto = d.ID
			}
		}
		path := "/lists/duties/" + itoa(veto) + "/cleanup"
		if w := mz.post(path, url.Values{"result": {"abolished"}, "reason": {"x"}, "doc_no": {"y"}}); w.Code != http.StatusForbidden {
			t.Errorf("a department clears: %d", w.Code)
		}
		if w := clerk.post(path, url.Values{"result": {"abolished"}, "reason": {"属县级部门职责"}, "doc_no": {"浦减负办〔2026〕1号"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("clean-up: %d %s", w.Code, w.Body.String())
		}
		body := clerk.do("GET", "/lists/duties", nil, "").Body.String()
		for _, want := range []string{"社会救助目标责任书", "浦减负办〔2026〕1号", "各部门剩余情况", "已废止"} {
			if !strings.Contains(body, want) {
				t.Errorf("the register page lacks %q", want)
			}
		}
	})
}

var testEpoch, testFar = time.Unix(0, 0), time.Now().AddDate(1, 0, 0)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
