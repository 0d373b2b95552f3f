// Package i18n is the message catalogue: every text the UI shows, in
// Simplified Chinese (the default) and English. Messages live in
// locales/<lang>/<area>.json, one file per area, so each area keeps its own.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed locales
var localeFS embed.FS

// Default is the language used when none is chosen.
const Default = "zh"

// Langs are the supported languages, default first.
var Langs = []string{"zh", "en"}

// Catalog holds the messages of every language.
type Catalog struct {
	msgs map[string]map[string]string
}

// Load reads the embedded catalogue.
func Load() (*Catalog, error) {
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, lang := range Langs {
		c.msgs[lang] = map[string]string{}
		dir := path.Join("locales", lang)
		entries, err := fs.ReadDir(localeFS, dir)
		if err != nil {
			return nil, fmt.Errorf("read locale %s: %w", lang, err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			b, err := fs.ReadFile(localeFS, path.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("locale %s/%s: %w", lang, e.Name(), err)
			}
			for k, v := range m {
				if _, dup := c.msgs[lang][k]; dup {
					return nil, fmt.Errorf("locale %s: key %q defined twice", lang, k)
				}
				c.msgs[lang][k] = v
			}
		}
	}
	return c, nil
}

// MustLoad is Load for program start and tests.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// T returns the message key in lang, formatted with args (fmt verbs). A
// missing key falls back to the default language, then to the key itself.
func (c *Catalog) T(lang, key string, args ...any) string {
	msg, ok := c.msgs[lang][key]
	if !ok {
		msg, ok = c.msgs[Default][key]
	}
	if !ok {
		msg = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether key exists in lang.
func (c *Catalog) Has(lang, key string) bool {
	_, ok := c.msgs[lang][key]
	return ok
}

// Missing lists keys present in the default language but absent in lang.
func (c *Catalog) Missing(lang string) []string {
	var out []string
	for k := range c.msgs[Default] {
		if _, ok := c.msgs[lang][k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Lang picks a supported language from a requested one ("en-US" → "en").
func Lang(requested string) string {
	requested = strings.ToLower(strings.TrimSpace(requested))
	for _, l := range Langs {
		if strings.HasPrefix(requested, l) {
			return l
		}
	}
	return Default
}
