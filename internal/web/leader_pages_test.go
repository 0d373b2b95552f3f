package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestLeaderReports: the grid worker issues a building leader a personal
// link from the grid page; through it the leader, with no account, reports
// what they see in the building; the case comes in by the leader channel,
// lies in the grid (the worker's list of the grid's cases shows it), and a
// resend of the same form is the same case. A party member's link does not
// open a leader's page; a made-up one neither.
func TestLeaderReports(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		ctx := context.Background()
		fx.addUnit(ctx, "350722001001G01B01", "仙楼1号楼", "building", "350722001001G01")
		building, _ := strconv.ParseInt(fx.units["350722001001G01B01"][0], 10, 64)
		community := fx.actor(20, "350722001001", "community", access.RoleCommunity)
		worker := fx.actor(31, "350722001001G01", "grid", access.RoleGrid)
		leader, err := fx.s.Org.AddPerson(ctx, community, org.PersonInput{Name: "王楼长", UnitID: building, Role: org.RoleBuildingLeader})
		if err != nil {
			t.Fatal(err)
		}
		member, err := fx.s.Org.AddPerson(ctx, community, org.PersonInput{Name: "李党员", UnitID: building, Role: org.RolePartyMember})
		if err != nil {
			t.Fatal(err)
		}

		expect(t, fx.send(worker, http.MethodGet, "/grids/350722001001G01", nil), http.StatusOK, "王楼长", `/leaders/`+strconv.FormatInt(leader.ID, 10)+`/link"`)
		w := fx.send(worker, http.MethodPost, "/grids/350722001001G01/leaders/"+strconv.FormatInt(leader.ID, 10)+"/link", url.Values{})
		expect(t, w, http.StatusOK, "王楼长 的个人链接")
		m := regexp.MustCompile(`/m/leader/(gm_[A-Za-z0-9_-]+)`).FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("no link on the page: %s", w.Body.String())
		}
		token := m[1]
		// A person who is no leader of the grid gets no link here.
		expect(t, fx.send(worker, http.MethodPost, "/grids/350722001001G01/leaders/"+strconv.FormatInt(member.ID, 10)+"/link", url.Values{}), http.StatusNotFound)

		anon := access.Actor{}
		expect(t, fx.send(anon, http.MethodGet, "/m/leader/"+token, nil), http.StatusOK, "王楼长", "仙楼1号楼", "还没有反映过问题")
		expect(t, fx.send(anon, http.MethodPost, "/m/leader/"+token+"/report", url.Values{"request_type": {"help"}, "body": {" "}, "idem": {"BBBBBBBBBBBBBBBBBBBBBB"}}),
			http.StatusBadRequest, "请描述您看到的问题")
		form := url.Values{"request_type": {"help"}, "body": {"3单元楼道堆放杂物，堵住消防通道"}, "address": {"3单元2楼"}, "idem": {"AAAAAAAAAAAAAAAAAAAAAA"}}
		w = fx.send(anon, http.MethodPost, "/m/leader/"+token+"/report", form)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("report: %d %s", w.Code, w.Body.String())
		}
		loc, _ := url.Parse(w.Header().Get("Location"))
		no := loc.Query().Get("no")
		if w2 := fx.send(anon, http.MethodPost, "/m/leader/"+token+"/report", form); w2.Header().Get("Location") != w.Header().Get("Location") {
			t.Errorf("a resend: %s, first %s", w2.Header().Get("Location"), w.Header().Get("Location"))
		}
		expect(t, fx.send(anon, http.MethodGet, loc.String(), nil), http.StatusOK, "已收到，编号 "+no, "3单元楼道堆放杂物")

		d, err := fx.s.Cases.Get(ctx, worker, no)
		if err != nil {
			t.Fatal(err)
		}
		if d.Case.Channel != party.ChannelLeader || d.Case.ReporterName != "王楼长" || d.Events[0].ActorName != "王楼长（楼栋长）" {
			t.Errorf("the leader's case: channel %q, reporter %q, by %q", d.Case.Channel, d.Case.ReporterName, d.Events[0].ActorName)
		}
		work, err := fx.s.Cases.GridWork(ctx, worker, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range work.InGrid {
			found = found || c.No == no
		}
		if !found {
			t.Errorf("the grid worker's list lacks %s: %+v", no, work.InGrid)
		}

		expect(t, fx.send(worker, http.MethodGet, "/grids/350722001001G01/ledger", nil), http.StatusOK, no)

		// A party member's own link opens the member's page, not a leader's.
		mtoken, err := fx.s.Party.IssueLink(ctx, community, member.ID)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, fx.send(anon, http.MethodGet, "/m/leader/"+mtoken, nil), http.StatusNotFound)
		expect(t, fx.send(anon, http.MethodGet, "/m/leader/gm_nosuch", nil), http.StatusNotFound)
		if _, err := fx.s.Party.IssueLeaderLink(ctx, community, member.ID); err == nil {
			t.Error("a leader's link issued to a party member")
		}
	})
}
