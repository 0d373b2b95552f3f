package i18n

import "testing"

func TestEveryKeyTranslated(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Langs[1:] {
		if m := c.Missing(lang); len(m) > 0 {
			t.Errorf("%s lacks %d keys: %v", lang, len(m), m)
		}
	}
	for k := range c.msgs["en"] {
		if !c.Has(Default, k) {
			t.Errorf("en has %q, which zh lacks", k)
		}
	}
}

func TestT(t *testing.T) {
	c := MustLoad()
	if got := c.T("zh", "app.name"); got != "基层治理" {
		t.Errorf("app.name in zh = %q", got)
	}
	if got := c.T("fr", "app.name"); got != "基层治理" {
		t.Errorf("unknown language should fall back to zh, got %q", got)
	}
	if got := c.T("zh", "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q", got)
	}
}
