package web

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestPartyPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		ctx := context.Background()
		dept, _ := strconv.ParseInt(fx.units["350722D003"][0], 10, 64)
		var pid int64
		if err := db.QueryRow(ctx, `INSERT INTO people (name, unit_id, role, created_at, updated_at) VALUES ('党员钱某某', ?, 'party_member', 0, 0) RETURNING id`, dept).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		admin := fx.actor(1, "350722000000", "county", access.RoleAdmin)
		community := fx.actor(13, "350722001001", "community", access.RoleCommunity)
		unit := fx.actor(15, "350722D003", "department", access.RoleDepartment)
		other := fx.actor(12, "350722101000", "township", access.RoleTownship)
		token, err := fx.s.Party.IssueLink(ctx, admin, pid)
		if err != nil {
			t.Fatal(err)
		}
		member := "/m/member/" + token
		anon := access.Actor{}

		// The serving member registers from the phone; the community accepts with a grid.
		expect(t, fx.send(anon, "GET", member, nil), 200, `action="`+member+`/register"`)
		expect(t, fx.send(anon, "POST", member+"/register", url.Values{"community": {"350722001000"}}), 400, "不是社区或村")
		expect(t, fx.send(anon, "POST", member+"/register", url.Values{"community": {"350722001001"}}), 303)
		expect(t, fx.send(anon, "GET", member, nil), 200, "待社区确认", "仙楼社区")
		w := fx.send(community, "GET", "/party?unit=350722001001", nil)
		expect(t, w, 200, "党员钱某某", "手机报到", `value="350722001001G01"`)
		regs, err := fx.s.Party.Registrations(ctx, access.System, partyRegFilter(pid))
		if err != nil || len(regs) != 1 {
			t.Fatalf("registrations %+v %v", regs, err)
		}
		acceptPath := "/party/registrations/" + strconv.FormatInt(regs[0].ID, 10) + "/accept"
		expect(t, fx.send(other, "POST", acceptPath, url.Values{"unit": {"350722001001"}, "grid": {"350722001001G01"}}), 403)
		expect(t, fx.send(community, "POST", acceptPath, url.Values{"unit": {"350722001001"}, "grid": {"350722001001G01"}}), 303)
		expect(t, fx.send(anon, "GET", member, nil), 200, "已报到", "仙楼社区第一网格", `action="`+member+`/reconfirm"`)

		// The community publishes a need; the member claims it on the phone.
		expect(t, fx.send(community, "POST", "/party/needs", url.Values{"unit": {"350722001001"}, "title": {"助老理发"}, "headcount": {"2"}}), 303)
		expect(t, fx.send(anon, "GET", member, nil), 200, "助老理发", "/claim")
		items, err := fx.s.Party.Items(ctx, access.System, partyItemFilter())
		if err != nil || len(items) != 1 {
			t.Fatalf("items %+v %v", items, err)
		}
		expect(t, fx.send(anon, "POST", member+"/needs/"+strconv.FormatInt(items[0].ID, 10)+"/claim", url.Values{}), 303)

		// The unit's letter: its own staff read it, another township does not.
		q := "/party/letter?unit=350722D003&year=" + strconv.Itoa(time.Now().Year()) + "&q=" + strconv.Itoa((int(time.Now().Month())-1)/3+1)
		expect(t, fx.send(unit, "GET", q, nil), 200, "党员钱某某", "已报到", "100.0%", `class="fig-verified">—</td>`, `class="fig-backfilled">—</td>`)
		expect(t, fx.send(other, "GET", q, nil), 403)
		if w := fx.send(unit, "GET", strings.Replace(q, "/party/letter", "/party/letter.xlsx", 1), nil); w.Code != 200 || !strings.Contains(w.Header().Get("Content-Type"), "spreadsheet") {
			t.Errorf("letter.xlsx: %d %s", w.Code, w.Header().Get("Content-Type"))
		}
		// The county's figures: registered 1, no ledger: hours "—".
		expect(t, fx.send(admin, "GET", "/party?unit=350722000000", nil), 200, `<dd class="fig-registered">1</dd>`, `<dd class="fig-deeds">—</dd>`)
	})
}

func partyRegFilter(pid int64) party.RegistrationFilter {
	return party.RegistrationFilter{PersonID: pid}
}

func partyItemFilter() party.ItemFilter {
	return party.ItemFilter{Community: "350722001001", Kind: party.ItemNeed}
}
