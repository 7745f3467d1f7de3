package feeds

import (
	"math"
	"strings"
)

// maxDurationSeconds bounds what ParseDuration accepts (about 115 days): larger
// values are typos or garbage, and the bound keeps the arithmetic far from
// overflow.
const maxDurationSeconds = 10_000_000

// ParseDuration reads an itunes:duration in any form seen in the wild and returns
// it in whole seconds:
//
//	"3780"        seconds
//	"1014.708375" fractional seconds, rounded to the nearest second (1015)
//	"63:00"       MM:SS; a single colon is always minutes:seconds, so "1:04" is 64 s
//	"1:03:00"     H:MM:SS (also "01:03:00")
//	"45:10.500"   a fraction on the last part, rounded to the nearest second
//
// Surrounding spaces are ignored. Empty, negative or malformed values, and a
// non-leading part of 60 or more ("1:75"), give ok == false: no duration is better
// than a wrong one.
func ParseDuration(s string) (seconds int, ok bool) {
	s = strings.TrimSpace(s) // also drops the non-breaking spaces some CMSs add
	if s == "" {
		return 0, false
	}
	// Split on ':' by hand: this runs once per item of every poll, and the forms
	// are simple enough that a regexp or strings.Split would only add cost.
	var parts [3]string
	n := 0
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ':' {
			if n == len(parts) {
				return 0, false // more than H:MM:SS
			}
			parts[n] = s[start:i]
			n++
			start = i + 1
		}
	}

	total := 0.0
	for i := 0; i < n; i++ {
		last := i == n-1
		v, ok := durationPart(parts[i], last)
		if !ok {
			return 0, false
		}
		// Only the leading part may exceed its unit ("63:00" is 63 minutes).
		if i > 0 && v >= 60 {
			return 0, false
		}
		total = total*60 + v
		if total > maxDurationSeconds {
			return 0, false
		}
	}
	return int(math.Round(total)), true
}

// durationPart reads one colon-separated part: ASCII digits, with a decimal
// fraction allowed on the last part only. Signs, exponents and spaces are refused,
// which is why strconv.ParseFloat is not used.
func durationPart(p string, allowFraction bool) (float64, bool) {
	if p == "" {
		return 0, false
	}
	v := 0.0
	i := 0
	for ; i < len(p) && p[i] >= '0' && p[i] <= '9'; i++ {
		v = v*10 + float64(p[i]-'0')
		if v > maxDurationSeconds {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	if i == len(p) {
		return v, true
	}
	if !allowFraction || p[i] != '.' || i == len(p)-1 {
		return 0, false
	}
	scale := 0.1
	for i++; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return 0, false
		}
		v += float64(p[i]-'0') * scale
		scale /= 10
	}
	return v, true
}
