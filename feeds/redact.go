package feeds

import "net/url"

// RedactURL returns raw with any user:password removed, for logs and messages: a
// feed URL may carry credentials for a private feed.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}
