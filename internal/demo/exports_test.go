package demo

import (
	"bytes"
	"context"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/report"
	"grassroots/internal/stats"
	"grassroots/internal/store"
	"grassroots/internal/xlsx/xlsxtest"
)

// checkExports writes every export of the case engine's reports over the
// demo cases (every flow, most statuses, kinds and actions) and reads each
// back as a clerk's table: frozen header, filter, date cells, numbers, and
// no code where a name belongs.
func checkExports(t *testing.T, db *store.DB, s *casework.Service, now time.Time) {
	t.Helper()
	ctx := context.Background()
	county := access.System
	r := report.New(db, s)
	check := func(name string, write func(b *bytes.Buffer) error) {
		t.Helper()
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatalf("%s export: %v", name, err)
		}
		xlsxtest.Read(t, b.Bytes())
	}
	check("inbox", func(b *bytes.Buffer) error { return r.ExportInbox(ctx, county, casework.InboxFilter{Now: now}, b) })
	for _, f := range s.Flows() {
		if f.List != casework.ListParties {
			continue
		}
		page, err := s.CoordList(ctx, county, casework.CoordFilter{Flow: f.Name, Limit: 5000})
		if err != nil {
			t.Fatal(err)
		}
		check(f.Name, func(b *bytes.Buffer) error { return r.WriteCoordXLSX(b, "", page.Rows) })
	}
	rep, err := r.Daily(ctx, county, "350722000000", casework.Today(now))
	if err != nil {
		t.Fatal(err)
	}
	check("daily", func(b *bytes.Buffer) error { return r.WriteDailyXLSX(b, rep) })
	from := now.AddDate(0, -2, 0)
	cards, err := r.ReportCard(ctx, county, from, now)
	if err != nil {
		t.Fatal(err)
	}
	rates, err := r.WhistleRate(ctx, county, from, now)
	if err != nil {
		t.Fatal(err)
	}
	check("report card", func(b *bytes.Buffer) error { return report.WriteReportCardXLSX(b, cards, &rates) })
	br, err := stats.RatesByChild(ctx, db, county, "350722000000", stats.DefaultFlow, from, now, stats.DefaultWeights())
	if err != nil {
		t.Fatal(err)
	}
	check("rates", func(b *bytes.Buffer) error { return stats.WriteRatesXLSX(b, br) })
}
