package casework

// A person's own reports: a building or street leader (楼栋长、街巷长), a
// resident without a staff account, reports what they see in their building
// from the phone through their personal link (internal/party). The case
// goes into the flow that takes residents' reports (ReportPortal), by the
// channel the caller names ("leader"), placed at the person's building or
// lane, so it enters that grid's daily collection and the grid worker's
// list; and it is keyed by the person (cases.source) and the phone's id
// (cases.external_id), so a resend opens no second case and the person's
// page finds their reports again.

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// MaxPersonReports caps the reports a person's page lists.
const MaxPersonReports = 20

// PersonSource is the cases.source of the reports a person made through
// their personal link.
func PersonSource(personID int64) string { return "person:" + strconv.FormatInt(personID, 10) }

// PersonReport opens a case for p: in.Title/Body/RequestType/Category,
// Address, point and photos as the person gave them; idem is the id the
// phone made for the report (required: a resend answers with the same case,
// and created is false). The flow's intake rules apply as to a resident's;
// nothing is dispatched or summoned at intake.
func (s *Service) PersonReport(ctx context.Context, p Person, reporterName, channel, idem string, in NewCase) (c Case, created bool, err error) {
	flow, ok := s.ReportFlow(ReportPortal)
	if !ok {
		return Case{}, false, store.NotFound("居民上报未启用")
	}
	idem = strings.TrimSpace(idem)
	if idem == "" || len(idem) > 64 {
		return Case{}, false, store.Invalid("上报缺少手机生成的编号，请刷新页面后重试")
	}
	if p.ID == 0 || p.UnitCode == "" {
		return Case{}, false, store.NotFound("找不到该人员")
	}
	in.Flow, in.Channel, in.PlaceUnit = flow.Name, channel, p.UnitCode
	in.Source, in.ExternalID = PersonSource(p.ID), idem
	in.ReporterName, in.ReporterPhone = reporterName, ""
	in.Dispatch, in.OnSpot, in.Summon, in.SummonPeople, in.Supporting = "", false, nil, nil, nil
	in.Matter, in.Basis, in.LimitDays, in.DataJSON, in.Kind = "", "", 0, "", ""
	// The intake acts as the person: by name, with no unit of its own
	// (the township of the place receives it, as a resident's report).
	return s.Create(ctx, access.Actor{System: true, Name: p.Name}, in)
}

// PersonReportRow is one of a person's reports with what they were told.
type PersonReportRow struct {
	Case Case
	// StatusText is the flow's public text of the status; Told the
	// latest public note after the intake ("" if none).
	StatusText string
	Told       string
}

// PersonReports lists the reports the person made through their link,
// newest first.
func (s *Service) PersonReports(ctx context.Context, personID int64) ([]PersonReportRow, error) {
	rows, err := s.db.Reader(ctx).Query(ctx, `SELECT no FROM cases WHERE source = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
		PersonSource(personID), MaxPersonReports)
	if err != nil {
		return nil, fmt.Errorf("person reports: %w", err)
	}
	var nos []string
	for rows.Next() {
		var no string
		if err := rows.Scan(&no); err != nil {
			rows.Close()
			return nil, fmt.Errorf("person reports: %w", err)
		}
		nos = append(nos, no)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("person reports: %w", err)
	}
	out := make([]PersonReportRow, 0, len(nos))
	for _, no := range nos {
		c, err := loadCase(ctx, s.db.Reader(ctx), "c.no = ?", no)
		if err != nil {
			return nil, err
		}
		r := PersonReportRow{Case: c}
		if f, ok := s.flows[c.Flow]; ok {
			r.StatusText = f.PublicText(c.Status)
		}
		evs, err := loadEvents(ctx, s.db.Reader(ctx), c.ID, true)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if e.Action != "receive" && e.PublicText != "" {
				r.Told = e.PublicText
			}
		}
		out = append(out, r)
	}
	return out, nil
}
