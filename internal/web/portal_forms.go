package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/input"
	"grassroots/internal/store"
)

// What the residents' portal and the grid worker's phone pages share: the
// category choices, reading photos and a point from a form, and the
// idempotency key that makes a double tap on "submit" (a weak signal) give
// one case, not two.

// CategoryOption is a category offered on a report form.
type CategoryOption struct {
	Code  string
	Name  string
	Group string // the major class, e.g. 市容环境类
}

// portalCommonCategories are the livelihood matters residents report most
// (GB/T 47678.5 管理事项 codes), after the county's own 民生诉求 categories.
func portalCommonCategories() []string {
	return []string{"S01037", "S06028", "S06010", "S06042", "S06013", "S09009", "S09006", "S06027", "S06030", "S08001", "S06001", "S06012"}
}

// mobileCommonCategories are what patrol finds most.
func mobileCommonCategories() []string {
	return []string{"S06010", "S06042", "S06036", "S09006", "S09005", "S09009", "S07001", "S06013", "S01037", "S01002", "S06001", "S08004"}
}

// maxLivelihood caps how many of the county's own categories lead the list.
const maxLivelihood = 12

// categoryLeaves flattens the active category tree into its leaves, each with
// the name of its parent. withParts keeps the 管理部件 tree (things, for grid
// workers); residents get 管理事项 (problems) and 民生诉求.
func categoryLeaves(tree []catalog.Category, withParts bool) []CategoryOption {
	var out []CategoryOption
	var walk func(c catalog.Category, parent string)
	walk = func(c catalog.Category, parent string) {
		if !c.Active {
			return
		}
		if len(c.Children) == 0 {
			if parent != "" {
				out = append(out, CategoryOption{Code: c.Code, Name: c.Name, Group: parent})
			}
			return
		}
		for _, ch := range c.Children {
			walk(ch, c.Name)
		}
	}
	for _, root := range tree {
		if root.Kind == catalog.KindParts && !withParts {
			continue
		}
		walk(root, "")
	}
	return out
}

// commonOptions returns the short list: the county's 民生诉求 categories, then
// the codes listed, then selected if it is none of those.
func commonOptions(leaves []CategoryOption, codes []string, selected string) []CategoryOption {
	byCode := make(map[string]CategoryOption, len(leaves))
	var out []CategoryOption
	seen := map[string]bool{}
	for _, l := range leaves {
		byCode[l.Code] = l
		if strings.HasPrefix(l.Code, "L") && len(out) < maxLivelihood {
			out = append(out, l)
			seen[l.Code] = true
		}
	}
	for _, c := range codes {
		if l, ok := byCode[c]; ok && !seen[c] {
			out = append(out, l)
			seen[c] = true
		}
	}
	if l, ok := byCode[selected]; ok && !seen[selected] {
		out = append(out, l)
	}
	return out
}

// maxMatches caps a category search's answer.
const maxMatches = 20

// searchOptions returns the leaves whose name or class contains q, or whose
// code starts with it; names first.
func searchOptions(leaves []CategoryOption, q string) []CategoryOption {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil
	}
	var byName, byGroup []CategoryOption
	for _, l := range leaves {
		switch {
		case strings.Contains(l.Name, q) || strings.HasPrefix(strings.ToUpper(l.Code), strings.ToUpper(q)):
			byName = append(byName, l)
		case strings.Contains(l.Group, q):
			byGroup = append(byGroup, l)
		}
	}
	out := append(byName, byGroup...)
	if len(out) > maxMatches {
		out = out[:maxMatches]
	}
	return out
}

// categoryChoices loads the tree and returns the short list and the matches
// of query.
func (s *Server) categoryChoices(ctx context.Context, withParts bool, common []string, selected, query string) (list, matches []CategoryOption, err error) {
	if s.Cases == nil {
		return nil, nil, errors.New("no case engine")
	}
	tree, err := s.Lists.Categories(ctx)
	if err != nil {
		return nil, nil, err
	}
	leaves := categoryLeaves(tree, withParts)
	return commonOptions(leaves, common, selected), searchOptions(leaves, query), nil
}

// maxPhotos is how many photos one form takes.
const maxPhotos = 6

// parseUpload reads a form that may be multipart (with photos). The session
// layer has already limited and parsed the body for its CSRF check.
func parseUpload(r *http.Request) error {
	err := r.ParseMultipartForm(32 << 20)
	if err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return store.Invalid("上传的内容过大或不完整，请减少照片后重试")
	}
	return nil
}

// formPhotos reads the files of field as attachments of stage; the engine
// sniffs their type and checks their size. A file input left empty sends no
// usable part and is skipped.
func formPhotos(r *http.Request, field, stage string) ([]casework.NewAttachment, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []casework.NewAttachment
	for _, fh := range r.MultipartForm.File[field] {
		if fh.Filename == "" && fh.Size == 0 {
			continue
		}
		if len(out) == maxPhotos {
			return nil, store.Invalid(fmt.Sprintf("一次最多上传%d张照片", maxPhotos))
		}
		if fh.Size > casework.MaxAttachment {
			return nil, store.Invalid(fmt.Sprintf("照片“%s”超过10MB，请压缩后重试", fh.Filename))
		}
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("open upload: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(f, casework.MaxAttachment+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read upload: %w", err)
		}
		out = append(out, casework.NewAttachment{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Data: data, Stage: stage})
	}
	return out, nil
}

// formPoint reads the lng and lat fields: both empty is no point.
func formPoint(lngText, latText string) (lng, lat *float64, err error) {
	lngText, latText = strings.TrimSpace(lngText), strings.TrimSpace(latText)
	if lngText == "" && latText == "" {
		return nil, nil, nil
	}
	x, y, ok := input.Point(lngText, latText)
	if !ok {
		return nil, nil, store.Invalid("位置（经纬度）格式不正确，请重新定位或清空")
	}
	return &x, &y, nil
}

// newIdem returns a fresh idempotency key for a report form.
func newIdem() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var idemPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// formIdem returns the form's idempotency key, or "" when it is not one of
// ours (a hand-made post).
func formIdem(r *http.Request) string {
	v := r.PostFormValue("idem")
	if idemPattern.MatchString(v) {
		return v
	}
	return ""
}

// titleFrom makes a title from the text when the reporter gave none: its
// first line, at most 30 characters.
func titleFrom(title, body string) string {
	title = strings.TrimSpace(title)
	if title != "" {
		return title
	}
	body = strings.TrimSpace(body)
	if i := strings.IndexAny(body, "\r\n"); i >= 0 {
		body = body[:i]
	}
	if utf8.RuneCountInString(body) > 30 {
		body = string([]rune(body)[:30]) + "…"
	}
	return body
}
