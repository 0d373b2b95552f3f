package api

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"grassroots/internal/casework"
	"grassroots/internal/i18n"
	"grassroots/internal/input"
	"grassroots/internal/store"
	"grassroots/internal/trust"
)

// FuzzDecodeJSON feeds request bodies to the API's JSON decoder with the
// shapes clients send (intake, actions, reveals): any bytes must decode or
// give an ErrInvalid with a Chinese message, never a panic or a silent
// partial success on unknown fields.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"flow":"hotline","request_type":"help","title":"路灯不亮","reporter_phone":"13800001111","lng":118.5,"lat":27.9}`,
		`{"note":"已处理","units":["350722D003"],"resolved":true,"fields":{"a":"b"}}`,
		`{"subject":"case","ref":"350722-20261126-00001","field":"reporter_phone","reason":"回访"}`,
		`{"title":"x","unknown":1}`, `[]`, `null`, `{"lng":"x"}`, `{"title":"\ud800"}`, ``, `{`,
		`{"title":"a\u0000b"}`, `{"title":"x"} {"title":"y"}`, "{\"title\":\"\xff\"}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, v := range []any{&casework.NewCase{}, &casework.Action{}, &trust.RevealRequest{}} {
			r := httptest.NewRequest("POST", "/api/v1/cases", strings.NewReader(body))
			err := decodeJSON(r, v)
			if err == nil {
				continue
			}
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("decode %q: %v is not ErrInvalid", body, err)
			}
			var ie *input.Error
			if errors.As(err, &ie) {
				if !i18n.MustLoad().Has(i18n.Default, ie.Key) {
					t.Fatalf("decode %q: refusal %q is not in the catalogue", body, ie.Key)
				}
				continue
			}
			if msg, ok := store.UserMessage(err); !ok || msg == "" {
				t.Fatalf("decode %q: no message for the user", body)
			}
		}
	})
}
