package discord

import (
	"net/http"
	"strings"
	"testing"
)

// The contract's vector (B3): the RFC 8032 TEST 1 key pair signing a PING.
const (
	vectorKey  = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
	vectorTS   = "1608597133"
	vectorBody = `{"id":"787053080478613555","token":"ThisIsATokenFromDiscordThatIsVeryLong","type":1,"version":1}`
	vectorSig  = "e0723ca3a8d8a4264a0968b8ed00da6a9a4ab703d65d15c0360ff659e81bbbb0dabcc8fdcc3fcccd0b068e935a432387a75dacd1ee335de77a5fd6fa7266ab03"
)

func signed(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set("X-Signature-Timestamp", ts)
	}
	if sig != "" {
		h.Set("X-Signature-Ed25519", sig)
	}
	return h
}

func TestVerify(t *testing.T) {
	key, err := ParsePublicKey(vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ParsePublicKey(strings.Repeat("ab", 32))
	tests := []struct {
		name string
		key  []byte
		h    http.Header
		body string
		ok   bool
	}{
		{"the vector", key, signed(vectorTS, vectorSig), vectorBody, true},
		{"a trailing space in the body", key, signed(vectorTS, vectorSig), vectorBody + " ", false},
		{"another timestamp", key, signed("1608597134", vectorSig), vectorBody, false},
		{"another key", other, signed(vectorTS, vectorSig), vectorBody, false},
		{"no signature", key, signed(vectorTS, ""), vectorBody, false},
		{"no timestamp", key, signed("", vectorSig), vectorBody, false},
		{"signature not hex", key, signed(vectorTS, "zz"+vectorSig[2:]), vectorBody, false},
		{"signature too short", key, signed(vectorTS, vectorSig[:126]), vectorBody, false},
		{"one bit of the signature flipped", key, signed(vectorTS, "f"+vectorSig[1:]), vectorBody, false},
		{"no key", nil, signed(vectorTS, vectorSig), vectorBody, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(tt.key, tt.h, []byte(tt.body))
			if (err == nil) != tt.ok {
				t.Errorf("verify = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestParsePublicKey(t *testing.T) {
	for _, bad := range []string{"", "d75a98", strings.Repeat("g", 64), vectorKey + "00"} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", bad)
		}
	}
}
