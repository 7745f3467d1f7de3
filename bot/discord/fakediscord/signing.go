package fakediscord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Sign returns the X-Signature-Ed25519 value (hex) for a timestamp and body: the
// Ed25519 signature of timestamp immediately followed by body (contract B3).
func Sign(key ed25519.PrivateKey, timestamp string, body []byte) string {
	msg := append([]byte(timestamp), body...)
	return hex.EncodeToString(ed25519.Sign(key, msg))
}

// PublicKey returns the public key of the fake's signing key.
func (s *Server) PublicKey() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }

// PublicKeyHex returns the public key in hex, as the Developer Portal shows it and the
// bot is configured with.
func (s *Server) PublicKeyHex() string { return hex.EncodeToString(s.PublicKey()) }

// PostOption changes how PostInteraction signs or sends.
type PostOption func(*postConfig)

type postConfig struct {
	noSig, noTS, badSig, tamper bool
	ts                          string
}

// WithoutSignature omits X-Signature-Ed25519.
func WithoutSignature() PostOption { return func(c *postConfig) { c.noSig = true } }

// WithoutTimestamp omits X-Signature-Timestamp.
func WithoutTimestamp() PostOption { return func(c *postConfig) { c.noTS = true } }

// WithBadSignature signs with another key (what Discord's routine checks send).
func WithBadSignature() PostOption { return func(c *postConfig) { c.badSig = true } }

// WithTamperedBody signs the body, then sends it with a trailing space.
func WithTamperedBody() PostOption { return func(c *postConfig) { c.tamper = true } }

// WithTimestamp uses ts as X-Signature-Timestamp (default: Clock in Unix seconds).
func WithTimestamp(ts string) PostOption { return func(c *postConfig) { c.ts = ts } }

// HTTPResult is the bot's HTTP answer to a signed interaction POST.
type HTTPResult struct {
	Status int
	Body   []byte
	// Record is the interaction's record after the answer: a 200 JSON body counts as
	// the callback (validated as one); a 202 means the bot answers through the callback
	// endpoint, which the record shows once it did (see WaitAnswered).
	Record InteractionRecord
}

// PostInteraction POSTs an interaction to the bot's HTTP endpoint (e.g.
// "http://127.0.0.1:8080/discord/interactions"), signed like Discord does, and returns
// the answer. A correctly signed request must get 200 with the interaction response (or
// 202 and a callback); a badly signed one must get 401, otherwise a violation is
// recorded. A PING (Type 1) must be answered {"type": 1}.
func (s *Server) PostInteraction(ctx context.Context, endpointURL string, in Interaction, opts ...PostOption) (HTTPResult, error) {
	var cfg postConfig
	for _, o := range opts {
		o(&cfg)
	}
	bad := cfg.noSig || cfg.noTS || cfg.badSig || cfg.tamper
	s.mu.Lock()
	st, err := s.prepareInteraction(in)
	if err != nil {
		s.mu.Unlock()
		return HTTPResult{}, err
	}
	st.sentAt = s.now()
	if cfg.ts == "" {
		cfg.ts = strconv.FormatInt(st.sentAt.Unix(), 10)
	}
	body := st.payload
	if bad {
		// Bad requests are not interactions the bot may answer.
		delete(s.interactions, st.in.ID)
		delete(s.byToken, st.in.Token)
	}
	s.mu.Unlock()

	key := s.priv
	if cfg.badSig {
		seed := make([]byte, ed25519.SeedSize)
		copy(seed, "fakediscord-wrong-key")
		key = ed25519.NewKeyFromSeed(seed)
	}
	sig := Sign(key, cfg.ts, body)
	if cfg.tamper {
		body = append(bytes.Clone(body), ' ')
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpointURL, bytes.NewReader(body))
	if err != nil {
		return HTTPResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Discord-Interactions/1.0 (+https://discord.com)")
	if !cfg.noSig {
		req.Header.Set("X-Signature-Ed25519", sig)
	}
	if !cfg.noTS {
		req.Header.Set("X-Signature-Timestamp", cfg.ts)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return HTTPResult{}, fmt.Errorf("fakediscord: post interaction: %w", err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return HTTPResult{}, err
	}
	res := HTTPResult{Status: resp.StatusCode, Body: rb}

	s.mu.Lock()
	defer s.mu.Unlock()
	if bad {
		if resp.StatusCode != http.StatusUnauthorized {
			s.violate("B3 signature", "badly signed interaction answered %d, want 401", resp.StatusCode)
		}
		res.Record = st.record()
		return res, nil
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if st.in.Type == InteractionPing {
			var p struct {
				Type int `json:"type"`
			}
			if json.Unmarshal(rb, &p) != nil || p.Type != CallbackPong {
				s.violate("B3 ping", "PING answered %q, want {\"type\":1}", rb)
			} else {
				st.response = &Response{InteractionID: st.in.ID, Type: CallbackPong, Data: rb, HTTP: true, Latency: s.now().Sub(st.sentAt)}
			}
		} else if r := s.acceptCallback(st, rb, true); r.status >= 300 {
			// acceptCallback recorded the violation.
			_ = r
		}
	case http.StatusAccepted:
		if len(bytes.TrimSpace(rb)) != 0 {
			s.violate("B2 http interaction", "202 answer with a body")
		}
	default:
		s.violate("B3 signature", "correctly signed interaction %s answered %d", st.in.ID, resp.StatusCode)
	}
	res.Record = st.record()
	return res, nil
}

// WaitAnswered waits until the interaction with this id has had a first callback and
// returns its record.
func (s *Server) WaitAnswered(ctx context.Context, id string) (InteractionRecord, error) {
	s.mu.Lock()
	st := s.interactions[id]
	s.mu.Unlock()
	if st == nil {
		return InteractionRecord{}, fmt.Errorf("fakediscord: unknown interaction %s", id)
	}
	return s.waitAnswered(ctx, st)
}

// CheckEndpoint runs Discord's endpoint checks against a bot's HTTP interactions URL
// (contract PART C 1): a signed PING must get {"type":1}, and a request with a bad
// signature, a tampered body, or a missing signature or timestamp must get 401.
// Failures are recorded as violations and returned.
func (s *Server) CheckEndpoint(ctx context.Context, endpointURL string) error {
	before := len(s.Violations())
	if _, err := s.PostInteraction(ctx, endpointURL, Interaction{Type: InteractionPing}); err != nil {
		return err
	}
	for _, o := range []PostOption{WithBadSignature(), WithTamperedBody(), WithoutSignature(), WithoutTimestamp()} {
		if _, err := s.PostInteraction(ctx, endpointURL, Interaction{Type: InteractionPing}, o); err != nil {
			return err
		}
	}
	if v := s.Violations(); len(v) > before {
		return fmt.Errorf("fakediscord: endpoint check failed: %v", v[before:])
	}
	return nil
}
