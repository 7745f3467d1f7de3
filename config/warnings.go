package config

import (
	"fmt"
	"regexp"
	"strings"
)

// tokenPrefixes start Slack tokens: bot (xoxb-), user (xoxp-) and app-level (xapp-).
var tokenPrefixes = []string{"xoxb-", "xoxp-", "xapp-"}

// discordTokenRe is the shape of a Discord bot token: three base64url parts
// joined by dots (the encoded user id, a timestamp, an HMAC).
var discordTokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{17,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{20,}$`)

// looksLikeToken reports whether v is shaped like a real Slack or Discord token.
func looksLikeToken(v string) bool {
	for _, p := range tokenPrefixes {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return discordTokenRe.MatchString(v)
}

// fileSecretWarnings warns about secrets written in the YAML itself, where they end
// up in version control and backups; it runs on the decoded file, before ${}
// placeholders and environment overrides, which are the right places. lines gives
// the line of each key, when known. No warning holds the value.
func (c *Config) fileSecretWarnings(lines map[string]int) []Problem {
	var out []Problem
	for _, f := range secretFields {
		v := strings.TrimSpace(f.ptr(c).Value())
		if v == "" || strings.Contains(v, "${") {
			continue
		}
		if !f.anyValue && !looksLikeToken(v) {
			continue
		}
		noun := "a token"
		if f.anyValue {
			noun = "a secret"
		}
		out = append(out, Problem{Line: lines[f.key], Key: f.key, Message: fmt.Sprintf(
			"%s is written in the file; secrets belong in the environment (%s or ${%s})", noun, f.env, f.env)})
	}
	return out
}
