package slack

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The two published test vectors of Slack's v0 signatures (contract A2), and the
// negative cases: each must be refused.
const (
	vector1Secret = "8f742231b10e8888abcd99yyyzzz85a5"
	vector1TS     = "1531420618"
	vector1Body   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	vector1Sig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

	vector2Secret = "e6b19c573432dcc6b075501d51b51bb8"
	vector2TS     = "1531431954"
	// vector2Body is slack-go's validBody (security_test.go), byte for byte.
	vector2Body = `{"token":"aF5ynEYQH0dFN9imlgcADxDB","team_id":"XXXXXXXXX","api_app_id":"YYYYYYYYY","event":{"type":"app_mention","user":"AAAAAAAAA","text":"<@EEEEEEEEE> hello world","client_msg_id":"477cc591-ch73-a14z-4db8-g0cd76321bec","ts":"1531431954.000073","channel":"TTTTTTTTT","event_ts":"1531431954.000073"},"type":"event_callback","event_id":"TvBP7LRED7","event_time":1531431954,"authed_users":["EEEEEEEEE"]}`
	vector2Sig  = "v0=adada4ed31709aef585c2580ca3267678c6a8eaeb7e0c1aca3ee57b656886b2c"
)

func header(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set("X-Slack-Request-Timestamp", ts)
	}
	if sig != "" {
		h.Set("X-Slack-Signature", sig)
	}
	return h
}

func TestVerify(t *testing.T) {
	at1, at2 := time.Unix(1531420618, 0), time.Unix(1531431954, 0)
	tests := []struct {
		name   string
		secret string
		h      http.Header
		body   string
		now    time.Time
		ok     bool
	}{
		{"vector 1", vector1Secret, header(vector1TS, vector1Sig), vector1Body, at1, true},
		{"vector 2", vector2Secret, header(vector2TS, vector2Sig), vector2Body, at2, true},
		{"vector 1 a little later", vector1Secret, header(vector1TS, vector1Sig), vector1Body, at1.Add(4 * time.Minute), true},
		{"vector 1 from a clock a little behind", vector1Secret, header(vector1TS, vector1Sig), vector1Body, at1.Add(-4 * time.Minute), true},
		{"one character of the secret changed", "e6b19c573432dcc6b075501d51b51boo", header(vector2TS, vector2Sig), vector2Body, at2, false},
		{"bytes appended to the body", vector1Secret, header(vector1TS, vector1Sig), vector1Body + "------", at1, false},
		{"no signature", vector1Secret, header(vector1TS, ""), vector1Body, at1, false},
		{"no timestamp", vector1Secret, header("", vector1Sig), vector1Body, at1, false},
		{"stale: more than 5 minutes old", vector1Secret, header(vector1TS, vector1Sig), vector1Body, at1.Add(5*time.Minute + time.Second), false},
		{"from the future: more than 5 minutes ahead", vector1Secret, header(vector1TS, vector1Sig), vector1Body, at1.Add(-5*time.Minute - time.Second), false},
		{"the real clock", vector1Secret, header(vector1TS, vector1Sig), vector1Body, time.Now(), false},
		{"not hex", vector1Secret, header(vector1TS, "v0=zz"+vector1Sig[5:]), vector1Body, at1, false},
		{"no version", vector1Secret, header(vector1TS, strings.TrimPrefix(vector1Sig, "v0=")), vector1Body, at1, false},
		{"another version", vector1Secret, header(vector1TS, "v1="+vector1Sig[3:]), vector1Body, at1, false},
		{"empty secret", "", header(vector1TS, vector1Sig), vector1Body, at1, false},
		{"timestamp not a number", vector1Secret, header("1531420618.5", vector1Sig), vector1Body, at1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(tt.secret, tt.h, []byte(tt.body), tt.now)
			if (err == nil) != tt.ok {
				t.Errorf("verify = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
