package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// The static assets (internal/web/static, embedded) are served under
// content-hashed names: the templates write {{asset "app.css"}}, which is
// /static/app.<hash>.css, the hash being the first hex digits of the
// file's SHA-256, computed once from the embedded bytes. A hashed URL never
// changes meaning, so it is cached for a year as immutable; an upgrade that
// changes a file changes its URL, and no browser or proxy can serve the old
// CSS or JS to the new pages.
//
// The plain names (/static/app.css, and the files the CSS reaches by a
// relative url(), such as Leaflet's images) are served too, with
// Cache-Control: no-cache and an ETag of the content hash, so that a cache
// revalidates them each time (If-None-Match → 304). So is a hashed name
// whose hash is not the current file's (a page of the previous version, or
// of another instance in the middle of an upgrade): the current file, not
// cached as immutable.

// assetHashLen is how many hex digits of the SHA-256 a hashed name carries.
const assetHashLen = 12

// assetCacheControl is the caching of a hashed asset URL.
const assetCacheControl = "public, max-age=31536000, immutable"

// staticAsset is one embedded file.
type staticAsset struct {
	name   string // path under static/, "vendor/htmx.min.js"
	hashed string // "vendor/htmx.min.<hash>.js"
	etag   string // W/"<hash>": weak, as gzip may re-encode the bytes
	body   []byte
}

// assetSet is every embedded file, by plain and by hashed name.
type assetSet struct {
	byName   map[string]*staticAsset
	byHashed map[string]*staticAsset
}

// assets is computed from the embedded bytes on first use.
var assets = sync.OnceValue(func() *assetSet {
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	set, err := loadAssets(static)
	if err != nil {
		panic(err) // the embedded tree is part of the binary
	}
	return set
})

// loadAssets reads and hashes every file of fsys.
func loadAssets(fsys fs.FS) (*assetSet, error) {
	set := &assetSet{byName: map[string]*staticAsset{}, byHashed: map[string]*staticAsset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:])[:assetHashLen]
		a := &staticAsset{name: name, hashed: hashedName(name, h), etag: `W/"` + h + `"`, body: body}
		set.byName[name] = a
		set.byHashed[a.hashed] = a
		return nil
	})
	return set, err
}

// hashedName puts h before the last extension: app.css → app.<h>.css.
func hashedName(name, h string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + h + ext
}

// unhashedName undoes hashedName for any hash of the right shape:
// app.0123456789ab.css → app.css.
func unhashedName(name string) (string, bool) {
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	i := strings.LastIndexByte(stem, '.')
	if i < 0 || len(stem)-i-1 != assetHashLen {
		return "", false
	}
	for _, c := range stem[i+1:] {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return "", false
		}
	}
	return stem[:i] + ext, true
}

// assetURL is the template function "asset": the hashed URL of the
// embedded file name ("app.css", "vendor/leaflet.js"). A name that is not
// embedded keeps its plain URL (TestAssetReferences keeps the templates
// from naming one).
func assetURL(name string) string {
	if a, ok := assets().byName[strings.TrimPrefix(name, "/")]; ok {
		return "/static/" + a.hashed
	}
	return "/static/" + name
}

func init() { funcs["asset"] = assetURL }

// serveStatic serves /static/<name>: a hashed name as immutable, a plain
// or outdated one with revalidation, anything else 404.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	set := assets()
	a, immutable := set.byHashed[name]
	if !immutable {
		plain := name
		if n, ok := unhashedName(name); ok {
			plain = n
		}
		a = set.byName[plain]
	}
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	if immutable {
		h.Set("Cache-Control", assetCacheControl)
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", a.etag)
	// ServeContent sets the type from the extension, answers
	// If-None-Match with 304 and serves ranges.
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}
