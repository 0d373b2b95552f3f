package open311_test

import (
	"errors"
	"strings"
	"testing"

	"grassroots/internal/open311"
	"grassroots/internal/store"
)

// FuzzPostRequest feeds the POST parser and the attribute check with
// arbitrary bodies: they never panic, refuse only with ErrInvalid, and what
// they accept keeps the form's promises.
func FuzzPostRequest(f *testing.F) {
	for _, seed := range []string{
		"api_key=o311_x&service_code=B01001&lat=27.9&long=118.5&attribute[cover_state]=missing",
		"service_code=B01001&address_string=%E8%A7%A3%E6%94%BE%E8%B7%AF&attribute[hazards][]=traffic&attribute[hazards][]=children",
		"service_code=B01001&lat=NaN&long=1",
		"service_code=&lat=1",
		"attribute[=x&attribute[a]]=1&service_code=x&address_id=9",
		"service_code=x&address_id=1&attribute[depth]=1e400&attribute[seen_at]=2026-11-26",
		"%zz",
	} {
		f.Add(seed)
	}
	fields, err := open311.ParseFields(fieldsJSON)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := open311.ParsePostRequest(body)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("refusal of kind other than invalid: %v", err)
			}
			return
		}
		if p.ServiceCode == "" || (p.Lat == nil && p.AddressString == "" && p.AddressID == "") {
			t.Fatalf("accepted without service code or location: %+v", p)
		}
		if p.Lat != nil && (*p.Lat < -90 || *p.Lat > 90 || p.Long == nil || *p.Long < -180 || *p.Long > 180) {
			t.Fatalf("accepted a bad point: %v %v", *p.Lat, p.Long)
		}
		for code := range p.Attributes {
			if code == "" || strings.ContainsAny(code, "]") {
				t.Fatalf("bad attribute code %q", code)
			}
		}
		got, err := open311.CheckAttributes(fields, p.Attributes)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("attribute refusal of kind other than invalid: %v", err)
			}
			return
		}
		if _, ok := got["cover_state"]; !ok {
			t.Fatalf("accepted without the required attribute: %v", got)
		}
	})
}
