package web

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// The committee page, agreement, activity and good deeds forms, and the
// volunteer CSV, through the web handlers.
func TestPartyWebForms(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		fx.s.Party.UseLedger(party.VolunteerLedger(fx.s.Volunteer))
		ctx := context.Background()
		street := fx.actor(11, "350722001000", "street", access.RoleTownship)
		community := fx.actor(13, "350722001001", "community", access.RoleCommunity)
		other := fx.actor(12, "350722101000", "township", access.RoleTownship)
		if _, err := db.Exec(ctx, `INSERT INTO party_orgs (code, name, kind, path, depth, unit_id, created_at)
			SELECT 'PWEB', '南浦街道党工委', 'working_committee', '/web/', 0, id, 0 FROM units WHERE code = '350722001000'`); err != nil {
			t.Fatal(err)
		}
		// A co-building agreement signed on the desk.
		expect(t, fx.send(community, "POST", "/party/agreements", url.Values{"unit": {"350722001001"}, "partner": {"350722D003"},
			"term_from": {"2026-01-01"}, "term_to": {"2027-12-31"}, "liaison": {"联络员孙某"}, "c_kind": {"people", "resource"},
			"c_what": {"组织在职党员服务", ""}, "c_target": {"40", ""}}), 303)
		expect(t, fx.send(community, "POST", "/party/agreements", url.Values{"unit": {"350722001001"}, "partner": {"350722D002"},
			"term_from": {"2026-01-01"}, "term_to": {"2027-12-31"}, "liaison": {"联络员"}}), 400, "承诺")
		expect(t, fx.send(community, "GET", "/party?unit=350722001001", nil), 200, "组织在职党员服务：0/40", `action="/party/activities"`)
		list, err := fx.s.Party.Agreements(ctx, access.System, party.AgreementFilter{Community: "350722001001"})
		if err != nil || len(list) != 1 {
			t.Fatalf("agreements %+v %v", list, err)
		}
		cid := strconv.FormatInt(list[0].Commitments[0].ID, 10)
		expect(t, fx.send(community, "POST", "/party/commitments/"+cid+"/progress", url.Values{"unit": {"350722001001"}, "done": {"5"}}), 303)
		expect(t, fx.send(community, "POST", "/party/agreements/"+strconv.FormatInt(list[0].ID, 10)+"/evaluate",
			url.Values{"unit": {"350722001001"}, "year": {"2026"}, "grade": {"好"}, "comment": {"服务及时"}}), 303)
		expect(t, fx.send(community, "GET", "/party?unit=350722001001", nil), 200, "5/40", "2026 好（服务及时）")

		// The committee: a part-time member from the co-building unit, a centre, a meeting with the commitment on the agenda.
		expect(t, fx.send(other, "GET", "/party/committees/PWEB", nil), 404)
		expect(t, fx.send(street, "POST", "/party/committees/PWEB/members", url.Values{"name": {"兼职委员周某"}, "part_time": {"1"},
			"from_unit": {"350722D003"}, "term_from": {"2026-01-01"}, "term_to": {"2028-12-31"}}), 303)
		expect(t, fx.send(street, "POST", "/party/centres", url.Values{"unit": {"350722001000"}, "name": {"南浦街道党群服务中心"}, "committee": {"PWEB"}}), 303)
		cs, err := fx.s.Party.Centres(ctx, street, "350722001000")
		if err != nil || len(cs) != 1 {
			t.Fatalf("centres %+v %v", cs, err)
		}
		centre := strconv.FormatInt(cs[0].ID, 10)
		expect(t, fx.send(street, "GET", "/party/committees/PWEB", nil), 200, "兼职委员周某", "组织在职党员服务", "南浦街道党群服务中心")
		// A part-time member who is a person of the register: their name, their unit, a link to them.
		var pid int64
		if err := db.QueryRow(ctx, `INSERT INTO people (name, unit_id, role, created_at, updated_at) SELECT '党员吴某某', id, 'party_member', 0, 0
			FROM units WHERE code = '350722D003' RETURNING id`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		expect(t, fx.send(street, "POST", "/party/committees/PWEB/members", url.Values{"person_id": {strconv.FormatInt(pid, 10)}, "part_time": {"1"},
			"term_from": {"2026-01-01"}, "term_to": {"2028-12-31"}}), 303)
		expect(t, fx.send(street, "GET", "/party/committees/PWEB", nil), 200, `href="/people/`+strconv.FormatInt(pid, 10)+`/posts">党员吴某某</a>`)
		// That link's page lists the seat: committee, role, term, unit.
		countyAdmin := fx.actor(17, "350722000000", "county", access.RoleAdmin)
		w := fx.send(countyAdmin, "GET", "/people/"+strconv.FormatInt(pid, 10)+"/posts", nil)
		expect(t, w, 200, `id="person-committees"`, `<a href="/party/committees/PWEB">南浦街道党工委</a>`, "兼职委员", "2026-01-01 — 2028-12-31", "<td>县城市管理和综合执法局</td>")
		expect(t, fx.send(street, "POST", "/party/committees/PWEB/meetings", url.Values{"held_on": {"2026-03-01"}, "title": {"大工委联席会议"},
			"centre": {centre}, "attendees": {"兼职委员周某"}, "decisions": {""}}), 400, "议定事项")
		expect(t, fx.send(street, "POST", "/party/committees/PWEB/meetings", url.Values{"held_on": {"2026-03-01"}, "title": {"大工委联席会议"},
			"centre": {centre}, "attendees": {"兼职委员周某"}, "decisions": {"推进共建项目"}, "agenda": {cid}, "follow_ups": {"修复仙楼社区路灯\n"}}), 303)
		w = fx.send(street, "GET", "/party/committees/PWEB", nil)
		expect(t, w, 200, "推进共建项目", "修复仙楼社区路灯", "/case\"")
		c, err := fx.s.Party.Committee(ctx, street, "PWEB")
		if err != nil || len(c.Meetings) != 1 {
			t.Fatalf("committee %+v %v", c, err)
		}
		w = fx.send(street, "POST", "/party/followups/"+strconv.FormatInt(c.Meetings[0].FollowUps[0].ID, 10)+"/case", url.Values{"committee": {"PWEB"}})
		if w.Code != 303 || !strings.HasPrefix(w.Header().Get("Location"), "/cases/") {
			t.Errorf("follow-up raised: %d %s %s", w.Code, w.Header().Get("Location"), w.Body.String())
		}

		// An activity at the centre.
		expect(t, fx.send(community, "POST", "/party/activities", url.Values{"unit": {"350722001001"}, "title": {"义诊"}, "centre": {centre},
			"starts_at": {"2026-12-20T09:00"}, "ends_at": {"2026-12-20T11:00"}}), 303)
		expect(t, fx.send(community, "GET", "/party?unit=350722001001", nil), 200, "义诊", "南浦街道党群服务中心")

		// Good deeds: recorded by the community, counted per community; refused to another township.
		form := url.Values{"community": {"350722001001"}, "doer_unit": {"350722D003"}, "beneficiary": {"独居老人"}, "problem": {"楼道灯不亮"}}
		expect(t, fx.send(other, "POST", "/deeds", form), 403)
		expect(t, fx.send(community, "POST", "/deeds", form), 303)
		expect(t, fx.send(community, "GET", "/deeds", nil), 200, "楼道灯不亮", `id="deeds-total">1<`)
		expect(t, fx.send(other, "GET", "/deeds", nil), 200, `id="deeds-total">0<`)
		// With an evidence photo (multipart, as the form sends it): shown as
		// a thumbnail to the deed's readers, served to them only; a PDF is
		// refused with the form shown again.
		var img bytes.Buffer
		if err := png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 4, 3))); err != nil {
			t.Fatal(err)
		}
		sendPhoto := func(name string, data []byte) *httptest.ResponseRecorder {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			for k, v := range map[string]string{"community": "350722001001", "doer_unit": "350722D003", "beneficiary": "5号楼居民", "problem": "清理楼道杂物"} {
				_ = mw.WriteField(k, v)
			}
			fw, _ := mw.CreateFormFile("photo", name)
			_, _ = fw.Write(data)
			_ = mw.Close()
			r := httptest.NewRequest("POST", "/deeds", &body)
			r.Header.Set("Content-Type", mw.FormDataContentType())
			w := httptest.NewRecorder()
			fx.s.mux.ServeHTTP(w, withState(r, requestState{Actor: community, CSRF: "test-csrf"}))
			return w
		}
		expect(t, sendPhoto("a.pdf", []byte("%PDF-1.4 not a photo")), 400, "只接受JPEG、PNG、WebP图片")
		expect(t, sendPhoto("楼道.png", img.Bytes()), 303)
		w = fx.send(community, "GET", "/deeds", nil)
		expect(t, w, 200, "清理楼道杂物", `id="deeds-total">2<`)
		m := regexp.MustCompile(`<img src="/deeds/(\d+)/photo"`).FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("no thumbnail: %s", w.Body.String())
		}
		if w := fx.send(community, "GET", "/deeds/"+m[1]+"/photo", nil); w.Code != 200 || w.Header().Get("Content-Type") != "image/png" || !bytes.Equal(w.Body.Bytes(), img.Bytes()) {
			t.Fatalf("photo: %d %q", w.Code, w.Header().Get("Content-Type"))
		}
		expect(t, fx.send(other, "GET", "/deeds/"+m[1]+"/photo", nil), 404)

		// The CSV layout's header.
		w = fx.send(community, "GET", "/volunteers/export.csv?from=2026-01-01&to=2026-12-31", nil)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "志愿者编号,姓名,服务日期") || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
			t.Errorf("csv: %d %s %q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
		}
		expect(t, fx.send(community, "GET", "/volunteers/export.csv?from=2026-13-01", nil), 400)
	})
}
