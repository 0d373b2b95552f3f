package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/web"
)

// TestDomainErrorInUserLanguage: a domain error on a re-shown form and on
// the error page reads in the user's language (the lang cookie): English
// from the catalogue, Chinese by default.
func TestDomainErrorInUserLanguage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newPortalFixture(t, db, web.PortalLimits{Reports: web.RateLimit{Events: 10, Per: time.Hour}, Tracks: web.RateLimit{Events: 10, Per: time.Hour}})
		form := url.Values{"request_type": {"complaint"}, "category": {"S06028"}, "body": {"楼下KTV每晚噪声扰民到凌晨"}, "address": {"仙楼路12号"},
			"place_unit": {"350722001000"}, "name": {"王女士"}, "phone": {"12345"}}
		for _, tc := range []struct {
			lang, badPhone, notFound, other string
		}{
			{"en", "The phone number is not valid", "The case number or the last four digits of the phone are not right", "联系电话格式不正确"},
			{"zh", "联系电话格式不正确", "工单编号或电话后四位不正确", "The phone number is not valid"},
			{"", "联系电话格式不正确", "工单编号或电话后四位不正确", "The phone number is not valid"},
		} {
			b := fx.visitor("198.51.100.7")
			if tc.lang != "" {
				b.cookies["lang"] = tc.lang
			}
			w := b.postFiles("/portal/report", form, nil)
			if body := w.Body.String(); w.Code != http.StatusBadRequest || !strings.Contains(body, tc.badPhone) || strings.Contains(body, tc.other) {
				t.Errorf("lang %q: bad phone = %d, want 400 with %q", tc.lang, w.Code, tc.badPhone)
			}
			w = b.post("/portal/track", url.Values{"no": {"350722-20261126-00001"}, "last4": {"0000"}})
			if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), tc.notFound) {
				t.Errorf("lang %q: unknown case = %d, want 404 with %q", tc.lang, w.Code, tc.notFound)
			}
		}
	})
}
