package input

import (
	"errors"
	"math"
	"net/http/httptest"
	"strings"
	"testing"

	"grassroots/internal/i18n"
	"grassroots/internal/store"
)

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"路灯不亮", true}, {"第一行\r\n第二行\t完", true}, {"", true}, {"emoji 🏮", true},
		{"a\x00b", false}, {"a\x01b", false}, {"a\x1bb", false}, {"a\x7fb", false}, {"a\u0085b", false},
		{"坏\xff", false}, {"\xc3", false}, {"\xed\xa0\x80", false}, // a surrogate, as CESU-8 sends it
	} {
		if got := Valid(tc.s); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestCheckJSONText(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want bool
	}{
		{`{"a":"路灯\n不亮\t\r"}`, true}, {`{"a":"\\u0000"}`, true}, {`{"a":"\u4e2d\"\\"}`, true}, {`{"a":"\ud83c\udfee"}`, true},
		{`{"a":"\u0000"}`, false}, {`{"a":"\u001B"}`, false}, {`{"a":"\u007f"}`, false}, {`{"a":"\u0085"}`, false},
		{`{"\u0000":1}`, false}, {`{"a":"\\\u0000"}`, false}, {"{\"a\":\"\xff\"}", false},
	} {
		if got := CheckJSONText([]byte(tc.raw)) == nil; got != tc.want {
			t.Errorf("CheckJSONText(%s) ok = %v, want %v", tc.raw, got, tc.want)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	msgs := i18n.MustLoad()
	type body struct {
		Title string `json:"title"`
	}
	for _, tc := range []struct {
		name, ct, body string
		status         int // 0: accepted
	}{
		{"plain", "application/json", `{"title":"路灯"}`, 0},
		{"no type", "", `{"title":"路灯"}`, 0},
		{"charset", "application/json; charset=UTF-8", `{"title":"路灯"}`, 0},
		{"trailing space", "application/json", "{\"title\":\"路灯\"} \n", 0},
		{"trailing value", "application/json", `{"title":"路灯"} 1`, 400},
		{"two objects", "application/json", `{"title":"a"}{"title":"b"}`, 400},
		{"escaped NUL", "application/json", `{"title":"a\u0000"}`, 400},
		{"form type", "application/x-www-form-urlencoded", `{"title":"路灯"}`, 415},
		{"other charset", "application/json; charset=gbk", `{"title":"路灯"}`, 415},
		{"too large", "application/json", `{"title":"` + strings.Repeat("a", 100) + `"}`, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			if tc.ct != "" {
				r.Header.Set("Content-Type", tc.ct)
			}
			var v body
			err := DecodeJSON(nil, r, 64, &v)
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != tc.status {
				t.Fatalf("err = %v, want an input refusal with %d", err, tc.status)
			}
			if msg := e.Message(msgs, "zh"); msg == e.Key || !msgs.Has("en", e.Key) {
				t.Errorf("%s has no message in the catalogue", e.Key)
			}
			if tc.status == 400 && !errors.Is(err, store.ErrInvalid) {
				t.Errorf("a 400 refusal is not ErrInvalid")
			}
		})
	}
}

func TestCoord(t *testing.T) {
	for _, s := range []string{"NaN", "nan", "Inf", "-Inf", "+Infinity", "1e400", "181", "-180.0001", "", "x"} {
		if v, ok := Coord(s, 180); ok {
			t.Errorf("Coord(%q) = %v, accepted", s, v)
		}
	}
	if v, ok := Coord(" 118.5412 ", 180); !ok || math.Abs(v-118.5412) > 1e-12 {
		t.Errorf("Coord(118.5412) = %v %v", v, ok)
	}
}
