package open311

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/casework"
	"grassroots/internal/input"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// PostRequest is a parsed POST requests.{format} body: the form fields the
// specification names, and the attributes (attribute[code]=value, with
// attribute[code][]=value for multi-value lists).
type PostRequest struct {
	APIKey        string
	ServiceCode   string
	Lat, Long     *float64
	AddressString string
	AddressID     string
	Email         string
	DeviceID      string
	AccountID     string
	FirstName     string
	LastName      string
	Phone         string
	Description   string
	MediaURL      string
	// RequestType is grassroots' extension: consult, help (default),
	// complaint or suggestion.
	RequestType string
	// Attributes maps each attribute code to its values, in order.
	Attributes map[string][]string
}

// maxPostBody bounds a POST body.
const maxPostBody = 64 << 10

// ParsePostRequest parses an application/x-www-form-urlencoded body. It
// checks the form itself (sizes, numbers, a location); the attributes are
// checked against the service definition by CheckAttributes.
func ParsePostRequest(body string) (PostRequest, error) {
	if len(body) > maxPostBody {
		return PostRequest{}, store.Invalid("请求体过大 (request body too large)")
	}
	vals, err := url.ParseQuery(body)
	if err != nil {
		return PostRequest{}, store.Invalidf("请求体不是有效的表单编码 (body is not form-encoded): %v", err)
	}
	return ParsePostValues(vals)
}

// ParsePostValues is ParsePostRequest over parsed form values.
func ParsePostValues(vals url.Values) (PostRequest, error) {
	one := func(k string) string { return strings.TrimSpace(vals.Get(k)) }
	p := PostRequest{
		APIKey: one("api_key"), ServiceCode: one("service_code"), AddressString: one("address_string"), AddressID: one("address_id"),
		Email: one("email"), DeviceID: one("device_id"), AccountID: one("account_id"), FirstName: one("first_name"),
		LastName: one("last_name"), Phone: one("phone"), Description: one("description"), MediaURL: one("media_url"),
		RequestType: one("request_type"), Attributes: map[string][]string{},
	}
	for k, vs := range vals {
		for _, v := range vs {
			if !input.Valid(k) || !input.Valid(v) {
				return p, store.Invalid("表单内容须为UTF-8文本，不能含控制字符 (form must be UTF-8 text without control characters)")
			}
		}
	}
	if p.ServiceCode == "" {
		return p, store.Invalid("缺少 service_code (service_code is required)")
	}
	lat, err := coord(one("lat"), "lat", 90)
	if err != nil {
		return p, err
	}
	long, err := coord(one("long"), "long", 180)
	if err != nil {
		return p, err
	}
	if (lat == nil) != (long == nil) {
		return p, store.Invalid("lat 与 long 须同时提供 (lat and long go together)")
	}
	p.Lat, p.Long = lat, long
	if p.Lat == nil && p.AddressString == "" && p.AddressID == "" {
		return p, store.Invalid("请提供位置：lat/long、address_string 或 address_id (a location is required)")
	}
	for k, limit := range map[string]int{"address_string": 300, "address_id": 100, "email": 200, "device_id": 200, "account_id": 200,
		"first_name": 25, "last_name": 25, "phone": 30, "description": 4000, "media_url": 2000, "request_type": 20} {
		if utf8.RuneCountInString(one(k)) > limit {
			return p, store.Invalidf("%s 不能超过%d个字符 (%s is too long)", k, limit, k)
		}
	}
	if p.MediaURL != "" {
		u, err := url.Parse(p.MediaURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return p, store.Invalid("media_url 应为 http(s) 网址 (media_url must be an http(s) URL)")
		}
	}
	if p.RequestType == "" {
		p.RequestType = casework.RequestHelp
	}
	if !slices.Contains(casework.RequestTypes, p.RequestType) {
		return p, store.Invalid("request_type 应为 consult、help、complaint 或 suggestion")
	}
	for k, vs := range vals {
		if !strings.HasPrefix(k, "attribute[") {
			continue
		}
		rest := strings.TrimPrefix(k, "attribute[")
		code, tail, ok := strings.Cut(rest, "]")
		if !ok || code == "" || (tail != "" && tail != "[]") || len(code) > 100 {
			return p, store.Invalidf("属性参数名不正确：%q (use attribute[code]=value)", k)
		}
		for _, v := range vs {
			p.Attributes[code] = append(p.Attributes[code], strings.TrimSpace(v))
		}
	}
	return p, nil
}

