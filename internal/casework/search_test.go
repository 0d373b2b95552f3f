package casework

import (
	"context"
	"grassroots/internal/casework/caserows"
	"testing"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"路灯坏了", []string{"路灯", "灯坏", "坏了"}},
		{"噪音", []string{"噪音"}},
		{"修", []string{"修"}},
		{"", nil},
		{"，。！", nil},
		{"LED路灯不亮 Room 302", []string{"led", "路灯", "灯不", "不亮", "room", "302"}},
		{"低保 低保申请", []string{"低保", "保申", "申请"}},
		{"电话13812345678", []string{"电话", "13812345678"}},
		{"小区A栋", []string{"小区", "a", "栋"}},
		{"Ｗｉｆｉ信号差", []string{"ｗｉｆｉ", "信号", "号差"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Tokens(tt.in)); diff != "" {
				t.Errorf("Tokens(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzTokens(f *testing.F) {
	for _, s := range []string{"路灯坏了", "LED 302室", "噪音扰民！！", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seen := map[string]bool{}
		for _, tok := range Tokens(s) {
			if tok == "" || seen[tok] {
				t.Fatalf("Tokens(%q): empty or repeated token %q", s, tok)
			}
			seen[tok] = true
			for _, r := range tok {
				if r == '"' || r == ' ' || r == '*' {
					t.Fatalf("Tokens(%q): token %q holds %q, which would break a query", s, tok, r)
				}
			}
		}
	})
}

func TestSearch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newViewsFixture(t, db)
		lamp := fx.AddCase(caserows.Case{Title: "路灯不亮", Body: "小区门口的路灯坏了三天", Place: fx.CommunityA})
		noise := fx.AddCase(caserows.Case{Title: "夜间施工噪音扰民", Body: "工地晚上十一点还在施工", Place: fx.CommunityA})
		subsidy := fx.AddCase(caserows.Case{Title: "咨询低保申请", Body: "家中老人想申请低保，需要什么材料", Place: fx.CommunityB})
		road := fx.AddCase(caserows.Case{Title: "马路积水", Body: "下雨后马路积水严重 LED屏幕不亮", Place: fx.CommunityB})
		county := access.Actor{UserID: 1, UnitKind: "county", UnitPath: fx.County.Path}
		s := &Service{db: db}
		tests := []struct {
			q    string
			want []int64
		}{
			{"路灯", []int64{lamp}},
			{"噪音", []int64{noise}},
			{"低保", []int64{subsidy}},
			{"申请低保", []int64{subsidy}},  // AND of 申请, 请低, 低保: 请低 is only in the body
			{"路灯 噪音", nil},              // AND: no case has both
			{"不亮", []int64{road, lamp}}, // title of one, body of another
			{"led", []int64{road}},      // latin, lower-cased
			{"LED", []int64{road}},
			{"路", []int64{road, lamp}}, // one character: bigrams starting with it (路灯, 路积), or LIKE on PostgreSQL
			{"施工", []int64{noise}},
			{"垃圾", nil},
		}
		for _, tt := range tests {
			t.Run(tt.q, func(t *testing.T) {
				p, err := s.Inbox(context.Background(), county, InboxFilter{Q: tt.q})
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, r := range p.Rows {
					got = append(got, r.CaseID)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("search %q (-want +got):\n%s", tt.q, diff)
				}
				// The same through the "common query" path (a probe of 1).
				cond, args, err := s.searchConditionProbe(context.Background(), tt.q, 1)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := db.Query(context.Background(), `SELECT c.id FROM cases c WHERE `+cond+` ORDER BY c.id DESC`, args...)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				got = nil
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						t.Fatal(err)
					}
					got = append(got, id)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("search %q, common path (-want +got):\n%s", tt.q, diff)
				}
			})
		}
		if _, err := s.Inbox(context.Background(), county, InboxFilter{Q: "！？"}); err == nil {
			t.Error("a query without letters was accepted")
		}
		// Re-indexing replaces the old tokens.
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			return IndexCase(context.Background(), tx, lamp, "垃圾满了")
		})
		if err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int{"路灯": 0, "垃圾": 1} {
			p, err := s.Inbox(context.Background(), county, InboxFilter{Q: q})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Rows) != want {
				t.Errorf("after re-index, %q found %d cases, want %d", q, len(p.Rows), want)
			}
		}
	})
}
