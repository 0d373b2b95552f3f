package pii

import "strings"

// NormalizePhone strips blanks, dashes and a leading +86 or 0086 from a phone
// number, so that the same number always hashes alike.
func NormalizePhone(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t', '(', ')', '（', '）':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	for _, p := range []string{"+86", "0086"} {
		if strings.HasPrefix(s, p) && len(s)-len(p) == 11 {
			s = s[len(p):]
		}
	}
	return s
}

// NormalizeID upper-cases the check character of an ID number and strips
// blanks.
func NormalizeID(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}

// ValidPhone reports whether s is a mainland mobile number (11 digits,
// starting 13-19) or a landline with area code (0 + 9 to 11 digits, as
// "0599-2822345" or "05992822345"), after NormalizePhone.
func ValidPhone(s string) bool {
	s = NormalizePhone(s)
	if !allDigits(s) {
		return false
	}
	switch {
	case len(s) == 11 && s[0] == '1' && s[1] >= '3' && s[1] <= '9':
		return true
	case s != "" && s[0] == '0' && len(s) >= 10 && len(s) <= 12:
		return true
	}
	return false
}

// ValidID reports whether s is an 18-character resident ID number (GB
// 11643-1999) with a correct check character and a plausible birth date.
func ValidID(s string) bool {
	s = NormalizeID(s)
	if len(s) != 18 || !allDigits(s[:17]) {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	if "10X98765432"[sum%11] != s[17] {
		return false
	}
	month := int(s[10]-'0')*10 + int(s[11]-'0')
	day := int(s[12]-'0')*10 + int(s[13]-'0')
	year := int(s[6]-'0')*1000 + int(s[7]-'0')*100 + int(s[8]-'0')*10 + int(s[9]-'0')
	return year >= 1900 && month >= 1 && month <= 12 && day >= 1 && day <= 31
}

// MaskPhone shows the first three and last four digits of a mobile number
// ("138****5678"); shorter or odd values keep only their last four
// characters visible.
func MaskPhone(s string) string {
	s = NormalizePhone(s)
	n := len(s)
	switch {
	case n == 0:
		return ""
	case n >= 11:
		return s[:3] + strings.Repeat("*", n-7) + s[n-4:]
	case n > 4:
		return strings.Repeat("*", n-4) + s[n-4:]
	}
	return strings.Repeat("*", n)
}

// MaskID keeps the first four and the last four characters of an ID number
// and stars the rest ("3507**********123X").
func MaskID(s string) string {
	s = NormalizeID(s)
	n := len(s)
	if n <= 8 {
		return strings.Repeat("*", n)
	}
	return s[:4] + strings.Repeat("*", n-8) + s[n-4:]
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
