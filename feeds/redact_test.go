package feeds

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "https://feeds.example.com/feed.xml", "https://feeds.example.com/feed.xml"},
		{"empty", "", ""},
		{"a path", "/var/feeds/my feed 100%.xml", "/var/feeds/my feed 100%.xml"},
		{"user and password", "https://alice:s3cret@feeds.example.com/feed.xml", "https://feeds.example.com/feed.xml"},
		{"token as user name", "https://ghp_abc@github.com/x/feed.xml", "https://github.com/x/feed.xml"},
		{"@ in the password", "https://alice:p@ss@feeds.example.com/feed.xml", "https://feeds.example.com/feed.xml"},
		{"IPv6 host", "http://u:p@[::1]:8080/x", "http://[::1]:8080/x"},
		{"scheme-relative", "//u:p@host/x", "//host/x"},
		{"query token", "https://e.com/feed?token=abc&page=2", "https://e.com/feed?token=REDACTED&page=2"},
		{"every kind of secret, any case",
			"https://e.com/f?API_KEY=1&Signature=2&sig=3&X-Amz-Signature=4&X-Amz-Credential=5&X-Amz-Security-Token=6&access_token=7&auth=8&password=9&secret=10&key=11&apikey=12&client_secret=13&private_token=14&my_key=15",
			"https://e.com/f?API_KEY=REDACTED&Signature=REDACTED&sig=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&X-Amz-Security-Token=REDACTED&access_token=REDACTED&auth=REDACTED&password=REDACTED&secret=REDACTED&key=REDACTED&apikey=REDACTED&client_secret=REDACTED&private_token=REDACTED&my_key=REDACTED"},
		{"not secrets", "https://e.com/f?page=2&keyword=x&token_type=bearer&monkey=1&X-Amz-Date=20250101",
			"https://e.com/f?page=2&keyword=x&token_type=bearer&monkey=1&X-Amz-Date=20250101"},
		{"nothing re-encoded", "https://e.com/a%2Fb/caf%C3%A9?q=a+b&x=%zz&token=t%20t&y=%E2%9C%93#frag",
			"https://e.com/a%2Fb/caf%C3%A9?q=a+b&x=%zz&token=REDACTED&y=%E2%9C%93#frag"},
		{"empty value kept", "https://e.com/f?token=&a=1", "https://e.com/f?token=&a=1"},
		{"escaped name", "https://e.com/f?%74oken=abc&api%5Fkey=def", "https://e.com/f?%74oken=REDACTED&api%5Fkey=REDACTED"},
		{"array name", "https://e.com/f?api_key[]=abc", "https://e.com/f?api_key[]=REDACTED"},
		{"semicolon separator", "https://e.com/f?a=1;token=abc", "https://e.com/f?a=1;token=REDACTED"},
		{"value hidden whole", "https://e.com/f?token=a;b?c=d&e=1", "https://e.com/f?token=REDACTED&e=1"},
		{"HTML-escaped ampersand", "https://e.com/f?a=1&amp;token=abc", "https://e.com/f?a=1&amp;token=REDACTED"},
		{"fragment", "https://e.com/cb#access_token=abc&token_type=bearer", "https://e.com/cb#access_token=REDACTED&token_type=bearer"},
		{"secret running into the fragment", "https://e.com/f?sig=abc#x", "https://e.com/f?sig=REDACTED#x"},
		{"@ in the path kept", "https://medium.com/@user/feed", "https://medium.com/@user/feed"},
		{"@ in the query kept", "https://e.com/?email=a@b.com", "https://e.com/?email=a@b.com"},
		{"URL nested in the path", "https://web.archive.org/web/2020/https://u:p@host/feed", "https://web.archive.org/web/2020/https://host/feed"},
		{"invalid URL", "http://bob:pw@exa mple.com/%zz?token=abc", "http://exa mple.com/%zz?token=REDACTED"},
		{"invalid: / in the password", "https://user:abc/def@feeds.example.com/feed", "https://feeds.example.com/feed"},
		{"invalid: # in the password", "https://user:pa#ss@feeds.example.com/feed", "https://feeds.example.com/feed"},
		{"invalid: control character", "https://u:p@e.com/\x7ffeed?key=k", "https://e.com/\x7ffeed?key=REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, RedactURL(tt.in)); diff != "" {
				t.Errorf("RedactURL(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestRedactText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no URL", "dial tcp 127.0.0.1:80: connect: connection refused", "dial tcp 127.0.0.1:80: connect: connection refused"},
		{"bad Location header",
			`failed to parse Location header "http://u:p@h/%zz?token=abc": parse "http://u:p@h/%zz?token=abc": invalid URL escape "%zz"`,
			`failed to parse Location header "http://h/%zz?token=REDACTED": parse "http://h/%zz?token=REDACTED": invalid URL escape "%zz"`},
		{"words around", "see https://alice:pw@e.com/x and api_key=abc, then", "see https://e.com/x and api_key=REDACTED then"},
		{"host name with @ after a space kept", "mail me@example.com", "mail me@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, redactText(tt.in)); diff != "" {
				t.Errorf("redactText(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// secretParamNames are the parameter names FuzzRedactURL puts a secret under, as
// feeds and signed URLs spell them.
var secretParamNames = []string{
	"token", "API_KEY", "X-Amz-Signature", "x-amz-credential", "X-Amz-Security-Token",
	"access_token", "client_secret", "sig", "%74oken", "apikey[]", "Password", "my-token", "auth",
}

// FuzzRedactURL builds URLs around secrets, with every other part fuzzed (invalid
// hosts, stray "@", "?", "#", "://" …), and checks that no byte of a secret comes
// out. Each secret is wrapped in "~", which is removed from the other parts and which
// neither escaping function changes: any "~" in the output is a leak. raw, used as
// is, checks that nothing panics or re-encodes.
func FuzzRedactURL(f *testing.F) {
	f.Add("https://alice:s3cret@feeds.example.com/feed.xml?token=abc", "https", "alice", "s3cret", "feeds.example.com", "/feed.xml", "page=2", uint8(0), "abc", "x=1", "")
	f.Add("http://bob:pw@exa mple.com/%zz", "http", "bob", "p/w#x?y@z", "exa mple.com", "/%zz", "", uint8(2), "a&b=c#d", "", "frag")
	f.Add("//u:p@[::1]:80/x?api_key[]=1#access_token=2", "", "", "", "[::1]:80", "/@user", "email=a@b.com", uint8(5), "", "", "access_token=x")
	f.Add("https://e.com/?a=1;token=abc?d&e", "ht?tp", "u@", ":", "h@x", "/a://b@c/", "x=http://u:p@h", uint8(8), "%zz", ";sig=1", "#")
	f.Add("https://user:abc/def@feeds.example.com/feed", "file", "ü", "\x00\xff", "\x7f", "", "&&==", uint8(12), "\n", "token", "=")
	f.Add("http://[fe80::1%25eth0]/?X-Amz-Signature=abc&X-Amz-Credential=def", "HTTPS", "a", "b", "e.com:99999", "?x#y", "", uint8(3), "s", "", "")
	f.Fuzz(func(t *testing.T, raw, scheme, user, pass, host, path, q1 string, name uint8, secret, q2, frag string) {
		got := RedactURL(raw)
		if again := RedactURL(got); again != got {
			t.Errorf("RedactURL is not idempotent on %q: %q then %q", raw, got, again)
		}
		if !strings.ContainsAny(raw, "@=") && got != raw {
			t.Errorf("RedactURL(%q) = %q, want it unchanged", raw, got)
		}
		if utf8.ValidString(raw) && !utf8.ValidString(got) {
			t.Errorf("RedactURL(%q) = %q, not UTF-8", raw, got)
		}
		_ = redactText(raw)

		clean := func(s string) string { return strings.ReplaceAll(s, "~", "") }
		scheme = strings.NewReplacer("~", "", "?", "", "#", "").Replace(scheme)
		userinfo := url.UserPassword("~"+clean(user)+"~", "~"+clean(pass)+"~").String()
		built := scheme + "://" + userinfo + "@" + clean(host) + clean(path) + "?" + clean(q1) +
			"&" + secretParamNames[int(name)%len(secretParamNames)] + "=" + url.QueryEscape("~"+clean(secret)+"~") +
			"&" + clean(q2) + "#" + clean(frag)
		if out := RedactURL(built); strings.Contains(out, "~") {
			t.Errorf("RedactURL(%q) = %q: a secret leaked", built, out)
		}
		if out := redactText(`fetch "` + built + `": failed`); strings.Contains(out, "~") {
			t.Errorf("redactText(%q) = %q: a secret leaked", built, out)
		}
	})
}
