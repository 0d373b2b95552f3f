package catalog

import (
	"fmt"
	"regexp"
	"strings"

	"grassroots/internal/store"
)

// MatterType is one of the kinds of government power or service, with the
// two-letter code of the national coding rule for government service matters
// (see docs/MATTER-CODES.md).
type MatterType struct {
	Code string // XK
	Name string // 行政许可
}

// MatterTypes are the types in the order the lists show them.
var MatterTypes = []MatterType{
	{"XK", "行政许可"},
	{"CF", "行政处罚"},
	{"QZ", "行政强制"},
	{"ZS", "行政征收"},
	{"JF", "行政给付"},
	{"JC", "行政检查"},
	{"QR", "行政确认"},
	{"JL", "行政奖励"},
	{"CJ", "行政裁决"},
	{"QT", "其他行政权力"},
	{"GF", "公共服务"},
}

// TypeName returns the Chinese name of a type code ("XK" → "行政许可"), or "".
func TypeName(code string) string {
	for _, t := range MatterTypes {
		if t.Code == code {
			return t.Name
		}
	}
	return ""
}

// TypeCode returns the code of a type given by its Chinese name or its code
// ("行政许可" or "XK" → "XK"), or "".
func TypeCode(s string) string {
	s = strings.TrimSpace(s)
	for _, t := range MatterTypes {
		if t.Name == s || t.Code == strings.ToUpper(s) {
			return t.Code
		}
	}
	return ""
}

var matterCodeRE = regexp.MustCompile(`^([A-Z]{2})(\d{5})(\d{3})$`)

// ValidateCode checks a matter code: a known two-letter type code, a 5-digit
// main item (00001–99999) and a 3-digit sub-item (000 when there is none),
// e.g. XK00123000. The error names the field and says what is wrong.
func ValidateCode(code string) error {
	if code == "" {
		return store.Invalid("事项编码不能为空")
	}
	m := matterCodeRE.FindStringSubmatch(code)
	if m == nil {
		return store.Invalidf("事项编码“%s”格式不正确：应为2位类型代码+5位主项编码+3位子项编码，如 XK00123000", code)
	}
	if TypeName(m[1]) == "" {
		return store.Invalidf("事项编码“%s”的类型代码“%s”不存在：应为 XK、CF、QZ、ZS、JF、JC、QR、JL、CJ、QT、GF 之一", code, m[1])
	}
	if m[2] == "00000" {
		return store.Invalidf("事项编码“%s”的主项编码不能为00000", code)
	}
	return nil
}

// Levels are the level digits of an implementation code (事权层级).
var Levels = map[int]string{1: "国家级", 2: "省级", 3: "市级", 4: "县级", 5: "乡级"}

var divisionRE = regexp.MustCompile(`^\d{6}$`)

// ImplementationCode builds the implementation code of a matter: the matter
// code, the level digit (1 national … 4 county, 5 township) and the 6-digit
// division code, e.g. ImplementationCode("XK00123000", 4, "350722") is
// "XK001230004350722".
func ImplementationCode(matterCode string, level int, division string) (string, error) {
	if err := ValidateCode(matterCode); err != nil {
		return "", err
	}
	if _, ok := Levels[level]; !ok {
		return "", store.Invalidf("实施层级“%d”不正确：应为1（国家级）至5（乡级）", level)
	}
	if !divisionRE.MatchString(division) || division == "000000" {
		return "", store.Invalidf("行政区划代码“%s”不正确：应为6位数字", division)
	}
	return fmt.Sprintf("%s%d%s", matterCode, level, division), nil
}

// ParseImplementationCode splits an implementation code into its matter code,
// level and division code, validating each.
func ParseImplementationCode(code string) (matterCode string, level int, division string, err error) {
	if len(code) != 17 {
		return "", 0, "", store.Invalidf("实施编码“%s”应为17位：10位事项编码+1位层级+6位区划代码", code)
	}
	matterCode, division = code[:10], code[11:]
	level = int(code[10] - '0')
	if _, err := ImplementationCode(matterCode, level, division); err != nil {
		return "", 0, "", err
	}
	return matterCode, level, division, nil
}

// FormatBasis shows a legal basis the way the lists print it:
// 《中华人民共和国行政许可法》第十二条.
func FormatBasis(law, article string) string {
	if law == "" {
		return article
	}
	return "《" + law + "》" + article
}

var basisRE = regexp.MustCompile(`^《([^》]+)》(.*)$`)

// ParseBasis splits a printed basis back into the law (without 《》) and the
// article; FormatBasis(ParseBasis(s)) == s for any s FormatBasis produced.
func ParseBasis(s string) (law, article string) {
	s = strings.TrimSpace(s)
	if m := basisRE.FindStringSubmatch(s); m != nil {
		return strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
	}
	return s, ""
}
