package cockpit

import (
	"context"
	"fmt"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// Overdue is the overdue and supervision panel: what is overdue now, by
// the unit that holds it, and the cases waiting on someone.
type Overdue struct {
	Total      Number   `json:"total"`
	ByUnit     []Number `json:"by_unit"`
	Supervised Number   `json:"supervised"`
	// Calls are township calls (乡呼县应) waiting for the county's answer.
	Calls Number `json:"calls"`
	// ReportIn are whistles' summoned parts not yet reported in (吹哨报到).
	ReportIn Number `json:"report_in"`
}

// townshipCallFlow is the flow of township calls; a call waits for the
// county while it is raised, dispatched, in hand or returned.
const townshipCallFlow = "township_call"

// Overdue computes the panel of unit u at p.Now, in one query: a first row
// of the three counts (code ""), then one row per unit holding overdue
// cases.
func (s *Service) Overdue(ctx context.Context, actor access.Actor, u Unit, p Period) (Overdue, error) {
	var o Overdue
	now := store.Millis(p.Now)
	attr, aargs := under(actor, u, attribution)
	place, pargs := under(actor, u, "c.place_path")
	rin, rargs := under(actor, u, "c.place_path")
	cond, args := under(actor, u, "a.unit_path")
	all := append(append(append(append(aargs, townshipCallFlow), pargs...), rargs...), now)
	// Report-in starts at the open parts (CROSS JOIN keeps SQLite from
	// starting at every case of the area), each case by its key; overdue
	// by unit finds the case's current lead through the case's row (its
	// primary key), not by searching cases for the assignment.
	rows, err := s.db.Reader(ctx).Query(ctx, `SELECT '', '',
		(SELECT COUNT(*) FROM cases c WHERE c.supervisions > 0 AND c.closed_at IS NULL AND `+attr+`),
		(SELECT COUNT(*) FROM cases c WHERE c.flow = ? AND c.status IN ('raised', 'dispatched', 'in_hand', 'returned') AND `+place+`),
		(SELECT COUNT(DISTINCT a.case_id) FROM assignments a CROSS JOIN cases c
			WHERE c.id = a.case_id AND a.report_due_at IS NOT NULL AND a.reported_at IS NULL AND a.closed_at IS NULL AND a.status NOT IN ('returned', 'refused', 'done') AND `+rin+`)
	UNION ALL
	SELECT w.code, w.name, COUNT(*), 0, 0 FROM assignments a JOIN units w ON w.id = a.unit_id
		JOIN cases c ON c.id = a.case_id AND c.lead_assignment_id = a.id
		WHERE a.closed_at IS NULL AND a.role = 'lead' AND a.handle_due_at < ? AND a.status NOT IN ('answered', 'returned', 'refused', 'done')
		AND `+cond+`
		GROUP BY w.code, w.name`, append(all, args...)...)
	if err != nil {
		return o, fmt.Errorf("cockpit overdue: %w", err)
	}
	defer rows.Close()
	var list []Number
	var sup, calls, reportIn int
	for rows.Next() {
		var code, name string
		var n, k, l int
		if err := rows.Scan(&code, &name, &n, &k, &l); err != nil {
			return o, fmt.Errorf("cockpit overdue: %w", err)
		}
		if code == "" {
			sup, calls, reportIn = n, k, l
			continue
		}
		x := count("", name, n, "cockpit.def.overdue_unit", casesHref(u.Code, "overdue", code, p))
		x.Alarm = n > 0
		list = append(list, x)
	}
	if err := rows.Err(); err != nil {
		return o, fmt.Errorf("cockpit overdue: %w", err)
	}
	total := 0
	for _, x := range list {
		total += int(x.N)
	}
	for i := range list {
		list[i].Of = "/ " + strconv.Itoa(total)
	}
	o.ByUnit = ranked(list, 10)
	o.Total = count("cockpit.overdue.total", "", total, "cockpit.def.overdue", casesHref(u.Code, "overdue", "", p))
	o.Total.Alarm = total > 0
	o.Supervised = count("cockpit.overdue.supervised", "", sup, "cockpit.def.supervised", casesHref(u.Code, "supervised", "", p))
	o.Calls = count("cockpit.overdue.calls", "", calls, "cockpit.def.calls", casesHref(u.Code, "calls", "", p))
	o.ReportIn = count("cockpit.overdue.report_in", "", reportIn, "cockpit.def.report_in", casesHref(u.Code, "report_in", "", p))
	o.Calls.Alarm, o.ReportIn.Alarm = calls > 0, reportIn > 0
	return o, nil
}
