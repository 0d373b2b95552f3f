package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/volunteer"
)

// DemoGoodDeeds is the reform's figure of good deeds (办实事好事879件).
const DemoGoodDeeds = 879

// demoCertVolunteers is how many dual-registered members get service
// records and an issued certificate.
const demoCertVolunteers = 3

// VolunteerResult says what Volunteer added.
type VolunteerResult struct {
	Deeds, Entries, Certificates int
}

func (r VolunteerResult) String() string {
	return fmt.Sprintf("演示志愿服务 demo volunteer service: %d good deeds, %d service entries, %d certificates (fictitious)", r.Deeds, r.Entries, r.Certificates)
}

// Volunteer adds, once, the demo's good deeds over the last year in the
// urban communities (done by dual-registered members and co-building
// units), and for a few members two signed-off activities each and a
// certificate registered eight days ago and issued now (when the process
// has the audit key to sign with). It does nothing when demo good deeds
// exist already or there is no dual-registered member.
func Volunteer(ctx context.Context, db *store.DB, now time.Time) (VolunteerResult, error) {
	var res VolunteerResult
	// Once: the demo's certificates mark that it ran. The good deeds are
	// made here only when the party registry's activities recorded none.
	var certs, deedsBefore int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM volunteer_certificates`).Scan(&certs); err != nil || certs > 0 {
		return res, err
	}
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM good_deeds`).Scan(&deedsBefore); err != nil {
		return res, err
	}
	type member struct {
		id, home                 int64
		homeName, homePath, kind string
	}
	rows, err := db.Query(ctx, `SELECT p.id, u.id, u.name, u.path, u.kind FROM people p JOIN units u ON u.id = p.home_unit_id
		WHERE p.role = 'party_member' AND p.demo = 1 AND u.kind = 'community'
		ORDER BY (SELECT COALESCE(SUM(e.minutes), 0) FROM volunteers w JOIN volunteer_entries e ON e.volunteer_id = w.id
			WHERE w.person_id = p.id AND e.counts = 1) DESC, p.id`)
	members, err := store.Collect(rows, err, func(sc store.Scanner) (member, error) {
		var m member
		return m, sc.Scan(&m.id, &m.home, &m.homeName, &m.homePath, &m.kind)
	})
	if err != nil || len(members) == 0 {
		return res, err
	}
	rows, err = db.Query(ctx, `SELECT community_unit_id, unit_id FROM co_building WHERE ended_at IS NULL ORDER BY id`)
	type pair struct{ community, unit int64 }
	pairs, err := store.Collect(rows, err, func(sc store.Scanner) (pair, error) {
		var p pair
		return p, sc.Scan(&p.community, &p.unit)
	})
	if err != nil {
		return res, err
	}
	rng := rand.New(rand.NewPCG(15, 879))
	problems := []struct{ who, what string }{
		{"独居老人", "上门更换损坏的水龙头"}, {"小区居民", "清理楼道堆放杂物，消除消防隐患"}, {"困难家庭", "帮助申办临时救助"},
		{"小区居民", "修复破损的健身器材"}, {"留守儿童", "开展暑期课业辅导"}, {"残疾人家庭", "代办医保报销手续"},
		{"老旧小区", "疏通堵塞的雨水管"}, {"背街小巷", "修补路面坑洼"}, {"高龄老人", "陪同就医并代取药品"},
	}
	sys := access.Actor{Name: "演示数据", System: true}
	deeds := make([]volunteer.Deed, 0, DemoGoodDeeds)
	for i := range DemoGoodDeeds {
		m := members[rng.IntN(len(members))]
		d := volunteer.Deed{DoerPersonID: m.id, UnitID: m.home, ConfirmedAs: "community", Demo: true,
			DoneAt: now.Add(-time.Duration(rng.IntN(365*24)) * time.Hour)}
		if len(pairs) > 0 && i%4 == 3 { // a quarter by co-building units
			p := pairs[rng.IntN(len(pairs))]
			d.DoerPersonID, d.DoerUnitID, d.UnitID = 0, p.unit, p.community
		}
		pr := problems[rng.IntN(len(problems))]
		d.Beneficiary, d.Problem = pr.who+"（演示）", pr.what
		if rng.IntN(3) == 0 {
			d.ConfirmedAs, d.ConfirmedBy = "resident", "居民王某某（演示）"
		}
		deeds = append(deeds, d)
	}
	v := volunteer.New(db)
	if deedsBefore == 0 {
		if err := v.RecordDeeds(ctx, sys, deeds); err != nil {
			return res, fmt.Errorf("demo good deeds: %w", err)
		}
		res.Deeds = len(deeds)
	}

	// The certificates go to the members who served most (the party
	// registry's activities came first).
	for i, m := range members[:min(demoCertVolunteers, len(members))] {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for j := range 2 {
				in := now.AddDate(0, 0, -40+j*10-i).Add(-3 * time.Hour)
				if err := v.ActivitySignedOff(ctx, tx, volunteer.Activity{ID: int64(900000 + i*10 + j), Title: "社区环境整治志愿服务（演示）",
					Place: m.homeName + "党群服务中心", UnitID: m.home, SignerName: "社区书记（演示）", At: in.Add(3 * time.Hour),
					Attendees: []volunteer.Attendee{{PersonID: m.id, In: in, Out: in.Add(time.Duration(90+30*j) * time.Minute)}}}); err != nil {
					return err
				}
				res.Entries++
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("demo activities: %w", err)
		}
		clerk := access.Actor{Name: "社区干部（演示）", UnitID: m.home, UnitName: m.homeName, UnitPath: m.homePath, UnitKind: m.kind,
			Roles: []access.Role{access.RoleCommunity}}
		earlier := volunteer.New(db)
		earlier.UseClock(func() time.Time { return now.AddDate(0, 0, -8) })
		c, err := earlier.RegisterCertificate(ctx, clerk, m.id, volunteer.CertRequest{From: now.AddDate(-1, 0, 0).Format("2006-01-02"),
			To: now.Format("2006-01-02"), Responsible: "社区书记（演示）"})
		if err != nil {
			return res, fmt.Errorf("demo certificate: %w", err)
		}
		if _, ok := volunteer.PublicKey(); ok {
			if _, err := v.IssueCertificate(ctx, clerk, c.Stated.No); err != nil {
				return res, fmt.Errorf("demo certificate %s: %w", c.Stated.No, err)
			}
		}
		res.Certificates++
	}
	return res, nil
}
