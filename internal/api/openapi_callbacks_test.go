package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"grassroots/internal/casework"
	"grassroots/internal/province"
	"grassroots/internal/webhook"
)

// TestCallbackBodiesMatchDocument checks the bodies grassroots POSTs to
// others (the callbacks caseEvent and statusUpdate) against their schemas,
// as a receiver generated from the document would read them: a full one and
// one with every optional time left out.
func TestCallbackBodiesMatchDocument(t *testing.T) {
	t.Parallel()
	if _, err := liveRouter(); err != nil {
		t.Fatal(err)
	}
	doc, _ := Document()
	b, _ := json.Marshal(doc)
	spec, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	schema := func(name string) *openapi3.Schema { return spec.Components.Schemas[name].Value }
	at := time.Date(2026, 12, 3, 7, 4, 5, 120_000_000, time.UTC)
	due := at.Add(72 * time.Hour)
	full := casework.Case{No: "350722-20261203-00042", Flow: "hotline", Status: "closed", Title: "路灯不亮", Channel: "api",
		CategoryCode: "B01001", CategoryName: "供水井盖", LeadUnitCode: "350722D003", LeadUnitName: "县城市管理和综合执法局",
		HandleDueAt: &due, Answer: "已修复", AnsweredAt: &at, ClosedAt: &at, Satisfaction: "satisfied", CreatedAt: at, UpdatedAt: at}
	bare := casework.Case{No: "350722-20261203-00043", Flow: "hotline", Status: "received", Title: "井盖缺失", Channel: "phone", CreatedAt: at, UpdatedAt: at}
	ch := casework.Change{Action: "revisit", FromStatus: "answered", At: at, PublicText: "已办结"}
	bodies := []struct {
		schema string
		body   any
	}{
		{"IntegWebhookBody", webhook.CaseBody("whd_1", webhook.EventCaseClosed, ch, full)},
		{"IntegWebhookBody", webhook.CaseBody("whd_2", webhook.EventCaseCreated, casework.Change{Action: "receive", At: at}, bare)},
		{"IntegProvinceUpdate", province.Update{ID: "whd_3", Type: "status_update", PlatformID: "FJ12345-1", CaseNo: full.No,
			Action: "answer", Status: "answered", Answered: true, HandleDue: webhook.TimeOf(&due), At: webhook.Time{Time: at}}},
		{"IntegProvinceUpdate", province.Update{ID: "whd_4", Type: "status_update", PlatformID: "FJ12345-2", CaseNo: bare.No,
			Action: "dispatch", Status: "dispatched", At: webhook.Time{Time: at}}},
	}
	for _, c := range bodies {
		raw, err := json.Marshal(c.body)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		if err := schema(c.schema).VisitJSON(v, openapi3.MultiErrors()); err != nil {
			t.Errorf("%s %s: %v", c.schema, raw, err)
		}
	}
}
