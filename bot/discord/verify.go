package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"net/http"
)

// errBadSignature is any failure to prove that a request came from Discord.
var errBadSignature = errors.New("discord: interaction signature not valid")

// ParsePublicKey reads the application's public key as the Developer Portal
// shows it: 64 hexadecimal characters.
func ParsePublicKey(hexKey string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(hexKey)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("discord: the public key is not 64 hexadecimal characters")
	}
	return ed25519.PublicKey(b), nil
}

// verify checks Discord's signature of an interaction: Ed25519 over the
// X-Signature-Timestamp header followed by the raw body, with the application's
// public key. Discord deliberately sends bad signatures to check that they are
// refused.
func verify(key ed25519.PublicKey, h http.Header, body []byte) error {
	if len(key) != ed25519.PublicKeySize {
		return errBadSignature
	}
	ts := h.Get("X-Signature-Timestamp")
	sig, err := hex.DecodeString(h.Get("X-Signature-Ed25519"))
	if ts == "" || err != nil || len(sig) != ed25519.SignatureSize {
		return errBadSignature
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	if !ed25519.Verify(key, msg, sig) {
		return errBadSignature
	}
	return nil
}
