package feeds

import (
	"net/url"
	"strings"
)

// redacted replaces a secret value in what RedactURL returns.
const redacted = "REDACTED"

// RedactURL returns raw fit for logs and messages (DESIGN promise 6): without the
// user:password a private feed's URL may carry, and with the values of query (and
// fragment) parameters that look like secrets (token, api_key, signature,
// X-Amz-Credential, anything ending in _token, _key or _secret …) replaced by
// REDACTED. Everything else is kept byte for byte and in order.
//
// raw need not be a valid URL: one that url.Parse refuses is redacted too, more
// broadly (everything between "://" and the last "@" goes), since a password with a
// "/" or "#" in it is what usually makes such an address invalid.
func RedactURL(raw string) string {
	_, err := url.Parse(raw)
	return redactURLText(raw, err != nil)
}

// redactURLText redacts raw as a URL; loose widens the userinfo rule for an address
// whose structure cannot be trusted.
func redactURLText(raw string, loose bool) string {
	r := redaction{s: raw}
	// The query and the fragment start at the first "?" or "#", as url.Parse has it.
	q := strings.IndexAny(raw, "?#")
	if q < 0 {
		q = len(raw)
	}
	// Userinfo: from "://" (or a leading "//") to the last "@" of the authority, which
	// ends at the first "/". Every "://" before the query counts, so a URL nested in
	// the path (an archive's) loses its credentials too.
	starts := []int{}
	if strings.HasPrefix(raw, "//") {
		starts = append(starts, 2)
	}
	for i := 0; ; {
		j := strings.Index(raw[i:q], "://")
		if j < 0 {
			break
		}
		i += j + 3
		starts = append(starts, i)
	}
	for _, start := range starts {
		end := q
		if k := strings.IndexByte(raw[start:q], '/'); k >= 0 {
			end = start + k
		}
		if at := strings.LastIndexByte(raw[start:end], '@'); at >= 0 {
			r.set(start, start+at+1, drop)
		}
	}
	if loose {
		if i := strings.Index(raw, "://"); i >= 0 {
			start := i + 3
			if at := strings.LastIndexByte(raw[start:], '@'); at >= 0 {
				r.set(start, start+at+1, drop)
			}
		}
	}
	// Parameters: a name runs back to the previous separator; a secret's value runs to
	// the next "&" (or "#" while in the query), never to a ";" or "?", so a value is
	// hidden whole even when a server would cut it shorter.
	frag := strings.IndexByte(raw, '#')
	if frag < 0 {
		frag = len(raw)
	}
	for k := q; k < len(raw); k++ {
		if raw[k] != '=' {
			continue
		}
		n := k
		for n > q && strings.IndexByte("?#&;=", raw[n-1]) < 0 {
			n--
		}
		if !isSecretName(raw[n:k]) {
			continue
		}
		stops := "&#"
		if k > frag {
			stops = "&"
		}
		end := len(raw)
		if e := strings.IndexAny(raw[k+1:], stops); e >= 0 {
			end = k + 1 + e
		}
		r.set(k+1, end, hide)
		k = end - 1 // what the value holds is hidden already
	}
	return r.String()
}

// redactText removes secrets from free text, such as an error message that quotes a
// URL: the userinfo after each "://" and the values of secret-looking parameters,
// both ending at white space or a quote as well.
func redactText(s string) string {
	if !strings.Contains(s, "://") && !strings.Contains(s, "=") {
		return s
	}
	r := redaction{s: s}
	const ends = " \t\r\n\"'`<>"
	for i := 0; ; {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			break
		}
		i += j + 3
		end := len(s)
		if k := strings.IndexAny(s[i:], "/?#"+ends); k >= 0 {
			end = i + k
		}
		if at := strings.LastIndexByte(s[i:end], '@'); at >= 0 {
			r.set(i, i+at+1, drop)
		}
	}
	for k := 0; k < len(s); k++ {
		if s[k] != '=' {
			continue
		}
		n := k
		for n > 0 && isNameByte(s[n-1]) {
			n--
		}
		if !isSecretName(s[n:k]) {
			continue
		}
		end := len(s)
		if e := strings.IndexAny(s[k+1:], "&#"+ends); e >= 0 {
			end = k + 1 + e
		}
		r.set(k+1, end, hide)
		k = end - 1
	}
	return r.String()
}

// isNameByte reports whether c may be part of a parameter name in free text.
func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("_-.%+[]", c) >= 0
}

// secretNames are parameter names whose values are secrets, once lower-cased and
// with "-" read as "_"; secretSuffixes catch the many variants (access_token,
// x_amz_security_token, client_secret, x_api_key, x_goog_signature …).
var (
	secretNames = map[string]bool{
		"token": true, "key": true, "apikey": true, "secret": true, "signature": true,
		"sig": true, "password": true, "passwd": true, "pwd": true, "pass": true,
		"auth": true, "authorization": true, "credential": true, "credentials": true,
		"jwt": true,
	}
	secretSuffixes = []string{"token", "_key", "apikey", "secret", "password", "signature", "credential", "_sig"}
)

// isSecretName reports whether a raw (possibly percent-encoded) parameter name
// names a secret.
func isSecretName(raw string) bool {
	if raw == "" {
		return false
	}
	name := strings.ToLower(strings.TrimSpace(unescapeLenient(raw)))
	name = strings.ReplaceAll(strings.TrimSuffix(name, "[]"), "-", "_")
	if secretNames[name] {
		return true
	}
	for _, suf := range secretSuffixes {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// unescapeLenient decodes "+" and the valid %XX escapes of s and keeps the rest, so
// a name a server would decode ("%74oken") is recognised even when another escape in
// it is broken.
func unescapeLenient(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '+':
			b.WriteByte(' ')
		case s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// Marks of a redaction, by strength: a byte marked twice keeps the stronger mark.
const (
	keep byte = iota
	hide      // shown as REDACTED
	drop      // removed
)

// redaction marks the bytes of s to hide or drop. Rules mark spans of the original
// text independently, so no rule can undo what another hid.
type redaction struct {
	s    string
	mark []byte // nil until something is marked
}

func (r *redaction) set(from, to int, m byte) {
	if from >= to {
		return
	}
	if r.mark == nil {
		r.mark = make([]byte, len(r.s))
	}
	for i := from; i < to; i++ {
		r.mark[i] = max(r.mark[i], m)
	}
}

// String returns s with its dropped bytes removed and each run of hidden bytes
// replaced by one REDACTED.
func (r *redaction) String() string {
	if r.mark == nil {
		return r.s
	}
	var b strings.Builder
	b.Grow(len(r.s))
	hiding := false
	for i := 0; i < len(r.s); i++ {
		switch r.mark[i] {
		case keep:
			b.WriteByte(r.s[i])
			hiding = false
		case hide:
			if !hiding {
				b.WriteString(redacted)
				hiding = true
			}
		}
	}
	return b.String()
}
