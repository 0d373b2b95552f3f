package web_test

import (
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/open311"
	"grassroots/internal/web"
	"grassroots/internal/webhook"
)

func TestIntegrationPagesRender(t *testing.T) {
	t.Parallel()
	s, err := web.New(web.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Actor{UserID: 1, Username: "admin", Name: "系统管理员", UnitCode: "350722000000", UnitName: "浦城县", UnitKind: "county", UnitPath: "/1/", Roles: []access.Role{access.RoleAdmin}}
	at := time.Date(2026, 11, 26, 6, 30, 0, 0, time.UTC)
	ep := webhook.Endpoint{ID: 7, URL: "https://hooks.example.gov.cn/grassroots", Events: webhook.Events, Description: "数据看板", Active: true, CreatedAt: at, Pending: 2, Failed: 1}
	paused := ep
	paused.ID, paused.Active, paused.Events = 8, false, []string{webhook.EventCaseClosed}
	used := at.Add(time.Hour)
	deliveries := []webhook.Delivery{
		{ID: 31, UID: "whd_aaa", EndpointID: 7, Event: webhook.EventCaseCreated, CaseNo: "350722-20261126-00001", Status: webhook.StatusDelivered, Attempts: 1, LastStatusCode: 200, LastResponse: "ok", CreatedAt: at},
		{ID: 32, UID: "whd_bbb", EndpointID: 7, Event: webhook.EventCaseClosed, CaseNo: "350722-20261126-00002", Status: webhook.StatusPending, Attempts: 2, LastStatusCode: 503, LastError: "HTTP 503", NextAttemptAt: at, CreatedAt: at},
		{ID: 33, UID: "whd_ccc", EndpointID: 7, Event: webhook.EventCaseAnswered, Status: webhook.StatusFailed, Attempts: 15, LastError: "connection refused", CreatedAt: at},
	}
	keys := []open311.Key{{ID: 3, Name: "城市App", Prefix: "o311_ab12cd", CreatedAt: at, LastUsedAt: &used}, {ID: 4, Name: "旧系统", Prefix: "o311_ffffff", Username: "hotline", CreatedAt: at, RevokedAt: &used}}
	for _, lang := range []string{"zh", "en"} {
		pages := []struct {
			name string
			data any
			want []string
		}{
			{"admin_webhooks", web.AdminWebhooksPage{Page: s.TestPage(lang, admin), Webhooks: []webhook.Endpoint{ep, paused}, Events: webhook.Events,
				Form: webhook.NewEndpoint{URL: "https://x.example", Events: []string{webhook.EventCaseClosed}}, FormError: "地址应为完整的 http:// 或 https:// 网址",
				Created: &ep, Secret: "whsec_0123456789"},
				[]string{`href="/admin/webhooks/7"`, "whsec_0123456789", `value="case.closed" checked`, `name="csrf" value="test-csrf"`, "地址应为完整的", "数据看板"}},
			{"admin_webhooks", web.AdminWebhooksPage{Page: s.TestPage(lang, admin), Events: webhook.Events}, []string{`action="/admin/webhooks"`}},
			{"admin_webhooks_detail", web.AdminWebhookPage{Page: s.TestPage(lang, admin), Webhook: ep, Deliveries: deliveries, Status: "pending"},
				[]string{"whd_aaa", `href="/cases/350722-20261126-00001"`, "HTTP 503", "connection refused", `action="/admin/webhooks/7/deliveries/31/redeliver"`,
					`action="/admin/webhooks/7/active"`, `name="active" value="0"`, `<option value="pending" selected>`}},
			{"admin_webhooks_detail", web.AdminWebhookPage{Page: s.TestPage(lang, admin), Webhook: paused}, []string{`name="active" value="1"`}},
			{"admin_apikeys", web.AdminAPIKeysPage{Page: s.TestPage(lang, admin), Keys: keys, Created: &keys[0], Key: "o311_ab12cdef", Name: "x", FormError: "请填写密钥名称"},
				[]string{"o311_ab12cdef", "城市App", `action="/admin/apikeys/3/revoke"`, "hotline", "请填写密钥名称", `name="csrf" value="test-csrf"`}},
		}
		for _, p := range pages {
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				html, err := s.RenderPage(p.name, p.data)
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				for _, w := range p.want {
					if !strings.Contains(html, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				if strings.Contains(html, `action="/admin/apikeys/4/revoke"`) {
					t.Error("a revoked key offers revoking")
				}
				if m := regexp.MustCompile(`integ\.[a-z_]+\.[a-z_.]+`).FindString(html); m != "" {
					t.Errorf("untranslated key %q in page", m)
				}
			})
		}
	}
}