func coord(s, name string, limit float64) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	v, ok := input.Coord(s, limit)
	if !ok {
		return nil, store.Invalidf("%s 应为 -%g 至 %g 之间的数 (%s is not a valid coordinate)", name, limit, limit, name)
	}
	return &v, nil
}

// CheckAttributes validates attributes against a service definition
// (required, datatype, value lists) and returns them as stored with the
// case: a string per attribute, a list for multi-value lists.
func CheckAttributes(fields []Field, got map[string][]string) (map[string]any, error) {
	out := map[string]any{}
	known := map[string]Field{}
	for _, f := range fields {
		known[f.Code] = f
	}
	for code := range got {
		if f, ok := known[code]; !ok || !f.IsVariable() {
			return nil, store.Invalidf("服务没有属性 %s (unknown attribute %s)", code, code)
		}
	}
	for _, f := range fields {
		if !f.IsVariable() {
			continue
		}
		var vs []string
		for _, v := range got[f.Code] {
			if v != "" {
				vs = append(vs, v)
			}
		}
		label := f.Code
		if f.Name != "" {
			label = f.Name + "（" + f.Code + "）"
		}
		if len(vs) == 0 {
			if f.Required {
				return nil, store.Invalidf("请填写%s (attribute %s is required)", label, f.Code)
			}
			continue
		}
		if f.Datatype != TypeMultiValueList && len(vs) > 1 {
			return nil, store.Invalidf("%s只能有一个值 (attribute %s takes one value)", label, f.Code)
		}
		v := vs[0]
		switch f.Datatype {
		case TypeString:
			if utf8.RuneCountInString(v) > 1000 {
				return nil, store.Invalidf("%s过长 (attribute %s is too long)", label, f.Code)
			}
			out[f.Code] = v
		case TypeText:
			if utf8.RuneCountInString(v) > 4000 {
				return nil, store.Invalidf("%s过长 (attribute %s is too long)", label, f.Code)
			}
			out[f.Code] = v
		case TypeNumber:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n != n || n > 1e15 || n < -1e15 {
				return nil, store.Invalidf("%s应为数字 (attribute %s must be a number)", label, f.Code)
			}
			out[f.Code] = v
		case TypeDatetime:
			t, err := ParseTime(v)
			if err != nil {
				return nil, store.Invalidf("%s应为ISO 8601时间 (attribute %s must be an ISO 8601 datetime)", label, f.Code)
			}
			out[f.Code] = t.Format(time.RFC3339)
		case TypeSingleValueList, TypeMultiValueList:
			var keys []string
			for _, v := range vs {
				if !slices.ContainsFunc(f.Values, func(fv FieldValue) bool { return fv.Key == v }) {
					return nil, store.Invalidf("%s的取值 %q 不在可选项中 (attribute %s: %q is not a listed key)", label, v, f.Code, v)
				}
				if !slices.Contains(keys, v) {
					keys = append(keys, v)
				}
			}
			if f.Datatype == TypeSingleValueList {
				out[f.Code] = keys[0]
			} else {
				out[f.Code] = keys
			}
		}
	}
	return out, nil
}

// ParseTime reads an ISO 8601 time as clients send it: with a zone
// (2026-11-26T14:30:00+08:00, ...Z), without one (taken in Asia/Shanghai), or
// a date alone (its midnight in Asia/Shanghai).
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, shanghai); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 time: %q", s)
}

var shanghai = worktime.Location()
