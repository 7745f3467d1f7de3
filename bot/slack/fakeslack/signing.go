package fakeslack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Request signing headers (contract A2).
const (
	HeaderSignature = "X-Slack-Signature"
	HeaderTimestamp = "X-Slack-Request-Timestamp"
)

// Sign returns the v0 signature of a request Slack sends (contract A2):
// "v0=" + hex(HMAC-SHA256(secret, "v0:<ts>:<body>")).
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignOption alters how a delivery is signed, for negative tests. Any option marks the
// delivery as deliberately altered: its answer is then not checked against the
// contract.
type SignOption func(*signConfig)

type signConfig struct {
	secret      string
	at          time.Time
	tamper      bool
	noSignature bool
	noTimestamp bool
	signature   string
	altered     bool
}

// WithSecret signs with another secret (a wrong one, for a negative test).
func WithSecret(secret string) SignOption {
	return func(c *signConfig) { c.secret, c.altered = secret, true }
}

// WithTimestamp signs with the given time instead of the server's clock (a stale one,
// more than 5 minutes away, for a negative test).
func WithTimestamp(at time.Time) SignOption {
	return func(c *signConfig) { c.at, c.altered = at, true }
}

// WithTamperedBody appends "------" to the body after signing it.
func WithTamperedBody() SignOption {
	return func(c *signConfig) { c.tamper, c.altered = true, true }
}

// WithoutSignature omits the X-Slack-Signature header.
func WithoutSignature() SignOption {
	return func(c *signConfig) { c.noSignature, c.altered = true, true }
}

// WithoutTimestamp omits the X-Slack-Request-Timestamp header.
func WithoutTimestamp() SignOption {
	return func(c *signConfig) { c.noTimestamp, c.altered = true, true }
}

// WithSignature sends this X-Slack-Signature value as is (e.g. "v0=zz", not hex).
func WithSignature(value string) SignOption {
	return func(c *signConfig) { c.signature, c.altered = value, true }
}

// NewSignedRequest builds a POST of body to endpointURL signed as Slack signs (A2) with
// secret at time at; options alter the signature for negative tests.
func NewSignedRequest(ctx context.Context, secret, endpointURL, contentType string, body []byte, at time.Time, opts ...SignOption) (*http.Request, error) {
	cfg := signConfig{secret: secret, at: at}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg.request(ctx, endpointURL, contentType, body)
}

func (c *signConfig) request(ctx context.Context, endpointURL, contentType string, body []byte) (*http.Request, error) {
	ts := c.at.Unix()
	sig := Sign(c.secret, ts, body)
	if c.signature != "" {
		sig = c.signature
	}
	sent := body
	if c.tamper {
		sent = append(bytes.Clone(body), "------"...)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpointURL, bytes.NewReader(sent))
	if err != nil {
		return nil, fmt.Errorf("fakeslack: signed request: %w", err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	if !c.noTimestamp {
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	}
	if !c.noSignature {
		req.Header.Set(HeaderSignature, sig)
	}
	return req, nil
}

// SignedRequest builds a POST signed with the server's signing secret at the server's
// clock's time.
func (s *Server) SignedRequest(ctx context.Context, endpointURL, contentType string, body []byte, opts ...SignOption) (*http.Request, error) {
	return NewSignedRequest(ctx, s.opts.SigningSecret, endpointURL, contentType, body, s.now(), opts...)
}
